/**
 * PyTorch conformance: every `*.json` file of the conformance directory (see
 * `test/conformance/README.md`) replayed through gradfuse, one test per file, named after the
 * file. The format of each file is read from its content (`pipeline`, `cases` or `schedules`).
 * A summary table of the largest errors is printed at the end.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorStats, F32, F64, fmt } from './compare.js';
import { COMPILED_PATHS } from './compiled.js';
import { type ConformanceFile, conformanceDir, kindOf, listConformanceFiles, readConformanceFile } from './format.js';
import { OPS, mappingTable, torch1SingleTensorNadam } from './pipeline.js';
import { prepareOptimizerFile, reference, replay, runClipFile, runOptimizerFile, runSchedulesFile, sideBySide } from './run.js';

const explicitDir = process.env['GRADFUSE_CONFORMANCE_DIR'];
const dir = conformanceDir();
/** With the default directory absent (a checkout without `shared/`), the suite says so and skips. */
let missingReason: string | undefined;
let files: readonly { readonly name: string; readonly file: string }[] = [];
try {
  files = listConformanceFiles(dir);
} catch (e) {
  // An explicitly chosen directory must exist: rethrow, failing the whole file.
  if (explicitDir !== undefined && explicitDir !== '') throw e;
  missingReason = (e as Error).message;
}
const loaded: readonly ConformanceFile[] = files.map((f) => readConformanceFile(f.file));

// -------------------------------------------------------------------------------------------------
// the report table
// -------------------------------------------------------------------------------------------------

interface Row {
  readonly file: string;
  readonly cells: readonly string[];
}
const rows: Row[] = [];
const HEADER = ['file', 'f64 max abs', 'f64 max rel', 'f64 tol used', 'f32 max abs', 'f32 max rel', 'f32 tol used', 'scalars (max rel); compiled: vs reference'];

function statCells(s: ErrorStats | undefined): string[] {
  return s === undefined ? ['-', '-', '-'] : [fmt(s.maxAbs), fmt(s.maxRel), fmt(s.maxRatio)];
}

function printTable(): void {
  if (rows.length === 0) return;
  const all = [HEADER, ...rows.map((r) => [r.file, ...r.cells])];
  const widths = HEADER.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]): string => `| ${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  const sep = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`;
  console.log(
    [
      `PyTorch conformance, ${dir}`,
      `tolerances: float64 |a-b| <= ${String(F64.atol)} + ${String(F64.rtol)}|b|; float32 |a-b| <= ${String(F32.atol)} + ${String(F32.rtol)}|b|; scalars relative 1e-12`,
      '"tol used" = max |a-b| / (atol + rtol|b|), at most 1 when passing',
      line(HEADER),
      sep,
      ...all.slice(1).map(line),
    ].join('\n'),
  );
}

afterAll(printTable);

/** Every comparison of a report must pass; the message lists the first mismatches. */
function expectPass(stats: ErrorStats | undefined, what: string): void {
  if (stats === undefined) return;
  expect(stats.count, `${what}: nothing was compared`).toBeGreaterThan(0);
  expect(stats.failures, `${what}:\n${stats.failures.join('\n')}`).toEqual([]);
}

function scalarsCell(parts: readonly (readonly [string, ErrorStats | undefined])[]): string {
  return parts
    .filter((p): p is readonly [string, ErrorStats] => p[1] !== undefined)
    .map(([n, s]) => `${n} ${fmt(s.maxRel)}`)
    .join(', ');
}

// -------------------------------------------------------------------------------------------------
// one test per file
// -------------------------------------------------------------------------------------------------

describe(`PyTorch conformance vectors (${dir})`, () => {
  if (missingReason !== undefined) {
    // Shown as skipped, with the reason, when the default directory is absent.
    it.skip(`vectors not found: ${missingReason}`, () => {});
    return;
  }

  it('the directory holds vector files', () => {
    expect(files.length, `no *.json file in ${dir}`).toBeGreaterThan(0);
  });

  for (const file of loaded) {
    it(file.name, () => {
      const kind = kindOf(file.json);
      if (kind === 'optimizer') {
        const report = runOptimizerFile(file);
        const f64 = report.params.get('float64');
        const f32 = report.params.get('float32');
        rows.push({
          file: file.name,
          cells: [
            ...statCells(f64),
            ...statCells(f32),
            scalarsCell([
              ['lr', report.lr],
              ['momentum', report.momentum],
              ['grad_norm', report.gradNorm],
            ]),
          ],
        });
        expectPass(f64, `${file.name} float64 params`);
        expectPass(f32, `${file.name} float32 params`);
        expectPass(report.lr, `${file.name} lr schedule`);
        expectPass(report.momentum, `${file.name} momentum schedule`);
        expectPass(report.gradNorm, `${file.name} grad_norm`);
      } else if (kind === 'clip') {
        const report = runClipFile(file);
        rows.push({
          file: `${file.name} (${String(report.cases)} cases)`,
          cells: [...statCells(report.clipped), '-', '-', '-', scalarsCell([['total_norm', report.totalNorm]])],
        });
        expectPass(report.clipped, `${file.name} clipped`);
        expectPass(report.totalNorm, `${file.name} total_norm`);
      } else {
        const report = runSchedulesFile(file);
        rows.push({
          file: `${file.name} (${String(report.entries)} schedules)`,
          cells: ['-', '-', '-', '-', '-', '-', scalarsCell([['lrs', report.lrs], ['momentums', report.momentums]])],
        });
        expectPass(report.lrs, `${file.name} lrs`);
        expectPass(report.momentums.count === 0 ? undefined : report.momentums, `${file.name} momentums`);
      }
    });
  }
});

// -------------------------------------------------------------------------------------------------
// the compiled path
// -------------------------------------------------------------------------------------------------

const optimizerFiles = loaded.filter((f) => kindOf(f.json) === 'optimizer');

describe('PyTorch conformance vectors through the compiled paths (src/compile)', () => {
  for (const file of optimizerFiles) {
    it(`${file.name} (compiled)`, () => {
      const { c, built } = prepareOptimizerFile(file);
      const worst = (a: ErrorStats | undefined, b: ErrorStats): ErrorStats => (a === undefined || b.maxRatio > a.maxRatio ? b : a);
      let f64Worst: ErrorStats | undefined;
      let f32Worst: ErrorStats | undefined;
      let maxVsReference = 0;
      for (const [label, run] of COMPILED_PATHS) {
        const f64 = replay(c, built, 'float64', run);
        const f32 = replay(c, built, 'float32', run);
        expectPass(f64, `${file.name} ${label} float64 params`);
        expectPass(f32, `${file.name} ${label} float32 params`);
        f64Worst = worst(f64Worst, f64);
        f32Worst = worst(f32Worst, f32);
        // The js and closure backends promise the reference's numbers bit for bit
        // (src/compile/index.ts); every op order here is the reference's.
        for (const dtype of ['float64', 'float32'] as const) {
          const same = sideBySide(c, built, dtype, run, reference);
          maxVsReference = Math.max(maxVsReference, same.maxAbs);
          expectPass(same, `${file.name} ${label} ${dtype} against the reference path, bit for bit`);
        }
      }
      rows.push({
        file: `${file.name} (compiled ×${String(COMPILED_PATHS.length)})`,
        cells: [...statCells(f64Worst), ...statCells(f32Worst), maxVsReference === 0 ? 'bit-identical to reference' : `vs reference ${fmt(maxVsReference)}`],
      });
    });
  }
});

// -------------------------------------------------------------------------------------------------
// the suite itself fails loudly
// -------------------------------------------------------------------------------------------------

/**
 * A small SGD case whose trajectory is computed here, independently of gradfuse, by torch's
 * formula: `g' = ±g + λ·p` (minus with maximize), `p ← p - lr·g'`.
 */
function sgdCase(
  lr: number,
  p0: readonly number[],
  grads: readonly (readonly number[])[],
  { weightDecay = 0, maximize = false }: { weightDecay?: number; maximize?: boolean } = {},
): Record<string, unknown> {
  let p = [...p0];
  const steps = grads.map((g) => {
    p = p.map((x, i) => x - lr * ((maximize ? -1 : 1) * (g[i] as number) + weightDecay * x));
    return { lr, grads: { w: { shape: [g.length], data: [...g] } }, params: { w: { shape: [p.length], data: [...p] } } };
  });
  return {
    format: 1,
    source: 'torch 1.13.1, float64',
    name: 'synthetic_sgd',
    description: 'plain SGD computed by the test',
    pipeline: [
      { op: 'sgd', lr, momentum: 0, dampening: 0, weight_decay: weightDecay, nesterov: false, maximize, convention: "p = p - lr*(g + wd*p)" },
    ],
    torch: `opt = SGD(params, lr=${String(lr)})`,
    params0: { w: { shape: [p0.length], data: [...p0] } },
    steps,
  };
}

describe('the conformance suite refuses what it does not understand', () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'gradfuse-conformance-'));
  afterAll(() => {
    rmSync(tmp, { recursive: true, force: true });
  });
  const write = (name: string, json: unknown): ConformanceFile => {
    const file = path.join(tmp, `${name}.json`);
    writeFileSync(file, JSON.stringify(json));
    return readConformanceFile(file);
  };
  const good = (): Record<string, unknown> => sgdCase(0.1, [1, -2, 0.5], [[0.5, -0.25, 1], [0.125, 2, -1]]);
  const withOp = (patch: (op: Record<string, unknown>) => Record<string, unknown>): Record<string, unknown> => {
    const c = good();
    const [op] = c['pipeline'] as Record<string, unknown>[];
    return { ...c, pipeline: [patch(op as Record<string, unknown>)] };
  };

  it('lists every *.json file of a directory given in GRADFUSE_CONFORMANCE_DIR style, each becoming a test', () => {
    write('synthetic_sgd', good());
    write('unknown_op', withOp((op) => ({ ...op, op: 'sgd_fancy' })));
    writeFileSync(path.join(tmp, 'notes.txt'), 'not a vector');
    expect(listConformanceFiles(tmp).map((f) => f.name)).toEqual(['synthetic_sgd', 'unknown_op']);
    expect(() => listConformanceFiles(path.join(tmp, 'absent'))).toThrow(/does not exist/);
  });

  it('passes a correct file and detects a trajectory that is off by 1e-9', () => {
    const ok = runOptimizerFile(write('ok', good()));
    expect(ok.params.get('float64')?.failures).toEqual([]);
    expect(ok.params.get('float32')?.failures).toEqual([]);
    expect(ok.lr.failures).toEqual([]);
    const bad = good();
    const steps = bad['steps'] as { params: { w: { data: number[] } } }[];
    const last = steps[1] as { params: { w: { data: number[] } } };
    last.params.w.data[2] = (last.params.w.data[2] as number) + 1e-9;
    const report = runOptimizerFile(write('off', bad));
    expect(report.params.get('float64')?.failures.join('\n')).toMatch(/step t=2 w\[2\]/);
    // float32 cannot see 1e-9.
    expect(report.params.get('float32')?.failures).toEqual([]);
  });

  it('maps maximize to a negated gradient before the L2 decay', () => {
    const c = sgdCase(0.1, [1, -2, 0.5], [[0.5, -0.25, 1], [0.125, 2, -1]], { weightDecay: 0.3, maximize: true });
    const report = runOptimizerFile(write('maximize', c));
    expect(report.params.get('float64')?.failures).toEqual([]);
    expect(report.params.get('float64')?.count).toBe(6);
    // The same trajectory recorded without maximize must not match.
    const plain = sgdCase(0.1, [1, -2, 0.5], [[0.5, -0.25, 1], [0.125, 2, -1]], { weightDecay: 0.3 });
    const swapped = { ...plain, pipeline: c['pipeline'] };
    expect(runOptimizerFile(write('maximize_wrong', swapped)).params.get('float64')?.failures.length).toBeGreaterThan(0);
  });

  it('detects a recorded lr that is not the optimizer lr', () => {
    const c = good();
    (c['steps'] as { lr: number }[])[1] = { ...(c['steps'] as { lr: number }[])[1], lr: 0.1 * (1 + 1e-11) } as { lr: number };
    expect(runOptimizerFile(write('lr_off', c)).lr.failures.join('\n')).toMatch(/steps\[\]\.lr\[1\]/);
  });

  it('throws on an unknown op', () => {
    expect(() => runOptimizerFile(write('unknown_op', withOp((op) => ({ ...op, op: 'sgd_fancy' }))))).toThrow(
      /pipeline\[0\]: unknown op "sgd_fancy"/,
    );
  });

  it('throws on an op field it does not read, and on a missing one', () => {
    expect(() => runOptimizerFile(write('extra', withOp((op) => ({ ...op, foreach: true }))))).toThrow(
      /\(sgd\): field\(s\) "foreach" not understood by the pipeline builder/,
    );
    expect(() => runOptimizerFile(write('missing', withOp(({ dampening: _, ...op }) => op)))).toThrow(/\(sgd\): missing field "dampening"/);
    expect(() => runOptimizerFile(write('typed', withOp((op) => ({ ...op, nesterov: 'no' }))))).toThrow(/nesterov must be a boolean/);
  });

  it('throws on an unknown lr_schedule kind or field', () => {
    expect(() => runOptimizerFile(write('kind', withOp((op) => ({ ...op, lr_schedule: { kind: 'lambda' } }))))).toThrow(/unknown kind/);
    const cosine = { kind: 'linear_warmup_then_cosine', base_lr: 0.1, warmup_steps: 1, warmup_start_factor: 0.5, cosine_T_max: 3, eta_min: 0 };
    expect(() => runOptimizerFile(write('sched_field', withOp((op) => ({ ...op, lr_schedule: { ...cosine, restart: 1 } }))))).toThrow(
      /unknown field "restart"/,
    );
    expect(() => runOptimizerFile(write('sched_base', withOp((op) => ({ ...op, lr_schedule: { ...cosine, base_lr: 0.2 } }))))).toThrow(
      /base_lr 0.2 differs from the optimizer's lr 0.1/,
    );
  });

  it('throws on a pipeline without exactly one optimizer, and on unsupported values', () => {
    const c = good();
    expect(() => runOptimizerFile(write('no_opt', { ...c, pipeline: [{ op: 'clip_by_value', clip_value: 1 }] }))).toThrow(/exactly one optimizer op/);
    const clipP = { op: 'clip_by_global_norm', max_norm: 1, norm_type: 1, torch_eps: 1e-6 };
    expect(() => runOptimizerFile(write('p1', { ...c, pipeline: [clipP, ...(c['pipeline'] as unknown[])] }))).toThrow(/norm_type 1 is not supported/);
  });

  it('throws on unknown fields of the file and of its steps, and on an unknown format', () => {
    expect(() => runOptimizerFile(write('top', { ...good(), seed: 3 }))).toThrow(/"seed" not understood/);
    const c = good();
    const steps = c['steps'] as Record<string, unknown>[];
    expect(() => runOptimizerFile(write('step', { ...c, steps: [{ ...steps[0], loss: 1 }, steps[1]] }))).toThrow(/steps\[0\]: field\(s\) "loss"/);
    expect(() => kindOf({ format: 1, trajectories: [] })).toThrow(/cannot tell the format/);
    expect(() => kindOf({ format: 2, pipeline: [] })).toThrow(/unsupported format 2/);
    expect(() => kindOf({ format: 1, pipeline: [], cases: [] })).toThrow(/exactly one of/);
  });

  it('throws on a clip case with an unknown op or field', () => {
    const clipFile = (c: Record<string, unknown>): Record<string, unknown> => ({
      format: 1,
      source: 'torch 1.13.1, float64',
      name: 'clip',
      description: 'x',
      conventions: {},
      cases: [c],
    });
    const base = { name: 'c', op: 'clip_by_value', clip_value: 0.5, torch: 'clip_grad_value_(params, clip_value=0.5)', grads: { w: { shape: [2], data: [1, -0.25] } }, clipped: { w: { shape: [2], data: [0.5, -0.25] } } };
    expect(runClipFile(write('clip_ok', clipFile(base))).clipped.failures).toEqual([]);
    expect(runClipFile(write('clip_bad', clipFile({ ...base, clipped: { w: { shape: [2], data: [0.5, -0.2] } } }))).clipped.failures).toHaveLength(1);
    expect(() => runClipFile(write('clip_op', clipFile({ ...base, op: 'clip_by_block_rms' })))).toThrow(/unknown op "clip_by_block_rms"/);
    expect(() => runClipFile(write('clip_field', clipFile({ ...base, foreach: true })))).toThrow(/"foreach" not understood/);
    expect(() => runClipFile(write('clip_norm', clipFile({ ...base, total_norm: 1 })))).toThrow(/total_norm on a case that does not clip/);
  });

  it('throws on a schedules entry it does not know', () => {
    const file = {
      format: 1,
      source: 'torch 1.13.1, float64',
      name: 'schedules',
      description: 'x',
      protocol: 'x',
      schedules: [{ name: 'lambda', torch: 'LambdaLR(opt, lr_lambda=1)', args: { lr_lambda: 1 }, base_lr: 0.1, steps: 1, lrs: [0.1] }],
    };
    expect(() => runSchedulesFile(write('sched', file))).toThrow(/unknown torch scheduler "LambdaLR"/);
  });

  it('reads the NAdam code path from the source and torch fields', () => {
    const ctx = (source: string, torch: string) => ({ source, torch });
    const call = 'NAdam(params, lr=0.01, betas=(0.9, 0.999), eps=1e-08, weight_decay=0, momentum_decay=0.004';
    expect(torch1SingleTensorNadam(ctx('torch 1.13.1, float64', `opt = ${call}, foreach=False)`), 'x')).toBe(true);
    expect(torch1SingleTensorNadam(ctx('torch 1.13.1, float64', `opt = ${call})`), 'x')).toBe(true);
    expect(torch1SingleTensorNadam(ctx('torch 1.13.1, float64', `opt = ${call}, foreach=True)`), 'x')).toBe(false);
    expect(torch1SingleTensorNadam(ctx('torch 2.1.0, float64', `opt = ${call}, foreach=False)`), 'x')).toBe(false);
    expect(() => torch1SingleTensorNadam(ctx('jax 0.4', `opt = ${call})`), 'x')).toThrow(/torch version/);
    expect(() => torch1SingleTensorNadam(ctx('torch 1.13.1', 'opt = Adam(params)'), 'x')).toThrow(/no NAdam/);
  });

  it('documents every op it maps', () => {
    const table = mappingTable();
    for (const op of Object.keys(OPS)) expect(table).toContain(`| \`${op}\` |`);
  });
});
