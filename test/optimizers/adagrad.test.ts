import { describe, expect, it } from 'vitest';
import type { GradientTransformation } from '../../src/base.js';
import { chain } from '../../src/combine/chain.js';
import { type AdagradOptions, adagrad, adagradLrDecay } from '../../src/optimizers/adagrad.js';
import { addDecayedWeights } from '../../src/transforms/decay.js';
import { applyUpdates } from '../../src/update.js';
import { type TorchCase, loadTorchCase, num, replayTorchCase } from './localTorchReplay.js';
import { expectRejects } from '../transforms/adaptiveSupport.js';

/** The gradfuse pipeline for a torch `adagrad` op, from its fields. */
function fromTorchOp(op: Readonly<Record<string, unknown>>, overrides: Partial<AdagradOptions> = {}): GradientTransformation<unknown> {
  if (op['op'] !== 'adagrad' || op['maximize'] !== false) throw new Error(`unsupported op ${JSON.stringify(op)}`);
  const lr = num(op, 'lr');
  const lrDecay = num(op, 'lr_decay');
  const opt = adagrad({
    learningRate: lrDecay === 0 ? lr : adagradLrDecay({ learningRate: lr, lrDecay }),
    initialAccumulatorValue: num(op, 'initial_accumulator_value'),
    eps: num(op, 'eps'),
    epsInSqrt: false,
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

describe('adagrad: PyTorch conformance (float64, |a-b| <= 1e-12 + 1e-10|b| after every step)', () => {
  for (const name of ['adagrad', 'adagrad_initial_accumulator']) {
    it(`replays ${name}.json`, () => {
      const c = loadTorchCase(name);
      const op = pipelineOp(c);
      for (const s of c.steps) expect(s.lr).toBe(num(op, 'lr'));
      const r = replayTorchCase(fromTorchOp(op), c);
      expect(r.steps).toBe(30);
      expect(r.failures).toEqual([]);
      expect(r.maxAbsError).toBeLessThan(1e-13);
    });

    it(`does not match ${name}.json with optax's eps (1e-7 inside the root)`, () => {
      const c = loadTorchCase(name);
      const r = replayTorchCase(fromTorchOp(pipelineOp(c), { eps: 1e-7, epsInSqrt: true }), c);
      expect(r.failures.length).toBeGreaterThan(0);
    });
  }
});

describe('adagrad', () => {
  it('steps -η·g/√(s + ε) with s accumulating from 0.1 (optax defaults, worked values)', () => {
    const opt = adagrad({ learningRate: 0.5 });
    let state = opt.init({ w: new Float64Array(1) });
    let s = 0.1;
    for (const g of [2, -1, 3]) {
      const [u, next] = opt.update({ w: Float64Array.from([g]) }, state);
      s += g * g;
      expect(u.w[0]).toBeCloseTo((-0.5 * g) / Math.sqrt(s + 1e-7), 15);
      state = next;
    }
  });

  it("PyTorch's lr_decay: clr = lr/(1 + (t-1)·lrDecay), with the torch preset, for 3 steps", () => {
    const opt = adagrad({
      learningRate: adagradLrDecay({ learningRate: 0.1, lrDecay: 0.5 }),
      initialAccumulatorValue: 0,
      eps: 1e-10,
      epsInSqrt: false,
    });
    let params = { w: Float64Array.from([1, -1]) };
    let state = opt.init(params);
    const expected = [1, -1];
    const sum = [0, 0];
    const grads = [
      [0.3, -2],
      [1, 0.5],
      [-0.7, 4],
    ];
    grads.forEach((g, k) => {
      const clr = 0.1 / (1 + k * 0.5);
      g.forEach((gi, i) => {
        sum[i] = (sum[i] as number) + gi * gi;
        expected[i] = (expected[i] as number) - (clr * gi) / (Math.sqrt(sum[i] as number) + 1e-10);
      });
      const [u, next] = opt.update({ w: Float64Array.from(g) }, state, params);
      params = applyUpdates(params, u);
      state = next;
      params.w.forEach((v, i) => expect(v).toBeCloseTo(expected[i] as number, 15));
    });
  });

  it('adagradLrDecay is η/(1 + count·δ) and carries its spec', () => {
    const s = adagradLrDecay({ learningRate: 0.1, lrDecay: 0.01 });
    expect(s(0)).toBe(0.1);
    expect(s(10)).toBeCloseTo(0.1 / 1.1, 16);
    expect(s(1000)).toBeCloseTo(0.1 / 11, 16);
    expect(s.spec).toEqual({ schedule: 'adagradLrDecay', options: { learningRate: 0.1, lrDecay: 0.01 } });
    expect(() => adagradLrDecay({ learningRate: 0.1, lrDecay: -1 })).toThrow(/adagradLrDecay: lrDecay must be/);
    expect(() => adagradLrDecay({ learningRate: Number.NaN, lrDecay: 0 })).toThrow(/adagradLrDecay: learningRate must be/);
    expect(() => adagradLrDecay({ learningRate: 0.1, lrDecay: 0, decay: 1 } as never)).toThrow(/adagradLrDecay: decay must be/);
  });

  it('keeps float32 params and state in float32', () => {
    const opt = adagrad({ learningRate: 0.1 });
    const params = { w: Float32Array.from([1, 2]) };
    const [u, s] = opt.update({ w: Float32Array.from([0.1, 0.2]) }, opt.init(params), params);
    expect(u.w).toBeInstanceOf(Float32Array);
    expect((s[0].sumOfSquares as { w: unknown }).w).toBeInstanceOf(Float32Array);
  });

  for (const [name, options, tol] of [
    ['optax defaults', { learningRate: 1 }, 1e-6],
    ['PyTorch preset', { learningRate: 1, initialAccumulatorValue: 0, eps: 1e-10, epsInSqrt: false }, 1e-6],
  ] as const) {
    it(`converges on Σ(x - 3)² in 300 steps (${name})`, () => {
      const opt = adagrad(options);
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

  it('rejects bad options, naming them', () => {
    const cases: readonly [Record<string, unknown>, RegExp][] = [
      [{ learningRate: -0.1 }, /^scaleByLearningRate: learningRate must be/],
      [{ learningRate: 0.1, initialAccumulatorValue: -1 }, /^scaleByRss: initialAccumulatorValue must be/],
      [{ learningRate: 0.1, eps: Number.NaN }, /^scaleByRss: eps must be/],
      [{ learningRate: 0.1, epsInSqrt: 'false' }, /^scaleByRss: epsInSqrt must be/],
      [{ learningRate: 0.1, lrDecay: 0.1 }, /^adagrad: lrDecay must be one of the options/],
    ];
    expectRejects(adagrad, cases);
  });
});
