/**
 * Every schedule carries its spec: the constructor's name and its options with the defaults
 * filled in (children as their specs). The spec is JSON, and `scheduleFromSpec` rebuilds the
 * same schedule from it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HyperparameterError } from '../../src/errors.js';
import { SCHEDULE_NAMES, scheduleFromSpec } from '../../src/schedules/fromSpec.js';
import { joinSchedules } from '../../src/schedules/join.js';
import type { Schedule } from '../../src/schedules/schedule.js';
import { sequentialLR } from '../../src/schedules/torch.js';
import { warmupCosineDecay } from '../../src/schedules/warmup.js';
import { range } from './closeTo.js';
import { REGISTRY } from './registry.js';

const COUNTS = [...range(130), 1000, 1e6];

describe.each(REGISTRY)('$name', ({ name, ctor, valid, filled }) => {
  const s = (ctor as (o: unknown) => Schedule)(valid);

  it('has spec { schedule: name, options: options with defaults filled in }', () => {
    expect(s.spec).toEqual({ schedule: name, options: filled });
  });

  it('has a JSON spec from which scheduleFromSpec rebuilds the same values', () => {
    const json = JSON.stringify(s.spec);
    const back: unknown = JSON.parse(json);
    expect(back).toEqual(s.spec);
    const rebuilt = scheduleFromSpec(back);
    expect(rebuilt.spec).toEqual(s.spec);
    for (const c of COUNTS) expect(Object.is(rebuilt(c), s(c))).toBe(true);
  });

  it('rebuilds from its own filled options', () => {
    const again = (ctor as (o: unknown) => Schedule)(name === 'joinSchedules' || name === 'sequentialLR' ? valid : filled);
    for (const c of COUNTS) expect(Object.is(again(c), s(c))).toBe(true);
  });

  it('is finite at every count, and treats negative counts as 0', () => {
    for (const c of COUNTS) expect(Number.isFinite(s(c))).toBe(true);
    expect(s(-1)).toBe(s(0));
    expect(s(-1e9)).toBe(s(0));
  });
});

describe('scheduleFromSpec', () => {
  it('knows every constructor of the registry, and only those', () => {
    expect([...SCHEDULE_NAMES].sort()).toEqual(REGISTRY.map((e) => e.name).sort());
  });

  it('rebuilds nested combinators', () => {
    const inner = joinSchedules({
      schedules: [
        warmupCosineDecay({ initValue: 0, peakValue: 1, warmupSteps: 3, decaySteps: 10 }),
        warmupCosineDecay({ initValue: 0, peakValue: 0.5, warmupSteps: 3, decaySteps: 10 }),
      ],
      boundaries: [10],
    });
    const outer = sequentialLR({ schedules: [inner, inner], milestones: [20] });
    const back = scheduleFromSpec(JSON.parse(JSON.stringify(outer.spec)));
    for (const c of range(50)) expect(back(c)).toBe(outer(c));
  });

  it('rejects an unknown name or malformed spec', () => {
    expect(() => scheduleFromSpec({ schedule: 'nope', options: {} })).toThrow(HyperparameterError);
    expect(() => scheduleFromSpec({ schedule: 'toString', options: {} })).toThrow(HyperparameterError);
    expect(() => scheduleFromSpec(null)).toThrow(HyperparameterError);
    expect(() => scheduleFromSpec({ schedule: 'constantSchedule', options: [] })).toThrow(HyperparameterError);
    expect(() => scheduleFromSpec({ schedule: 'constantSchedule', options: { value: 1, extra: 2 } })).toThrow(
      expect.objectContaining({ owner: 'constantSchedule', parameter: 'extra' }),
    );
  });

  it('round-trips random warmupCosineDecay options (property)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 1e-3, max: 10, noNaN: true }),
        fc.integer({ min: 0, max: 50 }),
        fc.integer({ min: 1, max: 100 }),
        fc.double({ min: 0, max: 1e-2, noNaN: true }),
        fc.integer({ min: 0, max: 200 }),
        (initValue, peakValue, warmupSteps, extra, endValue, count) => {
          const s = warmupCosineDecay({ initValue, peakValue, warmupSteps, decaySteps: warmupSteps + extra, endValue });
          const back = scheduleFromSpec(JSON.parse(JSON.stringify(s.spec)));
          expect(Object.is(back(count), s(count))).toBe(true);
        },
      ),
    );
  });
});
