/**
 * `multiSteps`: gradient accumulation. Micro-batch gradients are averaged (or summed) over
 * `everyK` calls; the inner optimizer steps once per `everyK` calls, on the accumulated
 * gradient.
 *
 * @module
 */
import type { Fusable, GradientTransformation, UpdateExtras } from '../base.js';
import { HyperparameterError, StateMismatchError } from '../errors.js';
import { add, constant, div, g, scalar, select, slot, sub } from '../kernel/dsl.js';
import type { Expr } from '../kernel/expr.js';
import type { Stage, StageState } from '../kernel/stage.js';
import { NO_SPEC } from '../spec/spec.js';
import { type FloatArray, allocate } from '../tree/leaf.js';
import { type FlatLeaf, type Tree, type TreeLike, assertSameStructure, flatten, unflatten, zerosLike } from '../tree/tree.js';
import { requireBoolean, requireInteger, requireKnownKeys } from '../validate.js';
import { freshScalarName, requireStateCount, requireStateObject, requireTransformation } from './rewrite.js';

// ---------------------------------------------------------------------------------------------
// options and state
// ---------------------------------------------------------------------------------------------

/** Options of {@link multiSteps}. */
export interface MultiStepsOptions {
  /** k, the number of calls (micro-batches) per inner step: an integer >= 1. Required. */
  readonly everyK: number;
  /** Average the accumulated gradients (true, default) or sum them (false). */
  readonly useGradMean?: boolean;
}

/** The state of {@link multiSteps} (optax's `MultiStepsState`). */
export interface MultiStepsState<S> {
  /** Calls accumulated since the last inner step, in [0, everyK). */
  readonly miniStep: number;
  /** Inner steps taken. */
  readonly gradientStep: number;
  /** The inner optimizer's state (its own count advances once per inner step). */
  readonly inner: S;
  /** The running mean (or sum) of the gradients since the last inner step, shaped like the params. */
  readonly accGrads: Tree;
}

/** A {@link multiSteps} transformation, with `hasUpdated`. */
export type MultiStepsTransformation<S> = GradientTransformation<MultiStepsState<S>> & {
  /** True when the update that produced `state` was an inner step (optax's `has_updated`). */
  hasUpdated(state: MultiStepsState<S>): boolean;
};

// ---------------------------------------------------------------------------------------------
// multiSteps
// ---------------------------------------------------------------------------------------------

/**
 * Gradient accumulation (optax's `MultiSteps`): call `update` once per micro-batch; every
 * `everyK`-th call the inner optimizer steps on the accumulated gradient, and the other calls
 * return zero updates and leave the inner state alone.
 *
 * ```text
 * n = miniStep
 * acc ← acc + (g - acc)/(n + 1)       (useGradMean, the default: a running mean)
 * acc ← g + acc                       (useGradMean: false: a sum)
 * n = k - 1:   u, inner ← inner.update(acc, inner, params);  acc ← 0;  miniStep ← 0;  gradientStep += 1
 * otherwise:   u = 0;  miniStep += 1
 * ```
 *
 * The inner optimizer's count advances only on the steps it takes, so its bias corrections and
 * schedules follow `gradientStep`: k micro-batches of size b give the trajectory of one batch
 * of size k·b (with `useGradMean`, when the loss is a mean over the batch).
 *
 * The extra arguments of `update` (`{ value }`) reach the inner optimizer on the calls where it
 * steps, those of the k-th micro-batch, unchanged (as optax's `MultiSteps` passes the last
 * call's `extra_args`); average the loss over the micro-batches yourself if the inner optimizer
 * should see the mean.
 *
 * ```ts
 * // an effective batch 4x the micro-batch
 * const opt = multiSteps(adamw({ learningRate: 1e-3 }), { everyK: 4 });
 * let state = opt.init(params);
 * for (const microBatch of batches) {
 *   const [updates, next] = opt.update(gradients(params, microBatch), state, params);
 *   params = applyUpdates(params, updates);      // zero except on every 4th call
 *   state = next;
 *   if (opt.hasUpdated(state)) log(params);
 * }
 * ```
 *
 * When the inner optimizer is fusable, `multiSteps` is fusable: `compile` fuses the
 * accumulation, the inner step (its slots are kept by `select` on the non-emitting calls, its
 * stages see the count `⌊c/k⌋`) and the zeroing into the same loop. The accumulator takes the
 * params' dtype (optax's defaults to float32).
 *
 * @remarks optax also takes a schedule for k and a `should_skip_update_fn`; use
 * {@link applyIfFinite} around `multiSteps` to skip non-finite micro-batches.
 * @category Combinators
 */
export function multiSteps<S>(inner: GradientTransformation<S>, options: MultiStepsOptions): MultiStepsTransformation<S> {
  const owner = 'multiSteps';
  requireTransformation(owner, 'inner', inner);
  if (typeof options !== 'object' || options === null) throw new HyperparameterError(owner, 'options', 'an object { everyK, useGradMean }', options);
  requireKnownKeys(owner, options, ['everyK', 'useGradMean']);
  const k = requireInteger(owner, 'everyK', options.everyK, 1);
  const useGradMean = requireBoolean(owner, 'useGradMean', options.useGradMean ?? true);

  const checkState = (state: unknown): MultiStepsState<S> => {
    const s = requireStateObject(owner, state, ['miniStep', 'gradientStep', 'inner', 'accGrads']);
    requireStateCount(owner, 'miniStep', s.miniStep, k);
    requireStateCount(owner, 'gradientStep', s.gradientStep);
    return s as unknown as MultiStepsState<S>;
  };

  // ---- the reference path: plain TypeScript around inner.update ----
  const init = <P extends TreeLike<P>>(params: P): MultiStepsState<S> => ({
    miniStep: 0,
    gradientStep: 0,
    inner: inner.init(params),
    accGrads: zerosLike(params as Tree),
  });

  const update = <P extends TreeLike<P>>(updates: P, state: MultiStepsState<S>, params?: P, extra?: UpdateExtras): readonly [P, MultiStepsState<S>] => {
    const s = checkState(state);
    const gf = flatten(updates);
    const af = flatten(s.accGrads);
    assertSameStructure(gf.def, af.def, `${owner}: state.accGrads against updates`);
    const n = s.miniStep;
    const acc: FloatArray[] = gf.leaves.map((leaf, i) => {
      const a = (af.leaves[i] as FlatLeaf).data;
      const x = leaf.data;
      const out = allocate(leaf.dtype, x.length);
      // The same operations, in the same order, as the fused body below.
      if (useGradMean) for (let j = 0; j < x.length; j++) out[j] = (a[j] as number) + ((x[j] as number) - (a[j] as number)) / (n + 1);
      else for (let j = 0; j < x.length; j++) out[j] = (x[j] as number) + (a[j] as number);
      return out;
    });
    if (n !== k - 1) {
      return [zerosLike(updates), { miniStep: n + 1, gradientStep: s.gradientStep, inner: s.inner, accGrads: unflatten(af.def, acc) }];
    }
    const [u, innerState] = inner.update(unflatten(gf.def, acc) as P, s.inner, params, extra);
    return [u, { miniStep: 0, gradientStep: s.gradientStep + 1, inner: innerState, accGrads: zerosLike(s.accGrads) }];
  };

  // ---- the fused path: accumulate, the inner stages gated by `emit`, then zero ----
  let fusable: Fusable<MultiStepsState<S>> | undefined;
  const innerFusable = inner.fusable;
  if (innerFusable !== undefined) {
    const emitAt = (count: number): number => (count % k === k - 1 ? 1 : 0);
    const accNew = useGradMean ? add(slot('acc'), div(sub(g, slot('acc')), scalar('n1'))) : add(g, slot('acc'));
    const accStage: Stage = {
      name: 'multiStepsAccumulate',
      options: { everyK: k, useGradMean },
      slots: [{ name: 'acc', init: 0 }],
      reductions: [],
      scalars: ({ count }) => ({ emit: emitAt(count), n1: (count % k) + 1 }),
      update: accNew,
      next: { acc: select(scalar('emit'), constant(0), accNew) },
    };
    const innerStages: Stage[] = innerFusable.stages.map((stage) => {
      const emit = freshScalarName(stage, 'multiStepsEmit');
      const { scalars, leafScalars } = stage;
      const next: Record<string, Expr> = {};
      for (const sl of stage.slots) next[sl.name] = select(scalar(emit), stage.next[sl.name] ?? slot(sl.name), slot(sl.name));
      return {
        ...stage,
        // The inner stage sees its own count: the number of inner steps, ⌊c/k⌋.
        scalars: (ctx) => ({ ...scalars({ ...ctx, count: Math.floor(ctx.count / k) }), [emit]: emitAt(ctx.count) }),
        ...(leafScalars === undefined ? {} : { leafScalars: (ctx) => leafScalars({ ...ctx, count: Math.floor(ctx.count / k) }) }),
        next,
      };
    });
    const gateStage: Stage = {
      name: 'multiStepsEmit',
      options: { everyK: k },
      slots: [],
      reductions: [],
      scalars: ({ count }) => ({ emit: emitAt(count) }),
      update: select(scalar('emit'), g, constant(0)),
      next: {},
    };
    const innerCount = innerStages.length;
    fusable = {
      stages: [accStage, ...innerStages, gateStage],
      toStageStates: (state) => {
        const s = checkState(state);
        const c = s.gradientStep * k + s.miniStep;
        const innerStates = innerFusable.toStageStates(s.inner).map((st) => ({ ...st, count: st.count * k + s.miniStep }));
        return [{ count: c, slots: { acc: s.accGrads } }, ...innerStates, { count: c, slots: {} }];
      },
      fromStageStates: (states: readonly StageState[]) => {
        const first = states[0];
        if (first === undefined || states.length !== innerCount + 2) throw new StateMismatchError(owner, `${String(innerCount + 2)} stage states`, states);
        const innerStates = states.slice(1, 1 + innerCount).map((st) => ({ ...st, count: Math.floor(st.count / k) }));
        return {
          miniStep: first.count % k,
          gradientStep: Math.floor(first.count / k),
          inner: innerFusable.fromStageStates(innerStates),
          accGrads: first.slots.acc as Tree,
        };
      },
    };
  }

  return {
    init,
    update,
    ...(fusable === undefined ? {} : { fusable }),
    spec: { op: owner, transform: inner.spec ?? NO_SPEC, everyK: k, useGradMean },
    hasUpdated: (state) => {
      const s = checkState(state);
      return s.miniStep === 0 && s.gradientStep > 0;
    },
  };
}
