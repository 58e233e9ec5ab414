import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { zeroNans } from '../../src/transforms/numerics.js';

const nan = Number.NaN;
const inf = Number.POSITIVE_INFINITY;

describe('zeroNans', () => {
  it("replaces NaN by 0 and passes everything else (optax's zero_nans test values)", () => {
    const tx = zeroNans();
    const params = [new Float32Array(3), new Float32Array(3), new Float32Array(3)];
    let state = tx.init(params);
    expect(state.count).toBe(0);

    // An update with NaNs.
    let [u, next] = tx.update([Float32Array.from([1, 1, 1]), Float32Array.from([1, nan, nan]), Float32Array.from([nan, 1, 1])], state);
    expect(u.map((a) => Array.from(a))).toEqual([
      [1, 1, 1],
      [1, 0, 0],
      [0, 1, 1],
    ]);
    state = next;

    // NaNs and an infinity: the infinity passes.
    [u, next] = tx.update([Float32Array.from([1, 1, 1]), Float32Array.from([1, nan, nan]), Float32Array.from([inf, 1, 1])], state);
    expect(u.map((a) => Array.from(a))).toEqual([
      [1, 1, 1],
      [1, 0, 0],
      [inf, 1, 1],
    ]);
    state = next;

    // Only good values: unchanged.
    [u, next] = tx.update([Float32Array.from([1, 1, 1]), Float32Array.from([1, 1, 1]), Float32Array.from([1, 1, 1])], state);
    expect(u.map((a) => Array.from(a))).toEqual([
      [1, 1, 1],
      [1, 1, 1],
      [1, 1, 1],
    ]);
    expect(next.count).toBe(3);
  });

  it('keeps -Infinity, -0 and the dtype', () => {
    const [u] = zeroNans().update({ w: Float64Array.from([-inf, -0, nan]) }, zeroNans().init({ w: new Float64Array(3) }));
    expect(u.w).toBeInstanceOf(Float64Array);
    expect(Object.is(u.w[1], -0)).toBe(true);
    expect(Array.from(u.w)).toEqual([-inf, -0, 0]);
  });

  it('leaves no NaN and changes nothing that was not NaN (property)', () => {
    const value = fc.oneof(fc.double(), fc.constant(nan));
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 20 }), (xs) => {
        const tx = zeroNans();
        const g = { w: Float64Array.from(xs) };
        const [u] = tx.update(g, tx.init(g));
        xs.forEach((x, i) => {
          const y = u.w[i] as number;
          if (Number.isNaN(x)) expect(y).toBe(0);
          else expect(Object.is(y, x)).toBe(true);
        });
      }),
      { seed: 7311, numRuns: 200 },
    );
  });
});
