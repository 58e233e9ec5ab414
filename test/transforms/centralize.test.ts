/**
 * centralize: optax's test value, row means over every axis but the first, 1-D leaves
 * unchanged, dtypes, forms, purity, spec.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StateMismatchError } from '../../src/errors.js';
import { centralize } from '../../src/transforms/centralize.js';
import { tensor } from '../../src/tree/leaf.js';
import { cloneTree } from '../../src/tree/tree.js';

describe('centralize', () => {
  it("gives optax's value: [[1, 2], [3, 4]] -> [[-0.5, 0.5], [-0.5, 0.5]]", () => {
    const tx = centralize();
    const g = { w: tensor(Float32Array.from([1, 2, 3, 4]), [2, 2]) };
    const [u, s] = tx.update(g, tx.init(g));
    expect(Array.from(u.w.data)).toEqual([-0.5, 0.5, -0.5, 0.5]);
    expect(u.w.shape).toEqual([2, 2]);
    expect(u.w.data).toBeInstanceOf(Float32Array);
    expect(s).toEqual({});
  });

  it('leaves 1-D leaves (bare arrays, vectors) and scalars unchanged, as fresh arrays', () => {
    const tx = centralize();
    const g = { a: Float64Array.from([1, 2, 3]), b: tensor(Float32Array.from([5, 7]), [2]), c: tensor(Float64Array.from([4]), []) };
    const [u] = tx.update(g, tx.init(g));
    expect(u).toEqual(g);
    expect(u.a).not.toBe(g.a);
    expect(u.b.data).not.toBe(g.b.data);
  });

  it('subtracts the mean over all axes but the first, for rank 3 (hand-checked)', () => {
    const tx = centralize();
    // shape [2, 2, 2]: row 0 = [1, 2, 3, 6] (mean 3), row 1 = [0, 0, 0, 4] (mean 1)
    const g = { w: tensor(Float64Array.from([1, 2, 3, 6, 0, 0, 0, 4]), [2, 2, 2]) };
    const [u] = tx.update(g, tx.init(g));
    expect(Array.from(u.w.data)).toEqual([-2, -1, 0, 3, -1, -1, -1, 3]);
    expect(u.w.shape).toEqual([2, 2, 2]);
  });

  it('gives rows of mean ≈ 0, never changes its inputs (random matrices, both dtypes)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 1, max: 6 }), fc.boolean(), fc.integer({ min: 1, max: 1e6 }), (rows, cols, f32, seed) => {
        const values = Array.from({ length: rows * cols }, (_, i) => Math.sin(seed + i * 12.9898) * 100);
        const data = f32 ? Float32Array.from(values) : Float64Array.from(values);
        const g = { w: tensor(data, [rows, cols]) };
        const copy = cloneTree(g);
        const tx = centralize();
        const [u] = tx.update(g, tx.init(g));
        expect(g).toEqual(copy);
        expect(u.w.data).toBeInstanceOf(f32 ? Float32Array : Float64Array);
        for (let r = 0; r < rows; r++) {
          let sum = 0;
          for (let c = 0; c < cols; c++) sum += u.w.data[r * cols + c] as number;
          expect(Math.abs(sum)).toBeLessThan(f32 ? 1e-3 : 1e-10);
        }
      }),
      { seed: 42, numRuns: 100 },
    );
  });

  it('has spec { op: "centralize" } and checks its state', () => {
    const tx = centralize();
    expect(tx.spec).toEqual({ op: 'centralize' });
    expect(tx.fusable).toBeUndefined();
    expect(() => tx.update({ w: Float64Array.of(1) }, null as never)).toThrow(StateMismatchError);
  });
});
