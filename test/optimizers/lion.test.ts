import { describe, expect, it } from 'vitest';
import { MissingParamsError } from '../../src/errors.js';
import { lion } from '../../src/optimizers/lion.js';
import { applyUpdates } from '../../src/update.js';
import { DTYPES, expectClose, expectRejects } from '../transforms/adaptiveSupport.js';

describe('lion', () => {
  for (const dt of DTYPES) {
    it(`takes steps -η(sign((1-β₁)g + β₁μ) + λp) for 3 steps (${dt.name})`, () => {
      const eta = 0.1;
      const lambda = 0.05;
      const opt = lion({ learningRate: eta, weightDecay: lambda });
      let params = { w: dt.make([1, -2, 0.5]) };
      let state = opt.init(params);
      let p = Array.from(params.w);
      let mu = [0, 0, 0];
      const grads = [
        [0.3, -1, 0],
        [-2, 0.5, 1],
        [0.1, 3, -4],
      ];
      for (const raw of grads) {
        const g = raw.map(dt.round);
        const u = g.map((gi, i) => dt.round(-eta * (Math.sign(0.1 * gi + 0.9 * (mu[i] as number)) + lambda * (p[i] as number))));
        mu = g.map((gi, i) => dt.round(0.99 * (mu[i] as number) + 0.01 * gi));
        p = p.map((pi, i) => dt.round(pi + (u[i] as number)));
        const [upd, next] = opt.update({ w: dt.make(g) }, state, params);
        expectClose(upd.w, u, dt.rtol, 'update');
        expectClose((next[0].mu as { w: Float64Array }).w, mu, dt.rtol, 'mu');
        params = applyUpdates(params, upd);
        expectClose(params.w, p, dt.rtol, 'params');
        state = next;
      }
    });
  }

  it('decays only the leaves of the mask, with the default λ = 1e-3', () => {
    const opt = lion({ learningRate: 1, mask: { a: true, b: false } });
    const params = { a: Float64Array.from([10]), b: Float64Array.from([10]) };
    const [u] = opt.update({ a: Float64Array.from([1]), b: Float64Array.from([1]) }, opt.init(params), params);
    expect(u.a[0]).toBeCloseTo(-(1 + 1e-3 * 10), 15);
    expect(u.b[0]).toBe(-1);
  });

  it('needs params unless weightDecay is 0', () => {
    const g = { w: Float64Array.from([1]) };
    const decaying = lion({ learningRate: 0.1 });
    expect(() => decaying.update(g, decaying.init(g))).toThrow(MissingParamsError);
    const plain = lion({ learningRate: 0.1, weightDecay: 0 });
    expect(plain.update(g, plain.init(g))[0].w[0]).toBeCloseTo(-0.1, 16);
  });

  it('converges on Σ(x - 3)² in 300 steps to within about η (sign steps oscillate)', () => {
    const opt = lion({ learningRate: 0.03 });
    let params = { x: Float64Array.from([0, 1, 4.5, 5]) };
    let state = opt.init(params);
    for (let i = 0; i < 300; i++) {
      const [u, s] = opt.update({ x: params.x.map((v) => 2 * (v - 3)) }, state, params);
      params = applyUpdates(params, u);
      state = s;
    }
    for (const v of params.x) expect(Math.abs(v - 3)).toBeLessThan(0.05);
  });

  it('rejects bad options, naming them', () => {
    const cases: readonly [Record<string, unknown>, RegExp][] = [
      [{ learningRate: -1 }, /^scaleByLearningRate: learningRate must be/],
      [{ learningRate: 0.1, b1: 2 }, /^scaleByLion: b1 must be/],
      [{ learningRate: 0.1, b2: Number.NaN }, /^scaleByLion: b2 must be/],
      [{ learningRate: 0.1, weightDecay: -1 }, /^addDecayedWeights: weightDecay must be/],
      [{ learningRate: 0.1, mode: 'smooth' }, /^lion: mode must be one of the options/],
    ];
    expectRejects(lion, cases);
  });
});
