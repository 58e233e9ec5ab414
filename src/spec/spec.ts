/**
 * The JSON form of an optimizer: every transformation, combinator and optimizer built by
 * gradfuse carries its spec, `{ op, ...options }` with defaults filled in. Schedules appear as
 * their own spec `{ schedule, options }`, masks as trees of booleans, nested transformations
 * as specs.
 *
 * ```json
 * { "op": "chain", "transforms": [
 *   { "op": "clipByGlobalNorm", "maxNorm": 1, "eps": 0, "normType": 2 },
 *   { "op": "adamw", "learningRate": { "schedule": "warmupCosineDecay", "options": { ... } }, "b1": 0.9, ... } ] }
 * ```
 *
 * @module
 */
import type { GradientTransformation } from '../base.js';
import { GradfuseError } from '../errors.js';

/** A JSON value. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/**
 * The JSON description of a transformation.
 * @category Spec
 */
export interface TransformSpec {
  readonly op: string;
  readonly [option: string]: JsonValue;
}

/**
 * A transformation cannot be written as JSON (it holds a user function, or was not built by
 * gradfuse), or a spec cannot be read back.
 * @category Spec
 */
export class SpecError extends GradfuseError {
  readonly _tag = 'SpecError' as const;
  constructor(
    /** The JSON path, e.g. `$.transforms[1].learningRate`. */
    readonly path: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`at ${path}: expected ${expected}, got ${actual}`);
    this.name = 'SpecError';
  }
}

/** Stands in a combinator's spec for a member that has none; `toSpec` reports its path. */
export const NO_SPEC = '<no spec>';

/** Stands in a spec for a plain function (schedule or mask); `toSpec` reports its path. */
export const FUNCTION = '<function>';

/** The transformation with its spec attached. */
export function withSpec<S>(tx: GradientTransformation<S>, spec: TransformSpec): GradientTransformation<S> {
  return { ...tx, spec };
}

/**
 * Options copied from a member's spec into a larger spec: an optimizer records
 * `{ op: 'adamw', ...its scaler's b1, b2, ... }` with the defaults its members filled in.
 * `keys` lists the member's option names, or maps them to the names the larger spec uses
 * (`{ decay: 'momentum' }`). Keys the member's spec does not hold are left out.
 */
export function specOptions(
  tx: GradientTransformation<unknown>,
  keys: readonly string[] | Readonly<Record<string, string>>,
): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  const spec = tx.spec;
  const pairs: readonly (readonly [string, string])[] = Array.isArray(keys)
    ? (keys as readonly string[]).map((k) => [k, k] as const)
    : Object.entries(keys as Readonly<Record<string, string>>);
  for (const [from, to] of pairs) {
    if (spec !== undefined && Object.hasOwn(spec, from)) out[to] = spec[from] as JsonValue;
  }
  return out;
}

/** Checks that a value is plain JSON, naming the path of the first part that is not. */
export function assertJson(value: unknown, path: string): JsonValue {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new SpecError(path, 'a finite number', String(value));
    return value;
  }
  if (Array.isArray(value)) return value.map((v, i) => assertJson(v, `${path}[${String(i)}]`));
  if (typeof value === 'function') throw new SpecError(path, 'a value gradfuse can describe (a gradfuse schedule, not a plain function)', 'a function');
  if (typeof value === 'object' && (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null)) {
    // fromEntries defines own keys, so a key such as `__proto__` stays a key.
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, assertJson(v, `${path}.${k}`)]));
  }
  throw new SpecError(path, 'a JSON value', typeof value);
}

/**
 * The spec of a transformation built by gradfuse. Throws a {@link SpecError} naming the path
 * of the part that cannot be described (a plain function as a schedule or mask, a
 * transformation written by hand).
 * @category Spec
 */
export function toSpec(tx: GradientTransformation<unknown>): TransformSpec {
  if (tx.spec === undefined) throw new SpecError('$', 'a transformation built by gradfuse (with a spec)', 'one without');
  const walk = (value: unknown, path: string): void => {
    if (value === FUNCTION) throw new SpecError(path, 'a value gradfuse can describe (a gradfuse schedule or a mask tree)', 'a plain function');
    if (value === NO_SPEC) throw new SpecError(path, 'a transformation built by gradfuse (with a spec)', 'one without');
    if (Array.isArray(value)) value.forEach((v, i) => { walk(v, `${path}[${String(i)}]`); });
    else if (typeof value === 'object' && value !== null) for (const [k, v] of Object.entries(value)) walk(v, `${path}.${k}`);
  };
  walk(tx.spec, '$');
  return assertJson(tx.spec, '$') as TransformSpec;
}
