/**
 * Helpers shared by the schedule constructors: option-object checks, boundary tables and the
 * count clamp. Internal to `schedules/`; nothing here is part of the public API.
 *
 * @module
 */
import { HyperparameterError } from '../errors.js';
import { requireInteger, requireKnownKeys, requireNonNegative } from '../validate.js';
import type { Schedule, ScheduleSpec } from './schedule.js';

// -------------------------------------------------------------------------------------------------
// counts
// -------------------------------------------------------------------------------------------------

/** The count a schedule evaluates: negative counts are treated as 0 (NaN stays NaN). */
export function clampCount(count: number): number {
  return Math.max(0, count);
}

// -------------------------------------------------------------------------------------------------
// options
// -------------------------------------------------------------------------------------------------

/** Checks that `options` is a plain object holding only `known` keys. */
export function requireOptions(owner: string, options: unknown, known: readonly string[]): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new HyperparameterError(owner, 'options', 'an options object', options);
  }
  requireKnownKeys(owner, options, known);
}

/** An optional option: `undefined` gives the default (which is then validated like a given value). */
export function orDefault<T>(value: T | undefined, fallback: T): T {
  return value === undefined ? fallback : value;
}

/** A schedule argument: a function of the count. */
export function requireSchedule(owner: string, name: string, value: unknown): Schedule {
  if (typeof value !== 'function') throw new HyperparameterError(owner, name, 'a schedule (a function of the count)', value);
  return value as Schedule;
}

/** A non-empty array of schedules. */
export function requireSchedules(owner: string, name: string, value: unknown): readonly Schedule[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new HyperparameterError(owner, name, 'a non-empty array of schedules', value);
  }
  return value.map((s: unknown, i) => requireSchedule(owner, `${name}[${String(i)}]`, s));
}

/**
 * Step boundaries between `nSchedules` schedules: `nSchedules - 1` integers >= 0, in
 * non-decreasing order.
 */
export function requireBoundaries(owner: string, name: string, value: unknown, nSchedules: number): readonly number[] {
  if (!Array.isArray(value) || value.length !== nSchedules - 1) {
    throw new HyperparameterError(
      owner,
      name,
      `an array of ${String(nSchedules - 1)} step(s) (one fewer than the schedules)`,
      value,
    );
  }
  const out: number[] = [];
  value.forEach((b: unknown, i) => {
    const prev = out[i - 1] ?? 0;
    out.push(requireInteger(owner, `${name}[${String(i)}]`, b, prev));
  });
  return out;
}

/** The specs of child schedules, or `undefined` if any child is a plain function without one. */
export function childSpecs(schedules: readonly Schedule[]): readonly ScheduleSpec[] | undefined {
  const specs: ScheduleSpec[] = [];
  for (const s of schedules) {
    if (s.spec === undefined) return undefined;
    specs.push(s.spec);
  }
  return specs;
}

/**
 * Runs `build` and re-throws a {@link HyperparameterError} as one of `owner`, with the
 * parameter prefixed by `prefix` (e.g. `cosineKwargs[1].decaySteps`).
 */
export function asOptionOf<T>(owner: string, prefix: string, build: () => T): T {
  try {
    return build();
  } catch (e) {
    if (e instanceof HyperparameterError) {
      const param = e.parameter === 'options' ? prefix : `${prefix}.${e.parameter}`;
      throw new HyperparameterError(owner, param, e.expected, e.actual);
    }
    throw e;
  }
}

// -------------------------------------------------------------------------------------------------
// boundaries and scales
// -------------------------------------------------------------------------------------------------

/**
 * The `{ step: scale }` table of the piecewise schedules, as optax's `boundaries_and_scales`
 * dict. Keys are step counts written as integers >= 0 in canonical form (`"10"`, not `"1e1"`
 * or `"010"`); scales are finite numbers >= 0.
 */
export type BoundariesAndScales = Readonly<Record<string, number>>;

/** Validates a boundaries table; returns its entries sorted by step and a plain copy. */
export function requireBoundariesAndScales(
  owner: string,
  name: string,
  value: unknown,
): { readonly entries: readonly (readonly [number, number])[]; readonly copy: Record<string, number> } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new HyperparameterError(owner, name, 'an object mapping steps to scales, e.g. { 100: 0.1 }', value);
  }
  const entries: [number, number][] = [];
  for (const [key, scale] of Object.entries(value as Record<string, unknown>)) {
    const step = Number(key);
    if (!Number.isInteger(step) || step < 0 || String(step) !== key) {
      throw new HyperparameterError(owner, `${name} key "${key}"`, 'an integer step >= 0', key);
    }
    entries.push([step, requireNonNegative(owner, `${name}[${key}]`, scale)]);
  }
  entries.sort((a, b) => a[0] - b[0]);
  const copy: Record<string, number> = {};
  for (const [step, scale] of entries) copy[String(step)] = scale;
  return { entries, copy };
}

// -------------------------------------------------------------------------------------------------
// joining
// -------------------------------------------------------------------------------------------------

/**
 * optax's `join_schedules` loop: the last schedule whose boundary is <= the count, called with
 * the count minus that boundary (`schedules[0]` below the first boundary). Boundaries must be
 * sorted (the constructors check).
 */
export function joinFn(schedules: readonly ((count: number) => number)[], boundaries: readonly number[]): (count: number) => number {
  const first = schedules[0];
  if (first === undefined || boundaries.length !== schedules.length - 1) {
    throw new Error('joinFn: needs one boundary fewer than schedules');
  }
  return (count: number): number => {
    const c = clampCount(count);
    let i = 0;
    while (i < boundaries.length && (boundaries[i] ?? Infinity) <= c) i++;
    if (i === 0) return first(c);
    const s = schedules[i];
    const b = boundaries[i - 1];
    // Both exist: 1 <= i <= boundaries.length = schedules.length - 1.
    return s === undefined || b === undefined ? NaN : s(c - b);
  };
}

// -------------------------------------------------------------------------------------------------
// piecewise interpolation
// -------------------------------------------------------------------------------------------------

/**
 * The interpolation closure over sorted `[step, scale]` entries (optax
 * `piecewise_interpolate_schedule`; shared by the piecewise and one-cycle schedules).
 */
export function interpolateFn(
  interpolateType: 'linear' | 'cosine',
  initValue: number,
  entries: readonly (readonly [number, number])[],
): (count: number) => number {
  const bounds = [0, ...entries.map(([step]) => step)];
  const values = [initValue];
  for (const [, scale] of entries) values.push((values[values.length - 1] ?? initValue) * scale);
  const lastBound = bounds[bounds.length - 1] ?? 0;
  const lastValue = values[values.length - 1] ?? initValue;
  const interpolate =
    interpolateType === 'linear'
      ? (start: number, end: number, pct: number): number => (end - start) * pct + start
      : (start: number, end: number, pct: number): number => end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1);
  return (count: number): number => {
    const c = clampCount(count);
    if (c >= lastBound) return lastValue;
    for (let k = 0; k + 1 < bounds.length; k++) {
      const lo = bounds[k] ?? 0;
      const hi = bounds[k + 1] ?? 0;
      if (lo <= c && c < hi) {
        const pct = (c - lo) / Math.max(hi - lo, 1);
        return interpolate(values[k] ?? 0, values[k + 1] ?? 0, pct);
      }
    }
    return NaN; // unreachable for c >= 0 (the intervals cover [0, lastBound)); NaN counts land here
  };
}
