/**
 * novograd: the chain against plain float64 JavaScript from optax's formula for 3 steps
 * (float32 and float64, two leaves), optax's published doctest values, validation,
 * convergence on optax's alias_test parabola and Rosenbrock.
 */
import { describe, expect, it } from 'vitest';
import { MissingParamsError } from '../../src/errors.js';
import { novograd } from '../../src/optimizers/novograd.js';
import { applyUpdates } from '../../src/update.js';
import { compiledDifference } from '../combine/compileCheck.js';
import { DTYPES, expectClose, expectRejects, TREE_GRADS } from '../transforms/adaptiveSupport.js';
import { doctest, expectConverges } from '../helpers/convergence.js';

describe('novograd', () => {
  for (const dt of DTYPES) {
    it(`takes -η·μ with a per-leaf second moment for 3 steps (weightDecay 0.1, ${dt.name})`, () => {
      const [eta, b1, b2, eps, wd] = [0.1, 0.9, 0.25, 1e-6, 0.1];
      const opt = novograd({ learningRate: eta, weightDecay: wd });
      let params = { a: dt.make([1, -2, 0.5]), b: dt.make([0, 3]) };
      let state = opt.init(params);
      const ref = { a: { nu: 0, mu: [0, 0, 0] }, b: { nu: 0, mu: [0, 0] } };
      TREE_GRADS.forEach((raw, k) => {
        const [u, next] = opt.update({ a: dt.make(raw.a), b: dt.make(raw.b) }, state, params);
        for (const leaf of ['a', 'b'] as const) {
          const g = raw[leaf].map(dt.round);
          const p = Array.from(params[leaf]);
          const r = ref[leaf];
          const normSquared = Math.sqrt(g.reduce((s, v) => s + v * v, 0)) ** 2;
          const nu = k === 0 ? normSquared : b2 * r.nu + (1 - b2) * normSquared;
          const a = g.map((gi, i) => gi / (Math.sqrt(nu) + eps) + wd * (p[i] as number));
          const mu = (k === 0 ? a : a.map((ai, i) => b1 * (r.mu[i] as number) + ai)).map(dt.round);
          expectClose(u[leaf], mu.map((m) => dt.round(-eta * m)), dt.rtol, `${leaf} step ${String(k + 1)}`);
          ref[leaf] = { nu: dt.round(nu), mu };
        }
        params = applyUpdates(params, u);
        state = next;
      });
    });
  }

  it('matches optax\'s doctest: novograd(0.003) on Σx² from [1, 2, 3]', () => {
    expect(doctest(novograd({ learningRate: 0.003 }))).toEqual(['1.40e+1', '1.39e+1', '1.39e+1', '1.38e+1', '1.37e+1']);
  });

  it('needs params (as optax)', () => {
    const opt = novograd({ learningRate: 0.1 });
    const g = { w: Float64Array.from([1]) };
    expect(() => opt.update(g, opt.init(g))).toThrow(MissingParamsError);
  });

  it('converges on optax\'s parabola and Rosenbrock at optax\'s learning rate 1e-3', () => {
    const opt = novograd({ learningRate: 1e-3 });
    expectConverges(opt, 'parabola', 2000);
    expectConverges(opt, 'rosenbrock', 2000);
  });

  it('rejects bad options, naming them', () => {
    const cases: readonly [Record<string, unknown>, RegExp][] = [
      [{ learningRate: -1 }, /^scaleByLearningRate: learningRate must be/],
      [{ learningRate: 0.1, b1: 2 }, /^scaleByNovograd: b1 must be/],
      [{ learningRate: 0.1, eps: -1 }, /^scaleByNovograd: eps must be/],
      [{ learningRate: 0.1, weightDecay: Number.NaN }, /^scaleByNovograd: weightDecay must be/],
      [{ learningRate: 0.1, mask: true }, /^novograd: mask must be one of the options/],
    ];
    expectRejects(novograd, cases);
  });

  it('records optax\'s defaults (eps 1e-6) in its spec and compiles to the reference\'s numbers', () => {
    expect(novograd({ learningRate: 0.01 }).spec).toEqual({ op: 'novograd', learningRate: 0.01, b1: 0.9, b2: 0.25, eps: 1e-6, epsRoot: 0, weightDecay: 0 });
    const params = { a: Float32Array.from([1, -2, 3]), b: Float64Array.from([0.5, 0, -1]) };
    const grads = TREE_GRADS.map((g) => ({ a: Float32Array.from(g.a), b: Float64Array.from([...g.b, 1]) }));
    expect(compiledDifference(novograd({ learningRate: 0.05, weightDecay: 0.01 }), params, grads)).toBeUndefined();
  });
});
