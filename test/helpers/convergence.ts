/**
 * Shared convergence checks for the optimizer tests, after optax's `alias_test.py`:
 *
 * - `TARGETS`: the parabola Σ(x - t)² with t = [1, -1, 1] from [-1, 10, 1], Rosenbrock
 *   (a = 1, b = 100) from [0, 0], and the doctests' Σx² from [1, 2, 3], each with its loss
 *   and gradient written in plain float64 JavaScript.
 * - `minimize`: runs an optimizer on one of them (one leaf `{ x }`, float32 by default as in
 *   optax, float64 on request; the loss as the extra argument `{ value }` for the optimizers that
 *   read it, such as polyakSgd and reduceOnPlateau; an `evaluate` for the ones whose params are
 *   not the point to judge, such as schedule-free).
 * - `expectConverges`: asserts that `minimize` ends within a tolerance (optax's 3e-2 unless told)
 *   of the target's minimum, element by element.
 * - `doctest`: optax's docstring example, 5 steps on Σx² from [1, 2, 3] in float32, the
 *   objective after each step summed in float32 and printed as optax's `{:.2E}`.
 */
import { expect } from 'vitest';
import type { GradientTransformation } from '../../src/base.js';
import type { FloatArray } from '../../src/tree/leaf.js';
import { applyUpdates } from '../../src/update.js';

/** A test function: where a run starts, its minimum, its loss and its gradient. */
export interface Target {
  readonly start: readonly number[];
  readonly end: readonly number[];
  readonly loss: (x: readonly number[]) => number;
  readonly grad: (x: readonly number[]) => number[];
}

const PARABOLA_MIN = [1, -1, 1] as const;

/** optax's `alias_test` targets, and the doctests' Σx² (`square`). */
export const TARGETS = {
  parabola: {
    start: [-1, 10, 1],
    end: PARABOLA_MIN,
    loss: (x) => x.reduce((a, v, i) => a + (v - (PARABOLA_MIN[i] as number)) ** 2, 0),
    grad: (x) => x.map((v, i) => 2 * (v - (PARABOLA_MIN[i] as number))),
  },
  rosenbrock: {
    start: [0, 0],
    end: [1, 1],
    loss: ([a = 0, b = 0]) => (1 - a) ** 2 + 100 * (b - a * a) ** 2,
    grad: ([a = 0, b = 0]) => [-2 * (1 - a) - 400 * a * (b - a * a), 200 * (b - a * a)],
  },
  square: {
    start: [1, 2, 3],
    end: [0, 0, 0],
    loss: (x) => x.reduce((a, v) => a + v * v, 0),
    grad: (x) => x.map((v) => 2 * v),
  },
} as const satisfies Record<string, Target>;

export type TargetName = keyof typeof TARGETS;

/** How `minimize` runs. */
export interface MinimizeOptions<S> {
  /** The dtype of the leaf `x` and of its gradients (default float32, as optax's tests). */
  readonly dtype?: 'float32' | 'float64';
  /** Where to start instead of the target's own start. */
  readonly start?: readonly number[];
  /** Hands `{ value: loss(x) }` (x before the step) to `update` as its extra argument. */
  readonly withValue?: boolean;
  /** The point to report from the state and params (default: the params themselves). */
  readonly evaluate?: (state: S, params: { x: FloatArray }) => ArrayLike<number>;
  /** Called after each step with the point `evaluate` gives, as stored (float32 or float64). */
  readonly each?: (x: FloatArray) => void;
}

/**
 * Runs `opt` for `steps` steps on the leaf `{ x }` from the target's start, with the target's
 * gradient at each step (params always given); the final point (see `evaluate`).
 */
export function minimize<S>(opt: GradientTransformation<S>, target: TargetName, steps: number, options: MinimizeOptions<S> = {}): number[] {
  const t: Target = TARGETS[target];
  const make = options.dtype === 'float64' ? (v: ArrayLike<number>) => Float64Array.from(v) : (v: ArrayLike<number>) => Float32Array.from(v);
  const point = (state: S, params: { x: FloatArray }): FloatArray => {
    const e = options.evaluate === undefined ? params.x : options.evaluate(state, params);
    return e instanceof Float32Array || e instanceof Float64Array ? e : make(e);
  };
  let params: { x: FloatArray } = { x: make(options.start ?? t.start) };
  let state = opt.init(params);
  for (let i = 0; i < steps; i++) {
    const x = Array.from(params.x);
    const grads = { x: make(t.grad(x)) };
    const [u, s] = options.withValue === true ? opt.update(grads, state, params, { value: t.loss(x) }) : opt.update(grads, state, params);
    params = applyUpdates(params, u);
    state = s;
    options.each?.(point(state, params));
  }
  return Array.from(point(state, params));
}

/** How `expectConverges` judges, on top of how `minimize` runs. */
export interface ConvergeOptions<S> extends MinimizeOptions<S> {
  /** The largest |x_i - end_i| allowed (default optax's 3e-2). */
  readonly tolerance?: number;
}

/** Asserts that `minimize` ends within `tolerance` (default 3e-2) of the target's minimum. */
export function expectConverges<S>(opt: GradientTransformation<S>, target: TargetName, steps: number, options: ConvergeOptions<S> = {}): void {
  const end = TARGETS[target].end;
  const tolerance = options.tolerance ?? 3e-2;
  minimize(opt, target, steps, options).forEach((v, i) => {
    expect(Math.abs(v - (end[i] as number)), `${target}[${String(i)}] = ${String(v)}`).toBeLessThan(tolerance);
  });
}

/**
 * optax's doctest: 5 steps on Σx² from [1, 2, 3] in float32; the objective after each step (at
 * the point `evaluate` gives), summed in float32 as JAX does.
 */
export function doctestObjectives<S>(opt: GradientTransformation<S>, evaluate?: MinimizeOptions<S>['evaluate']): number[] {
  const out: number[] = [];
  const each = (x: FloatArray): void => {
    let f = 0;
    for (const v of x) f = Math.fround(f + Math.fround(v * v));
    out.push(f);
  };
  minimize(opt, 'square', 5, evaluate === undefined ? { each } : { each, evaluate });
  return out;
}

/** optax's doctest as it prints it: `doctestObjectives` formatted as `{:.2E}`. */
export function doctest<S>(opt: GradientTransformation<S>): string[] {
  return doctestObjectives(opt).map((v) => v.toExponential(2));
}
