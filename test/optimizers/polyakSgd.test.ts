/**
 * polyakSgd: optax's doctest values, the scaling as optax implements it, convergence on a
 * parabola and Rosenbrock (whose minima are 0, the default fMin), injectHyperparams, purity,
 * spec, validation.
 */
import { describe, expect, it } from 'vitest';
import type { GradientTransformation } from '../../src/base.js';
import { ExtraArgError } from '../../src/errors.js';
import { injectHyperparams } from '../../src/combine/injectHyperparams.js';
import { HyperparameterError } from '../../src/errors.js';
import { type PolyakSgdOptions, polyakSgd } from '../../src/optimizers/polyakSgd.js';
import { toSpec } from '../../src/spec/spec.js';
import { loadState, saveState } from '../../src/state/index.js';
import { copyTree, sameBits } from '../helpers/arbitraries.js';
import { TARGETS, expectConverges, minimize } from '../helpers/convergence.js';

/** optax's doctest: 5 steps on Σx² from [1, 2, 3], the loss handed over; the objective (in float64) after each. */
function doctest(opt: GradientTransformation<unknown>, dtype: 'float32' | 'float64'): number[] {
  const out: number[] = [];
  minimize(opt, 'square', 5, { dtype, withValue: true, each: (x) => out.push(TARGETS.square.loss(Array.from(x))) });
  return out;
}

describe('polyakSgd', () => {
  it("matches optax's doctest: f = 3.5, 0.875, 0.21875, 0.0546875, 0.013671875 (float32 and float64)", () => {
    const expected = [3.5, 0.875, 0.21875, 0.0546875, 0.013671875];
    expect(doctest(polyakSgd(), 'float32')).toEqual(expected);
    expect(doctest(polyakSgd(), 'float64')).toEqual(expected);
  });

  it('steps -min((f - f*)/‖g‖², γ_max)·g', () => {
    const opt = polyakSgd({ fMin: 1, maxLearningRate: 0.1 });
    const params = { x: Float64Array.of(1, 2) };
    const g = { x: Float64Array.of(2, 4) }; // ‖g‖² = 20
    expect(Array.from(opt.update(g, opt.init(params), params, { value: 3 })[0].x)).toEqual([-2 * 0.1, -4 * 0.1]); // (3-1)/20 = 0.1: at the cap
    expect(Array.from(opt.update(g, opt.init(params), params, { value: 2 })[0].x)).toEqual([-2 * (1 / 20), -4 * (1 / 20)]);
  });

  it("applies scaling as optax's chain does: s·min(gap/(s²‖g‖² + ε), γ_max)·g", () => {
    // f = 14, g = 2x with ‖g‖² = 56; s = 0.5: gap/(s²‖g‖²) = 1, so the update is -0.5·g = -x
    const opt = polyakSgd({ scaling: 0.5, maxLearningRate: 10 });
    const params = { x: Float64Array.of(1, 2, 3) };
    const [u] = opt.update({ x: Float64Array.of(2, 4, 6) }, opt.init(params), params, { value: 14 });
    expect(Array.from(u.x)).toEqual([-1, -2, -3]);
    // a schedule works as the scaling
    const scheduled = polyakSgd({ scaling: (count) => (count === 0 ? 1 : 0) });
    let state = scheduled.init(params);
    const [u0, s1] = scheduled.update({ x: Float64Array.of(2, 4, 6) }, state, params, { value: 14 });
    state = s1;
    expect(Array.from(u0.x)).toEqual([-0.5, -1, -1.5]);
    const [u1] = scheduled.update({ x: Float64Array.of(2, 4, 6) }, state, params, { value: 14 });
    expect(Array.from(u1.x).every((v) => v === 0)).toBe(true);
  });

  it("converges on optax's parabola and on Rosenbrock (minimum 0 = fMin)", () => {
    expectConverges(polyakSgd(), 'parabola', 200, { dtype: 'float64', withValue: true, tolerance: 1e-6 });
    expectConverges(polyakSgd(), 'rosenbrock', 20000, { dtype: 'float64', withValue: true });
  });

  it("below fMin 'sps' steps uphill (a negative gap), 'sps+' stays", () => {
    // f(x) = x² with a wrong guess f* = 1, at x = 0.5: the gap is 0.25 - 1 = -0.75
    const params = { x: Float64Array.of(0.5) };
    const g = { x: Float64Array.of(1) };
    const sps = polyakSgd({ fMin: 1 });
    const plus = polyakSgd({ fMin: 1, variant: 'sps+' });
    expect(Array.from(sps.update(g, sps.init(params), params, { value: 0.25 })[0].x)).toEqual([0.75]);
    expect(Array.from(plus.update(g, plus.init(params), params, { value: 0.25 })[0].x)).toEqual([-0]); // 0·(-g)
  });

  it('works under injectHyperparams: its numeric options live in the state', () => {
    const opt = injectHyperparams(polyakSgd)({ maxLearningRate: 0.5 });
    const params = { x: Float64Array.of(3) };
    let state = opt.init(params);
    expect(state.hyperparams).toEqual({ maxLearningRate: 0.5, scaling: 1, fMin: 0, eps: 0 });
    const [u, next] = opt.update({ x: Float64Array.of(6) }, state, params, { value: 9 }); // 9/36 = 0.25
    expect(Array.from(u.x)).toEqual([-1.5]);
    state = { ...next, hyperparams: { ...next.hyperparams, maxLearningRate: 0.1 } };
    expect(Array.from(opt.update({ x: Float64Array.of(6) }, state, params, { value: 9 })[0].x)).toEqual([-0.6000000000000001]);
  });

  it('is pure, saves its state, and needs the value', () => {
    const opt = polyakSgd();
    const params = { w: Float32Array.of(1, -2), b: Float64Array.of(0.5) };
    const grads = { w: Float32Array.of(0.25, 3), b: Float64Array.of(-1) };
    const [p0, g0] = [copyTree(params), copyTree(grads)];
    const state = opt.init(params);
    const [u, next] = opt.update(grads, state, params, { value: 2 });
    expect(sameBits(params, p0)).toBe(true);
    expect(sameBits(grads, g0)).toBe(true);
    expect(u.w).not.toBe(grads.w);
    expect(loadState(JSON.parse(JSON.stringify(saveState(next, opt))), opt, params)).toEqual(next);
    expect(() => opt.update(grads, state, params)).toThrow(ExtraArgError);
  });

  it("has a spec with optax's defaults", () => {
    expect(toSpec(polyakSgd())).toEqual({ op: 'polyakSgd', maxLearningRate: 1, scaling: 1, fMin: 0, eps: 0, variant: 'sps' });
    expect(toSpec(polyakSgd({ scaling: 0.5, fMin: -2, eps: 1e-8, variant: 'sps+', maxLearningRate: 3 }))).toEqual({
      op: 'polyakSgd',
      maxLearningRate: 3,
      scaling: 0.5,
      fMin: -2,
      eps: 1e-8,
      variant: 'sps+',
    });
  });

  const bad: readonly (readonly [PolyakSgdOptions, string, string])[] = [
    [{ scaling: -1 }, 'polyakSgd', 'scaling'],
    [{ scaling: NaN }, 'polyakSgd', 'scaling'],
    [{ maxLearningRate: -1 }, 'scaleByPolyak', 'maxLearningRate'],
    [{ eps: -1 }, 'scaleByPolyak', 'eps'],
    [{ variant: 'x' as 'sps' }, 'scaleByPolyak', 'variant'],
    [{ learningRate: 1 } as PolyakSgdOptions, 'polyakSgd', 'learningRate'],
  ];
  it.each(bad)('rejects %o (%s: %s)', (options, owner, parameter) => {
    let error: unknown;
    try {
      polyakSgd(options);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(HyperparameterError);
    expect((error as HyperparameterError).owner).toBe(owner);
    expect((error as HyperparameterError).parameter).toBe(parameter);
  });
});
