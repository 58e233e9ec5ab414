/**
 * warmupCosineDecay, warmupExponentialDecay and sgdrSchedule against optax's tests
 * (`WarmupCosineDecayTest`, `SGDRTest`) and hand-computed values.
 */
import { describe, expect, it } from 'vitest';
import { HyperparameterError } from '../../src/errors.js';
import { sgdrSchedule } from '../../src/schedules/sgdr.js';
import { warmupCosineDecay, warmupExponentialDecay } from '../../src/schedules/warmup.js';
import { expectValues, range } from './closeTo.js';

describe('warmupCosineDecay', () => {
  it.each([
    // name, init, peak, end, extra points [count, value] (hand-computed)
    ['with end value', 10, 0.5, 1e-4, [[50, 5.25], [550, 0.25005], [1500, 1e-4]]],
    ['without end value', 5, 3, 0, [[50, 4], [550, 1.5], [1500, 0]]],
  ] as const)('limits %s (optax test_limits)', (_, initValue, peakValue, endValue, extra) => {
    const s = warmupCosineDecay({ initValue, peakValue, warmupSteps: 100, decaySteps: 1000, endValue });
    expectValues(s, [0, 100], [initValue, peakValue]);
    expectValues(s, [1000], [endValue], { rtol: 1e-12, atol: 1e-18 });
    expectValues(
      s,
      extra.map(([c]) => c),
      extra.map(([, v]) => v),
      { atol: 1e-15 },
    );
  });

  it('with exponent 2 and a negative end value (optax test_with_exponent, float32 literals)', () => {
    const s = warmupCosineDecay({ initValue: 0.2, peakValue: 1.21, endValue: -3, warmupSteps: 50, decaySteps: 100, exponent: 2 });
    const want = [0.20000004768371582, 0.4020000100135803, 1.2100000381469727, -1.947500228881836, -3.000000238418579];
    expectValues(s, [0, 10, 50, 75, 100], want, { rtol: 1e-6, atol: 1e-8 });
    // hand check count 75: 1.21 * ((1 - a) * (1/2)^2 + a), a = -3 / 1.21
    const a = -3 / 1.21;
    expect(s(75)).toBeCloseTo(1.21 * ((1 - a) * 0.25 + a), 14);
  });

  it('with peakValue 0 stays 0 after the warm-up whatever endValue is (optax test_zero_peak_value)', () => {
    const s = warmupCosineDecay({ initValue: 0.2, peakValue: 0, endValue: -3, warmupSteps: 50, decaySteps: 100, exponent: 2 });
    expectValues(s, [0, 10, 50, 75, 100], [0.2, 0.16, 0, 0, 0], { rtol: 1e-12, atol: 1e-17 });
  });

  it('rejects decaySteps == warmupSteps (the cosine would get 0 steps)', () => {
    expect(() => warmupCosineDecay({ initValue: 0.2, peakValue: 1.2, warmupSteps: 10, decaySteps: 10 })).toThrow(HyperparameterError);
  });

  it('rises strictly to the peak, then falls to endValue; exponent 2 lies below exponent 1 (optax property)', () => {
    const [s1, s2] = [1, 2].map((exponent) =>
      warmupCosineDecay({ initValue: 0, peakValue: 1, warmupSteps: 5, decaySteps: 25, endValue: 0.1, exponent }),
    );
    if (s1 === undefined || s2 === undefined) throw new Error('unreachable');
    for (const s of [s1, s2]) {
      for (const c of range(5)) expect(s(c + 1)).toBeGreaterThan(s(c));
      expect(s(5)).toBe(1);
      for (const c of range(20, 5)) expect(s(c + 1)).toBeLessThanOrEqual(s(c));
      expect(s(25)).toBeCloseTo(0.1, 15);
    }
    for (const c of range(26)) expect(s2(c)).toBeLessThanOrEqual(s1(c) + 1e-16);
  });

  it('warmupSteps 0 starts the cosine at the peak', () => {
    const s = warmupCosineDecay({ initValue: 7, peakValue: 1, warmupSteps: 0, decaySteps: 4 });
    expectValues(s, [0, 2, 4, 9], [1, 0.5, 0, 0], { atol: 1e-16 });
  });
});

describe('warmupExponentialDecay', () => {
  it('warms up linearly, then decays from the peak with its count restarted (hand-computed)', () => {
    const s = warmupExponentialDecay({ initValue: 0, peakValue: 1, warmupSteps: 4, transitionSteps: 2, decayRate: 0.5 });
    expectValues(s, range(9), [0, 0.25, 0.5, 0.75, 1, Math.SQRT1_2, 0.5, 0.5 * Math.SQRT1_2, 0.25]);
  });

  it('transitionBegin counts from the end of the warm-up; staircase and endValue apply to the decay', () => {
    const s = warmupExponentialDecay({
      initValue: 0.5,
      peakValue: 1,
      warmupSteps: 2,
      transitionSteps: 2,
      decayRate: 0.5,
      transitionBegin: 1,
      staircase: true,
      endValue: 0.3,
    });
    // counts 2,3 hold the peak (decay count 0,1 <= begin), 4 still floor(1/2)=0, 5 -> 0.5, 7 -> 0.25 clipped to 0.3
    expectValues(s, range(9), [0.5, 0.75, 1, 1, 1, 0.5, 0.5, 0.3, 0.3]);
  });
});

describe('sgdrSchedule', () => {
  const kwargs = (peaks: readonly number[]) =>
    [2000, 3000, 5000].map((decaySteps, i) => ({
      decaySteps,
      peakValue: peaks[i] ?? NaN,
      initValue: 0,
      endValue: 0,
      warmupSteps: 500,
    }));

  it.each([
    ['with step decay', [1.6, 0.8, 0.4]],
    ['without step decay', [1.6, 1.6, 1.6]],
  ] as const)('peaks at each cycle %s (optax test_limits)', (_, peaks) => {
    expectValues(sgdrSchedule({ cosineKwargs: kwargs(peaks) }), [500, 2500, 5500], [...peaks]);
  });

  it('restarts each cycle from its own initValue (hand-computed)', () => {
    const s = sgdrSchedule({ cosineKwargs: kwargs([1.6, 0.8, 0.4]) });
    expectValues(s, [0, 250, 1999, 2000, 2250, 5000, 10000, 20000], [0, 0.8, s(1999), 0, 0.4, 0, 0, 0], { atol: 1e-15 });
    expect(s(1999)).toBeGreaterThan(0);
    expect(s(1999)).toBeLessThan(1e-5);
  });

  it('names the cycle in its errors', () => {
    expect(() => sgdrSchedule({ cosineKwargs: [{ initValue: 0, peakValue: 1, warmupSteps: 5, decaySteps: 5 }] })).toThrow(
      expect.objectContaining({ owner: 'sgdrSchedule', parameter: 'cosineKwargs[0].decaySteps' }),
    );
  });
});
