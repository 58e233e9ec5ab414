/**
 * `lookahead`: k fast steps forward, one step back towards slow weights kept in the state.
 *
 * @module
 */
import type { Fusable, GradientTransformation, UpdateExtras } from '../base.js';
import { HyperparameterError, MissingParamsError, StateMismatchError } from '../errors.js';
import { add, g, mul, p, scalar, select, slot, sub } from '../kernel/dsl.js';
import type { Expr } from '../kernel/expr.js';
import type { Stage, StageState } from '../kernel/stage.js';
import { NO_SPEC } from '../spec/spec.js';
import { type FloatArray, allocate } from '../tree/leaf.js';
import { type FlatLeaf, type Tree, type TreeLike, assertSameStructure, cloneTree, flatten, unflatten } from '../tree/tree.js';
import { requireBoolean, requireInRange, requireInteger, requireKnownKeys } from '../validate.js';
import { freshScalarName, requireStateCount, requireStateObject, requireTransformation } from './rewrite.js';

// ---------------------------------------------------------------------------------------------
// options and state
// ---------------------------------------------------------------------------------------------

/** Options of {@link lookahead}. */
export interface LookaheadOptions {
  /** k, fast steps per synchronisation: an integer >= 1. Required. */
  readonly syncPeriod: number;
  /** α, how far the slow weights move towards the fast ones at a synchronisation, in [0, 1]. Required. */
  readonly slowStepSize: number;
  /** Reset the fast optimizer's state (to its `init`) at every synchronisation. Default false. */
  readonly resetState?: boolean;
}

/** The state of {@link lookahead}. */
export interface LookaheadState<S> {
  /** Fast steps since the last synchronisation, in [0, syncPeriod). */
  readonly stepsSinceSync: number;
  /** The slow weights, shaped like the params; `init` copies the params. Evaluate with these. */
  readonly slow: Tree;
  /** The fast optimizer's state. */
  readonly fast: S;
}

/**
 * A slot whose starting value is not a constant: `init` of the owning transformation fills it
 * (lookahead's slow weights are copied from the params). The stage's declared `init` is NaN so
 * that nothing mistakes it for a constant (see `resetState`).
 */
const FROM_PARAMS = Number.NaN;

// ---------------------------------------------------------------------------------------------
// lookahead
// ---------------------------------------------------------------------------------------------

/**
 * Lookahead (Zhang, Lucas, Hinton & Ba, "Lookahead Optimizer: k steps forward, 1 step back",
 * NeurIPS 2019) around a fast optimizer. The params you hold are the **fast** weights (compute
 * gradients with them); the **slow** weights live in the state, start as a copy of the params,
 * and are what you evaluate with (`state.slow`). Every `syncPeriod`-th update the slow weights
 * move a fraction α towards the fast ones and the fast weights jump to them:
 *
 * ```text
 * u = fast.update(g)                         every step
 * sync (stepsSinceSync = k - 1):
 *   d = p + u - slow                         (the fast weights after this step, minus slow)
 *   slow ← slow + α·d
 *   u ← u - (1 - α)·d                        (so that p + u = the new slow weights)
 *   resetState: fast state ← fast.init(params)
 * stepsSinceSync ← (stepsSinceSync + 1) mod k
 * ```
 *
 * Apply the updates unchanged (`applyUpdates(params, u)`): the synchronisation relies on
 * `p + u` being the new fast weights. Needs `params`.
 *
 * ```ts
 * const opt = lookahead(adam({ learningRate: 1e-3 }), { syncPeriod: 5, slowStepSize: 0.5 });
 * let state = opt.init(params);
 * [updates, state] = opt.update(grads, state, params);
 * params = applyUpdates(params, updates);
 * evaluate(state.slow);
 * ```
 *
 * **Design.** optax passes `LookaheadParams { fast, slow }` as the params and returns updates
 * for both. Here the slow weights are state (a slot initialised from the params), so the
 * params keep their shape and `lookahead` composes like any other transformation; with
 * `syncPeriod: 1, slowStepSize: 1` it is the fast optimizer itself (up to the sign of a zero
 * update).
 *
 * When the fast optimizer is fusable, `lookahead` is fusable: its step is one more stage
 * reading `p` and the slot `slow`; with `resetState`, the fast stages see their count modulo
 * k and their slots return to their initial values by `select` on the synchronising step.
 * (A fast optimizer whose state starts from the params, such as another `lookahead`, is not
 * fused with `resetState`.)
 *
 * @remarks With `resetState`, optax calls `fast.init(params)`: for an `injectHyperparams`
 * optimizer that also restores hyperparameter values you changed in the state, which the
 * compiled path (which keeps them) does not.
 * @category Combinators
 */
export function lookahead<S>(fast: GradientTransformation<S>, options: LookaheadOptions): GradientTransformation<LookaheadState<S>> {
  const owner = 'lookahead';
  requireTransformation(owner, 'fast', fast);
  if (typeof options !== 'object' || options === null) throw new HyperparameterError(owner, 'options', 'an object { syncPeriod, slowStepSize, resetState }', options);
  requireKnownKeys(owner, options, ['syncPeriod', 'slowStepSize', 'resetState']);
  const k = requireInteger(owner, 'syncPeriod', options.syncPeriod, 1);
  const alpha = requireInRange(owner, 'slowStepSize', options.slowStepSize, 0, 1);
  const resetState = requireBoolean(owner, 'resetState', options.resetState ?? false);
  const oneMinusAlpha = 1 - alpha;

  const checkState = (state: unknown): LookaheadState<S> => {
    const s = requireStateObject(owner, state, ['stepsSinceSync', 'slow', 'fast']);
    requireStateCount(owner, 'stepsSinceSync', s.stepsSinceSync, k);
    return s as unknown as LookaheadState<S>;
  };

  // ---- the reference path ----
  const update = <P extends TreeLike<P>>(updates: P, state: LookaheadState<S>, params?: P, extra?: UpdateExtras): readonly [P, LookaheadState<S>] => {
    if (params === undefined) throw new MissingParamsError(owner);
    const s = checkState(state);
    const pf = flatten(params);
    const sf = flatten(s.slow);
    assertSameStructure(pf.def, sf.def, `${owner}: state.slow against params`);
    const [u, fastState] = fast.update(updates, s.fast, params, extra);
    const uf = flatten(u);
    assertSameStructure(pf.def, uf.def, `${owner}: updates against params`);
    const sync = s.stepsSinceSync === k - 1;
    const stepsSinceSync = (s.stepsSinceSync + 1) % k;
    if (!sync) {
      return [unflatten(uf.def, uf.leaves.map((l) => l.data.slice())) as P, { stepsSinceSync, slow: s.slow, fast: fastState }];
    }
    const out: FloatArray[] = [];
    const slow: FloatArray[] = [];
    uf.leaves.forEach((leaf, i) => {
      const x = leaf.data;
      const pv = (pf.leaves[i] as FlatLeaf).data;
      const sv = (sf.leaves[i] as FlatLeaf).data;
      const o = allocate(leaf.dtype, x.length);
      const sn = allocate(sf.leaves[i]?.dtype ?? leaf.dtype, x.length);
      // The same operations, in the same order, as the fused body below.
      for (let j = 0; j < x.length; j++) {
        const d = (pv[j] as number) + (x[j] as number) - (sv[j] as number);
        o[j] = (x[j] as number) - oneMinusAlpha * d;
        sn[j] = (sv[j] as number) + alpha * d;
      }
      out.push(o);
      slow.push(sn);
    });
    return [
      unflatten(uf.def, out) as P,
      { stepsSinceSync, slow: unflatten(sf.def, slow), fast: resetState ? fast.init(params) : fastState },
    ];
  };

  // ---- the fused path ----
  let fusable: Fusable<LookaheadState<S>> | undefined;
  const fastFusable = fast.fusable;
  const canReset = fastFusable !== undefined && fastFusable.stages.every((st) => st.slots.every((sl) => Number.isFinite(sl.init)));
  if (fastFusable !== undefined && (!resetState || canReset)) {
    const syncAt = (count: number): number => (count % k === k - 1 ? 1 : 0);
    const fastStages: Stage[] = !resetState
      ? [...fastFusable.stages]
      : fastFusable.stages.map((stage) => {
          const syncName = freshScalarName(stage, 'lookaheadSync');
          const initNames: string[] = [];
          stage.slots.forEach((_, i) => initNames.push(freshScalarName(stage, `lookaheadInit${String(i)}`, [syncName, ...initNames])));
          const { scalars, leafScalars } = stage;
          const next: Record<string, Expr> = {};
          stage.slots.forEach((sl, i) => {
            next[sl.name] = select(scalar(syncName), scalar(initNames[i] as string), stage.next[sl.name] ?? slot(sl.name));
          });
          return {
            ...stage,
            // Reset at every synchronisation: the fast optimizer's count is the count modulo k.
            scalars: (ctx) => {
              const out: Record<string, number> = { ...scalars({ ...ctx, count: ctx.count % k }), [syncName]: syncAt(ctx.count) };
              stage.slots.forEach((sl, i) => { out[initNames[i] as string] = sl.init; });
              return out;
            },
            ...(leafScalars === undefined ? {} : { leafScalars: (ctx) => leafScalars({ ...ctx, count: ctx.count % k }) }),
            next,
          };
        });
    const d = sub(add(p, g), slot('slow'));
    const syncStage: Stage = {
      name: owner,
      options: { syncPeriod: k, slowStepSize: alpha },
      slots: [{ name: 'slow', init: FROM_PARAMS }],
      reductions: [],
      scalars: ({ count }) => ({ sync: syncAt(count), alpha, oneMinusAlpha }),
      update: select(scalar('sync'), sub(g, mul(scalar('oneMinusAlpha'), d)), g),
      next: { slow: select(scalar('sync'), add(slot('slow'), mul(scalar('alpha'), d)), slot('slow')) },
    };
    const n = fastStages.length;
    fusable = {
      stages: [...fastStages, syncStage],
      toStageStates: (state) => {
        const s = checkState(state);
        const fastStates = fastFusable.toStageStates(s.fast);
        if (resetState) {
          const bad = fastStates.find((st) => st.count !== s.stepsSinceSync);
          if (bad !== undefined) {
            throw new StateMismatchError(owner, `a fast optimizer state whose count equals stepsSinceSync (${String(s.stepsSinceSync)}) with resetState, as init and update keep it`, bad.count);
          }
        }
        return [...fastStates, { count: s.stepsSinceSync, slots: { slow: s.slow } }];
      },
      fromStageStates: (states: readonly StageState[]) => {
        const last = states[n];
        if (last === undefined || states.length !== n + 1) throw new StateMismatchError(owner, `${String(n + 1)} stage states`, states);
        const fastStates = states.slice(0, n).map((st) => (resetState ? { ...st, count: st.count % k } : st));
        return { stepsSinceSync: last.count % k, slow: last.slots.slow as Tree, fast: fastFusable.fromStageStates(fastStates) };
      },
    };
  }

  return {
    init: (params) => ({ stepsSinceSync: 0, slow: cloneTree(params as Tree), fast: fast.init(params) }),
    update,
    ...(fusable === undefined ? {} : { fusable }),
    spec: { op: owner, transform: fast.spec ?? NO_SPEC, syncPeriod: k, slowStepSize: alpha, resetState },
  };
}
