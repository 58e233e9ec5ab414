/**
 * adan: the chain against plain float64 JavaScript from optax's formula for 3 steps (float32
 * and float64), optax's published doctest values, weight decay, validation, convergence on
 * optax's alias_test parabola and Rosenbrock.
 */
import { describe, expect, it } from 'vitest';
import { adan } from '../../src/optimizers/adan.js';
import { applyUpdates } from '../../src/update.js';
import { compiledDifference } from '../combine/compileCheck.js';
import { DTYPES, expectClose, expectMaskedDecay, expectRejects, GRADS, mixedDtypeInputs } from '../transforms/adaptiveSupport.js';
import { doctest, expectConverges } from '../helpers/convergence.js';

describe('adan', () => {
  for (const dt of DTYPES) {
    for (const wd of [0, 0.02]) {
      it(`takes -η((m̂ + (1-β₂)v̂)/(√(n̂ + ε_root) + ε) + λp) for 3 steps (weightDecay ${String(wd)}, ${dt.name})`, () => {
        const [eta, b1, b2, b3, eps, epsRoot] = [0.1, 0.98, 0.92, 0.99, 1e-8, 1e-8];
        const opt = adan({ learningRate: eta, weightDecay: wd });
        const size = GRADS[0]?.length ?? 0;
        let params = { w: dt.make(GRADS[0]?.map((_, i) => 1 - i) ?? []) };
        let state = opt.init(params);
        let m = new Array<number>(size).fill(0);
        let v = new Array<number>(size).fill(0);
        let n = new Array<number>(size).fill(0);
        let prev = new Array<number>(size).fill(0);
        GRADS.forEach((raw, k) => {
          const t = k + 1;
          const g = raw.map(dt.round);
          const d = g.map((gi, i) => (t === 1 ? 0 : gi - (prev[i] as number)));
          const mNew = g.map((gi, i) => b1 * (m[i] as number) + (1 - b1) * gi);
          const vNew = d.map((di, i) => b2 * (v[i] as number) + (1 - b2) * di);
          const nNew = g.map((gi, i) => b3 * (n[i] as number) + (1 - b3) * (gi + (1 - b2) * (d[i] as number)) ** 2);
          const direction = g.map((_, i) =>
            dt.round(((mNew[i] as number) / (1 - b1 ** t) + ((1 - b2) * (vNew[i] as number)) / (1 - b2 ** t)) / (Math.sqrt((nNew[i] as number) / (1 - b3 ** t) + epsRoot) + eps)),
          );
          const expected = direction.map((x, i) => dt.round(-eta * (wd === 0 ? x : dt.round(x + wd * (params.w[i] as number)))));
          const [u, next] = opt.update({ w: dt.make(raw) }, state, params);
          expectClose(u.w, expected, dt.rtol, `step ${String(k + 1)}`);
          [m, v, n, prev] = [mNew.map(dt.round), vNew.map(dt.round), nNew.map(dt.round), g];
          params = applyUpdates(params, u);
          state = next;
        });
      });
    }
  }

  it('matches optax\'s doctest: adan(0.1) on x·x from [1, 2, 3]', () => {
    expect(doctest(adan({ learningRate: 0.1 }))).toEqual(['1.28e+1', '1.17e+1', '1.07e+1', '9.68e+0', '8.76e+0']);
  });

  it('needs params only with weight decay, which it applies to the masked leaves only', () => {
    expectMaskedDecay(adan({ learningRate: 0.1 }), adan({ learningRate: 1, weightDecay: 0.5, mask: { a: true, b: false } }));
  });

  it('converges on optax\'s parabola and Rosenbrock at optax\'s learning rate 0.1', () => {
    const opt = adan({ learningRate: 0.1 });
    expectConverges(opt, 'parabola', 2000);
    expectConverges(opt, 'rosenbrock', 2000);
  });

  it('rejects bad options, naming them', () => {
    const cases: readonly [Record<string, unknown>, RegExp][] = [
      [{ learningRate: -1 }, /^scaleByLearningRate: learningRate must be/],
      [{ learningRate: 0.1, b3: 1 }, /^scaleByAdan: b3 must be/],
      [{ learningRate: 0.1, epsRoot: -1 }, /^scaleByAdan: epsRoot must be/],
      [{ learningRate: 0.1, weightDecay: -1 }, /^addDecayedWeights: weightDecay must be/],
      [{ learningRate: 0.1, weightDecayMask: true }, /^adan: weightDecayMask must be one of the options/],
    ];
    expectRejects(adan, cases);
  });

  it('records optax\'s defaults (epsRoot 1e-8) in its spec and compiles to the reference\'s numbers', () => {
    expect(adan({ learningRate: 0.01 }).spec).toEqual({ op: 'adan', learningRate: 0.01, b1: 0.98, b2: 0.92, b3: 0.99, eps: 1e-8, epsRoot: 1e-8, weightDecay: 0 });
    const { params, grads } = mixedDtypeInputs();
    expect(compiledDifference(adan({ learningRate: 0.05, weightDecay: 0.01 }), params, grads)).toBeUndefined();
  });
});
