/**
 * optimisticGradientDescent: -η((α+β)g_t - βg_{t-1}) for 3 steps (float32 and float64),
 * optax's test and doctest values, a bilinear min-max game, validation, convergence on
 * optax's alias_test parabola and Rosenbrock.
 */
import { describe, expect, it } from 'vitest';
import { optimisticGradientDescent } from '../../src/optimizers/optimisticGradientDescent.js';
import { applyUpdates } from '../../src/update.js';
import { compiledDifference } from '../combine/compileCheck.js';
import { DTYPES, expectClose, expectRejects, GRADS, mixedDtypeInputs } from '../transforms/adaptiveSupport.js';
import { doctest, expectConverges } from '../helpers/convergence.js';

describe('optimisticGradientDescent', () => {
  for (const dt of DTYPES) {
    it(`takes -η((α + β)g_t - βg_{t-1}) for 3 steps (α 0.7, β 0.1, ${dt.name})`, () => {
      const [eta, alpha, beta] = [0.05, 0.7, 0.1];
      const opt = optimisticGradientDescent({ learningRate: eta, alpha, beta });
      let state = opt.init({ w: dt.make(GRADS[0]?.map(() => 0) ?? []) });
      let prev: number[] | undefined;
      GRADS.forEach((raw, k) => {
        const g = raw.map(dt.round);
        const before = prev ?? g;
        const expected = g.map((gi, i) => dt.round(-eta * dt.round((alpha + beta) * gi - beta * (before[i] as number))));
        const [u, next] = opt.update({ w: dt.make(raw) }, state);
        expectClose(u.w, expected, dt.rtol, `step ${String(k + 1)}`);
        prev = g;
        state = next;
      });
    });
  }

  it('gives optax\'s values -η·(2, 4, 5) for gradients 2, 3, 4 with α = β = 1', () => {
    const opt = optimisticGradientDescent({ learningRate: 0.5 });
    let state = opt.init({ w: new Float64Array(1) });
    const out: number[] = [];
    for (const g of [2, 3, 4]) {
      const [u, next] = opt.update({ w: Float64Array.from([g]) }, state);
      out.push(u.w[0] as number);
      state = next;
    }
    expect(out).toEqual([-1, -2, -2.5]);
  });

  it('matches optax\'s doctest: optimistic_gradient_descent(0.003) on Σx² from [1, 2, 3]', () => {
    expect(doctest(optimisticGradientDescent({ learningRate: 0.003 }))).toEqual(['1.38e+1', '1.37e+1', '1.35e+1', '1.33e+1', '1.32e+1']);
  });

  it('converges in the last iterate on the bilinear game min_x max_y x·y, where gradient descent-ascent spirals out', () => {
    const play = (alpha: number, beta: number): number => {
      const opt = optimisticGradientDescent({ learningRate: 0.1, alpha, beta });
      let params = { x: Float64Array.from([1]), y: Float64Array.from([1]) };
      let state = opt.init(params);
      for (let i = 0; i < 2000; i++) {
        // descent on x (∂/∂x = y), ascent on y (-∂/∂y = -x)
        const [u, s] = opt.update({ x: Float64Array.from([params.y[0] as number]), y: Float64Array.from([-(params.x[0] as number)]) }, state, params);
        params = applyUpdates(params, u);
        state = s;
      }
      return Math.hypot(params.x[0] as number, params.y[0] as number);
    };
    expect(play(1, 1)).toBeLessThan(1e-3);
    expect(play(1, 0)).toBeGreaterThan(10); // β = 0 is plain simultaneous gradient descent-ascent
  });

  it('converges on optax\'s parabola and Rosenbrock at optax\'s settings (η 2e-3, α 0.7, β 0.1)', () => {
    const opt = optimisticGradientDescent({ learningRate: 2e-3, alpha: 0.7, beta: 0.1 });
    expectConverges(opt, 'parabola', 5000);
    expectConverges(opt, 'rosenbrock', 10000);
  });

  it('rejects bad options, naming them', () => {
    const cases: readonly [Record<string, unknown>, RegExp][] = [
      [{ learningRate: -1 }, /^scaleByLearningRate: learningRate must be/],
      [{ learningRate: 0.1, alpha: Number.NaN }, /^scaleByOptimisticGradient: alpha must be/],
      [{ learningRate: 0.1, beta: Number.POSITIVE_INFINITY }, /^scaleByOptimisticGradient: beta must be/],
      [{ learningRate: 0.1, optimism: 1 }, /^optimisticGradientDescent: optimism must be one of the options/],
    ];
    expectRejects(optimisticGradientDescent, cases);
  });

  it('records optax\'s defaults in its spec and compiles to the reference\'s numbers', () => {
    expect(optimisticGradientDescent({ learningRate: 0.01 }).spec).toEqual({ op: 'optimisticGradientDescent', learningRate: 0.01, alpha: 1, beta: 1 });
    const { params, grads } = mixedDtypeInputs();
    expect(compiledDifference(optimisticGradientDescent({ learningRate: 0.05, alpha: 0.7, beta: 0.1 }), params, grads)).toBeUndefined();
  });
});
