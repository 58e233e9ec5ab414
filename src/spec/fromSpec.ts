/**
 * Reading an optimizer back from its spec: the inverse of `toSpec`.
 *
 * Decoding runs in two phases, so a spec never builds half an optimizer:
 * 1. the whole spec is checked against the codecs (keys, JSON types, op and schedule names),
 *    and every problem is reported;
 * 2. only when that passes, each op's public constructor is called with its options (schedules
 *    and members built first). The constructors check the ranges, and every complaint is
 *    reported at its path; the optimizer is returned only when nothing complained.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js';
import type { Either } from 'fp-ts/lib/Either.js';
import type { GradientTransformation } from '../base.js';
import { HyperparameterError } from '../errors.js';
import type { FieldsValue } from './codecs.js';
import { InnerOptimizerCodec, OPS, type OpEntry, type PreparedSpec, TransformList, TransformRecord, TransformSpecCodec } from './registry.js';
import { InvalidSpecError, fromHyperparameterError, fromUnexpectedError, fromValidationError, indexPath, keyPath, nestingProblem } from './report.js';
import { Hyper, buildSchedule } from './schedules.js';
import type { SpecError } from './spec.js';

// ---------------------------------------------------------------------------------------------
// phase 2: building
// ---------------------------------------------------------------------------------------------

/** The options of a checked spec with its schedules built and its members built or prepared. */
function prepare(spec: FieldsValue, path: string, errors: SpecError[]): PreparedSpec | undefined {
  const entry = OPS[spec.op as string] as OpEntry;
  const { required, optional } = entry.codec;
  const options: Record<string, unknown> = {};
  let ok = true;
  for (const [key, value] of Object.entries(spec)) {
    if (key === 'op') continue;
    const codec = required[key] ?? optional[key];
    const at = keyPath(path, key);
    let built: unknown = value;
    if (codec === Hyper && typeof value !== 'number') {
      built = buildSchedule(value as FieldsValue, at, errors);
    } else if (codec === TransformList) {
      const members = (value as readonly FieldsValue[]).map((m, i) => build(m, indexPath(at, i), errors));
      built = members.some((m) => m === undefined) ? undefined : members;
    } else if (codec === TransformRecord) {
      // Own keys defined one by one: a label such as `__proto__` stays a label.
      const members: Record<string, unknown> = {};
      let all = true;
      for (const [label, m] of Object.entries(value as Readonly<Record<string, FieldsValue>>)) {
        const member = build(m, keyPath(at, label), errors);
        if (member === undefined) all = false;
        Object.defineProperty(members, label, { value: member, enumerable: true, writable: true, configurable: true });
      }
      built = all ? members : undefined;
    } else if (codec === TransformSpecCodec) {
      built = build(value as FieldsValue, at, errors);
    } else if (codec === InnerOptimizerCodec) {
      built = prepare(value as FieldsValue, at, errors);
    }
    if (built === undefined) ok = false;
    options[key] = built;
  }
  return ok ? { entry, options, path } : undefined;
}

/** The node whose constructor reports an error thrown while building `prepared`. */
function reporter(prepared: PreparedSpec): PreparedSpec {
  const key = prepared.entry.delegatesTo;
  const inner = key === undefined ? undefined : prepared.options[key];
  return inner === undefined ? prepared : reporter(inner as PreparedSpec);
}

/** Builds a checked spec, pushing every constructor's complaint to `errors`. */
function build(spec: FieldsValue, path: string, errors: SpecError[]): GradientTransformation<unknown> | undefined {
  const prepared = prepare(spec, path, errors);
  if (prepared === undefined) return undefined;
  try {
    return prepared.entry.build(prepared.options);
  } catch (e) {
    const at = reporter(prepared);
    if (e instanceof HyperparameterError) {
      errors.push(fromHyperparameterError(e, { path: at.path, keys: at.entry.codec.keys, renames: at.entry.renames }));
    } else {
      errors.push(fromUnexpectedError(e, at.path, `options ${at.entry.op} accepts`));
    }
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// public API
// ---------------------------------------------------------------------------------------------

/**
 * Reads a transformation from its spec (e.g. parsed JSON): every problem with its JSON path,
 * what was expected and what came (unknown op, wrong type, missing or unknown key, value out
 * of range), or the transformation, built by the public constructors. Never throws.
 *
 * ```ts
 * const result = decodeSpec({ op: 'adamw', learningRate: 1e-3, b1: 1.5 });
 * // Left([SpecError at $.b1: expected a number in [0, 1), got 1.5])
 * ```
 * @category Spec
 */
export function decodeSpec(json: unknown): Either<readonly SpecError[], GradientTransformation<unknown>> {
  try {
    const tooDeep = nestingProblem(json);
    if (tooDeep !== undefined) return E.left([tooDeep]);
    const checked = TransformSpecCodec.decode(json);
    if (E.isLeft(checked)) return E.left(checked.left.map(fromValidationError));
    const errors: SpecError[] = [];
    const tx = build(checked.right, '$', errors);
    return tx === undefined || errors.length > 0 ? E.left(errors) : E.right(tx);
  } catch (e) {
    // Not JSON (a proxy or getter that throws, ...): constructors' errors never get here.
    return E.left([fromUnexpectedError(e, '$', 'plain JSON data')]);
  }
}

/**
 * {@link decodeSpec}, throwing: the transformation, or an {@link InvalidSpecError} whose
 * message lists every problem, one per line.
 * @category Spec
 */
export function parseSpec(json: unknown): GradientTransformation<unknown> {
  const result = decodeSpec(json);
  if (E.isRight(result)) return result.right;
  const [first, ...rest] = result.left;
  if (first === undefined) throw new Error('decodeSpec failed without an error');
  throw new InvalidSpecError([first, ...rest]);
}

/**
 * The same as {@link parseSpec}: the transformation a spec describes, or a thrown
 * {@link InvalidSpecError}. `fromSpec(toSpec(opt))` behaves as `opt`, bit for bit.
 * @category Spec
 */
export const fromSpec: (json: unknown) => GradientTransformation<unknown> = parseSpec;
