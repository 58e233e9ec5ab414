/**
 * signSgd: -η·sign(g) for 3 steps (float32 and float64), optax's published doctest values,
 * validation, convergence on optax's alias_test parabola.
 */
import { describe, expect, it } from 'vitest';
import { HyperparameterError } from '../../src/errors.js';
import { type SignSgdOptions, signSgd } from '../../src/optimizers/signSgd.js';
import { compiledDifference } from '../combine/compileCheck.js';
import { DTYPES, expectClose, GRADS, mixedDtypeInputs } from '../transforms/adaptiveSupport.js';
import { doctest, expectConverges } from '../helpers/convergence.js';

describe('signSgd', () => {
  for (const dt of DTYPES) {
    it(`takes -η_t·sign(g) for 3 steps with a schedule (${dt.name})`, () => {
      const rate = (count: number): number => 0.1 / (1 + count);
      const opt = signSgd({ learningRate: rate });
      let state = opt.init({ w: dt.make(GRADS[0]?.map(() => 0) ?? []) });
      GRADS.forEach((g, k) => {
        const [u, next] = opt.update({ w: dt.make(g) }, state);
        expectClose(u.w, g.map((gi) => dt.round(-rate(k) * Math.sign(dt.round(gi)))), dt.rtol, `step ${String(k + 1)}`);
        state = next;
      });
    });
  }

  it('matches optax\'s doctest: sign_sgd(0.003) on Σx² from [1, 2, 3]', () => {
    expect(doctest(signSgd({ learningRate: 0.003 }))).toEqual(['1.40e+1', '1.39e+1', '1.39e+1', '1.39e+1', '1.38e+1']);
  });

  it('converges on optax\'s parabola at optax\'s learning rate 0.1', () => {
    // optax's alias_test skips Rosenbrock for sign_sgd ("requires learning rate scheduling"):
    // sign steps move both coordinates by ±η and stall in the curved valley.
    expectConverges(signSgd({ learningRate: 0.1 }), 'parabola', 2000);
  });

  it('rejects bad options, naming them', () => {
    expect(() => signSgd({ learningRate: -0.1 })).toThrow(/^scaleByLearningRate: learningRate must be/);
    expect(() => signSgd({ learningRate: 0.1, momentum: 0.9 } as SignSgdOptions)).toThrow(HyperparameterError);
    expect(() => signSgd({ learningRate: 0.1, momentum: 0.9 } as SignSgdOptions)).toThrow(/^signSgd: momentum must be one of the options learningRate/);
  });

  it('records its spec and compiles to the reference\'s numbers', () => {
    expect(signSgd({ learningRate: 0.01 }).spec).toEqual({ op: 'signSgd', learningRate: 0.01 });
    const { params, grads } = mixedDtypeInputs();
    expect(compiledDifference(signSgd({ learningRate: 0.05 }), params, grads)).toBeUndefined();
  });
});
