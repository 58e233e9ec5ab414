/**
 * The vocabulary: a gradient transformation is a pair of pure functions over pytrees.
 *
 * ```
 * init(params)                            -> state
 * update(updates, state, params?, extra?) -> [updates, state]
 * ```
 *
 * No state lives inside the object; `update` never mutates its arguments and returns fresh
 * arrays. A transformation built from kernel stages also carries {@link Fusable}, which the
 * compiler reads to fuse it.
 *
 * @module
 */
import { ExtraArgError } from './errors.js';
import type { Stage, StageState } from './kernel/stage.js';
import type { TransformSpec } from './spec/spec.js';
import type { TreeLike } from './tree/tree.js';

/**
 * The fusable description of a transformation: its stages in order, and how its state splits
 * into (and is rebuilt from) one {@link StageState} per stage.
 * @category Kernel
 */
export interface Fusable<S> {
  readonly stages: readonly Stage[];
  toStageStates(state: S): readonly StageState[];
  fromStageStates(states: readonly StageState[]): S;
}

/**
 * Extra arguments of `update`, after the params: optax's `**extra_args` of a
 * `GradientTransformationExtraArgs`, typed. Every transformation and combinator accepts them;
 * the combinators hand them unchanged to their members, and the transformations that do not
 * read them ignore them. A transformation that reads one and is not given it throws an
 * {@link ExtraArgError} naming it.
 *
 * ```ts
 * const opt = chain(adam({ learningRate: 1e-3 }), reduceOnPlateau({ patience: 5 }));
 * const [updates, next] = opt.update(grads, state, params, { value: loss });
 * ```
 * @category Base
 */
export interface UpdateExtras {
  /**
   * The objective's value (the loss) at `params`, the point the gradients were computed at:
   * optax's `value`. Read by `reduceOnPlateau` (the monitored quantity) and `scaleByPolyak` /
   * `polyakSgd` (the Polyak step size).
   */
  readonly value?: number;
}

/**
 * A gradient transformation: pure `init` and `update`.
 *
 * `update` is generic over the caller's tree type: it returns updates of the same TypeScript
 * type (and the same structure, leaf forms and dtypes) as it was given.
 * @category Base
 */
export interface GradientTransformation<S = unknown> {
  // Method syntax on purpose: a GradientTransformation<ScaleByAdamState> is then usable where a
  // GradientTransformation<unknown> is expected (chain's members).
  /** The initial state for these params. */
  init<P extends TreeLike<P>>(params: P): S;
  /**
   * Transforms `updates` (gradients, for the first in a chain); `params` when needed; `extra`
   * (e.g. `{ value: loss }`) for the transformations that read it (see {@link UpdateExtras}).
   */
  update<P extends TreeLike<P>>(updates: P, state: S, params?: P, extra?: UpdateExtras): readonly [P, S];
  /** Present when every part is defined by kernel stages. */
  readonly fusable?: Fusable<S>;
  /** The JSON description, when built by gradfuse (see `toSpec`). */
  readonly spec?: TransformSpec;
}

/** The state type of a transformation. */
export type StateOf<T> = T extends GradientTransformation<infer S> ? S : never;

/** The state of a transformation with no state. */
export type EmptyState = Readonly<Record<string, never>>;

/**
 * The loss `extra.value` handed to `update`, checked: a number (NaN and ±Infinity pass, as in
 * optax: a diverged loss is information). Throws an {@link ExtraArgError} naming `value`.
 */
export function requireValue(owner: string, extra: UpdateExtras | undefined): number {
  const value: unknown = extra?.value;
  if (typeof value !== 'number') throw new ExtraArgError(owner, 'value', 'the loss at params (a number)', value);
  return value;
}
