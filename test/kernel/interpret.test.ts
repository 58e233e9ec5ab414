import { describe, expect, it } from 'vitest';
import { MissingParamsError, StateMismatchError, TreeMismatchError } from '../../src/errors.js';
import { defineTransform } from '../../src/kernel/define.js';
import { add, g, mul, p, scalar, select, gt, sqrt } from '../../src/kernel/dsl.js';
import type { Expr } from '../../src/kernel/expr.js';
import { printKernel } from '../../src/kernel/print.js';
import { chain } from '../../src/combine/chain.js';
import { scaleByAdam } from '../../src/transforms/adam.js';

describe('defineTransform + the reference interpreter', () => {
  const counter = defineTransform<'acc'>({
    name: 'testAccumulate',
    options: {},
    slots: { acc: 1 },
    scalars: ({ count }) => ({ k: count + 1 }),
    body: (s) => {
      const acc = add(s.acc, mul(scalar('k'), g));
      return { update: acc, next: { acc } };
    },
  });

  it('initialises slots with their init value, in the params dtype and structure', () => {
    const state = counter.init({ a: new Float32Array(2), b: { shape: [1, 1], data: new Float64Array(1) } });
    expect(state.count).toBe(0);
    expect(state.acc).toEqual({ a: new Float32Array([1, 1]), b: { shape: [1, 1], data: new Float64Array([1]) } });
  });

  it('runs scalars with the pre-increment count and stores slots', () => {
    const params = { a: new Float64Array([0, 0]) };
    let state = counter.init(params);
    const [u1, s1] = counter.update({ a: new Float64Array([1, 2]) }, state, params);
    expect(u1.a).toEqual(new Float64Array([2, 3]));
    state = s1;
    const [u2, s2] = counter.update({ a: new Float64Array([1, 2]) }, state, params);
    expect(u2.a).toEqual(new Float64Array([4, 7]));
    expect(s2.count).toBe(2);
  });

  it('computes in float64 and rounds only on store', () => {
    // 0.1 + 0.2 in f64 is 0.30000000000000004; the f32 store rounds the exact f64 sum once.
    const tx = defineTransform({ name: 'testSum', options: {}, scalars: () => ({ a: 0.1 }), body: () => ({ update: add(g, scalar('a')), next: {} }) });
    const [u] = tx.update({ x: new Float32Array([0.2]) }, tx.init({ x: new Float32Array(1) }));
    expect(u.x[0]).toBe(Math.fround(0.1 + Math.fround(0.2)));
  });

  it('evaluates a node shared in the DAG once', () => {
    let built = 0;
    const tx = defineTransform({
      name: 'testShared',
      options: {},
      scalars: () => ({}),
      body: () => {
        built++;
        const r: Expr = sqrt(g);
        return { update: add(r, r), next: {} };
      },
    });
    const [u] = tx.update({ x: new Float64Array([4, 9]) }, tx.init({ x: new Float64Array(2) }));
    expect(u.x).toEqual(new Float64Array([4, 6]));
    expect(built).toBe(1);
  });

  it('select picks per element', () => {
    const tx = defineTransform({ name: 'testSelect', options: {}, scalars: () => ({}), body: () => ({ update: select(gt(g, 0), g, mul(g, 0.5)), next: {} }) });
    const [u] = tx.update({ x: new Float64Array([2, -2]) }, tx.init({ x: new Float64Array(2) }));
    expect(u.x).toEqual(new Float64Array([2, -1]));
  });

  it('throws MissingParamsError when the body reads p and update got no params', () => {
    const tx = defineTransform({ name: 'testNeedsParams', options: {}, scalars: () => ({}), body: () => ({ update: add(g, p), next: {} }) });
    expect(() => tx.update({ x: new Float64Array(1) }, tx.init({ x: new Float64Array(1) }))).toThrow(MissingParamsError);
    expect(() => tx.update({ x: new Float64Array(1) }, tx.init({ x: new Float64Array(1) }))).toThrow(/testNeedsParams: update needs the params/);
  });

  it('checks state and structures, naming the path', () => {
    const adamTx = scaleByAdam();
    const params = { w: new Float32Array(3) };
    const state = adamTx.init(params);
    expect(() => adamTx.update({ w: new Float32Array(2) }, state)).toThrow(TreeMismatchError);
    expect(() => adamTx.update({ w: new Float32Array(2) }, state)).toThrow(/scaleByAdam: updates against state\.mu: at w: expected shape \[3\], got shape \[2\]/);
    expect(() => adamTx.update({ v: new Float32Array(3) }, state)).toThrow(/at w/);
    expect(() => adamTx.update(params, { count: 0 } as never)).toThrow(StateMismatchError);
    expect(() => adamTx.update(params, state, { w: new Float64Array(3) } as never)).toThrow(/updates against params: at w: expected dtype float64, got dtype float32/);
  });

  it('printKernel shows each stage in math form', () => {
    const text = printKernel(chain(scaleByAdam(), counter));
    expect(text).toContain('[0] scaleByAdam; slots: mu = 0, nu = 0');
    expect(text).toContain('[1] testAccumulate; slots: acc = 1');
    expect(text).toMatch(/u ← .*rbc1/);
  });
});
