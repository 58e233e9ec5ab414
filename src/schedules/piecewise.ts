/**
 * Piecewise schedules: scaled jumps at given steps (optax `piecewise_constant_schedule`) and
 * linear or cosine interpolation between the scaled values (`piecewise_interpolate_schedule`).
 *
 * @module
 */
import { requireFinite, requireOneOf } from '../validate.js';
import {
  clampCount,
  interpolateFn,
  orDefault,
  requireBoundariesAndScales,
  requireOptions,
  type BoundariesAndScales,
} from './common.js';
import { describeSchedule, type Schedule } from './schedule.js';

export type { BoundariesAndScales } from './common.js';

// -------------------------------------------------------------------------------------------------
// piecewise constant
// -------------------------------------------------------------------------------------------------

/** Options of {@link piecewiseConstantSchedule}. */
export interface PiecewiseConstantScheduleOptions {
  /** $I$, the value before the first boundary. */
  readonly initValue: number;
  /**
   * `{ step: scale }`, as optax's dict: e.g. `{ 100: 0.1, 200: 0.1 }`. Steps are integers >= 0
   * (object keys, so each step appears once); scales are >= 0. Default `{}`.
   */
  readonly boundariesAndScales?: BoundariesAndScales;
}

/**
 * $I$ times the product of the scales whose boundary has been reached:
 *
 * $$
 * v(t) = I \prod_{i \,:\, t \ge b_i} s_i
 * $$
 *
 * The boundary step itself is already scaled. Default: `boundariesAndScales` `{}`.
 *
 * @remarks
 * The boundaries are a plain object `{ step: scale }` (optax's dict), which keeps the spec
 * JSON-friendly. PyTorch's `MultiStepLR` with one `gamma` is
 * `piecewiseConstantSchedule({ initValue: lr, boundariesAndScales: { m1: gamma, m2: gamma } })`,
 * except that torch also accepts a repeated milestone (see {@link multiStepLR}).
 *
 * @example
 * ```ts
 * const s = piecewiseConstantSchedule({ initValue: 1, boundariesAndScales: { 100: 0.1, 200: 0.01 } });
 * [50, 150, 250].map(s); // [1, 0.1, 0.001]
 * ```
 * @category Schedules
 */
export function piecewiseConstantSchedule(options: PiecewiseConstantScheduleOptions): Schedule {
  const owner = 'piecewiseConstantSchedule';
  requireOptions(owner, options, ['initValue', 'boundariesAndScales']);
  const initValue = requireFinite(owner, 'initValue', options.initValue);
  const { entries, copy } = requireBoundariesAndScales(owner, 'boundariesAndScales', orDefault(options.boundariesAndScales, {}));
  const fn = (count: number): number => {
    const c = clampCount(count);
    let v = initValue;
    for (const [step, scale] of entries) {
      if (c >= step) v = scale * v;
    }
    return v;
  };
  return describeSchedule(fn, { schedule: owner, options: { initValue, boundariesAndScales: copy } });
}

// -------------------------------------------------------------------------------------------------
// piecewise interpolate
// -------------------------------------------------------------------------------------------------

/** Options of {@link piecewiseInterpolateSchedule}. */
export interface PiecewiseInterpolateScheduleOptions {
  /** How to move between the values at the boundaries. */
  readonly interpolateType: 'linear' | 'cosine';
  /** $v_0$, the value at count 0 (unless a boundary sits at 0). */
  readonly initValue: number;
  /** `{ step: scale }`: steps integers >= 0, scales >= 0. Default `{}`. */
  readonly boundariesAndScales?: BoundariesAndScales;
}

/**
 * Interpolates between the cumulative products of the scales. With the boundaries sorted,
 * $b_0 = 0$, $v_0 = I$ and $v_k = v_{k-1} s_k$, inside $[b_k, b_{k+1})$:
 *
 * $$
 * \rho = \frac{t - b_k}{\max(b_{k+1} - b_k, 1)}, \qquad
 * v(t) = \begin{cases}
 *   v_k + (v_{k+1} - v_k)\,\rho & \text{linear} \\
 *   v_{k+1} + \frac{v_k - v_{k+1}}{2}\left(1 + \cos \pi\rho\right) & \text{cosine}
 * \end{cases}
 * $$
 *
 * and $v(t) = v_n$ from the last boundary on. A boundary at 0 scales the value at count 0.
 * Default: `boundariesAndScales` `{}` (the constant $I$).
 *
 * @remarks
 * optax returns 0 for a negative count (no interval matches); gradfuse treats a negative count
 * as 0.
 *
 * @example
 * ```ts
 * const s = piecewiseInterpolateSchedule({ interpolateType: 'linear', initValue: 1, boundariesAndScales: { 4: 0.1, 8: 0.01 } });
 * [0, 2, 4, 6, 8].map(s); // [1, 0.55, 0.1, 0.0505, 0.001]
 * ```
 * @category Schedules
 */
export function piecewiseInterpolateSchedule(options: PiecewiseInterpolateScheduleOptions): Schedule {
  const owner = 'piecewiseInterpolateSchedule';
  requireOptions(owner, options, ['interpolateType', 'initValue', 'boundariesAndScales']);
  const interpolateType = requireOneOf(owner, 'interpolateType', options.interpolateType, ['linear', 'cosine']);
  const initValue = requireFinite(owner, 'initValue', options.initValue);
  const { entries, copy } = requireBoundariesAndScales(owner, 'boundariesAndScales', orDefault(options.boundariesAndScales, {}));
  const fn = interpolateFn(interpolateType, initValue, entries);
  return describeSchedule(fn, {
    schedule: owner,
    options: { interpolateType, initValue, boundariesAndScales: copy },
  });
}
