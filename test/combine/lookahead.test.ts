import { describe, expect, it } from 'vitest';
import type { GradientTransformation } from '../../src/base.js';
import { applyIfFinite } from '../../src/combine/applyIfFinite.js';
import { chain } from '../../src/combine/chain.js';
import { lookahead } from '../../src/combine/lookahead.js';
import { masked } from '../../src/combine/masked.js';
import { multiSteps } from '../../src/combine/multiSteps.js';
import { compile } from '../../src/compile/index.js';
import { HyperparameterError, MissingParamsError, StateMismatchError } from '../../src/errors.js';
import { adam } from '../../src/optimizers/adam.js';
import { sgd } from '../../src/optimizers/sgd.js';
import { toSpec } from '../../src/spec/spec.js';
import { scaleByRss } from '../../src/transforms/adagrad.js';
import { scaleByAdam } from '../../src/transforms/adam.js';
import { clipByGlobalNorm } from '../../src/transforms/clipping.js';
import { trace } from '../../src/transforms/momentum.js';
import { scale } from '../../src/transforms/scale.js';
import type { Tree } from '../../src/tree/tree.js';
import { applyUpdates } from '../../src/update.js';
import { allValues, copyTree, sameBits } from '../helpers/arbitraries.js';
import { gradsLike } from '../compile/trees.js';
import { compiledDifference } from './compileCheck.js';
import fc from 'fast-check';
import { assertCompiledMatches, registryInner } from './compileCheck.js';

const f64 = (...xs: number[]): Float64Array => Float64Array.from(xs);

/** optax's lookahead_test setting: grads {x: 2, y: -2}, params {x: 3, y: -3}. */
function loop<S>(opt: GradientTransformation<S>, steps: number): { readonly params: Tree; readonly state: S } {
  let params: { x: Float64Array; y: Float64Array } = { x: f64(3), y: f64(-3) };
  let state = opt.init(params);
  for (let k = 0; k < steps; k++) {
    const [u, s] = opt.update({ x: f64(2), y: f64(-2) }, state, params);
    params = applyUpdates(params, u);
    state = s;
  }
  return { params, state };
}

describe('lookahead: optax lookahead_test cases', () => {
  it('an analytically tractable run: x 3 → 2 → 1 → 2 (sync) → 1 → 0 → 1 (sync)', () => {
    const { params, state } = loop(lookahead(scale(-0.5), { syncPeriod: 3, slowStepSize: 1 / 3 }), 6);
    const slow = state.slow as { x: Float64Array; y: Float64Array };
    expect(slow.x[0]).toBeCloseTo(1, 14);
    expect(slow.y[0]).toBeCloseTo(-1, 14);
    expect(allValues(params)).toEqual(allValues(state.slow)); // synchronised: fast = slow
    expect(state.stepsSinceSync).toBe(0);
  });

  it.each([false, true])('resetState %s: after a sync the fast state is its init (reset) or the fast optimizer\'s own', (resetState) => {
    const fast = () => chain(trace({ decay: 0.5 }), scale(-0.5));
    const { state } = loop(lookahead(fast(), { syncPeriod: 3, slowStepSize: 0.5, resetState }), 3);
    const expected = resetState ? fast().init({ x: f64(3), y: f64(-3) }) : loop(fast(), 3).state;
    expect(state.fast).toEqual(expected);
  });

  it.each([
    [1, 0.5, [1, -1]],
    [1, 0, [3, -3]],
    [1, 1, [-1, 1]],
    [2, 1, [-1, 1]],
  ] as const)('edge cases: syncPeriod %d, slowStepSize %d', (syncPeriod, slowStepSize, expected) => {
    const { state } = loop(lookahead(scale(-1), { syncPeriod, slowStepSize }), 2);
    expect(allValues(state.slow)).toEqual([...expected]);
  });
});

describe('lookahead: semantics', () => {
  it('the slow weights start as a copy of the params; between syncs the fast optimizer\'s updates pass unchanged', () => {
    const params = { w: Float32Array.from([1, 2]) };
    const opt = lookahead(adam({ learningRate: 0.1 }), { syncPeriod: 4, slowStepSize: 0.5 });
    const state = opt.init(params);
    expect(state.slow).toEqual(params);
    expect((state.slow as { w: Float32Array }).w).not.toBe(params.w);
    const plain = adam({ learningRate: 0.1 });
    const g = { w: Float32Array.from([0.3, -0.1]) };
    const [u, s] = opt.update(g, state, params);
    const [up] = plain.update(g, plain.init(params), params);
    expect(sameBits(u, up)).toBe(true);
    expect(s.slow).toBe(state.slow);
    expect(s.stepsSinceSync).toBe(1);
  });

  it('syncPeriod 1 and slowStepSize 1 is the fast optimizer itself, bit for bit', () => {
    let p1: { w: Float32Array; b: Float64Array } = { w: Float32Array.from([1, -2]), b: f64(0.5) };
    let p2 = p1;
    const a = sgd({ learningRate: 0.1, momentum: 0.9 });
    const l = lookahead(sgd({ learningRate: 0.1, momentum: 0.9 }), { syncPeriod: 1, slowStepSize: 1 });
    let sa = a.init(p1);
    let sl = l.init(p2);
    for (let i = 0; i < 4; i++) {
      const g = gradsLike(p1, 30 + i, false);
      const [ua, na] = a.update(g, sa, p1);
      const [ul, nl] = l.update(g, sl, p2);
      p1 = applyUpdates(p1, ua);
      p2 = applyUpdates(p2, ul);
      sa = na;
      sl = nl;
      expect(sameBits(p1, p2)).toBe(true);
    }
  });

  it('needs params; validates options and state', () => {
    const opt = lookahead(scale(1), { syncPeriod: 2, slowStepSize: 0.5 });
    expect(() => opt.update({ w: f64(1) }, opt.init({ w: f64(1) }))).toThrow(MissingParamsError);
    expect(() => lookahead(scale(1), { syncPeriod: 0, slowStepSize: 0.5 })).toThrow(HyperparameterError);
    expect(() => lookahead(scale(1), { syncPeriod: 2, slowStepSize: 1.5 })).toThrow(/slowStepSize must be a number in \[0, 1\]/);
    expect(() => lookahead(scale(1), { syncPeriod: 2, slowStepSize: 0.5, reset: true } as never)).toThrow(/reset/);
    const s = opt.init({ w: f64(1) });
    expect(() => opt.update({ w: f64(1) }, { ...s, stepsSinceSync: 2 }, { w: f64(1) })).toThrow(StateMismatchError);
    expect(() => opt.update({ w: f64(1) }, { ...s, slow: { v: f64(1) } }, { w: f64(1) })).toThrow(/state\.slow against params/);
  });

  it('never mutates its inputs and returns fresh arrays, sync steps included', () => {
    const opt = lookahead(adam({ learningRate: 0.1 }), { syncPeriod: 2, slowStepSize: 0.5, resetState: true });
    let params: { w: Float32Array; b: Float64Array } = { w: Float32Array.from([1, 2]), b: f64(3) };
    let state = opt.init(params);
    for (let i = 0; i < 4; i++) {
      const g = gradsLike(params, 90 + i, false);
      const gc = copyTree(g);
      const pc = copyTree(params);
      const before = structuredClone(state);
      const [u, next] = opt.update(g, state, params);
      expect(sameBits(g, gc) && sameBits(params, pc)).toBe(true);
      expect(state).toEqual(before);
      expect((u as { w: Float32Array }).w).not.toBe((g as { w: Float32Array }).w);
      params = applyUpdates(params, u);
      state = next;
    }
  });

  it('carries a spec', () => {
    expect(toSpec(lookahead(scale(-1), { syncPeriod: 5, slowStepSize: 0.5 }))).toEqual({ op: 'lookahead', transform: toSpec(scale(-1)), syncPeriod: 5, slowStepSize: 0.5, resetState: false });
  });
});

describe('lookahead: compile', () => {
  const params = { w: Float32Array.from([1, -2, 3, 0.5]), b: f64(0.25, -1), t: { shape: [2, 2], data: Float32Array.from([1, 2, 3, 4]) } };
  const grads = Array.from({ length: 8 }, (_, i) => gradsLike(params, 120 + i, false));
  const cases: readonly (readonly [string, () => GradientTransformation<unknown>])[] = [
    ['lookahead(adam, 3, 0.5)', () => lookahead(adam({ learningRate: 0.1 }), { syncPeriod: 3, slowStepSize: 0.5 })],
    ['lookahead(adam, 3, 0.5, reset)', () => lookahead(adam({ learningRate: 0.1 }), { syncPeriod: 3, slowStepSize: 0.5, resetState: true })],
    ['lookahead(clip + sgd momentum, 2, 0.8, reset)', () => lookahead(chain(clipByGlobalNorm(0.5), sgd({ learningRate: 0.1, momentum: 0.9 })), { syncPeriod: 2, slowStepSize: 0.8, resetState: true })],
    ['lookahead(adagrad accumulator 0.1 (a non-zero slot init), 3, reset)', () => lookahead(chain(scaleByRss({ initialAccumulatorValue: 0.1 }), scale(-0.1)), { syncPeriod: 3, slowStepSize: 0.5, resetState: true })],
    ['lookahead(masked(adam), 2)', () => lookahead(masked(scaleByAdam(), { w: true, b: false, t: true }), { syncPeriod: 2, slowStepSize: 0.5 })],
    ['lookahead(lookahead(sgd, 2), 3)', () => lookahead(lookahead(sgd({ learningRate: 0.1 }), { syncPeriod: 2, slowStepSize: 0.5 }), { syncPeriod: 3, slowStepSize: 0.5 })],
    ['lookahead(multiSteps(adam, 2), 3, reset)', () => lookahead(multiSteps(adam({ learningRate: 0.1 }), { everyK: 2 }), { syncPeriod: 3, slowStepSize: 0.5, resetState: true })],
  ];
  it.each(cases)('compile(%s) equals update, bit for bit, js and closure, pure and in place', (_, make) => {
    const tx = make();
    expect(tx.fusable).toBeDefined();
    expect(compiledDifference(tx, params, grads)).toBeUndefined();
  });

  it('is not fused where it cannot be: a non-fusable fast optimizer, or resetting a fast state that starts from the params', () => {
    expect(lookahead(applyIfFinite(scale(1), { maxConsecutiveErrors: 0 }), { syncPeriod: 2, slowStepSize: 0.5 }).fusable).toBeUndefined();
    const nested = lookahead(lookahead(sgd({ learningRate: 0.1 }), { syncPeriod: 2, slowStepSize: 0.5 }), { syncPeriod: 3, slowStepSize: 0.5, resetState: true });
    expect(nested.fusable).toBeUndefined();
    // ... and the reference path resets the inner lookahead from the params, as optax does
    let p: { w: Float64Array } = { w: f64(1, 2) };
    let s = nested.init(p);
    for (let i = 0; i < 3; i++) {
      const [u, ns] = nested.update(gradsLike(p, 7 + i, false), s, p);
      s = ns;
      if (i < 2) p = applyUpdates(p, u);
    }
    expect(s.fast.slow).toEqual(p);
  });

  it('the compiled path refuses, with resetState, a fast state whose count is not stepsSinceSync', () => {
    const opt = lookahead(adam({ learningRate: 0.1 }), { syncPeriod: 3, slowStepSize: 0.5, resetState: true });
    const plain = adam({ learningRate: 0.1 });
    const s = opt.init(params);
    const advanced = plain.update(grads[0] as typeof params, plain.init(params), params)[1];
    expect(() => compile(opt, params, { state: { ...s, fast: advanced } })).toThrow(StateMismatchError);
  });
});

describe('lookahead: compiled == reference over random trees', () => {
  it('lookahead(registry row, k, α, reset) × random trees × steps (specials included)', () => {
    const arb = fc
      .record({ inner: registryInner, syncPeriod: fc.integer({ min: 1, max: 3 }), slowStepSize: fc.double({ min: 0, max: 1, noNaN: true }), resetState: fc.boolean() })
      .map(({ inner, ...o }) => ({ tx: lookahead(inner.tx, o) as GradientTransformation<unknown>, spec: { lookahead: [inner.spec, o] } }));
    assertCompiledMatches(arb, 7711, 80);
  });
});
