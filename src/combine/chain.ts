/**
 * `chain`: sequential composition. The state is the tuple of the inner states; the chain is
 * fusable when every member is.
 *
 * @module
 */
import type { Fusable, GradientTransformation, StateOf, UpdateExtras } from '../base.js';
import { StateMismatchError } from '../errors.js';
import type { StageState } from '../kernel/stage.js';
import { NO_SPEC } from '../spec/spec.js';
import type { TreeLike } from '../tree/tree.js';

/** The state of a chain: one entry per member, in order. */
export type ChainState<T extends readonly GradientTransformation<unknown>[]> = { readonly [K in keyof T]: StateOf<T[K]> };

/** A gradient transformation of any state type: what combinators accept as members. */
export type AnyTransformation = GradientTransformation<unknown>;

/** A chain: a transformation that also lists its members (for messages that name one). */
export type ChainTransformation<T extends readonly AnyTransformation[]> = GradientTransformation<ChainState<T>> & { readonly members: T };
type Untyped = GradientTransformation<unknown>;

/**
 * Applies the transformations in order, each to the updates the previous one produced. The
 * params and the extra arguments of `update` (e.g. `{ value: loss }`) go to every member
 * unchanged.
 *
 * ```ts
 * const opt = chain(clipByGlobalNorm({ maxNorm: 1 }), adamw({ learningRate: 1e-3 }));
 * ```
 * @category Combinators
 */
export function chain<const T extends readonly AnyTransformation[]>(...transforms: T): ChainTransformation<T> {
  const members = transforms as unknown as readonly Untyped[];
  const checkState = (state: unknown): readonly unknown[] => {
    if (!Array.isArray(state) || state.length !== members.length) {
      throw new StateMismatchError('chain', `an array of ${String(members.length)} member states`, state);
    }
    return state as readonly unknown[];
  };
  const parts = members.map((m) => m.fusable);
  let fusable: Fusable<ChainState<T>> | undefined;
  if (parts.every((f): f is Fusable<unknown> => f !== undefined)) {
    const counts = parts.map((f) => f.stages.length);
    fusable = {
      stages: parts.flatMap((f) => f.stages),
      toStageStates: (state) => {
        const s = checkState(state);
        return parts.flatMap((f, i) => f.toStageStates(s[i]));
      },
      fromStageStates: (states: readonly StageState[]) => {
        let at = 0;
        return parts.map((f, i) => {
          const n = counts[i] as number;
          const mine = states.slice(at, at + n);
          at += n;
          return f.fromStageStates(mine);
        }) as unknown as ChainState<T>;
      },
    };
  }
  return {
    init: (params) => members.map((m) => m.init(params)) as unknown as ChainState<T>,
    update: <P extends TreeLike<P>>(updates: P, state: ChainState<T>, params?: P, extra?: UpdateExtras): readonly [P, ChainState<T>] => {
      const s = checkState(state);
      let u = updates;
      const next: unknown[] = [];
      members.forEach((m, i) => {
        const [nu, ns] = m.update(u, s[i], params, extra);
        u = nu;
        next.push(ns);
      });
      return [u, next as unknown as ChainState<T>];
    },
    ...(fusable === undefined ? {} : { fusable }),
    spec: { op: 'chain', transforms: members.map((m) => m.spec ?? NO_SPEC) },
    members: transforms,
  };
}
