/**
 * The schedule type: a pure function of the update count.
 *
 * A schedule is called with the count **before** increment, so the first update uses
 * `schedule(0)` (optax's convention). Every schedule built by gradfuse carries `spec`, its JSON
 * description (constructor name and options with defaults filled in), so an optimizer that uses
 * it can be written out as data; a plain user function has no `spec`.
 *
 * @module
 */

/** The JSON form of a schedule: its constructor and the options it was built with. */
export interface ScheduleSpec {
  readonly schedule: string;
  readonly options: Readonly<Record<string, unknown>>;
}

/**
 * A learning-rate (or any hyperparameter) schedule: `count -> value`.
 * @category Schedules
 */
export interface Schedule {
  (count: number): number;
  /** How the schedule was built; absent for a plain user function. */
  readonly spec?: ScheduleSpec;
}

/** A hyperparameter that is either a constant or a schedule of the step. */
export type ScalarOrSchedule = number | Schedule;

/** Attaches the JSON description to a schedule function. */
export function describeSchedule(fn: (count: number) => number, spec: ScheduleSpec): Schedule {
  return Object.assign(fn, { spec }) as Schedule;
}

/** The value of a constant-or-schedule at `count`. */
export function valueAt(value: ScalarOrSchedule, count: number): number {
  return typeof value === 'number' ? value : value(count);
}
