/**
 * yogi: the chain against plain float64 JavaScript from optax's formula for 3 steps (float32
 * and float64), optax's published doctest values, validation, convergence on optax's
 * alias_test parabola and Rosenbrock.
 */
import { describe, expect, it } from 'vitest';
import { yogi } from '../../src/optimizers/yogi.js';
import { compiledDifference } from '../combine/compileCheck.js';
import { DTYPES, expectClose, expectRejects, GRADS, mixedDtypeInputs } from '../transforms/adaptiveSupport.js';
import { doctest, expectConverges } from '../helpers/convergence.js';

describe('yogi', () => {
  for (const dt of DTYPES) {
    it(`takes -η·m̂/(√v̂ + ε) with Yogi's additive second moment for 3 steps (${dt.name})`, () => {
      const [eta, b1, b2, eps] = [0.05, 0.9, 0.999, 1e-3];
      const opt = yogi({ learningRate: eta });
      const n = GRADS[0]?.length ?? 0;
      let mu = new Array<number>(n).fill(dt.round(1e-6));
      let nu = new Array<number>(n).fill(dt.round(1e-6));
      let state = opt.init({ w: dt.make(new Array<number>(n).fill(0)) });
      GRADS.forEach((raw, k) => {
        const t = k + 1;
        const g = raw.map(dt.round);
        const muNew = g.map((gi, i) => b1 * (mu[i] as number) + (1 - b1) * gi);
        const nuNew = g.map((gi, i) => (nu[i] as number) - (1 - b2) * Math.sign((nu[i] as number) - gi * gi) * gi * gi);
        const expected = g.map((_, i) => dt.round(-eta * dt.round((muNew[i] as number) / (1 - b1 ** t) / (Math.sqrt((nuNew[i] as number) / (1 - b2 ** t)) + eps))));
        const [u, next] = opt.update({ w: dt.make(raw) }, state);
        expectClose(u.w, expected, dt.rtol, `step ${String(k + 1)}`);
        mu = muNew.map(dt.round);
        nu = nuNew.map(dt.round);
        state = next;
      });
    });
  }

  it('matches optax\'s doctest: yogi(0.002) on Σx² from [1, 2, 3]', () => {
    expect(doctest(yogi({ learningRate: 0.002 }))).toEqual(['1.40e+1', '1.40e+1', '1.39e+1', '1.39e+1', '1.39e+1']);
  });

  it('converges on optax\'s parabola and Rosenbrock at optax\'s learning rate 0.1', () => {
    const opt = yogi({ learningRate: 0.1 });
    expectConverges(opt, 'parabola', 2000);
    expectConverges(opt, 'rosenbrock', 2000);
  });

  it('rejects bad options, naming them', () => {
    const cases: readonly [Record<string, unknown>, RegExp][] = [
      [{ learningRate: -1 }, /^scaleByLearningRate: learningRate must be/],
      [{ learningRate: 0.1, b2: 1 }, /^scaleByYogi: b2 must be/],
      [{ learningRate: 0.1, eps: Number.NaN }, /^scaleByYogi: eps must be/],
      [{ learningRate: 0.1, initialAccumulatorValue: 0 }, /^scaleByYogi: initialAccumulatorValue must be/],
      [{ learningRate: 0.1, weightDecay: 0.1 }, /^yogi: weightDecay must be one of the options/],
    ];
    expectRejects(yogi, cases);
  });

  it('records optax\'s defaults in its spec and compiles to the reference\'s numbers', () => {
    expect(yogi({ learningRate: 0.01 }).spec).toEqual({ op: 'yogi', learningRate: 0.01, b1: 0.9, b2: 0.999, eps: 1e-3, epsRoot: 0, initialAccumulatorValue: 1e-6 });
    const { params, grads } = mixedDtypeInputs();
    expect(compiledDifference(yogi({ learningRate: (c) => 0.1 / (1 + c) }), params, grads)).toBeUndefined();
  });
});
