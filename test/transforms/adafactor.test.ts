/**
 * Adafactor: the factored second-moment estimate (hand-computed values for a matrix, a 3-D
 * leaf, an unfactored leaf and the decay schedule), the parameter-RMS scaling, the optimizer
 * (optax's doctest, convergence on a parabola and Rosenbrock), purity, validation, snapshots,
 * and compiled (host + fused segments) == reference.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compile, wasmSimdAvailable } from '../../src/compile/index.js';
import { HyperparameterError, MissingParamsError, StateMismatchError } from '../../src/errors.js';
import { adafactor } from '../../src/optimizers/adafactor.js';
import { factoredDims, scaleByFactoredRms, scaleByParamBlockRms } from '../../src/transforms/adafactor.js';
import type { Tensor } from '../../src/tree/leaf.js';
import type { Tree } from '../../src/tree/tree.js';
import { compiledDifference } from '../combine/compileCheck.js';
import { doctest, expectConverges } from '../helpers/convergence.js';
import { arr, close, expectPureUpdate, expectSnapshotResumes, expectSpecRebuilds, expectWasmNearReference, mixedGrads, mixedParams, t64 } from './adaptiveSupport.js';


describe('factoredDims (which leaves factor, over which axes)', () => {
  it('the two largest dims, both at least the minimum; otherwise none', () => {
    expect(factoredDims([128, 256], true, 128)).toEqual([0, 1]);
    expect(factoredDims([256, 128], true, 128)).toEqual([1, 0]);
    expect(factoredDims([127, 256], true, 128)).toBeUndefined();
    expect(factoredDims([4, 200, 300], true, 128)).toEqual([1, 2]);
    expect(factoredDims([300, 4, 200], true, 128)).toEqual([2, 0]);
    expect(factoredDims([128, 128], true, 128)).toEqual([0, 1]);
    expect(factoredDims([1000], true, 128)).toBeUndefined();
    expect(factoredDims([200, 300], false, 128)).toBeUndefined();
  });
});

describe('scaleByFactoredRms: values', () => {
  it('a 2×3 matrix (factored with minDimSizeToFactor 2), first step, by hand', () => {
    // g = [[1, 2, 3], [4, 5, 6]]: d0 = axis 1 (3, the largest), d1 = axis 0.
    // R = mean over columns of g² = [14/3, 77/3]; C = mean over rows = [17/2, 29/2, 45/2].
    // u_ij = g_ij · (R_i / mean(R))^(-1/2) · C_j^(-1/2), mean(R) = 91/6.
    const tx = scaleByFactoredRms({ minDimSizeToFactor: 2, epsilon: 0 });
    const g = { w: t64([2, 3], [1, 2, 3, 4, 5, 6]) };
    const [u, s] = tx.update(g, tx.init(g));
    const R = [14 / 3, 77 / 3];
    const C = [17 / 2, 29 / 2, 45 / 2];
    const m = 91 / 6;
    const want = [0, 1].flatMap((i) => [0, 1, 2].map((j) => (i * 3 + j + 1) * Math.sqrt(m / (R[i] as number)) / Math.sqrt(C[j] as number)));
    close(arr(u.w), want);
    expect((u.w as Tensor).shape).toEqual([2, 3]);
    close(arr((s.vRow as { w: Tensor }).w), R);
    close(arr((s.vCol as { w: Tensor }).w), C);
    expect((s.vRow as { w: Tensor }).w.shape).toEqual([2]);
    expect((s.vCol as { w: Tensor }).w.shape).toEqual([3]);
    expect(arr((s.v as { w: Tensor }).w)).toEqual([0]);
    expect(s.count).toBe(1);
  });

  it('the largest axis first: a 3×2 matrix gives the transpose of the 2×3 result, statistics swapped', () => {
    const tx = scaleByFactoredRms({ minDimSizeToFactor: 2 });
    const g = [1, 2, 3, 4, 5, 6];
    const gt = [1, 4, 2, 5, 3, 6];
    const [u, s] = tx.update({ w: t64([2, 3], g) }, tx.init({ w: t64([2, 3], g) }));
    const [ut, st] = tx.update({ w: t64([3, 2], gt) }, tx.init({ w: t64([3, 2], gt) }));
    const uw = arr(u.w);
    close(arr(ut.w), [0, 3, 1, 4, 2, 5].map((k) => uw[k] as number), 1e-15);
    expect(arr((st.vRow as { w: Tensor }).w)).toEqual(arr((s.vRow as { w: Tensor }).w));
    expect(arr((st.vCol as { w: Tensor }).w)).toEqual(arr((s.vCol as { w: Tensor }).w));
  });

  it('second step decays with β = 1 − 2^(−0.8); an unfactored vector gets v = β v + (1 − β) g²', () => {
    const tx = scaleByFactoredRms({ epsilon: 0 });
    const g1 = { b: Float64Array.from([3, -4]) };
    const g2 = { b: Float64Array.from([1, 2]) };
    const [u1, s1] = tx.update(g1, tx.init(g1));
    expect(Array.from(u1.b)).toEqual([1, -1]); // β = 0 at the first step: g / |g|
    const [u2, s2] = tx.update(g2, s1);
    const beta = 1 - 2 ** -0.8;
    const v = [beta * 9 + (1 - beta) * 1, beta * 16 + (1 - beta) * 4];
    close(arr((s2.v as { b: Tensor }).b), v);
    close(Array.from(u2.b), [1 / Math.sqrt(v[0] as number), 2 / Math.sqrt(v[1] as number)]);
  });

  it('a 2×3×4 leaf reduces over its two largest axes, broadcasting over the third', () => {
    const shape = [2, 3, 4];
    const g = Array.from({ length: 24 }, (_, i) => ((i * 7) % 11) - 5 + 0.5);
    const tx = scaleByFactoredRms({ minDimSizeToFactor: 3, epsilon: 1e-3 });
    const [u, s] = tx.update({ x: t64(shape, g) }, tx.init({ x: t64(shape, new Array(24).fill(0)) }));
    // d0 = axis 2 (4), d1 = axis 1 (3). Written out with plain nested loops:
    const G = (a: number, b: number, c: number): number => (g[a * 12 + b * 4 + c] as number) ** 2 + 1e-3;
    const R = [0, 1].map((a) => [0, 1, 2].map((b) => [0, 1, 2, 3].reduce((t, c) => t + G(a, b, c), 0) / 4)); // [a][b]
    const C = [0, 1].map((a) => [0, 1, 2, 3].map((c) => [0, 1, 2].reduce((t, b) => t + G(a, b, c), 0) / 3)); // [a][c]
    const want: number[] = [];
    for (let a = 0; a < 2; a++) {
      const rowMean = (R[a] as number[]).reduce((t, x) => t + x, 0) / 3;
      for (let b = 0; b < 3; b++) {
        for (let c = 0; c < 4; c++) want.push((g[a * 12 + b * 4 + c] as number) / Math.sqrt(((R[a] as number[])[b] as number) / rowMean) / Math.sqrt((C[a] as number[])[c] as number));
      }
    }
    close(arr(u.x), want);
    expect((s.vRow as { x: Tensor }).x.shape).toEqual([2, 3]);
    expect((s.vCol as { x: Tensor }).x.shape).toEqual([2, 4]);
    close(arr((s.vRow as { x: Tensor }).x), R.flat());
    close(arr((s.vCol as { x: Tensor }).x), C.flat());
  });

  it('float32 leaves keep float32 state and updates', () => {
    const tx = scaleByFactoredRms({ minDimSizeToFactor: 2 });
    const g = { w: { shape: [2, 2], data: Float32Array.from([1, 2, 3, 4]) }, b: Float32Array.from([1]) };
    const [u, s] = tx.update(g, tx.init(g));
    expect(u.w.data).toBeInstanceOf(Float32Array);
    expect(u.b).toBeInstanceOf(Float32Array);
    expect((s.vRow as { w: Tensor }).w.data).toBeInstanceOf(Float32Array);
  });
});

describe('scaleByParamBlockRms', () => {
  it('u = g · max(RMS(p), minScale), per leaf; needs params', () => {
    const tx = scaleByParamBlockRms();
    const p = { a: Float64Array.from([3, 4]), z: Float64Array.from([0, 0]) };
    const [u] = tx.update({ a: Float64Array.from([1, -1]), z: Float64Array.from([2, 2]) }, tx.init(p), p);
    close(Array.from(u.a), [Math.sqrt(12.5), -Math.sqrt(12.5)]);
    expect(Array.from(u.z)).toEqual([2e-3, 2e-3]);
    expect(() => tx.update(p, tx.init(p))).toThrow(MissingParamsError);
    expect(() => scaleByParamBlockRms({ minScale: -1 })).toThrow(HyperparameterError);
  });
});

// ---------------------------------------------------------------------------------------------
// the optimizer
// ---------------------------------------------------------------------------------------------

describe('adafactor', () => {
  it("optax's doctest: 5 steps on Σx² from [1, 2, 3] at learning rate 0.003", () => {
    expect(doctest(adafactor({ learningRate: 0.003 }))).toEqual(['1.39e+1', '1.38e+1', '1.38e+1', '1.37e+1', '1.36e+1']);
  });

  it('converges on a parabola and on Rosenbrock', () => {
    expectConverges(adafactor({ learningRate: 0.01 }), 'parabola', 5000, { tolerance: 1e-2 });
    expectConverges(adafactor({ learningRate: 0.01 }), 'rosenbrock', 10000);
  });

  it('the chain follows the options (clipping, lr, parameter scale, momentum, decay, sign)', () => {
    const p = { w: Float64Array.from([2, -2]) };
    const g = { w: Float64Array.from([4, 1]) };
    // No clipping, no parameter scale: u = −η g/|g| at the first step.
    const plain = adafactor({ learningRate: 0.5, clippingThreshold: null, multiplyByParameterScale: false });
    expect(Array.from(plain.update(g, plain.init(p), p)[0].w)).toEqual([-0.5, -0.5]);
    // Weight decay is added after the learning rate (not scaled by it).
    const wd = adafactor({ learningRate: 0.5, clippingThreshold: null, multiplyByParameterScale: false, weightDecayRate: 0.25 });
    expect(Array.from(wd.update(g, wd.init(p), p)[0].w)).toEqual([-1, -0]);
    // Momentum (not debiased): the first output is (1 − β)·u.
    const mom = adafactor({ learningRate: 0.5, clippingThreshold: null, multiplyByParameterScale: false, momentum: 0.75 });
    expect(Array.from(mom.update(g, mom.init(p), p)[0].w)).toEqual([-0.125, -0.125]);
    // Parameter scale: RMS(p) = 2.
    const ps = adafactor({ learningRate: 0.5, clippingThreshold: null });
    expect(Array.from(ps.update(g, ps.init(p), p)[0].w)).toEqual([-1, -1]);
  });

  it('is pure: inputs untouched, fresh outputs, the old state still usable', () => {
    const opt = adafactor({ learningRate: 0.1, minDimSizeToFactor: 2, momentum: 0.5 });
    const p = { w: t64([2, 2], [1, 2, 3, 4]), b: Float64Array.from([1]) };
    const g = { w: t64([2, 2], [0.5, -1, 2, 0.25]), b: Float64Array.from([3]) };
    const {
      s0,
      result: [u1, s1],
    } = expectPureUpdate(opt, p, g);
    expect(u1.w.data).not.toBe(g.w.data);
    expect((s1[0] as { vRow: { w: Tensor } }).vRow.w.data).not.toBe((s0[0] as { vRow: { w: Tensor } }).vRow.w.data);
  });

  it('validates its options and its state', () => {
    expect(() => adafactor({ decayRate: 0 })).toThrow(/scaleByFactoredRms: decayRate/);
    expect(() => adafactor({ minDimSizeToFactor: 0 })).toThrow(HyperparameterError);
    expect(() => adafactor({ decayOffset: 1.5 })).toThrow(/stepOffset/);
    expect(() => adafactor({ eps: -1 })).toThrow(HyperparameterError);
    expect(() => adafactor({ clippingThreshold: 0 })).toThrow(/threshold/);
    expect(() => adafactor({ momentum: 1.5 })).toThrow(/adafactor: momentum/);
    expect(() => adafactor({ weightDecayRate: -1 })).toThrow(/weightDecayRate/);
    expect(() => adafactor({ weightDecayMask: { w: true } })).toThrow(/weightDecayMask/);
    expect(() => adafactor({ factored: 'yes' as never })).toThrow(/factored/);
    expect(() => adafactor({ learningRate: -1 })).toThrow(/learningRate/);
    expect(() => adafactor({ lr: 1 } as never)).toThrow(/lr/);
    const tx = scaleByFactoredRms({ minDimSizeToFactor: 2 });
    const g = { w: t64([2, 2], [1, 2, 3, 4]) };
    const s = tx.init(g);
    expect(() => tx.update(g, { ...s, count: -1 })).toThrow(StateMismatchError);
    expect(() => tx.update(g, { ...s, vRow: { w: t64([3], [0, 0, 0]) } })).toThrow(/vRow/);
    expect(() => tx.update({ w: t64([2, 2], [1, 2, 3, 4]), b: Float64Array.from([1]) } as never, s)).toThrow(StateMismatchError);
  });

  it('carries a spec with its defaults', () => {
    expect(adafactor().spec).toEqual({
      op: 'adafactor',
      minDimSizeToFactor: 128,
      decayRate: 0.8,
      decayOffset: 0,
      eps: 1e-30,
      factored: true,
      multiplyByParameterScale: true,
      clippingThreshold: 1,
    });
    expect(adafactor({ learningRate: 0.1, clippingThreshold: null, momentum: 0.9, weightDecayRate: 0.01 }).spec).toMatchObject({ learningRate: 0.1, clippingThreshold: null, momentum: 0.9, weightDecayRate: 0.01 });
    expect(scaleByFactoredRms().spec).toEqual({ op: 'scaleByFactoredRms', factored: true, decayRate: 0.8, stepOffset: 0, minDimSizeToFactor: 128, epsilon: 1e-30 });
  });

  it('its spec rebuilds it: the constructor given the spec’s options records the same spec', () => {
    const cases = [{}, { learningRate: 0.1, clippingThreshold: null, momentum: 0.9, weightDecayRate: 0.01, weightDecayMask: { w: true } }, { factored: false, decayOffset: 3, multiplyByParameterScale: false }] as const;
    for (const o of cases) expectSpecRebuilds(adafactor, o, 'adafactor');
    expectSpecRebuilds(scaleByFactoredRms, { decayRate: 0.5 });
  });

  it('its state survives a snapshot (saveState → loadState) and resumes the same', () => {
    const opt = adafactor({ learningRate: 0.1, minDimSizeToFactor: 2 });
    const p = { w: t64([2, 3], [1, 2, 3, 4, 5, 6]) };
    const g = { w: t64([2, 3], [1, -1, 2, -2, 3, -3]) };
    expectSnapshotResumes(opt, p, g);
  });
});

// ---------------------------------------------------------------------------------------------
// compiled
// ---------------------------------------------------------------------------------------------

describe('compile(adafactor(...)): host factored estimate + fused rest == reference', () => {
  const params = mixedParams;
  const grads = (k: number): Tree => mixedGrads(k, 0.125);

  it('segments: the factored estimate on the host, the rest fused in one segment', () => {
    const c = compile(adafactor({ learningRate: 0.1, minDimSizeToFactor: 2 }), params());
    expect(c.segments.map((s) => [s.kind, s.names])).toEqual([
      ['host', ['scaleByFactoredRms']],
      ['fused', ['clipByBlockRms', 'scaleByLearningRate', 'scaleByParamBlockRms', 'scale']],
    ]);
  });

  it('bit for bit on js and closure, pure and in place, for several option sets', () => {
    const options = [
      { learningRate: 0.1, minDimSizeToFactor: 2 },
      { minDimSizeToFactor: 3, momentum: 0.9, weightDecayRate: 0.01 },
      { learningRate: 0.05, clippingThreshold: null, multiplyByParameterScale: false, factored: false },
    ] as const;
    for (const o of options) {
      expect(compiledDifference(adafactor(o), params(), [grads(1), grads(2), grads(3), grads(4)])).toBeUndefined();
    }
  });

  it('random option sets (property)', () => {
    fc.assert(
      fc.property(
        fc.record({ lr: fc.double({ min: 0, max: 1, noNaN: true }), min: fc.integer({ min: 1, max: 4 }), decayRate: fc.double({ min: 0.1, max: 1, noNaN: true }), mom: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }) }),
        (r) => {
          const opt = adafactor({ learningRate: r.lr, minDimSizeToFactor: r.min, decayRate: r.decayRate, ...(r.mom === undefined ? {} : { momentum: r.mom }) });
          const d = compiledDifference(opt, params(), [grads(5), grads(6)]);
          if (d !== undefined) throw new Error(d);
          return true;
        },
      ),
      { seed: 77, numRuns: 15 },
    );
  });

  it.runIf(wasmSimdAvailable())('wasm within a tolerance of the reference', () => {
    expectWasmNearReference(adafactor({ learningRate: 0.1, minDimSizeToFactor: 2 }), params, grads, 1e-5);
  });
});
