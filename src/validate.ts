/**
 * Eager validation of hyperparameters. Each check throws a {@link HyperparameterError} that
 * names the owner, the option, the accepted range and the value.
 *
 * @module
 */
import { HyperparameterError } from './errors.js';

/** A finite number. */
export function requireFinite(owner: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new HyperparameterError(owner, name, 'a finite number', value);
  }
  return value;
}

/** A finite number >= 0. */
export function requireNonNegative(owner: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new HyperparameterError(owner, name, 'a finite number >= 0', value);
  }
  return value;
}

/** A finite number > 0. */
export function requirePositive(owner: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new HyperparameterError(owner, name, 'a finite number > 0', value);
  }
  return value;
}

/** An integer >= min (default 0). */
export function requireInteger(owner: string, name: string, value: unknown, min = 0): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new HyperparameterError(owner, name, `an integer >= ${String(min)}`, value);
  }
  return value;
}

/**
 * A finite number in an interval; `lo`/`hi` bounds are inclusive unless the flags say open.
 * `requireInRange('scaleByAdam', 'b1', 0.9, 0, 1, { hiOpen: true })` accepts [0, 1).
 */
export function requireInRange(
  owner: string,
  name: string,
  value: unknown,
  lo: number,
  hi: number,
  open: { readonly loOpen?: boolean; readonly hiOpen?: boolean } = {},
): number {
  const loOk = (v: number): boolean => (open.loOpen === true ? v > lo : v >= lo);
  const hiOk = (v: number): boolean => (open.hiOpen === true ? v < hi : v <= hi);
  if (typeof value !== 'number' || !Number.isFinite(value) || !loOk(value) || !hiOk(value)) {
    const range = `${open.loOpen === true ? '(' : '['}${String(lo)}, ${String(hi)}${open.hiOpen === true ? ')' : ']'}`;
    throw new HyperparameterError(owner, name, `a number in ${range}`, value);
  }
  return value;
}

/** A boolean. */
export function requireBoolean(owner: string, name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new HyperparameterError(owner, name, 'a boolean', value);
  return value;
}

/** One of a fixed set of strings. */
export function requireOneOf<const T extends string>(owner: string, name: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new HyperparameterError(owner, name, `one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`, value);
  }
  return value as T;
}

/** Rejects option keys the constructor does not know (a typo must not pass silently). */
export function requireKnownKeys(owner: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new HyperparameterError(owner, key, `one of the options ${known.join(', ')}`, 'an unknown option');
    }
  }
}
