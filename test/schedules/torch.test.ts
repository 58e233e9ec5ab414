/**
 * PyTorch schedules: behaviour the conformance vectors do not pin down (defaults, edges past
 * the recorded range) and the verified relations to optax's schedules from
 * `shared/conformance/PYTORCH-OPTIONS.md`.
 */
import { describe, expect, it } from 'vitest';
import { HyperparameterError } from '../../src/errors.js';
import { cosineDecaySchedule, exponentialDecay, polynomialSchedule } from '../../src/schedules/decay.js';
import { cosineOnecycleSchedule } from '../../src/schedules/onecycle.js';
import { sgdrSchedule } from '../../src/schedules/sgdr.js';
import {
  constantLR,
  cosineAnnealingLR,
  cosineAnnealingWarmRestarts,
  exponentialLR,
  linearLR,
  multiStepLR,
  polynomialLR,
  sequentialLR,
  stepLR,
} from '../../src/schedules/torch.js';
import { cyclicLR, cyclicMomentum, oneCycleLR, oneCycleMomentum } from '../../src/schedules/torchCyclic.js';
import { warmupCosineDecay } from '../../src/schedules/warmup.js';
import { expectValues, isClose, range } from './closeTo.js';

describe('torch step schedules', () => {
  it('stepLR defaults gamma to 0.1 and matches optax staircase exponentialDecay', () => {
    const s = stepLR({ lr: 1, stepSize: 3 });
    expectValues(s, [0, 2, 3, 5, 6, 9], [1, 1, 0.1, 0.1, 0.01, 0.001]);
    const o = exponentialDecay({ initValue: 1, transitionSteps: 3, decayRate: 0.1, staircase: true });
    for (const c of range(20)) expect(isClose(s(c), o(c))).toBe(true);
  });

  it('multiStepLR compounds a repeated milestone and accepts any order', () => {
    const s = multiStepLR({ lr: 1, milestones: [20, 8, 20], gamma: 0.5 });
    expectValues(s, [0, 7, 8, 19, 20, 100], [1, 1, 0.5, 0.5, 0.125, 0.125]);
    expectValues(multiStepLR({ lr: 2, milestones: [0] }), [0], [0.2]);
  });

  it('exponentialLR is lr * gamma^t', () => {
    expectValues(exponentialLR({ lr: 2, gamma: 0.5 }), range(4), [2, 1, 0.5, 0.25]);
  });
});

describe('torch factor schedules', () => {
  it('linearLR defaults: 1/3 to 1 over 5 steps', () => {
    expectValues(linearLR({ lr: 3 }), [0, 1, 5, 9], [1, 1.4, 3, 3]);
  });

  it('linearLR rejects startFactor 0 (torch 1.13 divides by zero) and factors above 1', () => {
    expect(() => linearLR({ lr: 1, startFactor: 0 })).toThrow(expect.objectContaining({ owner: 'linearLR', parameter: 'startFactor' }));
    expect(() => linearLR({ lr: 1, startFactor: 1.5 })).toThrow(HyperparameterError);
    expect(() => linearLR({ lr: 1, endFactor: 1.5 })).toThrow(expect.objectContaining({ parameter: 'endFactor' }));
    expect(linearLR({ lr: 1, startFactor: 1, endFactor: 0, totalIters: 4 })(4)).toBe(0);
  });

  it('constantLR defaults: 1/3 for 5 steps, then lr', () => {
    expectValues(constantLR({ lr: 3 }), [0, 4, 5, 50], [1, 1, 3, 3]);
  });

  it('polynomialLR ends at 0 and equals optax polynomialSchedule to 0', () => {
    const s = polynomialLR({ lr: 0.1, totalIters: 10, power: 2 });
    const o = polynomialSchedule({ initValue: 0.1, endValue: 0, power: 2, transitionSteps: 10 });
    for (const c of range(15)) expect(isClose(s(c), o(c), { atol: 1e-18 })).toBe(true);
    expect(s(10)).toBe(0);
    expectValues(polynomialLR({ lr: 1 }), [0, 1, 5, 6], [1, 0.8, 0, 0]);
  });
});

describe('cosineAnnealingLR', () => {
  it('is not clamped at tMax: it rises again with period 2 tMax', () => {
    const s = cosineAnnealingLR({ lr: 0.1, tMax: 20 });
    expect(s(20)).toBe(0);
    for (const c of range(20)) {
      expect(isClose(s(20 + c), s(20 - c), { atol: 1e-17 })).toBe(true);
      expect(isClose(s(40 + c), s(c), { atol: 1e-17 })).toBe(true);
    }
  });

  it('equals optax cosineDecaySchedule within [0, tMax] with alpha = etaMin / lr', () => {
    const s = cosineAnnealingLR({ lr: 0.1, tMax: 30, etaMin: 0.001 });
    const o = cosineDecaySchedule({ initValue: 0.1, decaySteps: 30, alpha: 0.01 });
    for (const c of range(31)) expect(isClose(s(c), o(c), { rtol: 1e-14 })).toBe(true);
    expect(o(31)).toBeCloseTo(0.001, 17);
    expect(s(31)).toBeGreaterThan(0.001);
  });
});

describe('cosineAnnealingWarmRestarts', () => {
  it('restarts at T_0, T_0 (1 + m), ... with growing cycles', () => {
    const s = cosineAnnealingWarmRestarts({ lr: 1, t0: 5, tMult: 2 });
    // restarts at 5, 15, 35, 75
    for (const r of [0, 5, 15, 35, 75]) expect(s(r)).toBe(1);
    expect(s(10)).toBeCloseTo(0.5, 15); // middle of the 10-step cycle [5, 15)
    expect(s(25)).toBeCloseTo(0.5, 15); // middle of the 20-step cycle [15, 35)
  });

  it('equals optax sgdr with warmupSteps 0 over the listed cycles', () => {
    const s = cosineAnnealingWarmRestarts({ lr: 0.1, t0: 5, tMult: 2, etaMin: 0.001 });
    const o = sgdrSchedule({
      cosineKwargs: [5, 10, 20].map((decaySteps) => ({ initValue: 0.1, peakValue: 0.1, warmupSteps: 0, decaySteps, endValue: 0.001 })),
    });
    for (const c of range(35)) expect(isClose(s(c), o(c), { rtol: 1e-14 })).toBe(true);
  });

  it('with tMult 1 restarts every t0 steps', () => {
    const s = cosineAnnealingWarmRestarts({ lr: 1, t0: 4 });
    for (const c of range(4)) expect(s(c + 12)).toBe(s(c));
  });
});

describe('sequentialLR', () => {
  it('warm-up + cosine equals optax warmupCosineDecay up to T, then re-warms (PYTORCH-OPTIONS.md)', () => {
    const torch = sequentialLR({
      schedules: [linearLR({ lr: 1, startFactor: 0.1, totalIters: 5 }), cosineAnnealingLR({ lr: 1, tMax: 15, etaMin: 0.01 })],
      milestones: [5],
    });
    const optax = warmupCosineDecay({ initValue: 0.1, peakValue: 1, warmupSteps: 5, decaySteps: 20, endValue: 0.01 });
    for (const c of range(21)) expect(Math.abs(torch(c) - optax(c))).toBeLessThanOrEqual(1e-15);
    expectValues(torch, [0, 5, 20], [0.1, 1, 0.01], { rtol: 1e-14 });
    expect(torch(21)).toBeCloseTo(0.0208, 4);
    expect(torch(25)).toBeCloseTo(0.2575, 4);
    expect(optax(25)).toBeCloseTo(0.01, 15);
  });
});

describe('oneCycleLR and oneCycleMomentum', () => {
  const T = 10;
  const torch = oneCycleLR({ maxLr: 1, totalSteps: T });

  it('runs one step ahead of optax cosineOnecycleSchedule (PYTORCH-OPTIONS.md)', () => {
    const optax = cosineOnecycleSchedule({ transitionSteps: T, peakValue: 1 });
    expect(optax(3)).toBe(1);
    expect(torch(2)).toBeCloseTo(1, 12); // torch's knot is the float 0.3*10 - 1 = 2.0000000000000004
    for (const k of range(T - 2, 2)) expect(isClose(torch(k), optax(k + 1), { rtol: 1e-12 })).toBe(true);
    expect(torch(T - 1)).toBeCloseTo(4e-6, 18);
    expect(optax(T)).toBeCloseTo(4e-6, 18);
  });

  it('holds the final value past totalSteps - 1 (torch raises past totalSteps)', () => {
    for (const c of [T - 1, T, T + 5, 1e9]) expect(torch(c)).toBe(torch(T - 1));
    const linear = oneCycleLR({ maxLr: 1, totalSteps: T, annealStrategy: 'linear' });
    expect(linear(T)).toBeGreaterThan(0);
  });

  it('cycles the momentum inversely to the lr', () => {
    const m = oneCycleMomentum({ maxLr: 1, totalSteps: 100 });
    expectValues(m, [0, 99], [0.95, 0.95]);
    expect(m(29)).toBeCloseTo(0.85, 15);
    const three = oneCycleMomentum({ maxLr: 1, totalSteps: 100, threePhase: true });
    expect(three(29)).toBeCloseTo(0.85, 15);
    expect(three(58)).toBeCloseTo(0.95, 15);
    expect(three(80)).toBe(0.95);
  });

  it('a zero-length first phase ends at its end value instead of torch\'s 0/0', () => {
    const s = oneCycleLR({ maxLr: 1, totalSteps: 10, pctStart: 0.1 });
    expect(s(0)).toBe(1);
    expect(Number.isFinite(s(1))).toBe(true);
  });

  it('oneCycleMomentum refuses cycleMomentum false', () => {
    expect(() => oneCycleMomentum({ maxLr: 1, totalSteps: 10, cycleMomentum: false })).toThrow(
      expect.objectContaining({ owner: 'oneCycleMomentum', parameter: 'cycleMomentum' }),
    );
    expect(() => oneCycleLR({ maxLr: 1, totalSteps: 10, cycleMomentum: false })).not.toThrow();
  });
});

describe('cyclicLR and cyclicMomentum', () => {
  it('triangular: base -> max over stepSizeUp, back over stepSizeDown', () => {
    const s = cyclicLR({ baseLr: 0, maxLr: 1, stepSizeUp: 2, stepSizeDown: 4 });
    expectValues(s, range(8), [0, 0.5, 1, 0.75, 0.5, 0.25, 0, 0.5]);
    const m = cyclicMomentum({ baseLr: 0, maxLr: 1, stepSizeUp: 2, stepSizeDown: 4 });
    expectValues(m, range(4), [0.9, 0.85, 0.8, 0.825]);
  });

  it('triangular2 halves the amplitude each cycle; exp_range scales by gamma^t', () => {
    const s2 = cyclicLR({ baseLr: 0, maxLr: 1, stepSizeUp: 1, mode: 'triangular2' });
    expectValues(s2, range(7), [0, 1, 0, 0.5, 0, 0.25, 0]);
    const se = cyclicLR({ baseLr: 0, maxLr: 1, stepSizeUp: 1, mode: 'exp_range', gamma: 0.5 });
    expectValues(se, [1, 3], [0.5, 0.125]);
  });

  it('defaults stepSizeDown to stepSizeUp in its spec', () => {
    expect(cyclicLR({ baseLr: 0.001, maxLr: 0.1 }).spec?.options['stepSizeDown']).toBe(2000);
  });

  it('cyclicMomentum refuses cycleMomentum false', () => {
    expect(() => cyclicMomentum({ baseLr: 0, maxLr: 1, cycleMomentum: false })).toThrow(
      expect.objectContaining({ owner: 'cyclicMomentum', parameter: 'cycleMomentum' }),
    );
  });
});
