import { describe, expect, it } from 'vitest';
import { MissingParamsError } from '../../src/errors.js';
import { adadelta } from '../../src/optimizers/adadelta.js';
import { applyUpdates } from '../../src/update.js';
import { loadTorchCase, num, replayTorchCase } from './localTorchReplay.js';
import { expectRejects } from '../transforms/adaptiveSupport.js';

describe('adadelta: PyTorch conformance (float64, |a-b| <= 1e-12 + 1e-10|b| after every step)', () => {
  it('replays adadelta.json with the pipeline fields', () => {
    const c = loadTorchCase('adadelta');
    const [op] = c.pipeline;
    if (op === undefined || op['op'] !== 'adadelta' || op['maximize'] !== false) throw new Error('unexpected pipeline');
    for (const s of c.steps) expect(s.lr).toBe(num(op, 'lr'));
    const opt = adadelta({ learningRate: num(op, 'lr'), rho: num(op, 'rho'), eps: num(op, 'eps'), weightDecay: num(op, 'weight_decay') });
    const r = replayTorchCase(opt, c);
    expect(r.steps).toBe(30);
    expect(r.failures).toEqual([]);
    expect(r.maxAbsError).toBeLessThan(1e-13);
  });

  it('replays adadelta.json with no options at all (the defaults are lr 1, rho 0.9, eps 1e-6)', () => {
    const r = replayTorchCase(adadelta(), loadTorchCase('adadelta'));
    expect(r.failures).toEqual([]);
  });

  it('does not match adadelta.json with another eps', () => {
    const r = replayTorchCase(adadelta({ eps: 1e-8 }), loadTorchCase('adadelta'));
    expect(r.failures.length).toBeGreaterThan(0);
  });
});

describe('adadelta', () => {
  it('adds L2 decay to the gradient before the scaling (worked first step)', () => {
    const opt = adadelta({ learningRate: 2, weightDecay: 0.5 });
    const params = { w: Float64Array.from([4]) };
    const [u] = opt.update({ w: Float64Array.from([1]) }, opt.init(params), params);
    const gp = 1 + 0.5 * 4;
    const delta = (Math.sqrt(1e-6) / Math.sqrt(0.1 * gp * gp + 1e-6)) * gp;
    expect(u.w[0]).toBeCloseTo(-2 * delta, 15);
  });

  it('decays only the leaves of the mask', () => {
    const opt = adadelta({ weightDecay: 0.5, mask: { a: true, b: false } });
    const params = { a: Float64Array.from([4]), b: Float64Array.from([4]) };
    const [u] = opt.update({ a: Float64Array.from([1]), b: Float64Array.from([1]) }, opt.init(params), params);
    const step = (gp: number): number => -(Math.sqrt(1e-6) / Math.sqrt(0.1 * gp * gp + 1e-6)) * gp;
    expect(u.a[0]).toBeCloseTo(step(3), 15);
    expect(u.b[0]).toBeCloseTo(step(1), 15);
  });

  it('needs params only when it decays', () => {
    const g = { w: Float64Array.from([1]) };
    expect(() => adadelta().update(g, adadelta().init(g))).not.toThrow();
    const decaying = adadelta({ weightDecay: 1e-2 });
    expect(() => decaying.update(g, decaying.init(g))).toThrow(MissingParamsError);
  });

  it('descends by default (optax, whose learning_rate defaults to None, would ascend)', () => {
    const [u] = adadelta().update({ w: Float64Array.from([1, -1]) }, adadelta().init({ w: new Float64Array(2) }));
    expect(u.w[0]).toBeLessThan(0);
    expect(u.w[1]).toBeGreaterThan(0);
  });

  it('converges on Σ(x - 3)² in 300 steps (learning rate 10)', () => {
    const opt = adadelta({ learningRate: 10 });
    let params = { x: Float64Array.from([0, 1, 4.5, 5]) };
    let state = opt.init(params);
    for (let i = 0; i < 300; i++) {
      const [u, s] = opt.update({ x: params.x.map((v) => 2 * (v - 3)) }, state, params);
      params = applyUpdates(params, u);
      state = s;
    }
    for (const v of params.x) expect(Math.abs(v - 3)).toBeLessThan(1e-6);
  });

  it('rejects bad options, naming them', () => {
    const cases: readonly [Record<string, unknown>, RegExp][] = [
      [{ learningRate: -1 }, /^scaleByLearningRate: learningRate must be/],
      [{ rho: 1.5 }, /^scaleByAdadelta: rho must be/],
      [{ eps: -1 }, /^scaleByAdadelta: eps must be/],
      [{ weightDecay: -1 }, /^addDecayedWeights: weightDecay must be/],
      [{ weightDecay: 0.1, mask: 3 }, /^addDecayedWeights: mask must be/],
      [{ weight_decay: 0.1 }, /^adadelta: weight_decay must be one of the options/],
    ];
    expectRejects(adadelta, cases);
  });
});
