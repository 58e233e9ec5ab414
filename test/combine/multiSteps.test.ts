import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { GradientTransformation } from '../../src/base.js';
import { applyIfFinite } from '../../src/combine/applyIfFinite.js';
import { chain } from '../../src/combine/chain.js';
import { injectHyperparams } from '../../src/combine/injectHyperparams.js';
import { masked } from '../../src/combine/masked.js';
import { multiSteps } from '../../src/combine/multiSteps.js';
import { compile } from '../../src/compile/index.js';
import { HyperparameterError, StateMismatchError } from '../../src/errors.js';
import { adam, adamw } from '../../src/optimizers/adam.js';
import { sgd } from '../../src/optimizers/sgd.js';
import { warmupCosineDecay } from '../../src/schedules/warmup.js';
import { toSpec } from '../../src/spec/spec.js';
import { scaleByAdam } from '../../src/transforms/adam.js';
import { clipByGlobalNorm } from '../../src/transforms/clipping.js';
import { addDecayedWeights } from '../../src/transforms/decay.js';
import { scale } from '../../src/transforms/scale.js';
import { type Tree, flatten } from '../../src/tree/tree.js';
import { applyUpdates } from '../../src/update.js';
import { allValues, copyTree, sameBits } from '../helpers/arbitraries.js';
import { gradsLike } from '../compile/trees.js';
import { compiledDifference } from './compileCheck.js';
import { assertCompiledMatches, registryInner } from './compileCheck.js';

const f64 = (...xs: number[]): Float64Array => Float64Array.from(xs);

// ---------------------------------------------------------------------------------------------
// a small regression problem: loss = mean over examples of ½(w·x + c − y)²
// ---------------------------------------------------------------------------------------------

type Params = { readonly w: Float64Array; readonly c: Float64Array };
type Example = { readonly x: readonly number[]; readonly y: number };

/**
 * The gradient of the loss over a batch, summed example by example (then divided by the batch
 * size for a mean loss). `linear`: loss = w·x + c·y, a gradient independent of the params.
 */
function gradient(params: Params, batch: readonly Example[], linear: boolean, mean: boolean): Params {
  const gw = new Float64Array(params.w.length);
  let gc = 0;
  for (const e of batch) {
    const r = linear ? 1 : e.x.reduce((s, x, i) => s + x * (params.w[i] as number), params.c[0] as number) - e.y;
    e.x.forEach((x, i) => { gw[i] = (gw[i] as number) + r * x; });
    gc += linear ? e.y : r;
  }
  const n = mean ? batch.length : 1;
  return { w: gw.map((v) => v / n), c: f64(gc / n) };
}

/** Dyadic data (small multiples of 1/4), so that sums and means are exact in float64. */
const dataArb = (n: number): fc.Arbitrary<Example[]> =>
  fc.array(fc.record({ x: fc.array(fc.integer({ min: -8, max: 8 }).map((v) => v / 4), { minLength: 3, maxLength: 3 }), y: fc.integer({ min: -8, max: 8 }).map((v) => v / 4) }), { minLength: n, maxLength: n });

/**
 * Runs `steps` big batches of k·b examples through `opt`, and the same data as k micro-batches
 * through multiSteps(opt): a mean loss with `useGradMean`, a summed loss with sums.
 */
function bothWays(make: () => GradientTransformation<unknown>, data: readonly Example[], k: number, b: number, steps: number, linear: boolean, mean = true): { readonly big: Params; readonly micro: Params } {
  const p0: Params = { w: f64(0.5, -0.25, 1), c: f64(0.75) };
  const opt = make();
  let big = p0;
  let bigState = opt.init(big);
  const ms = multiSteps(make(), { everyK: k, useGradMean: mean });
  let micro = p0;
  let msState = ms.init(micro);
  for (let s = 0; s < steps; s++) {
    const batch = data.slice((s * k * b) % data.length).concat(data).slice(0, k * b);
    const [u, ns] = opt.update(gradient(big, batch, linear, mean), bigState, big);
    big = applyUpdates(big, u);
    bigState = ns;
    for (let j = 0; j < k; j++) {
      const [mu, mns] = ms.update(gradient(micro, batch.slice(j * b, (j + 1) * b), linear, mean), msState, micro);
      const next = applyUpdates(micro, mu);
      if (j < k - 1) expect(sameBits(next, micro)).toBe(true); // no movement before the k-th call
      micro = next;
      msState = mns;
    }
    expect(ms.hasUpdated(msState)).toBe(true);
  }
  return { big, micro };
}

describe('multiSteps: k micro-batches of size b = one batch of size k·b', () => {
  const schedule = warmupCosineDecay({ initValue: 0, peakValue: 0.1, warmupSteps: 2, decaySteps: 8 });

  // Bit for bit needs exact arithmetic: dyadic data, a power-of-two rate for sgd, and, for the
  // running mean, k = 2 and b a power of two (the mean of means is then the mean); sums of
  // dyadic values are exact for any k and b.
  it('through sgd, bit for bit: mean loss with k = 2, summed loss with any k and b (quadratic loss)', () => {
    fc.assert(
      fc.property(dataArb(12), fc.constantFrom([2, 1, true], [2, 2, true], [2, 4, true], [2, 3, false], [3, 2, false], [4, 1, false], [3, 4, false]), (data, [k, b, mean]) => {
        const { big, micro } = bothWays(() => sgd({ learningRate: 1 / 64 }), data, k as number, b as number, 4, false, mean as boolean);
        expect(sameBits(micro, big)).toBe(true);
      }),
      { seed: 7501, numRuns: 40 },
    );
  });

  it('through adam with a scheduled rate, bit for bit where the gradients are exact (linear loss)', () => {
    fc.assert(
      fc.property(dataArb(12), fc.constantFrom([2, 1, true], [2, 2, true], [2, 4, true], [2, 3, false], [3, 2, false], [4, 3, false]), (data, [k, b, mean]) => {
        const { big, micro } = bothWays(() => adam({ learningRate: schedule }), data, k as number, b as number, 5, true, mean as boolean);
        expect(sameBits(micro, big)).toBe(true);
      }),
      { seed: 7502, numRuns: 40 },
    );
  });

  it('through adam and adamw on a quadratic loss: within a few ulps (mean of means vs one mean)', () => {
    fc.assert(
      fc.property(dataArb(12), fc.constantFrom([2, 3], [3, 2], [4, 1], [3, 4]), fc.boolean(), (data, [k, b], decoupled) => {
        const make = () => (decoupled ? adamw({ learningRate: 0.05, weightDecay: 0.1 }) : adam({ learningRate: schedule }));
        const { big, micro } = bothWays(make, data, k as number, b as number, 5, false);
        const x = allValues(big);
        allValues(micro).forEach((v, i) => expect(Math.abs(v - (x[i] as number))).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(x[i] as number))));
      }),
      { seed: 7503, numRuns: 40 },
    );
  });

  it('the inner count advances once per k calls (its bias corrections are the un-accumulated run\'s)', () => {
    const ms = multiSteps(scaleByAdam(), { everyK: 3 });
    let state = ms.init({ w: f64(0) });
    for (let i = 0; i < 7; i++) state = ms.update({ w: f64(1) }, state)[1];
    expect(state.inner.count).toBe(2);
    expect(state.gradientStep).toBe(2);
    expect(state.miniStep).toBe(1);
    expect(ms.hasUpdated(state)).toBe(false);
  });
});

describe('multiSteps: optax _accumulation_test cases', () => {
  it('computes the mean: scale(1), k = 4, grads 1..4 emit 2.5; zeros before', () => {
    const ms = multiSteps(scale(1), { everyK: 4 });
    let state = ms.init({ a: f64(0) });
    expect(ms.hasUpdated(state)).toBe(false);
    for (const g of [1, 2, 3]) {
      const [u, s] = ms.update({ a: f64(g) }, state);
      expect(Array.from(u.a)).toEqual([0]);
      expect(ms.hasUpdated(s)).toBe(false);
      state = s;
    }
    const [u, s] = ms.update({ a: f64(4) }, state);
    expect(Array.from(u.a)).toEqual([2.5]);
    expect(ms.hasUpdated(s)).toBe(true);
    expect(Array.from((s.accGrads as { a: Float64Array }).a)).toEqual([0]);
  });

  it('sums with useGradMean: false', () => {
    const ms = multiSteps(scale(1), { everyK: 4, useGradMean: false });
    let state = ms.init({ a: f64(0) });
    let last: Float64Array = f64();
    for (const g of [1, 2, 3, 4]) {
      const [u, s] = ms.update({ a: f64(g) }, state);
      last = u.a;
      state = s;
    }
    expect(Array.from(last)).toEqual([10]);
  });

  it('chain(scaleByAdam, addDecayedWeights, scale): params move only every k-th call', () => {
    const k = 4;
    const ms = multiSteps(chain(scaleByAdam(), addDecayedWeights({ weightDecay: 1e-2 }), scale(-1e-4)), { everyK: k });
    let params: { w: Float64Array; b: Float64Array } = { w: f64(0.3, -0.7, 1.1), b: f64(0.2) };
    let state = ms.init(params);
    for (let idx = 0; idx < 5 * k; idx++) {
      const [u, s] = ms.update(gradsLike(params, idx + 1, false), state, params);
      const next = applyUpdates(params, u);
      expect(sameBits(next, params)).toBe(idx % k < k - 1);
      expect(ms.hasUpdated(s)).toBe(idx % k === k - 1);
      params = next;
      state = s;
    }
  });

  it('skipping non-finite micro-batches: applyIfFinite around multiSteps keeps miniStep', () => {
    const opt = applyIfFinite(multiSteps(sgd({ learningRate: 1 }), { everyK: 2 }), { maxConsecutiveErrors: 10 });
    let params: Tree = { a: f64(0) };
    let state = opt.init(params);
    const stepWith = (g: number): void => {
      const [u, s] = opt.update({ a: f64(g) }, state, params);
      params = applyUpdates(params, u);
      state = s;
    };
    stepWith(1);
    expect(state.inner.miniStep).toBe(1);
    stepWith(1);
    expect(state.inner.miniStep).toBe(0);
    expect(allValues(params)).toEqual([-1]);
    stepWith(Infinity);
    stepWith(NaN);
    expect(state.inner.miniStep).toBe(0);
    expect(allValues(params)).toEqual([-1]);
    stepWith(1);
    stepWith(1);
    expect(allValues(params)).toEqual([-2]);
  });
});

describe('multiSteps: validation, purity, spec, compile', () => {
  it('validates options and state', () => {
    expect(() => multiSteps(scale(1), { everyK: 0 })).toThrow(HyperparameterError);
    expect(() => multiSteps(scale(1), { everyK: 1.5 })).toThrow(/everyK must be an integer >= 1/);
    expect(() => multiSteps(scale(1), { everyK: 2, k: 2 } as never)).toThrow(/k/);
    const ms = multiSteps(scale(1), { everyK: 2 });
    const s = ms.init({ a: f64(0) });
    expect(() => ms.update({ a: f64(1) }, { ...s, miniStep: 2 })).toThrow(StateMismatchError);
    expect(() => ms.update({ a: f64(1) }, { ...s, accGrads: { b: f64(0) } })).toThrow(/accGrads/);
  });

  it('everyK: 1 is the inner optimizer itself, bit for bit', () => {
    let p1: { w: Float32Array; b: Float64Array } = { w: Float32Array.from([1, -2]), b: f64(0.5) };
    let p2 = p1;
    const a = adam({ learningRate: 0.1 });
    const m = multiSteps(adam({ learningRate: 0.1 }), { everyK: 1 });
    let sa = a.init(p1);
    let sm = m.init(p2);
    for (let i = 0; i < 4; i++) {
      const g = gradsLike(p1, 60 + i, false);
      const [ua, na] = a.update(g, sa, p1);
      const [um, nm] = m.update(g, sm, p2);
      p1 = applyUpdates(p1, ua);
      p2 = applyUpdates(p2, um);
      sa = na;
      sm = nm;
      expect(sameBits(p1, p2)).toBe(true);
    }
  });

  it('never mutates its inputs and returns fresh arrays', () => {
    const ms = multiSteps(adamw({ learningRate: 0.1, weightDecay: 0.1 }), { everyK: 2 });
    const params = { w: Float32Array.from([1, 2]), b: f64(3) };
    const pc = copyTree(params);
    let state = ms.init(params);
    for (let i = 0; i < 5; i++) {
      const g = gradsLike(params, 70 + i, false);
      const gc = copyTree(g);
      const before = structuredClone(state);
      const [u, next] = ms.update(g, state, params);
      expect(sameBits(g, gc) && sameBits(params, pc)).toBe(true);
      expect(state).toEqual(before);
      const gl = flatten(g).leaves;
      flatten(u).leaves.forEach((l, j) => expect(l.data).not.toBe(gl[j]?.data));
      state = next;
    }
  });

  it('carries a spec', () => {
    expect(toSpec(multiSteps(scale(2), { everyK: 3 }))).toEqual({ op: 'multiSteps', transform: toSpec(scale(2)), everyK: 3, useGradMean: true });
  });

  const params = { w: Float32Array.from([1, -2, 3, 0.5]), b: f64(0.25, -1), t: { shape: [2, 2], data: Float32Array.from([1, 2, 3, 4]) } };
  const grads = Array.from({ length: 8 }, (_, i) => gradsLike(params, 80 + i, false));
  const cases: readonly (readonly [string, () => GradientTransformation<unknown>])[] = [
    ['multiSteps(adam, 3)', () => multiSteps(adam({ learningRate: 0.1 }), { everyK: 3 })],
    ['multiSteps(clip + sgd momentum, 2, sum)', () => multiSteps(chain(clipByGlobalNorm(0.5), sgd({ learningRate: 0.1, momentum: 0.9 })), { everyK: 2, useGradMean: false })],
    ['multiSteps(masked(adamw with mask), 3)', () => multiSteps(masked(adamw({ learningRate: 0.1, weightDecay: 0.1, mask: { w: true, b: false, t: true } }), { w: true, b: true, t: false }), { everyK: 3 })],
    ['multiSteps(injectHyperparams(adamw) with schedule, 2)', () => multiSteps(injectHyperparams(adamw)({ learningRate: warmupCosineDecay({ initValue: 0, peakValue: 0.1, warmupSteps: 2, decaySteps: 6 }) }), { everyK: 2 })],
    ['multiSteps(multiSteps(sgd, 2), 2)', () => multiSteps(multiSteps(sgd({ learningRate: 0.1, momentum: 0.5 }), { everyK: 2 }), { everyK: 2 })],
  ];
  it.each(cases)('compile(%s) equals update, bit for bit, js and closure, pure and in place', (_, make) => {
    const tx = make();
    expect(tx.fusable).toBeDefined();
    expect(compiledDifference(tx, params, grads)).toBeUndefined();
  });

  it('nested multiSteps in sum mode is one multiSteps over the product (exact data)', () => {
    const nested = multiSteps(multiSteps(sgd({ learningRate: 0.5 }), { everyK: 2, useGradMean: false }), { everyK: 3, useGradMean: false });
    const flat = multiSteps(sgd({ learningRate: 0.5 }), { everyK: 6, useGradMean: false });
    let sn = nested.init({ a: f64(0) });
    let sf = flat.init({ a: f64(0) });
    for (let i = 0; i < 12; i++) {
      const g = { a: f64((i % 5) - 2) };
      const [un, nn] = nested.update(g, sn);
      const [uf, nf] = flat.update(g, sf);
      expect(allValues(un)).toEqual(allValues(uf));
      sn = nn;
      sf = nf;
    }
    expect(allValues(flat.update({ a: f64(0) }, sf)[0])).toEqual([0]);
  });

  it('a non-fusable inner runs, and compile says it is not fusable', () => {
    const ms = multiSteps(applyIfFinite(scale(1), { maxConsecutiveErrors: 0 }), { everyK: 2 });
    expect(ms.fusable).toBeUndefined();
    const [u] = ms.update({ a: f64(1) }, ms.update({ a: f64(3) }, ms.init({ a: f64(0) }))[1]);
    expect(Array.from(u.a)).toEqual([2]);
    expect(() => compile(ms, { a: f64(0) }, { requireFusable: true })).toThrow(/not fusable/);
    expect(compile(ms, { a: f64(0) }).segments.map((s) => s.kind)).toEqual(['host']);
  });
});

describe('multiSteps: compiled == reference over random trees', () => {
  it('multiSteps(registry row, k, mean or sum) × random trees × steps (specials included)', () => {
    const arb = fc.record({ inner: registryInner, everyK: fc.integer({ min: 1, max: 3 }), useGradMean: fc.boolean() }).map(({ inner, everyK, useGradMean }) => ({
      tx: multiSteps(inner.tx, { everyK, useGradMean }) as GradientTransformation<unknown>,
      spec: { multiSteps: [inner.spec, everyK, useGradMean] },
    }));
    assertCompiledMatches(arb, 7611, 80);
  });
});
