/** Test helper: element-wise closeness of schedule values, reporting every mismatch with its count. */
import { expect } from 'vitest';
import type { Schedule } from '../../src/schedules/schedule.js';

export interface Tolerance {
  /** Relative tolerance (numpy's rtol). Default 1e-12. */
  readonly rtol?: number;
  /** Absolute tolerance (numpy's atol). Default 1e-300. */
  readonly atol?: number;
}

/** numpy's `assert_allclose` rule: |a - b| <= atol + rtol |b|. */
export function isClose(a: number, b: number, { rtol = 1e-12, atol = 1e-300 }: Tolerance = {}): boolean {
  return Math.abs(a - b) <= atol + rtol * Math.abs(b);
}

/** Checks `schedule(counts[i])` against `expected[i]`. */
export function expectValues(schedule: Schedule, counts: readonly number[], expected: readonly number[], tol: Tolerance = {}): void {
  expect(counts.length).toBe(expected.length);
  const bad: string[] = [];
  counts.forEach((c, i) => {
    const got = schedule(c);
    const want = expected[i] ?? NaN;
    if (!isClose(got, want, tol)) bad.push(`count ${String(c)}: got ${String(got)}, want ${String(want)}`);
  });
  expect(bad, bad.join('\n')).toEqual([]);
}

/** `[0, 1, ..., n - 1]`. */
export function range(n: number, start = 0): number[] {
  return Array.from({ length: n }, (_, i) => start + i);
}
