/**
 * scaleByTrustRatio: per-leaf ratios against plain float64 JavaScript written from optax's
 * formula (safe norms, ratio 1 where a norm is 0), masks, validation, compiled == reference.
 */
import { describe, expect, it } from 'vitest';
import { HyperparameterError, MissingParamsError } from '../../src/errors.js';
import { type ScaleByTrustRatioOptions, scaleByTrustRatio, trustRatioOf } from '../../src/transforms/trustRatio.js';
import { tensor } from '../../src/tree/leaf.js';
import { compiledDifference } from '../combine/compileCheck.js';
import { DTYPES, expectClose } from './adaptiveSupport.js';

/** optax's `scale_by_trust_ratio` on one leaf, in float64, written from its source's formula. */
function refLeaf(p: readonly number[], u: readonly number[], minNorm: number, tc: number, eps: number): number[] {
  let ps = 0;
  for (const v of p) ps += v * v;
  let us = 0;
  for (const v of u) us += v * v;
  const pn = Math.max(Math.sqrt(ps), minNorm);
  const un = Math.max(Math.sqrt(us), minNorm);
  const ratio = pn === 0 || un === 0 ? 1 : (tc * pn) / (un + eps);
  return u.map((v) => v * ratio);
}

/** Three (params, grads) pairs over a tree of two leaves of different sizes. */
const CASES: readonly { readonly p: { a: number[]; b: number[] }; readonly g: { a: number[]; b: number[] } }[] = [
  { p: { a: [1, -2, 2], b: [0.5, 0.5, 0.5, 0.5] }, g: { a: [0.1, 0.2, -0.2], b: [3, -4, 0, 12] } },
  { p: { a: [3, 4, 0], b: [10, 0, 0, 0] }, g: { a: [1e-3, 0, 0], b: [-1, 1, -1, 1] } },
  { p: { a: [-0.25, 7, 1e-4], b: [1, 2, 3, 4] }, g: { a: [40, -30, 0.5], b: [0.01, 0.02, 0.03, -0.04] } },
];

describe('scaleByTrustRatio', () => {
  const variants: readonly [string, ScaleByTrustRatioOptions, number, number, number][] = [
    ['defaults', {}, 0, 1, 0],
    ['minNorm 2, c 0.01, eps 1e-3', { minNorm: 2, trustCoefficient: 0.01, eps: 1e-3 }, 2, 0.01, 1e-3],
  ];
  for (const dt of DTYPES) {
    for (const [name, options, minNorm, tc, eps] of variants) {
      it(`scales each leaf by c·‖p‖/(‖u‖ + eps) over 3 calls (${name}, ${dt.name})`, () => {
        const tx = scaleByTrustRatio(options);
        let state = tx.init({ a: dt.make([0, 0, 0]), b: dt.make([0, 0, 0, 0]) });
        for (const c of CASES) {
          const params = { a: dt.make(c.p.a), b: dt.make(c.p.b) };
          const [u, next] = tx.update({ a: dt.make(c.g.a), b: dt.make(c.g.b) }, state, params);
          for (const k of ['a', 'b'] as const) {
            const expected = refLeaf(c.p[k].map(dt.round), c.g[k].map(dt.round), minNorm, tc, eps).map(dt.round);
            expect(u[k]).toBeInstanceOf(dt.name === 'float32' ? Float32Array : Float64Array);
            expectClose(u[k], expected, dt.rtol, `${k}`);
          }
          state = next;
        }
        expect(state.count).toBe(3);
      });
    }
  }

  it('gives each leaf its own ratio: ‖p‖ = 3, ‖u‖ = 5 → 0.6; ‖p‖ = 10, ‖u‖ = 2 → 5', () => {
    const tx = scaleByTrustRatio();
    const params = { a: Float64Array.from([1, 2, 2]), b: Float64Array.from([6, 8]) };
    const [u] = tx.update({ a: Float64Array.from([3, 4, 0]), b: Float64Array.from([0, -2]) }, tx.init(params), params);
    expect(Array.from(u.a)).toEqual([3 * 0.6, 4 * 0.6, 0]);
    expect(Array.from(u.b)).toEqual([0, -10]);
  });

  it('uses a ratio of 1 where the param norm or the update norm is 0 (optax), unless minNorm lifts it', () => {
    const tx = scaleByTrustRatio({ trustCoefficient: 0.5 });
    const params = { zeroParams: Float64Array.from([0, 0]), zeroGrads: Float64Array.from([1, 1]) };
    const grads = { zeroParams: Float64Array.from([3, -4]), zeroGrads: Float64Array.from([0, 0]) };
    const [u] = tx.update(grads, tx.init(params), params);
    expect(Array.from(u.zeroParams)).toEqual([3, -4]);
    expect(Array.from(u.zeroGrads)).toEqual([0, 0]);
    // minNorm 2: ‖p‖ = max(0, 2) = 2, ‖u‖ = max(5, 2) = 5 → ratio 0.5·2/5 = 0.2.
    const lifted = scaleByTrustRatio({ trustCoefficient: 0.5, minNorm: 2 });
    const [v] = lifted.update(grads, lifted.init(params), params);
    expect(Array.from(v.zeroParams)).toEqual([3 * 0.2, -4 * 0.2]);
    expect(trustRatioOf(0, 25, 2, 0.5, 0)).toBe(0.2);
    expect(trustRatioOf(0, 25, 0, 0.5, 0)).toBe(1);
    expect(trustRatioOf(4, 0, 0, 0.5, 0)).toBe(1);
  });

  it('propagates a NaN to its own leaf only', () => {
    const tx = scaleByTrustRatio();
    const params = { a: Float64Array.from([1, 1]), b: Float64Array.from([1, 1]) };
    const [u] = tx.update({ a: Float64Array.from([Number.NaN, 1]), b: Float64Array.from([1, 0]) }, tx.init(params), params);
    expect(Number.isNaN(u.a[0])).toBe(true);
    expect(Number.isNaN(u.a[1])).toBe(true);
    expect(u.b[0]).toBeCloseTo(Math.SQRT2, 15);
  });

  it('treats a tensor leaf as one block (one ratio for a whole matrix)', () => {
    const tx = scaleByTrustRatio();
    const params = { w: tensor(Float64Array.from([3, 0, 0, 4]), [2, 2]) };
    const [u] = tx.update({ w: tensor(Float64Array.from([1, 0, 0, 0]), [2, 2]) }, tx.init(params), params);
    expect(u.w.shape).toEqual([2, 2]);
    expect(Array.from(u.w.data)).toEqual([5, 0, 0, 0]);
  });

  it('rescales only the leaves of the mask; the others pass through unchanged', () => {
    const tx = scaleByTrustRatio({ mask: { a: true, b: false } });
    const params = { a: Float32Array.from([3, 4]), b: Float32Array.from([3, 4]) };
    const grads = { a: Float32Array.from([0.5, 0]), b: Float32Array.from([0.5, 0]) };
    const [u] = tx.update(grads, tx.init(params), params);
    expect(Array.from(u.a)).toEqual([5, 0]);
    expect(Array.from(u.b)).toEqual([0.5, 0]);
    const byFn = scaleByTrustRatio({ mask: () => ({ a: false, b: true }) });
    const [v] = byFn.update(grads, byFn.init(params), params);
    expect(Array.from(v.a)).toEqual([0.5, 0]);
    expect(Array.from(v.b)).toEqual([5, 0]);
    expect(scaleByTrustRatio({ mask: true }).spec).toEqual({ op: 'scaleByTrustRatio', minNorm: 0, trustCoefficient: 1, eps: 0 });
  });

  it('needs params', () => {
    const tx = scaleByTrustRatio();
    const g = { w: Float64Array.from([1]) };
    expect(() => tx.update(g, tx.init(g))).toThrow(MissingParamsError);
  });

  it('rejects out-of-range, non-finite and unknown options, naming them', () => {
    const cases: readonly [ScaleByTrustRatioOptions, string][] = [
      [{ minNorm: -1 }, 'minNorm'],
      [{ minNorm: Number.POSITIVE_INFINITY }, 'minNorm'],
      [{ trustCoefficient: 0 }, 'trustCoefficient'],
      [{ trustCoefficient: Number.NaN }, 'trustCoefficient'],
      [{ eps: -1e-8 }, 'eps'],
      [{ mask: 3 as unknown as boolean }, 'mask'],
      [{ min_norm: 1 } as ScaleByTrustRatioOptions, 'min_norm'],
    ];
    for (const [options, parameter] of cases) {
      expect(() => scaleByTrustRatio(options), JSON.stringify(options)).toThrow(HyperparameterError);
      expect(() => scaleByTrustRatio(options)).toThrow(new RegExp(`^scaleByTrustRatio: ${parameter} must be`));
    }
  });

  it('compiles to the same numbers as the reference (mixed dtypes, a mask, tensor leaves)', () => {
    const params = { a: Float32Array.from([1, -2, 3]), b: { w: tensor(Float64Array.from([0.5, 0.25, -1, 2, 0, 3]), [2, 3]), z: new Float32Array(4) } };
    const grads = [0, 1, 2].map((k) => ({
      a: Float32Array.from([0.1 * k, -1, 2]),
      b: { w: tensor(Float64Array.from([1, 2, 3, 4, 5, 6].map((v) => v * (k - 1))), [2, 3]), z: Float32Array.from([1, 0, -1, k]) },
    }));
    expect(compiledDifference(scaleByTrustRatio({ minNorm: 0.1, trustCoefficient: 0.3, eps: 1e-3 }), params, grads)).toBeUndefined();
    expect(compiledDifference(scaleByTrustRatio({ mask: { a: true, b: { w: false, z: true } } }), params, grads)).toBeUndefined();
  });
});
