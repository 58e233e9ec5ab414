/**
 * Spec errors for people: io-ts validation errors and the constructors'
 * {@link HyperparameterError}s turned into {@link SpecError}s that name the JSON path
 * (`$.transforms[1].b1`), what was expected and what came; and the error `parseSpec` throws,
 * whose message lists every problem, one per line.
 *
 * @module
 */
import type * as t from 'io-ts';
import { type HyperparameterError, describeValue } from '../errors.js';
import { MISSING, UnknownKey, friendlyName, isPlainObject } from './codecs.js';
import { SpecError } from './spec.js';

// ---------------------------------------------------------------------------------------------
// paths
// ---------------------------------------------------------------------------------------------

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `path` extended by an object key: `$.b1`, or `$["odd key"]` when it is not an identifier. */
export function keyPath(path: string, key: string): string {
  return IDENTIFIER.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/** `path` extended by an array index: `$.transforms[1]`. */
export function indexPath(path: string, index: number): string {
  return `${path}[${String(index)}]`;
}

/** The codec under refinements, recursions and the like, to see whether it is a union. */
function underlying(type: unknown): unknown {
  let ty = type as { readonly _tag?: string; readonly type?: unknown };
  for (let i = 0; i < 8 && (ty._tag === 'RecursiveType' || ty._tag === 'RefinementType' || ty._tag === 'ExactType' || ty._tag === 'ReadonlyType'); i++) {
    ty = ty.type as typeof ty;
  }
  return ty;
}

/**
 * The JSON path of an io-ts context. An entry added by a union or intersection for one of its
 * members is no step in the JSON and is skipped; an entry under an array is an index.
 */
export function contextPath(context: t.Context): string {
  let path = '$';
  for (let i = 1; i < context.length; i++) {
    const parent = context[i - 1];
    const entry = context[i];
    if (parent === undefined || entry === undefined) continue;
    const tag = (underlying(parent.type) as { readonly _tag?: string })._tag;
    if (tag === 'UnionType' || tag === 'IntersectionType') continue;
    path = Array.isArray(parent.actual) ? indexPath(path, Number(entry.key)) : keyPath(path, entry.key);
  }
  return path;
}

// ---------------------------------------------------------------------------------------------
// conversions
// ---------------------------------------------------------------------------------------------

/** What came, for a message: `nothing (missing)`, `the unknown key "b3"`, `"0.1"`, `an object`. */
export function describeActual(value: unknown): string {
  if (value === MISSING) return 'nothing (the key is missing)';
  if (value instanceof UnknownKey) return `the unknown key ${JSON.stringify(value.key)}`;
  return describeValue(value);
}

/** One io-ts validation error as a {@link SpecError}. */
export function fromValidationError(error: t.ValidationError): SpecError {
  const last = error.context[error.context.length - 1];
  const expected = error.message ?? (last === undefined ? 'a valid spec' : friendlyName(last.type));
  return new SpecError(contextPath(error.context), expected, describeActual(error.value));
}

/**
 * Where a constructor's {@link HyperparameterError} belongs in the spec of the node that was
 * being built, e.g. `scaleByAdam: b1 must be in [0, 1)` thrown by `adamw` is at
 * `<node>.b1`; `trace: decay` thrown by `sgd` is at `<node>.momentum` (through `renames`).
 * A parameter that names no key of the node (a cross-option check reported under another
 * name) is reported at the node itself, with the constructor's own words.
 */
export function fromHyperparameterError(
  error: HyperparameterError,
  node: { readonly path: string; readonly keys: readonly string[]; readonly renames?: Readonly<Record<string, string>> | undefined },
): SpecError {
  const m = /^([A-Za-z_$][A-Za-z0-9_$]*)(.*)$/s.exec(error.parameter);
  const name = m?.[1] ?? '';
  const rest = m?.[2] ?? '';
  const key = node.renames?.[`${error.owner}.${name}`] ?? name;
  const unknownOption = error.expected.startsWith('one of the options ');
  const actual = unknownOption ? `the unknown key ${JSON.stringify(error.parameter)}` : describeValue(error.actual);
  const expected = unknownOption ? error.expected.replace('one of the options ', 'one of the keys ') : error.expected;
  if (key !== '' && node.keys.includes(key)) {
    const suffix = rest.startsWith('[') || rest.startsWith('.') ? rest : '';
    return new SpecError(`${keyPath(node.path, key)}${suffix}`, expected, actual);
  }
  return new SpecError(node.path, `${error.owner}'s ${error.parameter} to be ${expected}`, actual);
}

/** Any other error a constructor threw, at the node being built. */
export function fromUnexpectedError(error: unknown, path: string, what: string): SpecError {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : describeValue(error);
  return new SpecError(path, what, `an error (${message})`);
}

// ---------------------------------------------------------------------------------------------
// hostile input
// ---------------------------------------------------------------------------------------------

/**
 * How deep a spec may nest (objects and arrays): far beyond any real optimizer, and shallow
 * enough that decoding never exhausts the stack.
 */
export const MAX_DEPTH = 100;

/**
 * A spec nested deeper than {@link MAX_DEPTH} (or holding a cycle), found without recursion;
 * `undefined` otherwise. Only arrays and plain objects are walked.
 */
export function nestingProblem(json: unknown): SpecError | undefined {
  const stack: (readonly [unknown, string, number])[] = [[json, '$', 0]];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const [value, path, depth] = top;
    const isArray = Array.isArray(value);
    if (!isArray && !isPlainObject(value)) continue;
    if (depth >= MAX_DEPTH) return new SpecError(path, `at most ${String(MAX_DEPTH)} levels of nesting`, 'a value nested deeper (or a cycle)');
    if (isArray) (value as readonly unknown[]).forEach((v, i) => { stack.push([v, indexPath(path, i), depth + 1]); });
    else for (const [k, v] of Object.entries(value as Readonly<Record<string, unknown>>)) stack.push([v, keyPath(path, k), depth + 1]);
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// the thrown error
// ---------------------------------------------------------------------------------------------

/** How many problems the message of {@link InvalidSpecError} lists before summing up. */
export const MAX_LISTED = 200;

/**
 * A spec that cannot be read: thrown by `parseSpec`. Its message lists every problem, one per
 * line (the first 200, then how many more); `errors` holds them all. `path`,
 * `expected` and `actual` are those of the first.
 * @category Spec
 */
export class InvalidSpecError extends SpecError {
  constructor(readonly errors: readonly [SpecError, ...SpecError[]]) {
    const [first] = errors;
    super(first.path, first.expected, first.actual);
    this.name = 'InvalidSpecError';
    this.message = formatSpecErrors(errors);
  }
}

/** The lines of a list of spec errors, under a heading that counts them. */
export function formatSpecErrors(errors: readonly SpecError[]): string {
  const n = errors.length;
  const listed = errors.slice(0, MAX_LISTED).map((e) => `  ${e.message}`);
  const more = n > MAX_LISTED ? [`  ... and ${String(n - MAX_LISTED)} more`] : [];
  return [`invalid spec (${String(n)} problem${n === 1 ? '' : 's'}):`, ...listed, ...more].join('\n');
}
