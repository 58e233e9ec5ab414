/**
 * adabelief: the chain against plain float64 JavaScript from optax's formula for 3 steps
 * (float32 and float64), optax's published doctest values, weight decay, validation,
 * convergence on optax's alias_test parabola and Rosenbrock.
 */
import { describe, expect, it } from 'vitest';
import { adabelief } from '../../src/optimizers/adabelief.js';
import { compiledDifference } from '../combine/compileCheck.js';
import { type DtypeCase, DTYPES, expectClose, expectMaskedDecay, expectRejects, GRADS, mixedDtypeInputs } from '../transforms/adaptiveSupport.js';
import { doctest, expectConverges } from '../helpers/convergence.js';

/** AdaBelief's direction for 3 steps (optax's `scale_by_belief`), rounded as stored. */
function refBeliefDirections(b1: number, b2: number, eps: number, epsRoot: number, dt: DtypeCase): number[][] {
  const n = GRADS[0]?.length ?? 0;
  let mu = new Array<number>(n).fill(0);
  let nu = new Array<number>(n).fill(0);
  return GRADS.map((raw, k) => {
    const t = k + 1;
    const g = raw.map(dt.round);
    const muNew = g.map((gi, i) => b1 * (mu[i] as number) + (1 - b1) * gi);
    const nuNew = g.map((gi, i) => b2 * (nu[i] as number) + (1 - b2) * (gi - (muNew[i] as number)) ** 2 + epsRoot);
    const d = g.map((_, i) => dt.round((muNew[i] as number) / (1 - b1 ** t) / (Math.sqrt((nuNew[i] as number) / (1 - b2 ** t)) + eps)));
    mu = muNew.map(dt.round);
    nu = nuNew.map(dt.round);
    return d;
  });
}

describe('adabelief', () => {
  for (const dt of DTYPES) {
    for (const wd of [0, 0.05]) {
      it(`takes -η(m̂/(√ŝ + ε) + λp) for 3 steps (weightDecay ${String(wd)}, ${dt.name})`, () => {
        const eta = 0.01;
        const opt = adabelief({ learningRate: eta, weightDecay: wd });
        const params = { w: dt.make(GRADS[0]?.map((_, i) => i - 2) ?? []) };
        let state = opt.init(params);
        const directions = refBeliefDirections(0.9, 0.999, 1e-16, 1e-16, dt);
        GRADS.forEach((g, k) => {
          const [u, next] = opt.update({ w: dt.make(g) }, state, params);
          const expected = (directions[k] ?? []).map((d, i) => dt.round(-eta * (wd === 0 ? d : dt.round(d + wd * (params.w[i] as number)))));
          expectClose(u.w, expected, dt.rtol, `step ${String(k + 1)}`);
          state = next;
        });
      });
    }
  }

  it('matches optax\'s doctest: adabelief(0.003) on Σx² from [1, 2, 3]', () => {
    expect(doctest(adabelief({ learningRate: 0.003 }))).toEqual(['1.40e+1', '1.39e+1', '1.39e+1', '1.38e+1', '1.38e+1']);
  });

  it('needs params only with weight decay, which it applies to the masked leaves only', () => {
    expectMaskedDecay(adabelief({ learningRate: 0.1 }), adabelief({ learningRate: 1, weightDecay: 0.5, weightDecayMask: { a: true, b: false } }));
  });

  it('converges on optax\'s parabola and Rosenbrock at optax\'s learning rate 1e-2', () => {
    const opt = adabelief({ learningRate: 1e-2 });
    expectConverges(opt, 'parabola', 2000);
    expectConverges(opt, 'rosenbrock', 2000);
  });

  it('rejects bad options, naming them', () => {
    const cases: readonly [Record<string, unknown>, RegExp][] = [
      [{ learningRate: -1 }, /^scaleByLearningRate: learningRate must be/],
      [{ learningRate: 0.1, b1: 1 }, /^scaleByBelief: b1 must be/],
      [{ learningRate: 0.1, epsRoot: -1 }, /^scaleByBelief: epsRoot must be/],
      [{ learningRate: 0.1, weightDecay: -1 }, /^addDecayedWeights: weightDecay must be/],
      [{ learningRate: 0.1, mask: true }, /^adabelief: mask must be one of the options/],
    ];
    expectRejects(adabelief, cases);
  });

  it('records optax\'s defaults in its spec and compiles to the reference\'s numbers', () => {
    expect(adabelief({ learningRate: 0.01 }).spec).toEqual({ op: 'adabelief', learningRate: 0.01, b1: 0.9, b2: 0.999, eps: 1e-16, epsRoot: 1e-16, nesterov: false, weightDecay: 0 });
    const { params, grads } = mixedDtypeInputs();
    expect(compiledDifference(adabelief({ learningRate: 0.05, weightDecay: 0.01, nesterov: true }), params, grads)).toBeUndefined();
  });
});
