/**
 * Leaves of a pytree: typed arrays of float32 or float64 numbers, with a shape.
 *
 * A leaf is either a bare `Float32Array`/`Float64Array` (shape `[length]`) or a tensor
 * `{ shape, data }` (any rank, `[]` for a scalar). Transformations give back leaves of the same
 * form, dtype and shape as they were handed.
 *
 * @module
 */
import { InvalidTreeError } from '../errors.js';

/** The array types a leaf may hold. */
export type FloatArray = Float32Array | Float64Array;

/** The element type of a leaf. */
export type Dtype = 'float32' | 'float64';

/**
 * A shaped leaf: row-major `data` whose length is the product of `shape`.
 * @category Trees
 */
export interface Tensor<A extends FloatArray = FloatArray> {
  readonly shape: readonly number[];
  readonly data: A;
}

/** A pytree leaf: a bare typed array or a shaped tensor. */
export type Leaf = FloatArray | Tensor;

export function isFloatArray(value: unknown): value is FloatArray {
  return value instanceof Float32Array || value instanceof Float64Array;
}

/** True for a tensor-shaped object `{ shape: number[], data: Float32Array | Float64Array }`. */
export function isTensor(value: unknown): value is Tensor {
  if (typeof value !== 'object' || value === null || isFloatArray(value) || Array.isArray(value)) return false;
  const v = value as { shape?: unknown; data?: unknown };
  return isFloatArray(v.data) && Array.isArray(v.shape) && v.shape.every((d) => typeof d === 'number');
}

export function isLeaf(value: unknown): value is Leaf {
  return isFloatArray(value) || isTensor(value);
}

export function dtypeOf(data: FloatArray): Dtype {
  return data instanceof Float32Array ? 'float32' : 'float64';
}

/** A new zero-filled array of the given dtype. */
export function allocate(dtype: Dtype, length: number): FloatArray {
  return dtype === 'float32' ? new Float32Array(length) : new Float64Array(length);
}

/** Copies numbers into a fresh array of the dtype, rounding to float32 where it applies. */
export function fromValues(dtype: Dtype, values: ArrayLike<number>): FloatArray {
  return dtype === 'float32' ? Float32Array.from(values) : Float64Array.from(values);
}

/**
 * Builds a tensor leaf, checking that the shape matches the data.
 * @category Trees
 */
export function tensor<A extends FloatArray>(data: A, shape: readonly number[] = [data.length]): Tensor<A> {
  if (!shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new InvalidTreeError('', 'a shape of non-negative integers', shape);
  }
  const size = shape.reduce((a, b) => a * b, 1);
  if (size !== data.length) {
    throw new InvalidTreeError('', `data of length ${String(size)} for shape [${shape.join(', ')}]`, data);
  }
  return { shape: [...shape], data };
}

export function shapeToString(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
