/**
 * lars: the chain against plain float64 JavaScript from optax's formula for 3 steps (float32
 * and float64, two leaves), optax's published doctest values, masks, validation, convergence
 * on optax's alias_test parabola and Rosenbrock.
 */
import { describe, expect, it } from 'vitest';
import { MissingParamsError } from '../../src/errors.js';
import { type LarsOptions, lars } from '../../src/optimizers/lars.js';
import type { FloatArray } from '../../src/tree/leaf.js';
import { applyUpdates } from '../../src/update.js';
import { compiledDifference } from '../combine/compileCheck.js';
import { type DtypeCase, DTYPES, expectClose, expectRejects, TREE_GRADS } from '../transforms/adaptiveSupport.js';
import { doctest, expectConverges } from '../helpers/convergence.js';

interface LarsRef {
  readonly lr: number;
  readonly wd: number;
  readonly tc: number;
  readonly eps: number;
  readonly momentum: number;
  readonly nesterov: boolean;
}

/** One LARS step on one leaf (optax's chain), given whether the decay and the trust ratio apply. */
function refLarsLeaf(o: LarsRef, p: readonly number[], g: readonly number[], trace: readonly number[], decay: boolean, trust: boolean, dt: DtypeCase) {
  const a = decay ? g.map((gi, i) => dt.round(gi + o.wd * (p[i] as number))) : [...g];
  const pn = Math.sqrt(p.reduce((s, v) => s + v * v, 0));
  const an = Math.sqrt(a.reduce((s, v) => s + v * v, 0));
  const ratio = !trust || pn === 0 || an === 0 ? 1 : (o.tc * pn) / (an + o.eps);
  const scaled = a.map((v) => dt.round(-o.lr * dt.round(v * ratio)));
  const tr = scaled.map((v, i) => dt.round(o.momentum * (trace[i] as number) + v));
  const u = o.nesterov ? scaled.map((v, i) => dt.round(v + o.momentum * (tr[i] as number))) : tr;
  return { u, tr };
}

describe('lars', () => {
  const variants: readonly [string, Omit<LarsOptions, 'learningRate'>, LarsRef, { decay: [boolean, boolean]; trust: [boolean, boolean] }][] = [
    ['defaults', {}, { lr: 0.5, wd: 0, tc: 0.001, eps: 0, momentum: 0.9, nesterov: false }, { decay: [false, false], trust: [true, true] }],
    [
      'wd 0.1 on b, trust ratio on a, c 0.1, eps 1e-3, nesterov, momentum 0.5',
      { weightDecay: 0.1, weightDecayMask: { a: false, b: true }, trustRatioMask: { a: true, b: false }, trustCoefficient: 0.1, eps: 1e-3, nesterov: true, momentum: 0.5 },
      { lr: 0.5, wd: 0.1, tc: 0.1, eps: 1e-3, momentum: 0.5, nesterov: true },
      { decay: [false, true], trust: [true, false] },
    ],
  ];
  for (const dt of DTYPES) {
    for (const [name, options, o, masks] of variants) {
      it(`takes LARS steps for 3 steps, per leaf (${name}, ${dt.name})`, () => {
        const opt = lars({ learningRate: o.lr, ...options });
        let params = { a: dt.make([1, -2, 0.5]), b: dt.make([0.25, 3]) };
        let state = opt.init(params);
        let traces = { a: [0, 0, 0], b: [0, 0] };
        for (const [k, raw] of TREE_GRADS.entries()) {
          const g = { a: raw.a.map(dt.round), b: raw.b.map(dt.round) };
          const ra = refLarsLeaf(o, Array.from(params.a), g.a, traces.a, masks.decay[0], masks.trust[0], dt);
          const rb = refLarsLeaf(o, Array.from(params.b), g.b, traces.b, masks.decay[1], masks.trust[1], dt);
          const [u, next] = opt.update({ a: dt.make(g.a), b: dt.make(g.b) }, state, params);
          expectClose(u.a, ra.u, dt.rtol, `a step ${String(k + 1)}`);
          expectClose(u.b, rb.u, dt.rtol, `b step ${String(k + 1)}`);
          expectClose((next[3].trace as Record<string, FloatArray>).a ?? [], ra.tr, dt.rtol, 'trace');
          params = applyUpdates(params, u);
          state = next;
          traces = { a: ra.tr, b: rb.tr };
        }
      });
    }
  }

  it('moves each leaf by η·c·‖p‖ on the first step (no momentum yet)', () => {
    const opt = lars({ learningRate: 2 });
    const params = { w: Float64Array.from([30, 40]) };
    const [u] = opt.update({ w: Float64Array.from([0, -1e-3]) }, opt.init(params), params);
    expect(Array.from(u.w)).toEqual([0, 2 * 0.001 * 50]);
  });

  it('matches optax\'s doctest: lars(0.003) on Σx² from [1, 2, 3]', () => {
    expect(doctest(lars({ learningRate: 0.003 }))).toEqual(['1.40e+1', '1.40e+1', '1.40e+1', '1.40e+1', '1.40e+1']);
  });

  it('needs params', () => {
    const opt = lars({ learningRate: 0.1 });
    const g = { w: Float64Array.from([1]) };
    expect(() => opt.update(g, opt.init(g))).toThrow(MissingParamsError);
  });

  it('converges on optax\'s parabola and Rosenbrock at optax\'s learning rate 1', () => {
    const opt = lars({ learningRate: 1 });
    expectConverges(opt, 'parabola', 5000);
    expectConverges(opt, 'rosenbrock', 5000);
  });

  it('rejects bad options, naming them', () => {
    const cases: readonly [Record<string, unknown>, RegExp][] = [
      [{ learningRate: Number.NaN }, /^scaleByLearningRate: learningRate must be/],
      [{ learningRate: 0.1, weightDecay: -1 }, /^addDecayedWeights: weightDecay must be/],
      [{ learningRate: 0.1, trustCoefficient: 0 }, /^scaleByTrustRatio: trustCoefficient must be/],
      [{ learningRate: 0.1, eps: -1 }, /^scaleByTrustRatio: eps must be/],
      [{ learningRate: 0.1, trustRatioMask: 'all' }, /^scaleByTrustRatio: mask must be/],
      [{ learningRate: 0.1, momentum: 1.5 }, /^trace: decay must be/],
      [{ learningRate: 0.1, nesterov: 'yes' }, /^trace: nesterov must be/],
      [{ learningRate: 0.1, mask: true }, /^lars: mask must be one of the options/],
    ];
    expectRejects(lars, cases);
  });

  it('records optax\'s defaults in its spec and compiles to the reference\'s numbers', () => {
    expect(lars({ learningRate: 1 }).spec).toEqual({
      op: 'lars',
      learningRate: 1,
      weightDecay: 0,
      weightDecayMask: true,
      trustCoefficient: 0.001,
      eps: 0,
      trustRatioMask: true,
      momentum: 0.9,
      nesterov: false,
    });
    const params = { a: Float32Array.from([1, -2, 3]), b: Float64Array.from([0.5, 0, -1]) };
    const grads = TREE_GRADS.map((g) => ({ a: Float32Array.from(g.a), b: Float64Array.from([...g.b, 1]) }));
    expect(compiledDifference(lars({ learningRate: 0.5, weightDecay: 0.01, trustRatioMask: { a: false, b: true } }), params, grads)).toBeUndefined();
  });
});
