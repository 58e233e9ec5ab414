/**
 * Hyperparameters that may be schedules: checked when built (a number must pass its range, a
 * schedule must be a function) and at each step (a schedule's value must be finite and in
 * range, checked before anything is computed, so a bad value leaves nothing half-updated).
 *
 * @module
 */
import { HyperparameterError } from '../errors.js';
import type { ScalarOrSchedule, Schedule } from '../schedules/schedule.js';
import { FUNCTION } from '../spec/spec.js';

/** A range check for a hyperparameter value. */
export interface Range {
  readonly min?: number;
  readonly max?: number;
  readonly minOpen?: boolean;
  readonly maxOpen?: boolean;
}

function describeRange(r: Range): string {
  if (r.min !== undefined && r.max !== undefined) {
    return `a number in ${r.minOpen === true ? '(' : '['}${String(r.min)}, ${String(r.max)}${r.maxOpen === true ? ')' : ']'}`;
  }
  if (r.min !== undefined) return `a finite number ${r.minOpen === true ? '>' : '>='} ${String(r.min)}`;
  if (r.max !== undefined) return `a finite number ${r.maxOpen === true ? '<' : '<='} ${String(r.max)}`;
  return 'a finite number';
}

function inRange(v: number, r: Range): boolean {
  if (!Number.isFinite(v)) return false;
  if (r.min !== undefined && (r.minOpen === true ? v <= r.min : v < r.min)) return false;
  if (r.max !== undefined && (r.maxOpen === true ? v >= r.max : v > r.max)) return false;
  return true;
}

/** Checks a number against a range, or that a schedule is a function. */
export function requireScalarOrSchedule(owner: string, name: string, value: unknown, range: Range = {}): ScalarOrSchedule {
  if (typeof value === 'function') return value as Schedule;
  if (typeof value !== 'number' || !inRange(value, range)) {
    throw new HyperparameterError(owner, name, `${describeRange(range)} or a schedule`, value);
  }
  return value;
}

/** The value at `count`, checked against the range (a schedule can go out of range). */
export function hyperAt(owner: string, name: string, value: ScalarOrSchedule, count: number, range: Range = {}): number {
  if (typeof value === 'number') return value;
  const v = value(count);
  if (typeof v !== 'number' || !inRange(v, range)) {
    throw new HyperparameterError(owner, `${name} (schedule at count ${String(count)})`, describeRange(range), v);
  }
  return v;
}

/** The JSON-describable form of a number-or-schedule (its spec, for a gradfuse schedule). */
export function describeHyper(value: ScalarOrSchedule): unknown {
  return typeof value === 'number' ? value : (value.spec ?? FUNCTION);
}
