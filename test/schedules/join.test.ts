/** joinSchedules against optax's `JoinTest`, and its restart and spec behaviour. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HyperparameterError } from '../../src/errors.js';
import { constantSchedule, linearSchedule } from '../../src/schedules/decay.js';
import { joinSchedules } from '../../src/schedules/join.js';
import { expectValues, range } from './closeTo.js';

describe('joinSchedules', () => {
  it('switches at each boundary (optax test_join_schedules)', () => {
    const s = joinSchedules({
      schedules: [constantSchedule({ value: 1 }), constantSchedule({ value: 2 }), constantSchedule({ value: 1 })],
      boundaries: [3, 6],
    });
    expectValues(s, range(7), [1, 1, 1, 2, 2, 2, 1]);
  });

  it('restarts each schedule count at its boundary (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 60 }), (b1, gap, count) => {
        const a = linearSchedule({ initValue: 0, endValue: 1, transitionSteps: 7 });
        const b = linearSchedule({ initValue: 5, endValue: 2, transitionSteps: 9 });
        const c = linearSchedule({ initValue: -1, endValue: 3, transitionSteps: 4 });
        const s = joinSchedules({ schedules: [a, b, c], boundaries: [b1, b1 + gap] });
        const want = count < b1 ? a(count) : count < b1 + gap ? b(count - b1) : c(count - b1 - gap);
        expect(s(count)).toBe(want);
      }),
    );
  });

  it('carries its children\'s specs, or no spec when a child is a plain function', () => {
    const a = constantSchedule({ value: 1 });
    const joined = joinSchedules({ schedules: [a, constantSchedule({ value: 2 })], boundaries: [4] });
    expect(joined.spec).toEqual({
      schedule: 'joinSchedules',
      options: {
        schedules: [
          { schedule: 'constantSchedule', options: { value: 1 } },
          { schedule: 'constantSchedule', options: { value: 2 } },
        ],
        boundaries: [4],
      },
    });
    const plain = joinSchedules({ schedules: [a, (c: number) => c], boundaries: [4] });
    expect(plain.spec).toBeUndefined();
    expectValues(plain, [0, 4, 6], [1, 0, 2]);
  });

  it('rejects a wrong number of boundaries, unsorted or negative boundaries, and non-functions', () => {
    const a = constantSchedule({ value: 1 });
    expect(() => joinSchedules({ schedules: [a, a], boundaries: [] })).toThrow(HyperparameterError);
    expect(() => joinSchedules({ schedules: [a, a, a], boundaries: [5, 3] })).toThrow(
      expect.objectContaining({ parameter: 'boundaries[1]' }),
    );
    expect(() => joinSchedules({ schedules: [a, a], boundaries: [-1] })).toThrow(HyperparameterError);
    expect(() => joinSchedules({ schedules: [], boundaries: [] })).toThrow(HyperparameterError);
    expect(() => joinSchedules({ schedules: [a, 3 as never], boundaries: [1] })).toThrow(
      expect.objectContaining({ parameter: 'schedules[1]' }),
    );
  });
});
