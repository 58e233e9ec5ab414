/**
 * The vocabulary: a gradient transformation is a pair of pure functions over pytrees.
 *
 * ```
 * init(params)                   -> state
 * update(updates, state, params?) -> [updates, state]
 * ```
 *
 * No state lives inside the object; `update` never mutates its arguments and returns fresh
 * arrays. A transformation built from kernel stages also carries {@link Fusable}, which the
 * compiler reads to fuse it.
 *
 * @module
 */
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
  /** Transforms `updates` (gradients, for the first in a chain); `params` when needed. */
  update<P extends TreeLike<P>>(updates: P, state: S, params?: P): readonly [P, S];
  /** Present when every part is defined by kernel stages. */
  readonly fusable?: Fusable<S>;
  /** The JSON description, when built by gradfuse (see `toSpec`). */
  readonly spec?: TransformSpec;
}

/** The state type of a transformation. */
export type StateOf<T> = T extends GradientTransformation<infer S> ? S : never;

/** The state of a transformation with no state. */
export type EmptyState = Readonly<Record<string, never>>;
