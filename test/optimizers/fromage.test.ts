/**
 * fromage: the chain against plain float64 JavaScript from optax's formula for 3 steps
 * (float32 and float64, two leaves), optax's published doctest values, a schedule,
 * validation, convergence on optax's alias_test parabola and Rosenbrock.
 */
import { describe, expect, it } from 'vitest';
import { MissingParamsError } from '../../src/errors.js';
import { fromage } from '../../src/optimizers/fromage.js';
import { applyUpdates } from '../../src/update.js';
import { compiledDifference } from '../combine/compileCheck.js';
import { type DtypeCase, DTYPES, expectClose, expectRejects } from '../transforms/adaptiveSupport.js';
import { doctest, expectConverges } from '../helpers/convergence.js';

/** One Fromage step on one leaf: trust ratio (min norm), -η·m, then (m - 1)·p. */
function refFromageLeaf(eta: number, minNorm: number, p: readonly number[], g: readonly number[], dt: DtypeCase): number[] {
  const m = 1 / Math.sqrt(1 + eta * eta);
  const pn = Math.max(Math.sqrt(p.reduce((s, v) => s + v * v, 0)), minNorm);
  const gn = Math.max(Math.sqrt(g.reduce((s, v) => s + v * v, 0)), minNorm);
  const ratio = pn / gn;
  return g.map((gi, i) => dt.round(dt.round(-(eta * m) * dt.round(gi * ratio)) + (m - 1) * (p[i] as number)));
}

const GRADS = [
  { a: [0.3, -1, 0], b: [2, 4] },
  { a: [-2, 0.5, 1], b: [-0.5, 1e-3] },
  { a: [0.1, 3, -4], b: [0, 0] },
];

describe('fromage', () => {
  for (const dt of DTYPES) {
    for (const minNorm of [1e-6, 0.5]) {
      it(`takes p ← m(p - η·r·g) steps for 3 steps, per leaf (minNorm ${String(minNorm)}, ${dt.name})`, () => {
        const eta = 0.2;
        const opt = fromage({ learningRate: eta, minNorm });
        let params = { a: dt.make([1, -2, 0.5]), b: dt.make([0, 0]) };
        let state = opt.init(params);
        GRADS.forEach((raw, k) => {
          const g = { a: raw.a.map(dt.round), b: raw.b.map(dt.round) };
          const [u, next] = opt.update({ a: dt.make(g.a), b: dt.make(g.b) }, state, params);
          expectClose(u.a, refFromageLeaf(eta, minNorm, Array.from(params.a), g.a, dt), dt.rtol, `a step ${String(k + 1)}`);
          expectClose(u.b, refFromageLeaf(eta, minNorm, Array.from(params.b), g.b, dt), dt.rtol, `b step ${String(k + 1)}`);
          params = applyUpdates(params, u);
          state = next;
        });
      });
    }
  }

  it('keeps ‖p‖ when the gradient is orthogonal to p: m·‖p - η·r·g‖ = m·‖p‖·√(1 + η²) = ‖p‖', () => {
    const opt = fromage({ learningRate: 0.75 });
    const params = { w: Float64Array.from([3, 4]) };
    const [u] = opt.update({ w: Float64Array.from([-8, 6]) }, opt.init(params), params);
    const next = applyUpdates(params, u);
    expect(Math.hypot(next.w[0] as number, next.w[1] as number)).toBeCloseTo(5, 14);
  });

  it('recomputes m = 1/√(1 + η_t²) at every step of a schedule', () => {
    const opt = fromage({ learningRate: (count) => (count === 0 ? 0.75 : 0) });
    const params = { w: Float64Array.from([10]) };
    const [u1, s1] = opt.update({ w: Float64Array.from([0]) }, opt.init(params), params);
    expect(u1.w[0]).toBeCloseTo(-2, 14); // (0.8 - 1)·10
    const [u2] = opt.update({ w: Float64Array.from([1]) }, s1, params);
    expect(u2.w[0]).toBe(0); // η = 0: m = 1, no step and no shrinkage
  });

  it('matches optax\'s doctest: fromage(0.003) on Σx² from [1, 2, 3]', () => {
    expect(doctest(fromage({ learningRate: 0.003 }))).toEqual(['1.39e+1', '1.38e+1', '1.37e+1', '1.37e+1', '1.36e+1']);
  });

  it('needs params', () => {
    const opt = fromage({ learningRate: 0.1 });
    const g = { w: Float64Array.from([1]) };
    expect(() => opt.update(g, opt.init(g))).toThrow(MissingParamsError);
  });

  it('converges on optax\'s parabola and Rosenbrock at optax\'s learning rate 5e-3', () => {
    const opt = fromage({ learningRate: 5e-3 });
    expectConverges(opt, 'parabola', 2000);
    expectConverges(opt, 'rosenbrock', 5000);
  });

  it('rejects bad options, naming them', () => {
    const cases: readonly [Record<string, unknown>, RegExp][] = [
      [{ learningRate: -1 }, /^fromage: learningRate must be/],
      [{ learningRate: Number.NaN }, /^fromage: learningRate must be/],
      [{ learningRate: 0.1, minNorm: -1 }, /^scaleByTrustRatio: minNorm must be/],
      [{ learningRate: 0.1, weightDecay: 0.1 }, /^fromage: weightDecay must be one of the options/],
    ];
    expectRejects(fromage, cases);
    const bad = fromage({ learningRate: () => Number.POSITIVE_INFINITY });
    const g = { w: Float64Array.from([1]) };
    expect(() => bad.update(g, bad.init(g), g)).toThrow(/^fromage: learningRate \(schedule at count 0\) must be/);
  });

  it('records optax\'s defaults in its spec and compiles to the reference\'s numbers', () => {
    expect(fromage({ learningRate: 0.01 }).spec).toEqual({ op: 'fromage', learningRate: 0.01, minNorm: 1e-6 });
    const params = { a: Float32Array.from([1, -2, 3]), b: Float64Array.from([0.5, 0, -1]) };
    const grads = GRADS.map((g) => ({ a: Float32Array.from(g.a), b: Float64Array.from([...g.b, 1]) }));
    expect(compiledDifference(fromage({ learningRate: 0.05 }), params, grads)).toBeUndefined();
  });
});
