/**
 * Helpers of the spec tests: a random problem (params and three gradients) and an exact
 * comparison of two transformations' trajectories (updates and states, `Object.is` on every
 * number, so -0 and NaN count).
 */
import fc from 'fast-check';
import type { GradientTransformation } from '../../src/base.js';
import type { Dtype } from '../../src/tree/leaf.js';
import { type Tree, flatten } from '../../src/tree/tree.js';
import { applyUpdates } from '../../src/update.js';
import { type Skeleton, build, seededFill, skeleton } from '../helpers/arbitraries.js';

export interface Problem {
  readonly params: Tree;
  readonly grads: readonly Tree[];
}

/** Params and three gradients of one random tree (float32 or float64). */
export const problem: fc.Arbitrary<Problem> = fc
  .record({ s: skeleton(4, 12), dtype: fc.constantFrom<Dtype>('float32', 'float64'), seed: fc.integer() })
  .map(({ s, dtype, seed }) => ({
    params: build(s, dtype, seededFill(seed, 2)),
    grads: [1, 2, 3].map((k) => build(s, dtype, seededFill(seed + 7919 * k, 1))),
  }));

/** Params and three gradients whose leaves are all 2-D tensors (for the ops of matrices, such as scaleByMuon). */
export const matrixProblem: fc.Arbitrary<Problem> = fc
  .record({
    shapes: fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 5 })), { minLength: 1, maxLength: 3 }),
    nested: fc.boolean(),
    dtype: fc.constantFrom<Dtype>('float32', 'float64'),
    seed: fc.integer(),
  })
  .map(({ shapes, nested, dtype, seed }) => {
    const leaves = shapes.map(([a, b]): Skeleton => ({ kind: 'leaf', shape: [a, b], tensor: true }));
    const s: Skeleton = nested
      ? { kind: 'record', entries: [['w', { kind: 'array', children: leaves }]] }
      : { kind: 'record', entries: leaves.map((l, i) => [`w${String(i)}`, l] as const) };
    return { params: build(s, dtype, seededFill(seed, 2)), grads: [1, 2, 3].map((k) => build(s, dtype, seededFill(seed + 7919 * k, 1))) };
  });

/** True when two values are equal to the bit: typed arrays element by element with `Object.is`. */
export function sameDeep(a: unknown, b: unknown): boolean {
  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b)) {
    if (!ArrayBuffer.isView(a) || !ArrayBuffer.isView(b) || a.constructor !== b.constructor) return false;
    const x = a as unknown as ArrayLike<number>;
    const y = b as unknown as ArrayLike<number>;
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) return false;
    return true;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => sameDeep(v, b[i]));
  }
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    return (
      ka.length === kb.length &&
      ka.every((k, i) => k === kb[i] && sameDeep((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
    );
  }
  return Object.is(a, b);
}

/**
 * What a transformation does on a problem: the state after init, then each step's update and
 * state (or the error). Each step passes the extra argument `{ value }` (a loss at the params).
 */
export function trajectory(tx: GradientTransformation<unknown>, p: Problem): unknown[] {
  const out: unknown[] = [];
  try {
    let params = p.params;
    let state = tx.init(params);
    out.push(state);
    for (const g of p.grads) {
      // The objective's value at params (read by the ops that take `{ value }`, ignored by the others).
      let value = 0;
      for (const leaf of flatten(params).leaves) for (const x of leaf.data) value += x * x;
      const [u, next] = tx.update(g, state, params, { value });
      out.push(u, next);
      params = applyUpdates(params, u);
      state = next;
    }
  } catch (e) {
    out.push({ error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
  }
  return out;
}
