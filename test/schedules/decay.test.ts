/**
 * constant, polynomial, linear, exponential and cosine decay against the expectations of
 * optax's own tests (`optax/schedules/_schedule_test.py`) and docstrings. optax checks float32
 * with atol 1e-3; gradfuse computes in float64, so exact literals are checked to 1e-12 relative
 * and optax's float32 literals with its own rtol.
 */
import { describe, expect, it } from 'vitest';
import { constantSchedule, cosineDecaySchedule, exponentialDecay, linearSchedule, polynomialSchedule } from '../../src/schedules/decay.js';
import { expectValues, range } from './closeTo.js';

describe('constantSchedule', () => {
  it('holds its value (optax test_constant)', () => {
    expectValues(constantSchedule({ value: 10 }), range(15), Array<number>(15).fill(10));
  });
});

describe('polynomialSchedule', () => {
  it('power 1 goes 10..20 over 10 steps then holds (optax test_linear)', () => {
    const s = polynomialSchedule({ initValue: 10, endValue: 20, power: 1, transitionSteps: 10 });
    expectValues(s, range(15), [10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 20, 20, 20, 20]);
  });

  it('transitionSteps 0 is the constant initValue (optax test_zero_steps_schedule)', () => {
    const s = polynomialSchedule({ initValue: 10, endValue: 20, power: 1, transitionSteps: 0 });
    expectValues(s, range(15), Array<number>(15).fill(10));
  });

  it('power 2 (optax test_nonlinear)', () => {
    const s = polynomialSchedule({ initValue: 25, endValue: 10, power: 2, transitionSteps: 10 });
    // 10 + 15 (1 - n/10)^2: hand check n = 1 -> 10 + 15 * 0.81 = 22.15
    const want = [25, 22.15, 19.6, 17.35, 15.4, 13.75, 12.4, 11.35, 10.6, 10.15, 10, 10, 10, 10, 10];
    expectValues(s, range(15), want);
  });

  it('with transitionBegin (optax test_with_decay_begin)', () => {
    const s = polynomialSchedule({ initValue: 30, endValue: 10, power: 2, transitionSteps: 10, transitionBegin: 4 });
    const want = [30, 30, 30, 30, 30, 26.2, 22.8, 19.8, 17.2, 15, 13.2, 11.8, 10.8, 10.2, 10, 10, 10, 10, 10, 10];
    expectValues(s, range(20), want);
  });

  it('docstring example with transitionBegin 5 (printed to 4 decimals)', () => {
    const s = polynomialSchedule({ initValue: 1, endValue: 0.01, transitionSteps: 100, transitionBegin: 5, power: 2 });
    expectValues(s, [0, 5, 6, 104, 105, 110], [1, 1, 0.9803, 0.0101, 0.01, 0.01], { atol: 5e-5, rtol: 0 });
    // hand check: count 6 is 0.99 * 0.99^2 + 0.01
    expect(s(6)).toBeCloseTo(0.99 * 0.99 ** 2 + 0.01, 15);
  });
});

describe('linearSchedule', () => {
  it('docstring example', () => {
    const s = linearSchedule({ initValue: 1, endValue: 0.01, transitionSteps: 100 });
    expectValues(s, [0, 50, 100, 1000], [1, 0.505, 0.01, 0.01]);
  });
  it('is polynomialSchedule with power 1', () => {
    const a = linearSchedule({ initValue: 3, endValue: -1, transitionSteps: 7, transitionBegin: 2 });
    const b = polynomialSchedule({ initValue: 3, endValue: -1, power: 1, transitionSteps: 7, transitionBegin: 2 });
    for (const c of range(15)) expect(a(c)).toBe(b(c));
  });
});

describe('exponentialDecay', () => {
  // 2^(t/2), t = 0..14
  const pow2 = range(15).map((t) => (t % 2 === 0 ? 2 ** (t / 2) : 2 ** ((t - 1) / 2) * Math.SQRT2));
  const stair2 = [1, 1, 2, 2, 4, 4, 8, 8, 16, 16, 32, 32, 64, 64, 128];

  it.each([false, true])('decayRate 1 is constant (staircase %s; optax test_constant_schedule)', (staircase) => {
    expectValues(exponentialDecay({ initValue: 1, transitionSteps: 15, decayRate: 1, staircase }), range(15), Array<number>(15).fill(1));
  });

  it.each([false, true])('transitionSteps 0 or decayRate 0 is the constant initValue (staircase %s)', (staircase) => {
    expectValues(exponentialDecay({ initValue: 1, transitionSteps: 0, decayRate: 1, staircase }), range(15), Array<number>(15).fill(1));
    expectValues(exponentialDecay({ initValue: 1, transitionSteps: 2, decayRate: 0, staircase }), range(15), Array<number>(15).fill(1));
    // optax returns before looking at endValue
    expectValues(exponentialDecay({ initValue: 1, transitionSteps: 2, decayRate: 0, endValue: 3 }), range(5), Array<number>(5).fill(1));
  });

  it('grows as 2^(t/2), continuous and staircase (optax test_exponential)', () => {
    expectValues(exponentialDecay({ initValue: 1, transitionSteps: 2, decayRate: 2 }), range(15), pow2);
    expectValues(exponentialDecay({ initValue: 1, transitionSteps: 2, decayRate: 2, staircase: true }), range(15), stair2);
  });

  it('with transitionBegin 5 (optax test_exponential)', () => {
    const ones = Array<number>(5).fill(1);
    expectValues(exponentialDecay({ initValue: 1, transitionSteps: 2, decayRate: 2, transitionBegin: 5 }), range(20), [...ones, ...pow2]);
    expectValues(
      exponentialDecay({ initValue: 1, transitionSteps: 2, decayRate: 2, transitionBegin: 5, staircase: true }),
      range(20),
      [...ones, ...stair2],
    );
  });

  it('halves every step from 32 (optax test_immutable_count)', () => {
    expectValues(exponentialDecay({ initValue: 32, transitionSteps: 1, decayRate: 0.5 }), range(5), [32, 16, 8, 4, 2]);
  });

  describe('endValue bounds the decay (optax test_end_value_with_staircase)', () => {
    // transitionSteps 2, transitionBegin 3, counts 0..13, as optax.
    const cases: readonly [number, number, boolean, readonly number[]][] = [
      [0.2, 0.1, false, [1, 1, 1, 1, Math.sqrt(0.2), 0.2, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]],
      [0.2, 0.1, true, [1, 1, 1, 1, 1, 0.2, 0.2, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]],
      // decayRate 1 is not < 1, so endValue is an upper bound: min(1, 0.1) everywhere (as optax's
      // test computes it; OPTAX-REFERENCE.md's note "all 1" is wrong)
      [1.0, 0.1, false, Array<number>(14).fill(0.1)],
      [1.0, 0.1, true, Array<number>(14).fill(0.1)],
      [2.0, 3.0, false, [1, 1, 1, 1, Math.SQRT2, 2, 2 * Math.SQRT2, 3, 3, 3, 3, 3, 3, 3]],
      [2.0, 3.0, true, [1, 1, 1, 1, 1, 2, 2, 3, 3, 3, 3, 3, 3, 3]],
    ];
    it.each(cases)('decayRate %s, endValue %s, staircase %s', (decayRate, endValue, staircase, want) => {
      const s = exponentialDecay({ initValue: 1, transitionSteps: 2, decayRate, transitionBegin: 3, staircase, endValue });
      expectValues(s, range(14), want);
    });
    it('hand check: count 4 is 0.2^(1/2) = 0.4472136', () => {
      const s = exponentialDecay({ initValue: 1, transitionSteps: 2, decayRate: 0.2, transitionBegin: 3, endValue: 0.1 });
      expect(s(4)).toBeCloseTo(0.4472136, 7);
    });
  });
});

describe('cosineDecaySchedule', () => {
  const cosineMultipliers = (fracs: readonly number[]): number[] => fracs.map((f) => 0.5 + 0.5 * Math.cos(Math.PI * f));

  it('over the whole decay (optax test_decay_count_smaller_count)', () => {
    const want = cosineMultipliers([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]).map((m) => 0.1 * m);
    expectValues(cosineDecaySchedule({ initValue: 0.1, decaySteps: 10, alpha: 0 }), range(10), want);
    // hand check, as printed in OPTAX-REFERENCE
    expectValues(cosineDecaySchedule({ initValue: 0.1, decaySteps: 10 }), [1, 2, 5], [0.0975528, 0.0904508, 0.05], { rtol: 1e-6 });
  });

  it('clamped after decaySteps (optax test_decay_count_greater_count)', () => {
    const want = cosineMultipliers([0, 0.2, 0.4, 0.6, 0.8, 1, 1, 1, 1, 1, 1, 1]).map((m) => 0.1 * m);
    expectValues(cosineDecaySchedule({ initValue: 0.1, decaySteps: 5 }), range(12), want, { atol: 1e-17 });
  });

  it('with alpha (optax test_decay_count_greater_count_with_alpha)', () => {
    const want = cosineMultipliers([0, 0.2, 0.4, 0.6, 0.8, 1, 1, 1, 1, 1, 1, 1]).map((m) => 0.1 * (0.9 * m + 0.1));
    expectValues(cosineDecaySchedule({ initValue: 0.1, decaySteps: 5, alpha: 0.1 }), range(12), want);
    expectValues(cosineDecaySchedule({ initValue: 0.1, decaySteps: 5, alpha: 0.1 }), [1, 5], [0.0914058, 0.01], { rtol: 1e-6 });
  });

  it('with exponent 2 (optax test_with_exponent)', () => {
    const s = cosineDecaySchedule({ initValue: 0.1, decaySteps: 100, alpha: 0, exponent: 2 });
    expectValues(s, [0, 10, 50, 75, 100], [0.1, 0.09516553580760956, 0.025, 0.0021446612663567066, 0], { rtol: 1e-6, atol: 1e-8 });
  });

  it('with decaySteps beyond int32 (optax test_with_giant_int_steps)', () => {
    const s = cosineDecaySchedule({ initValue: 1000, decaySteps: 1e10, alpha: 0, exponent: 1 });
    expectValues(s, [1e9], [975.52826], { rtol: 1e-7 });
  });
});

describe('negative counts are treated as 0', () => {
  it.each([
    ['polynomialSchedule', polynomialSchedule({ initValue: 1, endValue: 0, power: 2, transitionSteps: 4 })],
    ['exponentialDecay', exponentialDecay({ initValue: 1, transitionSteps: 4, decayRate: 0.5 })],
    ['cosineDecaySchedule', cosineDecaySchedule({ initValue: 1, decaySteps: 4 })],
  ] as const)('%s', (_, s) => {
    expect(s(-3)).toBe(s(0));
  });
});
