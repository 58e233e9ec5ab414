import { describe, expect, it } from 'vitest';
import type { GradientTransformation } from '../../src/base.js';
import { chain } from '../../src/combine/chain.js';
import { HyperparameterError } from '../../src/errors.js';
import { type RmspropOptions, rmsprop } from '../../src/optimizers/rmsprop.js';
import { addDecayedWeights } from '../../src/transforms/decay.js';
import { applyUpdates } from '../../src/update.js';
import { type TorchCase, loadTorchCase, num, replayTorchCase } from './localTorchReplay.js';

/** The gradfuse pipeline for a torch `rmsprop` op, from its fields. */
function fromTorchOp(op: Readonly<Record<string, unknown>>, overrides: Partial<RmspropOptions> = {}): GradientTransformation<unknown> {
  if (op['op'] !== 'rmsprop' || op['maximize'] !== false) throw new Error(`unsupported op ${JSON.stringify(op)}`);
  const momentum = num(op, 'momentum');
  const opt = rmsprop({
    learningRate: num(op, 'lr'),
    decay: num(op, 'alpha'),
    eps: num(op, 'eps'),
    epsInSqrt: false,
    centered: op['centered'] === true,
    lrPlacement: 'afterMomentum',
    ...(momentum > 0 ? { momentum } : {}),
    ...overrides,
  });
  const wd = num(op, 'weight_decay');
  return wd > 0 ? chain(addDecayedWeights({ weightDecay: wd }), opt) : opt;
}

function pipelineOp(c: TorchCase): Readonly<Record<string, unknown>> {
  const [op] = c.pipeline;
  if (op === undefined || c.pipeline.length !== 1) throw new Error(`${c.name}: expected one pipeline op`);
  return op;
}

describe('rmsprop: PyTorch conformance (float64, |a-b| <= 1e-12 + 1e-10|b| after every step)', () => {
  for (const name of ['rmsprop', 'rmsprop_centered_momentum']) {
    it(`replays ${name}.json`, () => {
      const c = loadTorchCase(name);
      const op = pipelineOp(c);
      for (const s of c.steps) expect(s.lr).toBe(num(op, 'lr'));
      const r = replayTorchCase(fromTorchOp(op), c);
      expect(r.steps).toBe(30);
      expect(r.failures).toEqual([]);
      expect(r.maxAbsError).toBeLessThan(1e-13);
    });

    it(`does not match ${name}.json with eps inside the root (optax's formula)`, () => {
      const c = loadTorchCase(name);
      const r = replayTorchCase(fromTorchOp(pipelineOp(c), { epsInSqrt: true }), c);
      expect(r.failures.length).toBeGreaterThan(0);
    });
  }
});

describe('rmsprop: learning-rate placement', () => {
  // One element, g = 1 at every step, decay 0.5, eps 0 inside the root: ν_t = 1 - 0.5ᵗ, r_t = 1/√ν_t.
  const r = [1, 2, 3].map((t) => 1 / Math.sqrt(1 - 0.5 ** t));
  const etas = [1, 0.5, 0.25];
  const mu = 0.9;
  const run = (lrPlacement: 'beforeMomentum' | 'afterMomentum', nesterov = false): number[] => {
    const opt = rmsprop({ learningRate: (c) => etas[c] ?? 0, decay: 0.5, eps: 0, momentum: mu, nesterov, lrPlacement });
    let state = opt.init({ w: new Float64Array(1) });
    const out: number[] = [];
    for (let k = 0; k < 3; k++) {
      const [u, next] = opt.update({ w: Float64Array.from([1]) }, state);
      out.push(u.w[0] as number);
      state = next;
    }
    return out;
  };

  it("'beforeMomentum' (optax) accumulates -η_t·r_t in the buffer", () => {
    let b = 0;
    const expected = r.map((rt, k) => (b = mu * b - (etas[k] as number) * rt));
    run('beforeMomentum').forEach((u, k) => expect(u).toBeCloseTo(expected[k] as number, 14));
  });

  it("'afterMomentum' (PyTorch) accumulates r_t and multiplies the buffer by -η_t", () => {
    let b = 0;
    const expected = r.map((rt, k) => -(etas[k] as number) * (b = mu * b + rt));
    run('afterMomentum').forEach((u, k) => expect(u).toBeCloseTo(expected[k] as number, 14));
  });

  it('Nesterov emits x + μ·b_t in either placement', () => {
    let b = 0;
    const before = r.map((rt, k) => {
      const x = -(etas[k] as number) * rt;
      b = mu * b + x;
      return x + mu * b;
    });
    b = 0;
    const after = r.map((rt, k) => {
      b = mu * b + rt;
      return -(etas[k] as number) * (rt + mu * b);
    });
    run('beforeMomentum', true).forEach((u, k) => expect(u).toBeCloseTo(before[k] as number, 14));
    run('afterMomentum', true).forEach((u, k) => expect(u).toBeCloseTo(after[k] as number, 14));
  });

  it('the two placements agree while the rate is constant', () => {
    const grads = [[1, -2], [0.5, 3], [-1, 1], [2, 0]];
    const outs = (['beforeMomentum', 'afterMomentum'] as const).map((lrPlacement) => {
      const opt = rmsprop({ learningRate: 0.01, momentum: 0.9, centered: true, lrPlacement });
      let state = opt.init({ w: new Float64Array(2) });
      return grads.map((g) => {
        const [u, next] = opt.update({ w: Float64Array.from(g) }, state);
        state = next;
        return Array.from(u.w);
      });
    });
    const [a, b] = outs as [number[][], number[][]];
    a.forEach((row, k) => row.forEach((x, i) => expect(x).toBeCloseTo(b[k]?.[i] as number, 14)));
  });

  it('without momentum the update is -η·g/√(ν + ε) and the state has no buffer', () => {
    const opt = rmsprop({ learningRate: 0.1 });
    const state = opt.init({ w: new Float64Array(1) });
    const [u, next] = opt.update({ w: Float64Array.from([2]) }, state);
    expect(u.w[0]).toBeCloseTo((-0.1 * 2) / Math.sqrt(0.4 + 1e-8), 15);
    expect(next).toHaveLength(3);
    expect(Object.keys(next[2])).toEqual(['count']);
    expect(Object.keys(next[1])).toEqual(['count']);
  });
});

describe('rmsprop: convergence on Σ(x - 3)² in 300 steps', () => {
  const cases: readonly [string, RmspropOptions, number][] = [
    ['optax defaults', { learningRate: 0.05 }, 1e-6],
    ['centered with momentum', { learningRate: 0.01, centered: true, momentum: 0.9 }, 1e-2],
    ['PyTorch preset with momentum', { learningRate: 0.01, decay: 0.99, eps: 1e-8, epsInSqrt: false, lrPlacement: 'afterMomentum', momentum: 0.9 }, 1e-5],
  ];
  for (const [name, options, tol] of cases) {
    it(name, () => {
      const opt = rmsprop(options);
      let params = { x: Float64Array.from([0, 1, 4.5, 5]) };
      let state = opt.init(params);
      for (let i = 0; i < 300; i++) {
        const [u, s] = opt.update({ x: params.x.map((v) => 2 * (v - 3)) }, state, params);
        params = applyUpdates(params, u);
        state = s;
      }
      for (const v of params.x) expect(Math.abs(v - 3)).toBeLessThan(tol);
    });
  }
});

describe('rmsprop: validation', () => {
  const cases: readonly [Record<string, unknown>, string, string][] = [
    [{ learningRate: -1 }, 'scaleByLearningRate', 'learningRate'],
    [{ learningRate: Number.NaN }, 'scaleByLearningRate', 'learningRate'],
    [{}, 'scaleByLearningRate', 'learningRate'],
    [{ learningRate: 0.1, decay: 1.2 }, 'scaleByRms', 'decay'],
    [{ learningRate: 0.1, centered: true, eps: -1 }, 'scaleByStddev', 'eps'],
    [{ learningRate: 0.1, momentum: 1.5 }, 'trace', 'decay'],
    [{ learningRate: 0.1, centered: 'yes' }, 'rmsprop', 'centered'],
    [{ learningRate: 0.1, nesterov: 1 }, 'rmsprop', 'nesterov'],
    [{ learningRate: 0.1, lrPlacement: 'torch' }, 'rmsprop', 'lrPlacement'],
    [{ learningRate: 0.1, alpha: 0.99 }, 'rmsprop', 'alpha'],
  ];
  for (const [options, owner, parameter] of cases) {
    it(`${JSON.stringify(options)} → ${owner}: ${parameter}`, () => {
      let err: unknown;
      try {
        rmsprop(options as unknown as RmspropOptions);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(HyperparameterError);
      expect((err as HyperparameterError).owner).toBe(owner);
      expect((err as HyperparameterError).parameter).toBe(parameter);
    });
  }
});
