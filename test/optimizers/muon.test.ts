/**
 * muon: the routing (2-D leaves to the Newton–Schulz chain, the rest to NAdamW), weight decay
 * with a mask over the whole params, the Adam options, convergence on a matrix least-squares
 * problem and on optax's Rosenbrock (the Adam group), purity, dtypes, spec, validation.
 */
import { describe, expect, it } from 'vitest';
import type { GradientTransformation } from '../../src/base.js';
import { chain } from '../../src/combine/chain.js';
import { adamw } from '../../src/optimizers/adam.js';
import { muon } from '../../src/optimizers/muon.js';
import { linearSchedule } from '../../src/schedules/decay.js';
import { toSpec } from '../../src/spec/spec.js';
import { loadState, saveState } from '../../src/state/snapshot.js';
import { scaleByMuon, scaleByShape } from '../../src/transforms/muon.js';
import { scaleByLearningRate } from '../../src/transforms/scale.js';
import { type Tensor, tensor } from '../../src/tree/leaf.js';
import { cloneTree } from '../../src/tree/tree.js';
import { applyUpdates } from '../../src/update.js';
import { expectClose, expectRejects } from '../transforms/adaptiveSupport.js';
import { expectConverges } from '../helpers/convergence.js';

interface Params {
  readonly w: Tensor;
  readonly b: Float64Array;
  readonly s: Tensor;
}

const params0 = (): Params => ({
  w: tensor(Float64Array.from([0.5, -1, 2, 0, 1, -0.25]), [2, 3]),
  b: Float64Array.from([1, -2]),
  s: tensor(Float64Array.from([3]), []),
});

const gradsAt = (k: number): Params => ({
  w: tensor(Float64Array.from([1, -2, 0.5, 3, 0, -1].map((v) => v * (k + 1))), [2, 3]),
  b: Float64Array.from([0.5 - k, 4]),
  s: tensor(Float64Array.from([-1 + k]), []),
});

/** Runs `opt` for 3 steps from params0; the updates of each step. */
function updatesOf(opt: GradientTransformation<unknown>): Params[] {
  let params = params0();
  let state = opt.init(params);
  const out: Params[] = [];
  for (let k = 0; k < 3; k++) {
    const [u, s] = opt.update(gradsAt(k), state, params);
    out.push(u);
    params = applyUpdates(params, u);
    state = s;
  }
  return out;
}

describe('muon', () => {
  it('sends 2-D leaves through scaleByMuon → scaleByShape → -η and the others through NAdamW (eps shared)', () => {
    const got = updatesOf(muon({ learningRate: 0.1, beta: 0.9, eps: 1e-6 }));
    // The matrix alone, through the chain written out; the rest through adamw with nesterov.
    const matrix = chain(scaleByMuon({ beta: 0.9, eps: 1e-6 }), scaleByShape(), scaleByLearningRate(0.1));
    const adam = adamw({ learningRate: 0.1, eps: 1e-6, weightDecay: 0, nesterov: true });
    let mState = matrix.init({ w: params0().w });
    let aState = adam.init({ b: params0().b, s: params0().s });
    let params = params0();
    got.forEach((u, k) => {
      const g = gradsAt(k);
      const [mu, ms] = matrix.update({ w: g.w }, mState);
      const [au, as] = adam.update({ b: g.b, s: g.s }, aState, { b: params.b, s: params.s });
      expect(Array.from(u.w.data)).toEqual(Array.from(mu.w.data));
      expect(Array.from(u.b)).toEqual(Array.from(au.b));
      expect(Array.from(u.s.data)).toEqual(Array.from(au.s.data));
      mState = ms;
      aState = as;
      params = applyUpdates(params, u);
    });
    // √max(1, 3/2) and η: the first update of w is -0.1·√1.5·O, O with singular values ≈ 1.
    const w0 = got[0]?.w.data ?? new Float64Array();
    const rms = Math.sqrt(Array.from(w0).reduce((s, v) => s + v * v, 0) / 2) / (0.1 * Math.sqrt(1.5));
    expect(rms).toBeGreaterThan(0.6);
    expect(rms).toBeLessThan(1.3);
  });

  it('decays the masked matrices (mask over the whole params), with its own Adam options', () => {
    const opt = muon({
      learningRate: 0.1,
      weightDecay: 0.5,
      weightDecayMask: { w: true, b: true, s: false },
      adamLearningRate: 0.01,
      adamB1: 0.5,
      adamB2: 0.9,
      adamEps: 1e-3,
      adamEpsRoot: 1e-4,
      adamWeightDecay: 0.1,
      nesterov: false,
    });
    const plain = muon({ learningRate: 0.1, nesterov: false, adamLearningRate: 0.01, adamB1: 0.5, adamB2: 0.9, adamEps: 1e-3, adamEpsRoot: 1e-4, adamWeightDecay: 0.1 });
    const p = params0();
    const g = gradsAt(0);
    const [u] = opt.update(g, opt.init(p), p);
    const [v] = plain.update(g, plain.init(p), p);
    // decoupled: u = v - η λ p on w only
    expectClose(u.w.data, Array.from(v.w.data, (x, i) => x - 0.1 * 0.5 * (p.w.data[i] as number)), 1e-14, 'w');
    expect(Array.from(u.b)).toEqual(Array.from(v.b));
    const adam = adamw({ learningRate: 0.01, b1: 0.5, b2: 0.9, eps: 1e-3, epsRoot: 1e-4, weightDecay: 0.1 });
    const [a] = adam.update({ b: g.b, s: g.s }, adam.init({ b: p.b, s: p.s }), { b: p.b, s: p.s });
    expect(Array.from(u.b)).toEqual(Array.from(a.b));
    expect(Array.from(u.s.data)).toEqual(Array.from(a.s.data));
  });

  it('solves a matrix least-squares problem ‖A W - B‖² (3×2 W) with a decaying rate', () => {
    const A = [[1, 0.5, 0], [0, 1, -1], [2, 0, 1], [0.5, 0.5, 0.5], [1, -1, 0]];
    const target = [[1, -2], [0.5, 3], [-1, 0.25]];
    const matmul = (a: readonly (readonly number[])[], b: readonly (readonly number[])[]): number[][] => a.map((row) => (b[0] ?? []).map((_, j) => row.reduce((s, x, k) => s + x * ((b[k] as number[])[j] as number), 0)));
    const B = matmul(A, target);
    const steps = 500;
    const opt = muon({ learningRate: linearSchedule({ initValue: 0.1, endValue: 0, transitionSteps: steps }) });
    let params = { w: tensor(new Float32Array(6), [3, 2]) };
    let state = opt.init(params);
    for (let i = 0; i < steps; i++) {
      const w = [0, 1, 2].map((r) => [params.w.data[2 * r] as number, params.w.data[2 * r + 1] as number]);
      const residual = matmul(A, w).map((row, r) => row.map((v, c) => v - ((B[r] as number[])[c] as number)));
      const grad = matmul(A[0]?.map((_, c) => A.map((row) => row[c] as number)) ?? [], residual);
      const [u, s] = opt.update({ w: tensor(Float32Array.from(grad.flat()), [3, 2]) }, state, params);
      params = applyUpdates(params, u);
      state = s;
    }
    expectClose(params.w.data, target.flat(), 3e-2, 'W');
    expect(params.w.data).toBeInstanceOf(Float32Array);
  });

  it("reaches optax's 2×2 mixed target at lr 1e-2 in 1000 steps (adaptive and nesterov on and off)", () => {
    const target = [1, 0, -1, 1];
    for (const adaptive of [false, true]) {
      for (const nesterov of [false, true]) {
        const opt = muon({ learningRate: 1e-2, adaptive, nesterov });
        let params = { w: tensor(new Float32Array(4), [2, 2]) };
        let state = opt.init(params);
        for (let i = 0; i < 1000; i++) {
          const g = { w: tensor(Float32Array.from(params.w.data, (v, j) => 2 * (v - (target[j] as number))), [2, 2]) };
          const [u, s] = opt.update(g, state, params);
          params = applyUpdates(params, u);
          state = s;
        }
        params.w.data.forEach((v, j) => {
          expect(Math.abs(v - (target[j] as number)), `adaptive ${String(adaptive)}, nesterov ${String(nesterov)}: w[${String(j)}] = ${String(v)}`).toBeLessThan(3e-2);
        });
      }
    }
  });

  it("converges on optax's Rosenbrock (a vector: the Adam group)", () => {
    expectConverges(muon({ learningRate: 0.01 }), 'rosenbrock', 2000);
  });

  it('is pure and keeps dtypes and forms', () => {
    const p = { w: tensor(Float32Array.from([1, 2, 3, 4]), [2, 2]), b: Float32Array.from([1, 2]) };
    const g = { w: tensor(Float32Array.from([0.1, -0.2, 0.3, 0.4]), [2, 2]), b: Float32Array.from([-1, 1]) };
    const [pc, gc] = [cloneTree(p), cloneTree(g)];
    const opt = muon({ learningRate: 0.1, weightDecay: 0.1 });
    const state = opt.init(p);
    const before = JSON.stringify(state, (_k, v: unknown) => (ArrayBuffer.isView(v) ? Array.from(v as Float32Array) : v));
    const [u] = opt.update(g, state, p);
    expect(p).toEqual(pc);
    expect(g).toEqual(gc);
    expect(JSON.stringify(state, (_k, v: unknown) => (ArrayBuffer.isView(v) ? Array.from(v as Float32Array) : v))).toBe(before);
    expect(u.w.data).toBeInstanceOf(Float32Array);
    expect(u.w.shape).toEqual([2, 2]);
    expect(u.b).toBeInstanceOf(Float32Array);
  });

  it('saves and loads its state (momentum of the matrices, Adam moments of the rest): a resumed run continues bit for bit', () => {
    const opt = muon({ learningRate: 0.05, weightDecay: 0.1 });
    let params = params0();
    let state = opt.init(params);
    for (let k = 0; k < 2; k++) {
      const [u, s] = opt.update(gradsAt(k), state, params);
      params = applyUpdates(params, u);
      state = s;
    }
    const restored = loadState(JSON.parse(JSON.stringify(saveState(state, opt))), opt, params);
    const [u1] = opt.update(gradsAt(2), state, params);
    const [u2] = opt.update(gradsAt(2), restored, params);
    expect(u2).toEqual(u1);
  });

  it('records optax’s defaults in its spec', () => {
    expect(muon({ learningRate: 0.02 }).spec).toEqual({
      op: 'muon', learningRate: 0.02, nsCoeffs: [3.4445, -4.775, 2.0315], nsSteps: 5, beta: 0.95, eps: 1e-8, nesterov: true, adaptive: false, weightDecay: 0,
      adamB1: 0.9, adamB2: 0.999, adamEps: 1e-8, adamEpsRoot: 0, adamWeightDecay: 0, adamLearningRate: 0.02,
    });
    expect(toSpec(muon({ learningRate: linearSchedule({ initValue: 0.1, endValue: 0, transitionSteps: 10 }) })).adamLearningRate).toEqual({
      schedule: 'linearSchedule', options: { initValue: 0.1, endValue: 0, transitionSteps: 10, transitionBegin: 0 },
    });
    expect(muon({ learningRate: 0.02, consistentRms: 0.2, weightDecayMask: { w: true }, adamLearningRate: 1e-3 }).spec).toMatchObject({ consistentRms: 0.2, weightDecayMask: { w: true }, adamLearningRate: 1e-3 });
  });

  it('rejects bad options, naming them', () => {
    const cases: readonly [Record<string, unknown>, RegExp][] = [
      [{ learningRate: -1 }, /^scaleByLearningRate: learningRate must be/],
      [{ learningRate: 0.1, beta: 1 }, /^scaleByMuon: beta must be/],
      [{ learningRate: 0.1, weightDecay: -1 }, /^muon: weightDecay must be/],
      [{ learningRate: 0.1, adamB2: 1 }, /^muon: adamB2 must be/],
      [{ learningRate: 0.1, adamEps: -1 }, /^muon: adamEps must be/],
      [{ learningRate: 0.1, adamLearningRate: -1 }, /^muon: adamLearningRate must be/],
      [{ learningRate: 0.1, adamWeightDecay: Number.NaN }, /^muon: adamWeightDecay must be/],
      [{ learningRate: 0.1, consistentRms: -1 }, /^scaleByShape: consistentRms must be/],
      [{ learningRate: 0.1, momentum: 0.9 }, /^muon: momentum must be one of the options/],
    ];
    expectRejects(muon, cases);
  });
});
