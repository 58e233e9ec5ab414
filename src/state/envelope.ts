/**
 * The parts of a snapshot around the state, shared by the JSON and binary forms: the
 * `format`/`version` head, the untrusted fields decoded with io-ts, the optimizer's spec
 * (written sorted, compared path by path), and the canonical form the JSON checksum covers.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import * as t from 'io-ts';
import type { GradientTransformation } from '../base.js';
import { FUNCTION, NO_SPEC, SpecError, type JsonValue, type TransformSpec, toSpec } from '../spec/spec.js';
import { type PathSegment, formatPath } from '../tree/path.js';
import { Crc32Text, hex32 } from './crc32.js';
import { describeJson, isPlainObject, setKey } from './codec.js';
import { SnapshotError, type SnapshotErrorReason } from './error.js';

/** The `format` field of every snapshot. */
export const SNAPSHOT_FORMAT = 'gradfuse-state';

/** The snapshot version this gradfuse writes, and the only one it reads. */
export const SNAPSHOT_VERSION = 1;

// ---------------------------------------------------------------------------------------------
// io-ts

/** Any value except `undefined`: a field that must be present, whatever it holds (checked later). */
export const present = new t.Type<unknown>(
  'present',
  (u): u is unknown => u !== undefined,
  (u, c) => (u === undefined ? t.failure(u, c) : t.success(u)),
  t.identity,
);

const Head = t.type({ format: t.string, version: t.number }, 'SnapshotHead');

/** io-ts's type names, as the errors say them. */
const TYPE_NAMES: Readonly<Record<string, string>> = { string: 'a string', number: 'a number', UnknownRecord: 'a JSON object', present: 'a value' };

/** Turns io-ts's errors into snapshot errors with readable paths. */
function fromIoTs(errors: t.Errors, reason: SnapshotErrorReason, prefix: readonly PathSegment[]): SnapshotError[] {
  return errors.map((e) => {
    const segments: PathSegment[] = [...prefix];
    for (const c of e.context.slice(1)) segments.push(/^\d+$/.test(c.key) ? Number(c.key) : c.key);
    const name = e.context[e.context.length - 1]?.type.name ?? '';
    return new SnapshotError(reason, formatPath(segments), TYPE_NAMES[name] ?? name, describeJson(e.value));
  });
}

/** The fields of an envelope after the head: required ones (with their codecs) and optional ones. */
export interface EnvelopeFields {
  readonly required: t.Props;
  readonly optional: t.Props;
}

/**
 * Checks an untrusted envelope: a plain object whose `format` is {@link SNAPSHOT_FORMAT} and
 * `version` is {@link SNAPSHOT_VERSION}, with the given fields and no others. `spec`, when
 * present, must be a plain JSON object.
 */
export function decodeEnvelope(value: unknown, fields: EnvelopeFields, prefix: readonly PathSegment[] = []): E.Either<SnapshotError[], Readonly<Record<string, unknown>>> {
  const where = formatPath(prefix);
  if (!isPlainObject(value)) {
    return E.left([new SnapshotError('format', where, `a gradfuse state snapshot (an object with format ${JSON.stringify(SNAPSHOT_FORMAT)}, version, …)`, describeJson(value))]);
  }
  return pipe(
    Head.decode(value),
    E.mapLeft((errors) => fromIoTs(errors, 'format', prefix)),
    E.chain((head) => {
      if (head.format !== SNAPSHOT_FORMAT) {
        return E.left([new SnapshotError('format', formatPath([...prefix, 'format']), JSON.stringify(SNAPSHOT_FORMAT), describeJson(head.format))]);
      }
      if (head.version !== SNAPSHOT_VERSION) {
        const newer = head.version > SNAPSHOT_VERSION ? ' (written by a newer gradfuse?)' : '';
        return E.left([new SnapshotError('version', formatPath([...prefix, 'version']), `version ${String(SNAPSHOT_VERSION)}, the version this gradfuse reads`, `version ${describeJson(head.version).replace(/^the number /, '')}${newer}`)]);
      }
      const required = t.type(fields.required);
      const optional = t.partial(fields.optional);
      const errors: SnapshotError[] = [];
      pipe(required.decode(value), E.mapLeft((es) => errors.push(...fromIoTs(es, 'format', prefix))));
      pipe(optional.decode(value), E.mapLeft((es) => errors.push(...fromIoTs(es, 'format', prefix))));
      const known = new Set(['format', 'version', ...Object.keys(fields.required), ...Object.keys(fields.optional)]);
      for (const k of Object.keys(value)) {
        if (!known.has(k)) errors.push(new SnapshotError('format', formatPath([...prefix, k]), `no such field (the fields are ${[...known].join(', ')})`, `extra field ${JSON.stringify(k)}`));
      }
      if (value.spec !== undefined) {
        const problem = jsonProblem(value.spec, [...prefix, 'spec'], 0);
        if (problem !== undefined) errors.push(problem);
      }
      return errors.length > 0 ? E.left(errors) : E.right(value);
    }),
  );
}

/** The first part of a value that is not plain JSON (finite numbers, plain objects, no deeper than 64). */
function jsonProblem(value: unknown, segments: readonly PathSegment[], depth: number): SnapshotError | undefined {
  if (depth > 64) return new SnapshotError('format', formatPath(segments), 'JSON nested at most 64 deep', 'deeper nesting');
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : new SnapshotError('format', formatPath(segments), 'a finite JSON number', describeJson(value));
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const p = jsonProblem(value[i], [...segments, i], depth + 1);
      if (p !== undefined) return p;
    }
    return undefined;
  }
  if (isPlainObject(value)) {
    for (const [k, v] of Object.entries(value)) {
      const p = jsonProblem(v, [...segments, k], depth + 1);
      if (p !== undefined) return p;
    }
    return undefined;
  }
  return new SnapshotError('format', formatPath(segments), 'a JSON value', describeJson(value));
}

// ---------------------------------------------------------------------------------------------
// specs

/** A JSON value with object keys sorted and -0 written as 0 (what JSON would make of it). */
function normalizeJson(value: JsonValue): JsonValue {
  if (typeof value === 'number') return Object.is(value, -0) ? 0 : value;
  if (Array.isArray(value)) return (value as readonly JsonValue[]).map(normalizeJson);
  if (value !== null && typeof value === 'object') {
    const record = value as { readonly [key: string]: JsonValue };
    const out: Record<string, JsonValue> = {};
    for (const k of Object.keys(record).sort()) setKey(out, k, normalizeJson(record[k] as JsonValue));
    return out;
  }
  return value;
}

/**
 * The spec a snapshot of this optimizer records: `toSpec(optimizer)` with keys sorted, or
 * `undefined` when the optimizer cannot be described (it holds a plain function as a schedule
 * or mask, or was not built by gradfuse).
 */
export function snapshotSpec(optimizer: GradientTransformation<unknown>): TransformSpec | undefined {
  try {
    return normalizeJson(toSpec(optimizer)) as TransformSpec;
  } catch (e) {
    if (e instanceof SpecError) return undefined;
    throw e;
  }
}

/**
 * Compares a snapshot's spec with the optimizer's own (its `spec` as built, where a plain
 * function or an undescribable member stands as a wildcard), and returns the first JSON path
 * where they part, visiting an object's `op` first, then its keys in sorted order.
 */
export function specMismatch(expected: unknown, actual: unknown, segments: readonly PathSegment[]): SnapshotError | undefined {
  const differ = (e: string, a: string): SnapshotError => new SnapshotError('spec', formatPath(segments), e, a);
  if (expected === FUNCTION || expected === NO_SPEC) return undefined;
  if (expected === null || typeof expected === 'boolean' || typeof expected === 'number' || typeof expected === 'string') {
    return actual === expected ? undefined : differ(describeJson(expected), describeJson(actual));
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) return differ(`an array of length ${String(expected.length)}`, describeJson(actual));
    for (let i = 0; i < expected.length; i++) {
      const m = specMismatch(expected[i], actual[i], [...segments, i]);
      if (m !== undefined) return m;
    }
    return undefined;
  }
  if (isPlainObject(expected)) {
    if (!isPlainObject(actual)) return differ(describeJson(expected), describeJson(actual));
    // `op` first: "another transformation" says more than the first option that differs.
    const keys = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort((a, b) => (a === 'op' ? -1 : b === 'op' ? 1 : a < b ? -1 : a > b ? 1 : 0));
    for (const k of keys) {
      const e = Object.hasOwn(expected, k) ? expected[k] : undefined;
      const a = Object.hasOwn(actual, k) ? actual[k] : undefined;
      if (e === undefined && a === undefined) continue;
      if (e === undefined) return new SnapshotError('spec', formatPath([...segments, k]), 'nothing (the optimizer has no such option)', describeJson(a));
      if (a === undefined) return new SnapshotError('spec', formatPath([...segments, k]), describeJson(e), 'nothing (missing)');
      const m = specMismatch(e, a, [...segments, k]);
      if (m !== undefined) return m;
    }
    return undefined;
  }
  return differ('a JSON value', describeJson(actual));
}

/** The spec check of a load: only when both the snapshot and the optimizer carry one. */
export function checkSpec(snapshotSpecValue: unknown, optimizer: GradientTransformation<unknown>, prefix: readonly PathSegment[]): SnapshotError | undefined {
  if (snapshotSpecValue === undefined || optimizer.spec === undefined) return undefined;
  return specMismatch(optimizer.spec, snapshotSpecValue, [...prefix, 'spec']);
}

// ---------------------------------------------------------------------------------------------
// the canonical form and its checksum

function writeCanonical(value: unknown, out: Crc32Text): void {
  if (value === null || value === undefined) {
    out.write('null');
  } else if (typeof value === 'boolean' || typeof value === 'number' || typeof value === 'string') {
    out.write(JSON.stringify(value));
  } else if (Array.isArray(value)) {
    if (value.every((v) => v === null || typeof v !== 'object')) {
      out.write(JSON.stringify(value));
      return;
    }
    out.write('[');
    value.forEach((v: unknown, i) => {
      if (i > 0) out.write(',');
      writeCanonical(v, out);
    });
    out.write(']');
  } else if (typeof value === 'object') {
    const record = value as Readonly<Record<string, unknown>>;
    out.write('{');
    let first = true;
    for (const k of Object.keys(record).sort()) {
      if (record[k] === undefined) continue;
      if (!first) out.write(',');
      first = false;
      out.write(JSON.stringify(k));
      out.write(':');
      writeCanonical(record[k], out);
    }
    out.write('}');
  } else {
    out.write('null');
  }
}

/**
 * The checksum of a JSON value: `crc32:` and 8 hex digits, the CRC-32 of its canonical JSON
 * (object keys sorted by code unit, no whitespace, numbers as `JSON.stringify` writes them),
 * encoded as UTF-8. The caller makes sure the value is finite and acyclic.
 */
export function canonicalChecksum(value: unknown): string {
  const crc = new Crc32Text();
  writeCanonical(value, crc);
  return `crc32:${hex32(crc.digest())}`;
}
