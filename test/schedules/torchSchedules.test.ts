/**
 * Conformance: gradfuse's PyTorch schedules against torch 1.13.1's recorded learning rates
 * (`shared/conformance/torch/schedules.json`), and the `lr_schedule` of the optimizer case
 * files against their recorded `steps[].lr` (and `steps[].momentum`). The directory comes from
 * `GRADFUSE_CONFORMANCE_DIR`, by default `../shared/conformance/torch` beside the repo root.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Schedule } from '../../src/schedules/schedule.js';
import { scheduleFromLrScheduleField, torchScheduleFromEntry, type TorchScheduleEntry } from './torchScheduleFromEntry.js';

const dir =
  process.env['GRADFUSE_CONFORMANCE_DIR'] ??
  path.resolve(fileURLToPath(new URL('../..', import.meta.url)), '..', 'shared', 'conformance', 'torch');
const schedulesFile = path.join(dir, 'schedules.json');
const present = existsSync(schedulesFile);

interface SchedulesFile {
  readonly format: number;
  readonly schedules: readonly TorchScheduleEntry[];
}

const data: SchedulesFile = present
  ? (JSON.parse(readFileSync(schedulesFile, 'utf8')) as SchedulesFile)
  : { format: 1, schedules: [] };

/** Relative 1e-12: |a - b| <= 1e-12 |b| + 1e-300. */
function relClose(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-12 * Math.abs(b) + 1e-300;
}

/** Checks `schedule(t)` against `expected[t]` for every t; reports every mismatch with its step. */
function expectTrajectory(schedule: Schedule, expected: readonly number[], what: string): void {
  const bad: string[] = [];
  expected.forEach((want, t) => {
    const got = schedule(t);
    if (!relClose(got, want)) bad.push(`${what}[${String(t)}]: got ${String(got)}, want ${String(want)}`);
  });
  expect(bad, bad.slice(0, 10).join('\n')).toEqual([]);
}

describe.skipIf(!present)(`torch schedules.json (${schedulesFile})`, () => {
  it('is format 1 with entries', () => {
    expect(data.format).toBe(1);
    expect(data.schedules.length).toBeGreaterThan(0);
  });

  for (const entry of data.schedules) {
    it(entry.name, () => {
      expect(entry.lrs.length).toBe(entry.steps);
      const built = torchScheduleFromEntry(entry);
      expectTrajectory(built.lr, entry.lrs, 'lrs');
      if (entry.momentums !== undefined) {
        expect(built.momentum, `${entry.name} records momentums, so its schedule must cycle momentum`).toBeDefined();
        if (built.momentum !== undefined) expectTrajectory(built.momentum, entry.momentums, 'momentums');
      } else {
        expect(built.momentum).toBeUndefined();
      }
      // The schedule is data: its spec survives JSON.
      expect(JSON.parse(JSON.stringify(built.lr.spec))).toEqual(built.lr.spec);
    });
  }
});

// -------------------------------------------------------------------------------------------------
// lr_schedule fields of the optimizer case files
// -------------------------------------------------------------------------------------------------

interface CaseFile {
  readonly name: string;
  readonly pipeline: readonly Readonly<Record<string, unknown>>[];
  readonly steps: readonly { readonly lr: number; readonly momentum?: number }[];
}

const caseFiles: readonly { readonly file: string; readonly data: CaseFile }[] = existsSync(dir)
  ? readdirSync(dir)
      .filter((f) => f.endsWith('.json') && f !== 'schedules.json' && f !== 'clip.json')
      .sort()
      .map((f) => ({ file: f, data: JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as CaseFile }))
      .filter(({ data: c }) => c.pipeline.some((op) => op['lr_schedule'] !== undefined))
  : [];

describe.skipIf(caseFiles.length === 0)('lr_schedule of the optimizer case files', () => {
  for (const { file, data: c } of caseFiles) {
    it(file, () => {
      const field = c.pipeline.find((op) => op['lr_schedule'] !== undefined)?.['lr_schedule'];
      const built = scheduleFromLrScheduleField(field);
      expectTrajectory(
        built.lr,
        c.steps.map((s) => s.lr),
        'steps[].lr',
      );
      const momenta = c.steps.map((s) => s.momentum);
      if (momenta.every((m): m is number => m !== undefined)) {
        expect(built.momentum).toBeDefined();
        if (built.momentum !== undefined) expectTrajectory(built.momentum, momenta, 'steps[].momentum');
      } else {
        expect(momenta.every((m) => m === undefined)).toBe(true);
        expect(built.momentum).toBeUndefined();
      }
    });
  }
});

describe('torchScheduleFromEntry and scheduleFromLrScheduleField refuse what they do not know', () => {
  const entry = (torch: string, args: Record<string, unknown>): TorchScheduleEntry => ({
    name: 'x',
    torch,
    args,
    base_lr: 0.1,
    steps: 0,
    lrs: [],
  });
  it('throws on an unknown constructor', () => {
    expect(() => torchScheduleFromEntry(entry('LambdaLR(opt, lr_lambda=1)', { lr_lambda: 1 }))).toThrow(/unknown torch scheduler/);
  });
  it('throws on an unknown argument', () => {
    expect(() => torchScheduleFromEntry(entry('StepLR(opt, step_size=3, verbose=False)', { step_size: 3, verbose: false }))).toThrow(
      /unknown torch argument "verbose"/,
    );
  });
  it('throws when args and the torch call disagree', () => {
    expect(() => torchScheduleFromEntry(entry('StepLR(opt, step_size=3)', { step_size: 4 }))).toThrow(/differ/);
  });
  it('throws on an unknown lr_schedule kind or field', () => {
    expect(() => scheduleFromLrScheduleField({ kind: 'lambda' })).toThrow(/unknown kind/);
    expect(() =>
      scheduleFromLrScheduleField({
        kind: 'linear_warmup_then_cosine',
        base_lr: 0.1,
        warmup_steps: 2,
        warmup_start_factor: 0.1,
        cosine_T_max: 5,
        eta_min: 0,
        extra: 1,
      }),
    ).toThrow(/unknown field "extra"/);
    expect(() => scheduleFromLrScheduleField({ kind: 'linear_warmup_then_cosine', base_lr: 0.1 })).toThrow(/missing field/);
  });
  it('builds the one_cycle momentum only when cycle_momentum is true', () => {
    const base = {
      kind: 'one_cycle',
      max_lr: 0.2,
      total_steps: 30,
      pct_start: 0.3,
      anneal_strategy: 'cos',
      base_momentum: 0.85,
      max_momentum: 0.95,
      div_factor: 25,
      final_div_factor: 1e4,
      three_phase: false,
    };
    expect(scheduleFromLrScheduleField({ ...base, cycle_momentum: true }).momentum).toBeDefined();
    expect(scheduleFromLrScheduleField({ ...base, cycle_momentum: false }).momentum).toBeUndefined();
  });
});
