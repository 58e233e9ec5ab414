import { describe, expect, it } from 'vitest';
import type { GradientTransformation } from '../../src/base.js';
import { applyIfFinite } from '../../src/combine/applyIfFinite.js';
import { chain } from '../../src/combine/chain.js';
import { CompileError, compile } from '../../src/compile/index.js';
import { HyperparameterError, StateMismatchError } from '../../src/errors.js';
import { adam } from '../../src/optimizers/adam.js';
import { sgd } from '../../src/optimizers/sgd.js';
import { toSpec } from '../../src/spec/spec.js';
import { scaleByAdam } from '../../src/transforms/adam.js';
import { trace } from '../../src/transforms/momentum.js';
import { scale } from '../../src/transforms/scale.js';
import type { Tree } from '../../src/tree/tree.js';
import { applyUpdates } from '../../src/update.js';
import { allValues, copyTree, sameBits } from '../helpers/arbitraries.js';

const f64 = (...xs: number[]): Float64Array => Float64Array.from(xs);

describe('applyIfFinite', () => {
  const builders: readonly (readonly [string, () => GradientTransformation<unknown>])[] = [
    ['sgd', () => sgd({ learningRate: 1 })],
    ['stateful sgd', () => chain(trace({ decay: 0 }), scale(-1))],
  ];
  it.each(builders)('optax _conditionality_test with %s: two NaN steps skipped, the third applied', (_, build) => {
    // loss p·x, so the gradient is x; x = NaN gives a NaN gradient
    const opt = applyIfFinite(build(), { maxConsecutiveErrors: 2 });
    let params: Tree = { p: f64(0) };
    let state = opt.init(params);
    const step = (x: number): void => {
      const [u, s] = opt.update({ p: f64(x) }, state, params);
      params = applyUpdates(params, u);
      state = s;
    };
    step(1);
    expect(allValues(params)).toEqual([-1]);
    expect(state.lastFinite).toBe(true);
    for (let k = 0; k < 2; k++) {
      step(NaN);
      expect(allValues(params)).toEqual([-1]);
      expect(state.lastFinite).toBe(false);
      expect(state.notfiniteCount).toBe(k + 1);
    }
    step(1);
    expect(allValues(params)).toEqual([-2]);
    expect(state.lastFinite).toBe(true);
    expect(state.notfiniteCount).toBe(0);
    for (let k = 0; k < 2; k++) {
      step(NaN);
      expect(allValues(params)).toEqual([-2]);
      expect(state.notfiniteCount).toBe(k + 1);
    }
    step(NaN);
    expect(Number.isNaN(allValues(params)[0])).toBe(true);
    expect(state.totalNotfinite).toBe(5);
    expect(state.notfiniteCount).toBe(3);
  });

  it('a skipped step keeps the inner state, its count included: bias corrections as if it never happened', () => {
    const opt = applyIfFinite(scaleByAdam(), { maxConsecutiveErrors: 5 });
    const plain = scaleByAdam();
    let s = opt.init({ w: f64(0, 0) });
    let sp = plain.init({ w: f64(0, 0) });
    const seq = [f64(1, 2), f64(Infinity, 0), f64(0.5, NaN), f64(-1, 3), f64(-Infinity, -Infinity), f64(2, 2)];
    for (const g of seq) {
      const [u, ns] = opt.update({ w: g }, s);
      const finite = g.every((x) => Number.isFinite(x));
      if (finite) {
        const [up, nsp] = plain.update({ w: g }, sp);
        expect(sameBits(u, up)).toBe(true);
        sp = nsp;
      } else {
        expect(Array.from(u.w)).toEqual([0, 0]);
        expect(ns.inner).toBe(s.inner);
      }
      s = ns;
    }
    expect(s.inner.count).toBe(3);
    expect(s.inner).toEqual(sp);
    expect(s.totalNotfinite).toBe(3);
  });

  it('checks every leaf; maxConsecutiveErrors: 0 skips nothing', () => {
    const opt = applyIfFinite(scale(2), { maxConsecutiveErrors: 1 });
    const st = opt.init({ a: f64(0), b: [f64(0, 0)] });
    expect(allValues(opt.update({ a: f64(1), b: [f64(2, Infinity)] }, st)[0])).toEqual([0, 0, 0]);
    expect(allValues(opt.update({ a: f64(1), b: [f64(2, 3)] }, st)[0])).toEqual([2, 4, 6]);
    const never = applyIfFinite(scale(2), { maxConsecutiveErrors: 0 });
    const [u, s] = never.update({ a: f64(NaN) }, never.init({ a: f64(0) }));
    expect(Number.isNaN(u.a[0])).toBe(true);
    expect(s).toMatchObject({ notfiniteCount: 1, lastFinite: false, totalNotfinite: 1 });
  });

  it('validates options and state', () => {
    expect(() => applyIfFinite(scale(1), { maxConsecutiveErrors: -1 })).toThrow(HyperparameterError);
    expect(() => applyIfFinite(scale(1), { maxConsecutiveErrors: 1.5 })).toThrow(/maxConsecutiveErrors must be an integer >= 0/);
    expect(() => applyIfFinite(scale(1), {} as never)).toThrow(HyperparameterError);
    expect(() => applyIfFinite(scale(1), { maxConsecutiveErrors: 1, max: 2 } as never)).toThrow(/max/);
    const opt = applyIfFinite(scale(1), { maxConsecutiveErrors: 1 });
    const s = opt.init({ a: f64(0) });
    expect(() => opt.update({ a: f64(1) }, { ...s, lastFinite: 1 as never })).toThrow(StateMismatchError);
    expect(() => opt.update({ a: f64(1) }, { inner: s.inner } as never)).toThrow(/notfiniteCount/);
  });

  it('never mutates its inputs; zero updates are fresh arrays', () => {
    const opt = applyIfFinite(adam({ learningRate: 0.1 }), { maxConsecutiveErrors: 3 });
    const params = { w: Float32Array.from([1, 2]), b: f64(3) };
    let state = opt.init(params);
    for (const g of [{ w: Float32Array.from([1, NaN]), b: f64(1) }, { w: Float32Array.from([1, 2]), b: f64(1) }]) {
      const gc = copyTree(g);
      const before = structuredClone(state);
      const [u, next] = opt.update(g, state, params);
      expect(sameBits(g, gc)).toBe(true);
      expect(state).toEqual(before);
      expect(u.w).not.toBe(g.w);
      expect(u.w).toBeInstanceOf(Float32Array);
      state = next;
    }
  });

  it('carries a spec, and is not fusable: compile runs it as a host segment, or names the problem with requireFusable', () => {
    const opt = applyIfFinite(scale(2), { maxConsecutiveErrors: 4 });
    expect(toSpec(opt)).toEqual({ op: 'applyIfFinite', transform: toSpec(scale(2)), maxConsecutiveErrors: 4 });
    expect(opt.fusable).toBeUndefined();
    expect(() => compile(opt, { a: f64(0) }, { requireFusable: true })).toThrow(CompileError);
    expect(() => compile(chain(scale(1), opt), { a: f64(0) }, { requireFusable: true })).toThrow(/member 1 of the chain is not fusable/);
    expect(compile(chain(scale(1), opt), { a: f64(0) }).segments.map((s) => s.kind)).toEqual(['fused', 'host']);
  });
});
