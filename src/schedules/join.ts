/**
 * Joining schedules end to end (optax `join_schedules`, `optax/schedules/_join.py`).
 *
 * @module
 */
import { childSpecs, joinFn, requireBoundaries, requireOptions, requireSchedules } from './common.js';
import { describeSchedule, type Schedule } from './schedule.js';

/** Options of {@link joinSchedules}. */
export interface JoinSchedulesOptions {
  /** The schedules, in order (at least one). */
  readonly schedules: readonly Schedule[];
  /** The counts at which each next schedule takes over: one fewer than `schedules`, integers >= 0, non-decreasing. */
  readonly boundaries: readonly number[];
}

/**
 * Runs `schedules` one after the other. Schedule $k$ takes over at `boundaries[k-1]` and
 * restarts its own count there:
 *
 * $$
 * v(t) = s_k(t - b_{k}), \quad k = \#\{ i : b_i \le t \},\ b_0 = 0
 * $$
 *
 * so at the boundary itself the new schedule already runs, from its count 0.
 *
 * The spec holds the children's specs: `{ schedule: 'joinSchedules', options: { schedules:
 * [spec, ...], boundaries } }`. If a child is a plain function without a spec, the joined
 * schedule has no spec either (it cannot be written out as data).
 *
 * @remarks
 * This is also PyTorch's `SequentialLR` (which restarts each scheduler at its milestone); see
 * {@link sequentialLR}. optax accepts unsorted boundaries (the later one in the list wins);
 * gradfuse requires them sorted.
 *
 * @example
 * ```ts
 * const s = joinSchedules({
 *   schedules: [constantSchedule({ value: 1 }), constantSchedule({ value: 2 })],
 *   boundaries: [3],
 * });
 * [0, 1, 2, 3, 4].map(s); // [1, 1, 1, 2, 2]
 * ```
 * @category Schedules
 */
export function joinSchedules(options: JoinSchedulesOptions): Schedule {
  const owner = 'joinSchedules';
  requireOptions(owner, options, ['schedules', 'boundaries']);
  const schedules = requireSchedules(owner, 'schedules', options.schedules);
  const boundaries = requireBoundaries(owner, 'boundaries', options.boundaries, schedules.length);
  const fn = joinFn(schedules, boundaries);
  const specs = childSpecs(schedules);
  if (specs === undefined) return fn;
  return describeSchedule(fn, { schedule: owner, options: { schedules: specs, boundaries } });
}
