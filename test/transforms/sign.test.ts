/**
 * scaleBySign on ordinary and edge values, in float32 and float64.
 */
import { describe, expect, it } from 'vitest';
import { scaleBySign } from '../../src/transforms/sign.js';
import { compiledDifference } from '../combine/compileCheck.js';
import { DTYPES } from './adaptiveSupport.js';

describe('scaleBySign', () => {
  const values = [3.5, -2, 0, -0, 1e-300, -1e-40, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN];
  for (const dt of DTYPES) {
    it(`replaces each update by its sign (${dt.name})`, () => {
      const tx = scaleBySign();
      let state = tx.init({ w: dt.make(values.map(() => 0)) });
      for (const scaleBy of [1, -7]) {
        const g = dt.make(values.map((v) => v * scaleBy));
        const [u, next] = tx.update({ w: g }, state);
        expect(u.w).toBeInstanceOf(dt.name === 'float32' ? Float32Array : Float64Array);
        Array.from(g).forEach((gi, i) => {
          expect(Object.is(u.w[i], Math.sign(gi)), `${String(gi)} -> ${String(u.w[i])}`).toBe(true);
        });
        state = next;
      }
      expect(state.count).toBe(2);
    });
  }

  it('gives ±1 for every non-zero finite value, whatever its size', () => {
    const tx = scaleBySign();
    const g = Float64Array.from([5e-324, -5e-324, 1.7e308, -1.7e308]);
    const [u] = tx.update({ w: g }, tx.init({ w: g }));
    expect(Array.from(u.w)).toEqual([1, -1, 1, -1]);
  });

  it('compiles to the same numbers as the reference', () => {
    const params = { a: Float32Array.from([1, -2, 3]), b: Float64Array.from([0.5, 0, -1]) };
    const grads = [{ a: Float32Array.from([0, -0, 2]), b: Float64Array.from([Number.NaN, -3, 1e-300]) }];
    expect(compiledDifference(scaleBySign(), params, grads)).toBeUndefined();
  });
});
