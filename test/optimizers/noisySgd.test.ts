/**
 * noisySgd: the chain's formula, optax's defaults, seeded determinism, resume after
 * save/load, convergence on optax's parabola and Rosenbrock (optax's alias_test settings).
 */
import { describe, expect, it } from 'vitest';
import { noisySgd } from '../../src/optimizers/noisySgd.js';
import { fillNormal } from '../../src/random.js';
import { loadState, saveState } from '../../src/state/snapshot.js';
import { applyUpdates } from '../../src/update.js';
import { expectConverges, minimize, TARGETS } from '../helpers/convergence.js';
import { expectRejects } from '../transforms/adaptiveSupport.js';

describe('noisySgd', () => {
  it('takes -η_lr·(g + √(η/t^γ)·n) with optax defaults η = 0.01, γ = 0.55', () => {
    const opt = noisySgd({ learningRate: 0.1, seed: 4 });
    const g = { w: Float64Array.from([1, -2, 3]) };
    let state = opt.init(g);
    for (let count = 0; count < 3; count++) {
      const n = new Float64Array(3);
      fillNormal(n, 4, count);
      const sigma = Math.sqrt(0.01 / (count + 1) ** 0.55);
      const [u, next] = opt.update(g, state);
      expect(Array.from(u.w)).toEqual([1, -2, 3].map((x, i) => -0.1 * (x + sigma * (n[i] as number))));
      state = next;
    }
    expect(opt.spec).toEqual({ op: 'noisySgd', learningRate: 0.1, eta: 0.01, gamma: 0.55, seed: 4 });
    expect(noisySgd({ learningRate: 1 }).spec).toEqual({ op: 'noisySgd', learningRate: 1, eta: 0.01, gamma: 0.55, seed: 0 });
  });

  it('same seed, same trajectory; another seed, another one; resumes bit for bit after save/load', () => {
    const a = minimize(noisySgd({ learningRate: 1e-2, eta: 1, seed: 11 }), 'parabola', 20);
    expect(minimize(noisySgd({ learningRate: 1e-2, eta: 1, seed: 11 }), 'parabola', 20)).toEqual(a);
    expect(minimize(noisySgd({ learningRate: 1e-2, eta: 1, seed: 12 }), 'parabola', 20)).not.toEqual(a);

    const opt = noisySgd({ learningRate: 1e-2, eta: 1, seed: 11 });
    const grad = (p: Float32Array): { x: Float32Array } => ({ x: Float32Array.from(TARGETS.parabola.grad(Array.from(p))) });
    let params: { x: Float32Array } = { x: Float32Array.from(TARGETS.parabola.start) };
    let state = opt.init(params);
    for (let i = 0; i < 10; i++) {
      const [u, s] = opt.update(grad(params.x), state);
      params = applyUpdates(params, u);
      state = s;
    }
    state = loadState(JSON.parse(JSON.stringify(saveState(state, opt))), opt, params);
    for (let i = 0; i < 10; i++) {
      const [u, s] = opt.update(grad(params.x), state);
      params = applyUpdates(params, u);
      state = s;
    }
    expect(Array.from(params.x)).toEqual(a);
  });

  it("converges on optax's parabola and Rosenbrock (optax's alias_test: lr 1e-3, η 1e-4)", () => {
    for (const [target, steps] of [['parabola', 5000], ['rosenbrock', 20000]] as const) {
      expectConverges(noisySgd({ learningRate: 1e-3, eta: 1e-4 }), target, steps);
    }
  });

  it('rejects bad options, naming them', () => {
    const cases: readonly [Record<string, unknown>, RegExp][] = [
      [{ learningRate: -1 }, /^scaleByLearningRate: learningRate must be/],
      [{ learningRate: 0.1, eta: -1 }, /^addNoise: eta must be/],
      [{ learningRate: 0.1, seed: 0.5 }, /^addNoise: seed must be/],
      [{ learningRate: 0.1, key: 3 }, /^noisySgd: key must be one of the options/],
    ];
    expectRejects(noisySgd, cases);
  });
});
