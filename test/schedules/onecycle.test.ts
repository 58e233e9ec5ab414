/** cosineOnecycleSchedule and linearOnecycleSchedule against optax's `OneCycleTest`. */
import { describe, expect, it } from 'vitest';
import { HyperparameterError } from '../../src/errors.js';
import { cosineOnecycleSchedule, linearOnecycleSchedule } from '../../src/schedules/onecycle.js';
import { piecewiseInterpolateSchedule } from '../../src/schedules/piecewise.js';
import { expectValues, range } from './closeTo.js';

describe('linearOnecycleSchedule', () => {
  it('three linear pieces (optax test_linear)', () => {
    const s = linearOnecycleSchedule({
      transitionSteps: 10,
      peakValue: 1000,
      pctStart: 0.3,
      pctFinal: 0.7,
      divFactor: 10,
      finalDivFactor: 100,
    });
    // knots (0,100) (3,1000) (7,100) (10,1); hand check count 8: 100 + (1 - 100)/3 = 67
    expectValues(s, range(12), [100, 400, 700, 1000, 775, 550, 325, 100, 67, 34, 1, 1]);
  });

  it('is piecewiseInterpolateSchedule with the integer knots', () => {
    const a = linearOnecycleSchedule({ transitionSteps: 100, peakValue: 0.1 });
    const b = piecewiseInterpolateSchedule({
      interpolateType: 'linear',
      initValue: 0.1 / 25,
      boundariesAndScales: { 30: 25, 85: 1 / 25, 100: 1e-4 },
    });
    for (const c of range(110)) expect(a(c)).toBe(b(c));
  });

  it('a later knot on the same step replaces the earlier one (optax dict literal)', () => {
    const a = linearOnecycleSchedule({ transitionSteps: 10, peakValue: 1, pctStart: 0.5, pctFinal: 0.5 });
    const b = piecewiseInterpolateSchedule({ interpolateType: 'linear', initValue: 1 / 25, boundariesAndScales: { 5: 1 / 25, 10: 1e-4 } });
    for (const c of range(12)) expect(a(c)).toBe(b(c));
  });
});

describe('cosineOnecycleSchedule', () => {
  it('two cosine pieces (optax test_cosine)', () => {
    const s = cosineOnecycleSchedule({ transitionSteps: 5, peakValue: 1000, pctStart: 0.4, divFactor: 10, finalDivFactor: 100 });
    // hand check count 3: 1 + 999/2 (1 + cos(pi/3)) = 750.25
    expectValues(s, range(7), [100, 550, 1000, 750.25, 250.75, 1, 1]);
  });

  it('ends at peak / (divFactor * finalDivFactor)', () => {
    expect(cosineOnecycleSchedule({ transitionSteps: 100, peakValue: 0.1 })(100)).toBeCloseTo(0.1 / 25 / 1e4, 20);
  });
});

it('transitionSteps 0 is rejected (optax test_nonpositive_transition_steps)', () => {
  expect(() => cosineOnecycleSchedule({ transitionSteps: 0, peakValue: 5 })).toThrow(HyperparameterError);
  expect(() => linearOnecycleSchedule({ transitionSteps: 0, peakValue: 5 })).toThrow(HyperparameterError);
});
