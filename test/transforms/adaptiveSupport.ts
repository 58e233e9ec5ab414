/**
 * Shared by the tests of the RMSprop / Adagrad / Adadelta / Lion scalers: dtype cases, a
 * runner over one leaf, and an element-wise closeness check. The expected values in the tests
 * come from plain float64 JavaScript written from each formula, never from the kernels.
 */
import { expect } from 'vitest';
import type { GradientTransformation } from '../../src/base.js';
import type { FloatArray } from '../../src/tree/leaf.js';
import type { Tree } from '../../src/tree/tree.js';

export interface DtypeCase {
  readonly name: 'float32' | 'float64';
  readonly make: (values: readonly number[]) => FloatArray;
  /** The rounding of a store into this dtype. */
  readonly round: (x: number) => number;
  /**
   * Relative tolerance against a float64 reference that rounds its stores the same way. In
   * float64 only the operation order differs (a few ulps); in float32 that can flip the
   * rounding of a stored state by one ulp (1.2e-7), which the next steps carry along.
   */
  readonly rtol: number;
}

export const DTYPES: readonly DtypeCase[] = [
  { name: 'float64', make: (v) => Float64Array.from(v), round: (x) => x, rtol: 1e-14 },
  { name: 'float32', make: (v) => Float32Array.from(v), round: Math.fround, rtol: 1e-6 },
];

/** Gradients for three steps: mixed signs, a zero, small and large magnitudes. */
export const GRADS: readonly (readonly number[])[] = [
  [1, -2, 0, 0.5, 3e-3, -40],
  [0.5, 4, 0, -1, -7e-3, 25],
  [-3, 0.25, 2, 1e-4, 10, -0.125],
];

/** `|a - b| <= rtol·|b|` element-wise (so an expected 0 must be exactly 0); NaN matches NaN. */
export function expectClose(actual: ArrayLike<number>, expected: readonly number[], rtol: number, what = ''): void {
  expect(actual.length, `${what} length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i] as number;
    const b = expected[i] as number;
    if (Number.isNaN(b)) {
      expect(a, `${what}[${String(i)}]`).toBeNaN();
      continue;
    }
    const ok = a === b || Math.abs(a - b) <= rtol * Math.abs(b);
    expect(ok, `${what}[${String(i)}]: got ${String(a)}, expected ${String(b)} (rtol ${String(rtol)})`).toBe(true);
  }
}

/** The leaf `w` of a tree `{ w }`. */
export function leafW(tree: Tree): FloatArray {
  return (tree as { readonly w: FloatArray }).w;
}

/** Runs `tx` on one leaf `{ w }` over `grads`, returning each step's updates and state. */
export function runSteps<S>(
  tx: GradientTransformation<S>,
  grads: readonly (readonly number[])[],
  dtype: DtypeCase,
): { readonly updates: FloatArray[]; readonly states: S[] } {
  const first = grads[0] ?? [];
  const params = { w: dtype.make(first.map(() => 0)) };
  let state = tx.init(params);
  const updates: FloatArray[] = [];
  const states: S[] = [];
  for (const g of grads) {
    const [u, next] = tx.update({ w: dtype.make(g) }, state, params);
    updates.push(u.w);
    states.push(next);
    state = next;
  }
  return { updates, states };
}
