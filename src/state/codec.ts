/**
 * The encoding of an optimizer state value, shared by the JSON and the binary snapshot forms:
 * numbers (with NaN, ±Infinity and -0 spelled out), booleans, leaves (typed arrays and
 * tensors, described by form, dtype and shape), arrays and records (keys sorted).
 *
 * Decoding is guided by a template, the optimizer's `init(params)`: the snapshot must have the
 * template's nesting, keys, array lengths, leaf forms, dtypes and shapes, with numbers where
 * it has numbers (and non-negative integers under a `count` key). Decoding builds fresh arrays
 * and never touches its inputs.
 *
 * @module
 */
import { describeValue } from '../errors.js';
import { type Dtype, type FloatArray, allocate, isFloatArray, isTensor, shapeToString } from '../tree/leaf.js';
import { type PathSegment, formatPath } from '../tree/path.js';
import { SnapshotError } from './error.js';

/** How a number that JSON cannot hold is written: NaN, ±Infinity and -0, as strings. */
export type SpecialNumber = 'NaN' | 'Infinity' | '-Infinity' | '-0';

/** A number in a snapshot: a finite JSON number other than -0, or a {@link SpecialNumber}. */
export type EncodedNumber = number | SpecialNumber;

/** Whether a leaf was a bare `Float32Array`/`Float64Array` or a tensor `{ shape, data }`. */
export type LeafForm = 'array' | 'tensor';

/** What every encoded leaf says about itself. */
export interface EncodedLeafHead {
  /** `array` for a bare typed array (its shape is `[length]`), `tensor` for `{ shape, data }`. */
  readonly leaf: LeafForm;
  readonly dtype: Dtype;
  readonly shape: readonly number[];
}

/** A leaf of the JSON form: its elements as exact numbers, row-major. */
export interface EncodedLeaf extends EncodedLeafHead {
  readonly data: readonly EncodedNumber[];
}

/** An encoded state value whose leaves are `L`. */
export type EncodedTree<L> = EncodedNumber | boolean | L | readonly EncodedTree<L>[] | { readonly [key: string]: EncodedTree<L> };

/** The JSON encoding of an optimizer state. */
export type EncodedState = EncodedTree<EncodedLeaf>;

const SPECIALS: ReadonlySet<string> = new Set(['NaN', 'Infinity', '-Infinity', '-0']);

/** Writes a number so that JSON keeps it exactly. */
export function encodeNumber(x: number): EncodedNumber {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (Object.is(x, -0)) return '-0';
  return x;
}

/**
 * Reads an {@link EncodedNumber}; `undefined` for anything else (a raw NaN, ±Infinity or -0
 * number is refused: JSON cannot have produced it, so the value was not written by gradfuse).
 */
export function decodeNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) && !Object.is(v, -0) ? v : undefined;
  if (typeof v !== 'string' || !SPECIALS.has(v)) return undefined;
  switch (v) {
    case 'NaN':
      return NaN;
    case 'Infinity':
      return Infinity;
    case '-Infinity':
      return -Infinity;
    default:
      return -0;
  }
}

/** Numbers under these keys are counts: non-negative safe integers. */
export function isCountKey(segment: PathSegment | undefined): boolean {
  return segment === 'count' || (typeof segment === 'string' && /[a-z]Count$/.test(segment));
}

/** A plain object (not an array, typed array, class instance or null). */
export function isPlainObject(value: unknown): value is Readonly<Record<string, unknown>> {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || ArrayBuffer.isView(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Renders an untrusted value for an error message, briefly. */
export function describeJson(value: unknown): string {
  if (value === undefined) return 'nothing (missing)';
  if (typeof value === 'string') return value.length > 40 ? `${JSON.stringify(value.slice(0, 40))}…` : JSON.stringify(value);
  if (typeof value === 'number') return `the number ${describeValue(value)}`;
  if (isPlainObject(value)) {
    const keys = Object.keys(value);
    return keys.length === 0 ? 'an empty object' : `an object with keys {${keys.slice(0, 6).join(', ')}${keys.length > 6 ? ', …' : ''}}`;
  }
  return describeValue(value);
}

export const NUMBER_EXPECTED = 'a number (a finite JSON number, or "NaN", "Infinity", "-Infinity", "-0")';
export const COUNT_EXPECTED = 'a count (a non-negative integer)';

const path = (segments: readonly PathSegment[]): string => formatPath(segments);

/** Sets an own, enumerable property (also for the key `__proto__`, which `=` would not create). */
export function setKey<V>(target: Record<string, V>, key: string, value: V): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

// ---------------------------------------------------------------------------------------------
// encoding

/** The shape of a tensor leaf, checked against its data. */
function tensorShape(shape: readonly number[], data: FloatArray, segments: readonly PathSegment[]): readonly number[] {
  const ok = shape.every((d) => Number.isSafeInteger(d) && d >= 0) && shape.reduce((a, b) => a * b, 1) === data.length;
  if (!ok) throw new SnapshotError('unsupported', path([...segments, 'shape']), `a shape of non-negative integers whose product is ${String(data.length)}`, shapeToString(shape));
  return [...shape];
}

/**
 * Encodes a state value, handing each leaf to `leaf` (in encoding order: records by sorted
 * key, arrays by index, depth first). Throws a {@link SnapshotError} (`unsupported`) naming
 * the path of a value a snapshot cannot hold (a function, a string, a class instance, a count
 * that is not a non-negative integer, a tensor whose shape does not match its data, a cycle).
 */
export function encodeTree<L>(state: unknown, leaf: (data: FloatArray, head: EncodedLeafHead) => L): EncodedTree<L> {
  const ancestors = new Set<object>();
  const walk = (value: unknown, segments: PathSegment[]): EncodedTree<L> => {
    if (typeof value === 'number') {
      if (isCountKey(segments[segments.length - 1]) && !(Number.isSafeInteger(value) && value >= 0)) {
        throw new SnapshotError('unsupported', path(segments), COUNT_EXPECTED, describeValue(value));
      }
      return encodeNumber(value);
    }
    if (typeof value === 'boolean') return value;
    if (isFloatArray(value)) return leaf(value, { leaf: 'array', dtype: value instanceof Float32Array ? 'float32' : 'float64', shape: [value.length] });
    if (isTensor(value)) {
      const shape = tensorShape(value.shape, value.data, segments);
      return leaf(value.data, { leaf: 'tensor', dtype: value.data instanceof Float32Array ? 'float32' : 'float64', shape });
    }
    if (Array.isArray(value) || isPlainObject(value)) {
      if (ancestors.has(value)) throw new SnapshotError('unsupported', path(segments), 'a tree (no cycles)', 'a value that contains itself');
      ancestors.add(value);
      try {
        if (Array.isArray(value)) return value.map((v: unknown, i) => walk(v, [...segments, i]));
        const out: Record<string, EncodedTree<L>> = {};
        for (const k of Object.keys(value).sort()) setKey(out, k, walk(value[k], [...segments, k]));
        return out;
      } finally {
        ancestors.delete(value);
      }
    }
    throw new SnapshotError(
      'unsupported',
      path(segments),
      'a number, a boolean, a Float32Array/Float64Array, a tensor { shape, data }, an array or a plain object',
      describeValue(value),
    );
  };
  return walk(state, ['state']);
}

// ---------------------------------------------------------------------------------------------
// decoding against a template

/** What the template says a leaf must be. */
export interface ExpectedLeaf {
  readonly form: LeafForm;
  readonly dtype: Dtype;
  readonly shape: readonly number[];
  /** The element count, the product of `shape`. */
  readonly size: number;
}

/** Collects errors (up to a limit) during a decode. */
export class Problems {
  readonly errors: SnapshotError[] = [];
  constructor(private readonly limit = 20) {}

  add(reason: SnapshotError['reason'], segments: readonly PathSegment[], expected: string, actual: string): void {
    if (this.errors.length < this.limit) this.errors.push(new SnapshotError(reason, path(segments), expected, actual));
  }

  get full(): boolean {
    return this.errors.length >= this.limit;
  }
}

/**
 * Reads a leaf's data once its head (form, dtype, shape) matched the template; returns a
 * fresh array, or `undefined` after adding a problem.
 */
export type LeafReader = (
  encoded: Readonly<Record<string, unknown>>,
  expected: ExpectedLeaf,
  segments: readonly PathSegment[],
  problems: Problems,
) => FloatArray | undefined;

/** Marks a failed subtree. */
const FAILED: unique symbol = Symbol('failed');

const expectedLeafText = (e: ExpectedLeaf): string => `a ${e.dtype} leaf of shape ${shapeToString(e.shape)} (${e.form === 'array' ? 'a bare typed array' : 'a tensor'})`;

function describeTemplate(t: unknown, segments: readonly PathSegment[]): string {
  if (typeof t === 'number') return isCountKey(segments[segments.length - 1]) ? COUNT_EXPECTED : NUMBER_EXPECTED;
  if (typeof t === 'boolean') return 'a boolean';
  if (isFloatArray(t)) return expectedLeafText({ form: 'array', dtype: t instanceof Float32Array ? 'float32' : 'float64', shape: [t.length], size: t.length });
  if (Array.isArray(t)) return `an array of length ${String(t.length)}`;
  if (isTensor(t)) return expectedLeafText({ form: 'tensor', dtype: t.data instanceof Float32Array ? 'float32' : 'float64', shape: t.shape, size: t.data.length });
  if (isPlainObject(t)) return `an object with keys {${Object.keys(t).sort().join(', ')}}`;
  return describeValue(t);
}

/** Checks a JSON shape against the template's. */
function sameShape(actual: unknown, expected: readonly number[]): boolean {
  return Array.isArray(actual) && actual.length === expected.length && actual.every((d, i) => typeof d === 'number' && d === expected[i]);
}

/**
 * Decodes `encoded` against `template` (the optimizer's freshly initialised state). Leaves are
 * objects with exactly the keys `leaf`, `dtype`, `shape` and `dataKey`; `read` turns one into
 * fresh data. Records are visited by sorted key (the order leaves were written in) and rebuilt
 * in the template's key order.
 */
export function decodeTree(
  template: unknown,
  encoded: unknown,
  dataKey: 'data' | 'offset',
  read: LeafReader,
  problems: Problems,
): { readonly ok: true; readonly value: unknown } | { readonly ok: false } {
  const leafKeys = ['leaf', 'dtype', 'shape', dataKey];

  const leaf = (expected: ExpectedLeaf, enc: unknown, segments: PathSegment[]): FloatArray | typeof FAILED => {
    if (!isPlainObject(enc)) {
      problems.add('structure', segments, `${expectedLeafText(expected)}, encoded as { leaf, dtype, shape, ${dataKey} }`, describeJson(enc));
      return FAILED;
    }
    let ok = true;
    for (const k of leafKeys) {
      if (!Object.hasOwn(enc, k)) {
        problems.add('structure', [...segments, k], `the leaf's ${k}`, 'nothing (missing)');
        ok = false;
      }
    }
    for (const k of Object.keys(enc)) {
      if (!leafKeys.includes(k)) {
        problems.add('structure', [...segments, k], `no such key in a leaf (${leafKeys.join(', ')})`, `extra key ${JSON.stringify(k)}`);
        ok = false;
      }
    }
    if (!ok) return FAILED;
    if (enc.leaf !== expected.form) {
      problems.add('structure', [...segments, 'leaf'], `${JSON.stringify(expected.form)} (${expected.form === 'array' ? 'a bare typed array' : 'a tensor { shape, data }'})`, describeJson(enc.leaf));
      return FAILED;
    }
    if (enc.dtype !== expected.dtype) {
      problems.add('structure', [...segments, 'dtype'], JSON.stringify(expected.dtype), describeJson(enc.dtype));
      return FAILED;
    }
    if (!sameShape(enc.shape, expected.shape)) {
      const actual = Array.isArray(enc.shape) && enc.shape.every((d) => typeof d === 'number') ? `shape ${shapeToString(enc.shape as number[])}` : describeJson(enc.shape);
      problems.add('structure', [...segments, 'shape'], `shape ${shapeToString(expected.shape)}`, actual);
      return FAILED;
    }
    return read(enc, expected, segments, problems) ?? FAILED;
  };

  const walk = (t: unknown, enc: unknown, segments: PathSegment[]): unknown => {
    if (problems.full) return FAILED;
    if (typeof t === 'number') {
      const x = decodeNumber(enc);
      if (x === undefined) {
        problems.add('structure', segments, describeTemplate(t, segments), describeJson(enc));
        return FAILED;
      }
      if (isCountKey(segments[segments.length - 1]) && !(Number.isSafeInteger(x) && x >= 0)) {
        problems.add('structure', segments, COUNT_EXPECTED, describeValue(x));
        return FAILED;
      }
      return x;
    }
    if (typeof t === 'boolean') {
      if (typeof enc !== 'boolean') {
        problems.add('structure', segments, 'a boolean', describeJson(enc));
        return FAILED;
      }
      return enc;
    }
    if (isFloatArray(t)) {
      return leaf({ form: 'array', dtype: t instanceof Float32Array ? 'float32' : 'float64', shape: [t.length], size: t.length }, enc, segments);
    }
    if (isTensor(t)) {
      const shape = [...t.shape];
      const data = leaf({ form: 'tensor', dtype: t.data instanceof Float32Array ? 'float32' : 'float64', shape, size: t.data.length }, enc, segments);
      return data === FAILED ? FAILED : { shape, data };
    }
    if (Array.isArray(t)) {
      if (!Array.isArray(enc) || enc.length !== t.length) {
        problems.add('structure', segments, `an array of length ${String(t.length)}`, describeJson(enc));
        return FAILED;
      }
      const out = t.map((c: unknown, i) => walk(c, enc[i], [...segments, i]));
      return out.includes(FAILED) ? FAILED : out;
    }
    if (isPlainObject(t)) {
      if (!isPlainObject(enc)) {
        problems.add('structure', segments, describeTemplate(t, segments), describeJson(enc));
        return FAILED;
      }
      const keys = Object.keys(t);
      let ok = true;
      for (const k of keys.slice().sort()) {
        if (!Object.hasOwn(enc, k)) {
          problems.add('structure', [...segments, k], describeTemplate(t[k], [...segments, k]), 'nothing (missing key)');
          ok = false;
        }
      }
      for (const k of Object.keys(enc).sort()) {
        if (!Object.hasOwn(t, k)) {
          problems.add('structure', [...segments, k], 'no such key', `extra key ${JSON.stringify(k)}`);
          ok = false;
        }
      }
      if (!ok) return FAILED;
      const values = new Map<string, unknown>();
      for (const k of keys.slice().sort()) values.set(k, walk(t[k], enc[k], [...segments, k]));
      if ([...values.values()].includes(FAILED)) return FAILED;
      const out: Record<string, unknown> = {};
      for (const k of keys) setKey(out, k, values.get(k));
      return out;
    }
    problems.add('unsupported', segments, 'an optimizer state made of numbers, booleans, leaves, arrays and plain objects', `${describeValue(t)} in the optimizer's own init state`);
    return FAILED;
  };

  const value = walk(template, encoded, ['state']);
  return value === FAILED || problems.errors.length > 0 ? { ok: false } : { ok: true, value };
}

/** The JSON form's leaf reader: `data` must hold `size` exact numbers of the dtype. */
export const readJsonLeaf: LeafReader = (encoded, expected, segments, problems) => {
  const data = encoded.data;
  if (!Array.isArray(data) || data.length !== expected.size) {
    problems.add('structure', [...segments, 'data'], `an array of ${String(expected.size)} numbers (shape ${shapeToString(expected.shape)})`, describeJson(data));
    return undefined;
  }
  const out = allocate(expected.dtype, expected.size);
  const f32 = expected.dtype === 'float32';
  for (let i = 0; i < data.length; i++) {
    const x = decodeNumber(data[i]);
    if (x === undefined) {
      problems.add('structure', [...segments, 'data', i], NUMBER_EXPECTED, describeJson(data[i]));
      return undefined;
    }
    if (f32 && Math.fround(x) !== x && !Number.isNaN(x)) {
      problems.add('structure', [...segments, 'data', i], 'a float32 value (exactly representable in float32)', describeValue(x));
      return undefined;
    }
    out[i] = x;
  }
  return out;
};
