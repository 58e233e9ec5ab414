/**
 * Typed errors. Every error says what was expected, what came, and where: the
 * hyperparameter's name and owner, or the tree path of a mismatch.
 *
 * @module
 */

/** Renders a value for an error message: NaN, ±Infinity, -0 and typed arrays stay readable. */
export function describeValue(value: unknown): string {
  if (typeof value === 'number') {
    if (Object.is(value, -0)) return '-0';
    return String(value);
  }
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'function') return 'a function';
  if (value instanceof Float32Array) return `Float32Array(${String(value.length)})`;
  if (value instanceof Float64Array) return `Float64Array(${String(value.length)})`;
  if (ArrayBuffer.isView(value)) return `${value.constructor.name}`;
  if (Array.isArray(value)) return `an array of length ${String(value.length)}`;
  if (typeof value === 'object') return 'an object';
  return String(value);
}

/**
 * Base class of every error gradfuse throws on purpose.
 * @category Errors
 */
export abstract class GradfuseError extends Error {
  abstract readonly _tag: string;
}

/**
 * A hyperparameter is out of its range, of the wrong type, or not finite. Thrown when the
 * transformation is built, never later.
 * @category Errors
 */
export class HyperparameterError extends GradfuseError {
  readonly _tag = 'HyperparameterError' as const;
  constructor(
    /** The constructor that rejected it, e.g. `scaleByAdam`. */
    readonly owner: string,
    /** The option's name, e.g. `b1`. */
    readonly parameter: string,
    /** What was expected, e.g. `a number in [0, 1)`. */
    readonly expected: string,
    /** The value that came. */
    readonly actual: unknown,
  ) {
    super(`${owner}: ${parameter} must be ${expected}, got ${describeValue(actual)}`);
    this.name = 'HyperparameterError';
  }
}

/**
 * Two trees that should match do not: a key is missing or extra, or a leaf's shape, dtype or
 * length differs. `path` is the first place they part, e.g. `dense1.w` or `layers[2].b`.
 * @category Errors
 */
export class TreeMismatchError extends GradfuseError {
  readonly _tag = 'TreeMismatchError' as const;
  constructor(
    readonly path: string,
    readonly expected: string,
    readonly actual: string,
    /** What was being matched, e.g. `updates against params`. */
    readonly context: string,
  ) {
    super(`${context}: at ${path === '' ? '<root>' : path}: expected ${expected}, got ${actual}`);
    this.name = 'TreeMismatchError';
  }
}

/**
 * A value is not a valid pytree (a leaf that is neither a Float32Array, a Float64Array nor a
 * tensor `{ shape, data }`, or a shape that does not match its data).
 * @category Errors
 */
export class InvalidTreeError extends GradfuseError {
  readonly _tag = 'InvalidTreeError' as const;
  constructor(
    readonly path: string,
    readonly expected: string,
    readonly actual: unknown,
  ) {
    super(`invalid tree at ${path === '' ? '<root>' : path}: expected ${expected}, got ${describeValue(actual)}`);
    this.name = 'InvalidTreeError';
  }
}

/**
 * A transformation that reads the parameters was updated without them.
 * @category Errors
 */
export class MissingParamsError extends GradfuseError {
  readonly _tag = 'MissingParamsError' as const;
  constructor(readonly owner: string) {
    super(`${owner}: update needs the params (pass them as the third argument of update)`);
    this.name = 'MissingParamsError';
  }
}

/**
 * An optimizer state does not belong to the transformation it was handed to (wrong shape of
 * state, missing field, a chain state of the wrong length).
 * @category Errors
 */
export class StateMismatchError extends GradfuseError {
  readonly _tag = 'StateMismatchError' as const;
  constructor(
    readonly owner: string,
    readonly expected: string,
    readonly actual: unknown,
  ) {
    super(`${owner}: state must be ${expected}, got ${describeValue(actual)} (was it made by this transformation's init?)`);
    this.name = 'StateMismatchError';
  }
}

/**
 * A transformation that reads an extra argument of `update` (see {@link UpdateExtras}) was
 * called without it, or with a value of the wrong type.
 * @category Errors
 */
export class ExtraArgError extends GradfuseError {
  readonly _tag = 'ExtraArgError' as const;
  constructor(
    /** The transformation that reads it, e.g. `reduceOnPlateau`. */
    readonly owner: string,
    /** The extra argument's name, e.g. `value`. */
    readonly parameter: string,
    /** What was expected. */
    readonly expected: string,
    /** What came (`undefined` when it was not passed). */
    readonly actual: unknown,
  ) {
    super(`${owner}: update needs extra.${parameter}, ${expected} (call update(updates, state, params, { ${parameter} })), got ${describeValue(actual)}`);
    this.name = 'ExtraArgError';
  }
}
