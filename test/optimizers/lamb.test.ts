/**
 * lamb: the chain against plain float64 JavaScript from optax's formula for 3 steps (float32
 * and float64, two leaves), optax's published doctest values, masks, validation, convergence
 * on optax's alias_test parabola and Rosenbrock.
 */
import { describe, expect, it } from 'vitest';
import { MissingParamsError } from '../../src/errors.js';
import { lamb } from '../../src/optimizers/lamb.js';
import type { FloatArray } from '../../src/tree/leaf.js';
import { applyUpdates } from '../../src/update.js';
import { compiledDifference } from '../combine/compileCheck.js';
import { type DtypeCase, DTYPES, expectClose, expectRejects, TREE_GRADS } from '../transforms/adaptiveSupport.js';
import { doctest, expectConverges } from '../helpers/convergence.js';

/** One LAMB step over a tree of leaves, written from optax's chain. */
function refLambStep(
  o: { lr: number; b1: number; b2: number; eps: number; epsRoot: number; wd: number },
  t: number,
  leaves: { p: number[]; g: number[]; mu: number[]; nu: number[] }[],
  dt: DtypeCase,
): { u: number[]; mu: number[]; nu: number[] }[] {
  return leaves.map(({ p, g, mu, nu }) => {
    const muNew = g.map((gi, i) => o.b1 * (mu[i] as number) + (1 - o.b1) * gi);
    const nuNew = g.map((gi, i) => o.b2 * (nu[i] as number) + (1 - o.b2) * gi * gi);
    const adamOut = g.map((_, i) => dt.round(((muNew[i] as number) / (1 - o.b1 ** t)) / (Math.sqrt((nuNew[i] as number) / (1 - o.b2 ** t) + o.epsRoot) + o.eps)));
    const decayed = adamOut.map((a, i) => dt.round(a + o.wd * (p[i] as number)));
    const pn = Math.sqrt(p.reduce((s, v) => s + v * v, 0));
    const an = Math.sqrt(decayed.reduce((s, v) => s + v * v, 0));
    const ratio = pn === 0 || an === 0 ? 1 : pn / an;
    const trusted = decayed.map((a) => dt.round(a * ratio));
    return { u: trusted.map((a) => dt.round(-o.lr * a)), mu: muNew.map(dt.round), nu: nuNew.map(dt.round) };
  });
}

describe('lamb', () => {
  for (const dt of DTYPES) {
    for (const wd of [0, 0.1]) {
      it(`takes LAMB steps for 3 steps, per leaf (weightDecay ${String(wd)}, ${dt.name})`, () => {
        const o = { lr: 0.1, b1: 0.9, b2: 0.999, eps: 1e-6, epsRoot: 0, wd };
        const opt = lamb({ learningRate: o.lr, weightDecay: wd });
        let params = { a: dt.make([1, -2, 0.5]), b: dt.make([0, 0]) };
        let state = opt.init(params);
        let ref = { a: { mu: [0, 0, 0], nu: [0, 0, 0] }, b: { mu: [0, 0], nu: [0, 0] } };
        TREE_GRADS.forEach((raw, k) => {
          const g = { a: raw.a.map(dt.round), b: raw.b.map(dt.round) };
          const [ra, rb] = refLambStep(o, k + 1, [
            { p: Array.from(params.a), g: g.a, ...ref.a },
            { p: Array.from(params.b), g: g.b, ...ref.b },
          ], dt) as [{ u: number[]; mu: number[]; nu: number[] }, { u: number[]; mu: number[]; nu: number[] }];
          const [u, next] = opt.update({ a: dt.make(g.a), b: dt.make(g.b) }, state, params);
          expectClose(u.a, ra.u, dt.rtol, `a step ${String(k + 1)}`);
          expectClose(u.b, rb.u, dt.rtol, `b step ${String(k + 1)}`);
          expectClose((next[0].mu as Record<string, FloatArray>).a ?? [], ra.mu, dt.rtol, 'mu');
          params = applyUpdates(params, u);
          state = next;
          ref = { a: { mu: ra.mu, nu: ra.nu }, b: { mu: rb.mu, nu: rb.nu } };
        });
      });
    }
  }

  it('moves a zero leaf by the plain Adam step (trust ratio 1) and others by η·‖p‖', () => {
    const opt = lamb({ learningRate: 0.1 });
    const params = { zero: Float64Array.from([0, 0]), w: Float64Array.from([3, 4]) };
    const [u] = opt.update({ zero: Float64Array.from([1, -1]), w: Float64Array.from([1, 0]) }, opt.init(params), params);
    // First Adam step ≈ sign(g) (eps 1e-6 aside).
    expect(u.zero[0]).toBeCloseTo(-0.1, 6);
    expect(u.zero[1]).toBeCloseTo(0.1, 6);
    // ‖a‖ ≈ 1, so the step has norm η·‖p‖ = 0.5.
    expect(Math.hypot(u.w[0] as number, u.w[1] as number)).toBeCloseTo(0.5, 12);
  });

  it('matches optax\'s doctest: lamb(0.003) on Σx² from [1, 2, 3]', () => {
    expect(doctest(lamb({ learningRate: 0.003 }))).toEqual(['1.39e+1', '1.38e+1', '1.38e+1', '1.37e+1', '1.36e+1']);
  });

  it('decays only the leaves of the mask', () => {
    const opt = lamb({ learningRate: 1, weightDecay: 1, mask: { a: true, b: false } });
    const params = { a: Float64Array.from([2, 0]), b: Float64Array.from([2, 0]) };
    const [u] = opt.update({ a: Float64Array.from([0, 0]), b: Float64Array.from([0, 0]) }, opt.init(params), params);
    // a: Adam gives 0, decay gives λp = [2, 0], ratio ‖p‖/‖λp‖ = 1 → -[2, 0]; b: nothing.
    expect(Array.from(u.a)).toEqual([-2, -0]);
    expect(Array.from(u.b)).toEqual([-0, -0]);
  });

  it('needs params', () => {
    const opt = lamb({ learningRate: 0.1 });
    const g = { w: Float64Array.from([1]) };
    expect(() => opt.update(g, opt.init(g))).toThrow(MissingParamsError);
  });

  it('converges on optax\'s parabola and Rosenbrock at optax\'s learning rate 1e-3', () => {
    const opt = lamb({ learningRate: 1e-3 });
    expectConverges(opt, 'parabola', 5000);
    expectConverges(opt, 'rosenbrock', 10000);
  });

  it('rejects bad options, naming them', () => {
    const cases: readonly [Record<string, unknown>, RegExp][] = [
      [{ learningRate: -1 }, /^scaleByLearningRate: learningRate must be/],
      [{ learningRate: 0.1, b1: 1 }, /^scaleByAdam: b1 must be/],
      [{ learningRate: 0.1, eps: -1 }, /^scaleByAdam: eps must be/],
      [{ learningRate: 0.1, weightDecay: -1 }, /^addDecayedWeights: weightDecay must be/],
      [{ learningRate: 0.1, mask: 7 }, /^addDecayedWeights: mask must be/],
      [{ learningRate: 0.1, nesterov: true }, /^lamb: nesterov must be one of the options/],
    ];
    expectRejects(lamb, cases);
  });

  it('records optax\'s defaults in its spec and compiles to the reference\'s numbers', () => {
    expect(lamb({ learningRate: 0.01 }).spec).toEqual({ op: 'lamb', learningRate: 0.01, b1: 0.9, b2: 0.999, eps: 1e-6, epsRoot: 0, weightDecay: 0 });
    const params = { a: Float32Array.from([1, -2, 3]), b: Float64Array.from([0.5, 0, -1]) };
    const grads = TREE_GRADS.map((g) => ({ a: Float32Array.from(g.a), b: Float64Array.from([...g.b, 1]) }));
    expect(compiledDifference(lamb({ learningRate: 0.05, weightDecay: 0.01, mask: { a: false, b: true } }), params, grads)).toBeUndefined();
  });
});
