/**
 * lrFinder: the exponential sweep, the bias-corrected smoothing, the divergence stops, the
 * steepest-descent suggestion (synthetic curves and a quadratic whose divergence threshold is
 * known), that nothing of the caller's is touched, and validation.
 */
import { describe, expect, it } from 'vitest';
import type { GradientTransformation } from '../../src/base.js';
import { HyperparameterError } from '../../src/errors.js';
import { adam } from '../../src/optimizers/adam.js';
import { polyakSgd } from '../../src/optimizers/polyakSgd.js';
import { sgd } from '../../src/optimizers/sgd.js';
import type { Schedule } from '../../src/schedules/schedule.js';
import { type LrFinderOptions, exponentialSweep, lrFinder } from '../../src/tools/lrFinder.js';
import { applyUpdates } from '../../src/update.js';
import { copyTree, sameBits } from '../helpers/arbitraries.js';

type Params = { readonly x: Float64Array };
const params: Params = { x: Float64Array.of(1, 1) };
const zeroGrads = (): Params => ({ x: new Float64Array(2) });

/** A loss function that replays `losses` (and zero gradients), whatever the params. */
function replay(losses: readonly number[]): (p: Params) => { loss: number; grads: Params } {
  let i = 0;
  return () => ({ loss: losses[i++] ?? NaN, grads: zeroGrads() });
}

const closeAll = (actual: readonly number[], expected: readonly number[], rtol = 1e-12): void => {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => expect(Math.abs(a - (expected[i] as number))).toBeLessThanOrEqual(rtol * Math.abs(expected[i] as number)));
};

describe('lrFinder: the sweep', () => {
  it('grows the learning rate exponentially from start to end, and hands the optimizer that schedule', () => {
    let seen: Schedule | undefined;
    const r = lrFinder({
      params,
      lossAndGrad: replay([1, 1, 1, 1, 1]),
      optimizer: (lr) => {
        seen = lr as Schedule;
        return sgd({ learningRate: lr });
      },
      startLearningRate: 1e-4,
      endLearningRate: 1,
      steps: 5,
    });
    closeAll(r.learningRates, [1e-4, 1e-3, 1e-2, 1e-1, 1]);
    expect(r.learningRates[0]).toBe(1e-4);
    expect(r.learningRates[4]).toBe(1);
    expect(r.stoppedBy).toBe('completed');
    expect(typeof seen).toBe('function');
    expect([0, 1, 2, 3, 4].map((k) => seen?.(k))).toEqual(r.learningRates);
    expect(exponentialSweep(2, 8, 3)(1)).toBeCloseTo(4, 14);
  });

  it('smooths with a bias-corrected moving average (β = 0.98 by default; β = 0 does not smooth)', () => {
    const losses = [3, 1, 4, 1, 5, 9, 2, 6];
    const r = lrFinder({ params, lossAndGrad: replay(losses), optimizer: (lr) => sgd({ learningRate: lr }), steps: 8, divergeFactor: 100 });
    let avg = 0;
    const expected = losses.map((l, i) => {
      avg = 0.98 * avg + 0.02 * l;
      return avg / (1 - 0.98 ** (i + 1));
    });
    expect(r.losses).toEqual(losses);
    closeAll(r.smoothedLosses, expected);
    expect(r.smoothedLosses[0]).toBe(3); // the first smoothed value is the first loss
    const raw = lrFinder({ params, lossAndGrad: replay(losses), optimizer: (lr) => sgd({ learningRate: lr }), steps: 8, beta: 0, divergeFactor: 100 });
    expect(raw.smoothedLosses).toEqual(losses);
  });

  it('stops when the smoothed loss exceeds divergeFactor × the best, keeping the point that diverged', () => {
    const r = lrFinder({ params, lossAndGrad: replay([2, 1, 1.5, 3.9, 4.1, 1]), optimizer: (lr) => sgd({ learningRate: lr }), steps: 6, beta: 0 });
    expect(r.stoppedBy).toBe('diverged');
    expect(r.losses).toEqual([2, 1, 1.5, 3.9, 4.1]);
    expect(r.learningRates).toHaveLength(5);
  });

  it('stops at a non-finite loss, without recording it', () => {
    for (const bad of [NaN, Infinity]) {
      const r = lrFinder({ params, lossAndGrad: replay([2, 1, bad, 1]), optimizer: (lr) => sgd({ learningRate: lr }), steps: 4 });
      expect(r.stoppedBy).toBe('nonFinite');
      expect(r.losses).toEqual([2, 1]);
      expect(r.smoothedLosses).toHaveLength(2);
    }
  });

  it('suggests the left end of the steepest segment of the smoothed loss against log(lr)', () => {
    // lr = 1e-5 … 1 (ratio 10); slopes per decade: -0.1, -0.9, -3, -0.1, +2.1
    const r = lrFinder({
      params,
      lossAndGrad: replay([5, 4.9, 4, 1, 0.9, 3]),
      optimizer: (lr) => sgd({ learningRate: lr }),
      startLearningRate: 1e-5,
      endLearningRate: 1,
      steps: 6,
      beta: 0,
      skipStart: 0,
      skipEnd: 0,
    });
    expect(r.suggestionIndex).toBe(2);
    expect(r.suggestion).toBe(r.learningRates[2]);
    // skipping the start and end keeps it out of the warm-up and the blow-up
    const skipped = lrFinder({ params, lossAndGrad: replay([9, 1, 0.99, 0.5, 0.4, 0.3, 0.2, 5]), optimizer: (lr) => sgd({ learningRate: lr }), steps: 8, beta: 0, skipStart: 2, skipEnd: 1, divergeFactor: 100 });
    expect(skipped.suggestionIndex).toBe(2); // 0.99 → 0.5, not 9 → 1 (skipped) nor 0.2 → 5
  });

  it('has no suggestion when the loss diverges at once', () => {
    const r = lrFinder({ params, lossAndGrad: replay([1, NaN]), optimizer: (lr) => sgd({ learningRate: lr }), steps: 10 });
    expect(r.suggestion).toBeUndefined();
    expect(r.suggestionIndex).toBe(-1);
  });
});

describe('lrFinder on a quadratic', () => {
  // f(x) = ½ Σ λ_i x_i², λ = (1, 10): gradient descent diverges for lr > 2/λ_max = 0.2
  const lambda = [1, 10];
  const quad = (p: Params): { loss: number; grads: Params } => ({
    loss: 0.5 * Array.from(p.x).reduce((a, v, i) => a + (lambda[i] as number) * v * v, 0),
    grads: { x: p.x.map((v, i) => (lambda[i] as number) * v) },
  });

  it('sweeps until plain SGD diverges (past 2/λ_max) and suggests a rate that learns but is stable', () => {
    const r = lrFinder({ params, lossAndGrad: quad, optimizer: (lr) => sgd({ learningRate: lr }), startLearningRate: 1e-5, endLearningRate: 10, steps: 100 });
    expect(r.stoppedBy).toBe('diverged');
    expect(r.learningRates.at(-1)).toBeGreaterThan(0.2);
    expect(r.suggestion).toBeDefined();
    const s = r.suggestion ?? NaN;
    expect(s).toBeGreaterThan(1e-3);
    expect(s).toBeLessThan(0.2);
    // training at the suggestion converges
    let p: Params = params;
    const opt = sgd({ learningRate: s });
    let state = opt.init(p);
    for (let k = 0; k < 500; k++) {
      const [u, next] = opt.update(quad(p).grads, state, p);
      p = applyUpdates(p, u);
      state = next;
    }
    expect(quad(p).loss).toBeLessThan(1e-6);
  });

  it("never touches the caller's params or optimizer state, nor hands them to lossAndGrad", () => {
    const mine: Params = { x: Float64Array.of(0.3, -0.7) };
    const optimizer = adam({ learningRate: 0.05 });
    let state = optimizer.init(mine);
    [, state] = optimizer.update(quad(mine).grads, state, mine); // a state with non-zero moments
    const [paramsBefore, stateBefore] = [copyTree(mine), structuredClone(state)];
    const handed: Params[] = [];
    const r = lrFinder({
      params: mine,
      lossAndGrad: (p) => {
        handed.push(p);
        return quad(p);
      },
      optimizer: (lr) => adam({ learningRate: lr }),
      steps: 30,
    });
    expect(r.losses.length).toBeGreaterThan(5);
    expect(sameBits(mine, paramsBefore)).toBe(true);
    expect(state).toEqual(stateBefore);
    for (const p of handed) {
      expect(p).not.toBe(mine);
      expect(p.x).not.toBe(mine.x);
    }
    // the caller's next step is the one it would have taken without the sweep
    const [u] = optimizer.update(quad(mine).grads, state, mine);
    const [uFresh] = optimizer.update(quad(paramsBefore).grads, stateBefore, paramsBefore);
    expect(Array.from(u.x)).toEqual(Array.from(uFresh.x));
  });

  it('passes the loss as { value }, so optimizers that read it can be swept', () => {
    const r = lrFinder({ params, lossAndGrad: quad, optimizer: (lr) => polyakSgd({ scaling: lr }), steps: 20, endLearningRate: 1 });
    expect(r.losses).toHaveLength(20);
    expect(r.losses.at(-1)).toBeLessThan(r.losses[0] as number);
  });
});

describe('lrFinder: validation', () => {
  const base: LrFinderOptions<Params> = { params, lossAndGrad: replay([1]), optimizer: (lr) => sgd({ learningRate: lr }) };
  const bad: readonly (readonly [Partial<LrFinderOptions<Params>> & Record<string, unknown>, string])[] = [
    [{ startLearningRate: 0 }, 'startLearningRate'],
    [{ endLearningRate: 1e-8 }, 'endLearningRate'],
    [{ steps: 1 }, 'steps'],
    [{ steps: 10.5 }, 'steps'],
    [{ divergeFactor: 1 }, 'divergeFactor'],
    [{ beta: 1 }, 'beta'],
    [{ skipEnd: -1 }, 'skipEnd'],
    [{ lossAndGrad: 3 as unknown as LrFinderOptions<Params>['lossAndGrad'] }, 'lossAndGrad'],
    [{ optimizer: undefined as unknown as LrFinderOptions<Params>['optimizer'] }, 'optimizer'],
    [{ optimizer: () => ({}) as GradientTransformation<unknown> }, 'optimizer'],
    [{ lr: 1 }, 'lr'],
  ];
  it.each(bad)('rejects %o naming %s', (override, parameter) => {
    let error: unknown;
    try {
      lrFinder({ ...base, ...override } as LrFinderOptions<Params>);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(HyperparameterError);
    expect((error as HyperparameterError).owner).toBe('lrFinder');
    expect((error as HyperparameterError).parameter).toBe(parameter);
  });
});
