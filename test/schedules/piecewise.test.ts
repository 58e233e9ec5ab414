/**
 * piecewiseConstantSchedule and piecewiseInterpolateSchedule against optax's tests
 * (`PiecewiseConstantTest`, `PiecewiseInterpolateTest`) and docstrings.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HyperparameterError } from '../../src/errors.js';
import { piecewiseConstantSchedule, piecewiseInterpolateSchedule } from '../../src/schedules/piecewise.js';
import { expectValues, range } from './closeTo.js';

describe('piecewiseConstantSchedule', () => {
  it('positive values (optax test_positive): the boundary step is already scaled', () => {
    const s = piecewiseConstantSchedule({ initValue: 0.1, boundariesAndScales: { 3: 2, 6: 0.5 } });
    expectValues(s, range(10), [0.1, 0.1, 0.1, 0.2, 0.2, 0.2, 0.1, 0.1, 0.1, 0.1]);
  });

  it('negative values (optax test_negative)', () => {
    const s = piecewiseConstantSchedule({ initValue: -0.1, boundariesAndScales: { 3: 2, 6: 0.5 } });
    expectValues(s, range(10), [-0.1, -0.1, -0.1, -0.2, -0.2, -0.2, -0.1, -0.1, -0.1, -0.1]);
  });

  it('docstring example, and around its boundaries', () => {
    const s = piecewiseConstantSchedule({ initValue: 1, boundariesAndScales: { 100: 0.1, 200: 0.01 } });
    expectValues(s, [50, 150, 250], [1, 0.1, 0.001]);
    expectValues(s, [99, 100, 199, 200], [1, 0.1, 0.1, 0.001]);
  });

  it('no boundaries is the constant', () => {
    expectValues(piecewiseConstantSchedule({ initValue: 3 }), range(4), [3, 3, 3, 3]);
  });

  it('equals the product of the reached scales (property)', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.integer({ min: 0, max: 50 }).map(String), fc.double({ min: 0, max: 4, noNaN: true })),
        fc.double({ min: -10, max: 10, noNaN: true }),
        fc.integer({ min: 0, max: 60 }),
        (table, initValue, count) => {
          const s = piecewiseConstantSchedule({ initValue, boundariesAndScales: table });
          let want = initValue;
          for (const [k, v] of Object.entries(table).sort((a, b) => Number(a[0]) - Number(b[0]))) {
            if (count >= Number(k)) want = v * want;
          }
          expect(s(count)).toBe(want);
        },
      ),
    );
  });

  it('rejects a negative scale and a non-integer or non-canonical step', () => {
    expect(() => piecewiseConstantSchedule({ initValue: 1, boundariesAndScales: { 5: -3 } })).toThrow(HyperparameterError);
    expect(() => piecewiseConstantSchedule({ initValue: 1, boundariesAndScales: { '2.5': 1 } })).toThrow(HyperparameterError);
    expect(() => piecewiseConstantSchedule({ initValue: 1, boundariesAndScales: { '-1': 1 } })).toThrow(HyperparameterError);
    expect(() => piecewiseConstantSchedule({ initValue: 1, boundariesAndScales: { '07': 1 } })).toThrow(HyperparameterError);
  });
});

describe('piecewiseInterpolateSchedule', () => {
  it('linear (optax test_linear_piecewise)', () => {
    const s = piecewiseInterpolateSchedule({ interpolateType: 'linear', initValue: 200, boundariesAndScales: { 5: 1.5, 10: 0.25 } });
    expectValues(s, range(13), [200, 220, 240, 260, 280, 300, 255, 210, 165, 120, 75, 75, 75]);
  });

  it('cosine, with boundaries given out of order (optax test_cos_piecewise)', () => {
    const s = piecewiseInterpolateSchedule({ interpolateType: 'cosine', initValue: 400, boundariesAndScales: { 5: 1.2, 3: 0.6, 7: 1.0 } });
    // hand check count 1: 240 + (400 - 240)/2 (1 + cos(pi/3)) = 360
    expectValues(s, range(9), [400, 360, 280, 240, 264, 288, 288, 288, 288]);
  });

  it('no boundaries is the constant (optax test_empty_dict, test_no_dict)', () => {
    const empty = piecewiseInterpolateSchedule({ interpolateType: 'linear', initValue: 13, boundariesAndScales: {} });
    expectValues(empty, range(5), Array<number>(5).fill(13));
    expectValues(piecewiseInterpolateSchedule({ interpolateType: 'cosine', initValue: 17 }), range(3), [17, 17, 17]);
  });

  it('a boundary at 0 scales count 0 (optax test_zero_interval_size)', () => {
    const s = piecewiseInterpolateSchedule({ interpolateType: 'linear', initValue: 13, boundariesAndScales: { 0: 2, 5: 3 } });
    expectValues(s, range(6), [26, 36.4, 46.8, 57.2, 67.6, 78]);
  });

  it('docstring example', () => {
    const s = piecewiseInterpolateSchedule({ interpolateType: 'linear', initValue: 1, boundariesAndScales: { 4: 0.1, 8: 0.01 } });
    expectValues(s, [0, 2, 4, 6, 8, 10], [1, 0.55, 0.1, 0.0505, 0.001, 0.001]);
  });

  it('rejects a bad type or a negative scale (optax test_invalid_type, test_invalid_scale)', () => {
    for (const interpolateType of ['linar', '', null, undefined]) {
      expect(() => piecewiseInterpolateSchedule({ interpolateType, initValue: 13 } as never)).toThrow(HyperparameterError);
    }
    expect(() => piecewiseInterpolateSchedule({ interpolateType: 'linear', initValue: 13, boundariesAndScales: { 5: -3 } })).toThrow(
      HyperparameterError,
    );
  });

  it('treats a negative count as 0 (optax gives 0 there)', () => {
    const s = piecewiseInterpolateSchedule({ interpolateType: 'linear', initValue: 1, boundariesAndScales: { 4: 0.1 } });
    expect(s(-2)).toBe(1);
  });
});
