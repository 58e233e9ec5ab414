/**
 * clipByBlockRms and adaptiveGradClip: per-leaf coefficients against plain float64 JavaScript
 * from optax's formulas, the whole-leaf unit of adaptiveGradClip, validation, compiled ==
 * reference.
 */
import { describe, expect, it } from 'vitest';
import { HyperparameterError, MissingParamsError } from '../../src/errors.js';
import { adaptiveGradClip, clipByBlockRms } from '../../src/transforms/blockClipping.js';
import { tensor } from '../../src/tree/leaf.js';
import { compiledDifference } from '../combine/compileCheck.js';
import { DTYPES, expectClose } from './adaptiveSupport.js';

const sumSquares = (xs: readonly number[]): number => xs.reduce((a, v) => a + v * v, 0);

/** optax's `clip_by_block_rms` on one leaf. */
function refBlockRms(u: readonly number[], threshold: number): number[] {
  const rms = Math.sqrt(sumSquares(u) / u.length);
  const divisor = Math.max(1, rms / threshold);
  return u.map((v) => v / divisor);
}

/** optax's `adaptive_grad_clip` on one leaf taken as one unit. */
function refAgc(p: readonly number[], u: readonly number[], clipping: number, eps: number): number[] {
  const pn = Math.sqrt(sumSquares(p));
  const un = Math.sqrt(sumSquares(u));
  const maxNorm = clipping * Math.max(pn, eps);
  return un < maxNorm ? [...u] : u.map((v) => v * (maxNorm / Math.max(un, 1e-6)));
}

const GRADS: readonly { a: number[]; b: number[] }[] = [
  { a: [0.1, -0.2, 0.05], b: [3, -4, 0, 12] },
  { a: [10, 0, -10], b: [0.01, 0, 0, 0] },
  { a: [0, 0, 0], b: [-1e3, 1, 2, 3] },
];
const PARAMS: readonly { a: number[]; b: number[] }[] = [
  { a: [1, -2, 2], b: [0.5, 0.5, 0.5, 0.5] },
  { a: [0, 0, 0], b: [10, 0, 0, 0] },
  { a: [1e-4, 0, 0], b: [1, 2, 3, 4] },
];

describe('clipByBlockRms', () => {
  for (const dt of DTYPES) {
    for (const threshold of [1, 0.05]) {
      it(`divides each leaf by max(1, rms/threshold) over 3 calls (threshold ${String(threshold)}, ${dt.name})`, () => {
        const tx = clipByBlockRms(threshold);
        let state = tx.init({ a: dt.make([0, 0, 0]), b: dt.make([0, 0, 0, 0]) });
        for (const c of GRADS) {
          const [u, next] = tx.update({ a: dt.make(c.a), b: dt.make(c.b) }, state);
          for (const k of ['a', 'b'] as const) expectClose(u[k], refBlockRms(c[k].map(dt.round), threshold).map(dt.round), dt.rtol, k);
          state = next;
        }
      });
    }
  }

  it('leaves a leaf within the threshold bit for bit and brings one above it to rms = threshold', () => {
    const tx = clipByBlockRms(1);
    const small = Float64Array.from([0.3, -0.7, 1e-300, 0.9]);
    const [u] = tx.update({ small, large: Float64Array.from([3, -4]) }, tx.init({ small, large: new Float64Array(2) }));
    expect(Array.from(u.small)).toEqual(Array.from(small));
    // rms([3, -4]) = √12.5; divided by it the rms is 1.
    expect(Math.sqrt(sumSquares(Array.from(u.large)) / 2)).toBeCloseTo(1, 15);
    expect(u.large[0] as number).toBeCloseTo(3 / Math.sqrt(12.5), 15);
  });

  it('rejects a threshold that is not a finite number > 0', () => {
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, '1' as unknown as number]) {
      expect(() => clipByBlockRms(bad)).toThrow(HyperparameterError);
      expect(() => clipByBlockRms(bad)).toThrow(/^clipByBlockRms: threshold must be a finite number > 0/);
    }
  });
});

describe('adaptiveGradClip', () => {
  for (const dt of DTYPES) {
    for (const [clipping, eps] of [
      [0.1, 1e-3],
      [2, 0.5],
    ] as const) {
      it(`clips each leaf to clipping·max(‖p‖, eps) over 3 calls (clipping ${String(clipping)}, eps ${String(eps)}, ${dt.name})`, () => {
        const tx = adaptiveGradClip(clipping, { eps });
        let state = tx.init({ a: dt.make([0, 0, 0]), b: dt.make([0, 0, 0, 0]) });
        GRADS.forEach((c, i) => {
          const p = PARAMS[i] as { a: number[]; b: number[] };
          const [u, next] = tx.update({ a: dt.make(c.a), b: dt.make(c.b) }, state, { a: dt.make(p.a), b: dt.make(p.b) });
          for (const k of ['a', 'b'] as const) {
            expectClose(u[k], refAgc(p[k].map(dt.round), c[k].map(dt.round), clipping, eps).map(dt.round), dt.rtol, `${k} call ${String(i)}`);
          }
          state = next;
        });
      });
    }
  }

  it('passes a leaf under the bound unchanged and scales one over it to norm = clipping·‖p‖', () => {
    const tx = adaptiveGradClip(0.5);
    const params = { under: Float64Array.from([3, 4]), over: Float64Array.from([3, 4]) };
    const under = Float64Array.from([1.5, -1.9]); // ‖u‖ ≈ 2.42 < 0.5·5
    const [u] = tx.update({ under, over: Float64Array.from([6, 8]) }, tx.init(params), params);
    expect(Array.from(u.under)).toEqual(Array.from(under));
    expect(Array.from(u.over)).toEqual([6 * 0.25, 8 * 0.25]);
  });

  it('lets zero-initialised params move by up to clipping·eps (default eps 1e-3)', () => {
    const tx = adaptiveGradClip(0.1);
    const params = { w: new Float64Array(2) };
    const [u] = tx.update({ w: Float64Array.from([30, 40]) }, tx.init(params), params);
    expect(Math.hypot(u.w[0] as number, u.w[1] as number)).toBeCloseTo(1e-4, 18);
  });

  it('takes the whole leaf as the unit (optax: one unit per column of a rank-2 leaf)', () => {
    const tx = adaptiveGradClip(1);
    // Column norms of p: 1 and 10; of u: 5 and 1. optax's unit-wise AGC would clip only the
    // first column (5 > 1). Here ‖u‖ = √26 < ‖p‖ = √101, so the leaf passes unchanged.
    const params = { w: tensor(Float64Array.from([1, 10, 0, 0]), [2, 2]) };
    const grads = { w: tensor(Float64Array.from([3, 1, 4, 0]), [2, 2]) };
    const [u] = tx.update(grads, tx.init(params), params);
    expect(Array.from(u.w.data)).toEqual([3, 1, 4, 0]);
    // Scaled down, the whole leaf is clipped with one coefficient, so its direction is kept.
    const smallParams = { w: tensor(Float64Array.from([0.1, 0, 0, 0]), [2, 2]) };
    const [v] = tx.update(grads, tx.init(smallParams), smallParams);
    const coef = 0.1 / Math.sqrt(26);
    expect(Array.from(v.w.data)).toEqual([3 * coef, 1 * coef, 4 * coef, 0]);
  });

  it('needs params', () => {
    const tx = adaptiveGradClip(0.1);
    const g = { w: Float64Array.from([1]) };
    expect(() => tx.update(g, tx.init(g))).toThrow(MissingParamsError);
  });

  it('rejects bad options, naming them', () => {
    expect(() => adaptiveGradClip(-0.1)).toThrow(/^adaptiveGradClip: clipping must be a finite number >= 0/);
    expect(() => adaptiveGradClip(Number.NaN)).toThrow(HyperparameterError);
    expect(() => adaptiveGradClip(0.1, { eps: -1 })).toThrow(/^adaptiveGradClip: eps must be a finite number >= 0/);
    expect(() => adaptiveGradClip(0.1, { axis: 0 } as never)).toThrow(/^adaptiveGradClip: axis must be one of the options eps/);
  });
});

describe('block clipping, compiled', () => {
  it('compiles to the same numbers as the reference', () => {
    const params = { a: Float32Array.from([1, -2, 3]), b: { w: tensor(Float64Array.from([0.5, 0.25, -1, 2, 0, 3]), [2, 3]), z: new Float32Array(4) } };
    const grads = [0, 1, 2].map((k) => ({
      a: Float32Array.from([0.1 * k, -1, 2]),
      b: { w: tensor(Float64Array.from([1, 2, 3, 4, 5, 6].map((v) => v * (k - 1))), [2, 3]), z: Float32Array.from([1, 0, -1, k]) },
    }));
    expect(compiledDifference(clipByBlockRms(0.5), params, grads)).toBeUndefined();
    expect(compiledDifference(adaptiveGradClip(0.2, { eps: 1e-2 }), params, grads)).toBeUndefined();
  });
});
