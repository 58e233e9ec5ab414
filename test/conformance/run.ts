/**
 * Replaying the PyTorch conformance vectors through gradfuse: one runner per file format. The
 * runners throw on a file they cannot read (unknown op, field, format) and return the error
 * statistics of every comparison; the test asserts on those.
 */
import type { GradientTransformation } from '../../src/base.js';
import type { Schedule } from '../../src/schedules/schedule.js';
import type { Dtype } from '../../src/tree/leaf.js';
import { globalNorm } from '../../src/tree/norm.js';
import type { Tree } from '../../src/tree/tree.js';
import { applyUpdates } from '../../src/update.js';
import { torchScheduleFromEntry, type TorchScheduleEntry } from '../schedules/torchScheduleFromEntry.js';
import { ErrorStats, F32, F64, type Tolerance, scalarStats } from './compare.js';
import {
  type ConformanceFile,
  type OptimizerCase,
  arrayAt,
  decodeTree,
  isObject,
  kindOf,
  numberAt,
  readOptimizerCase,
  requireKeys,
} from './format.js';
import { type BuiltPipeline, buildOp, buildPipeline } from './pipeline.js';

/** One replay of a trajectory: `step(grads)` takes an optimizer step and returns the new params. */
export interface Driver {
  step(grads: Tree): Tree;
}

/** How a built transformation is run: the reference path, or a compiled one. */
export type Path = (tx: GradientTransformation<unknown>, params0: Tree) => Driver;

/** The reference path: `tx.update`, then `applyUpdates`, as the vectors' README replays them. */
export const reference: Path = (tx, params0) => {
  let params = params0;
  let state: unknown = tx.init(params);
  return {
    step: (grads) => {
      const [updates, next] = tx.update(grads, state, params);
      params = applyUpdates(params, updates);
      state = next;
      return params;
    },
  };
};

/** Parameter tolerance per dtype. */
export function toleranceOf(dtype: Dtype): Tolerance {
  return dtype === 'float64' ? F64 : F32;
}

// -------------------------------------------------------------------------------------------------
// optimizer case files
// -------------------------------------------------------------------------------------------------

/** The checks of one optimizer file: parameters per run, and the scalars. */
export interface OptimizerReport {
  /** Parameters after every step, per replay (`float64`, `float32`, ...). */
  readonly params: ReadonlyMap<string, ErrorStats>;
  /** gradfuse's schedule against `steps[].lr` (relative 1e-12): the constant lr when there is no schedule. */
  readonly lr: ErrorStats;
  /** The momentum schedule against `steps[].momentum`, when recorded. */
  readonly momentum?: ErrorStats;
  /** `globalNorm(grads)` against `steps[].grad_norm`, when recorded. */
  readonly gradNorm?: ErrorStats;
}

/** Builds a file's pipeline and reads the case; throws on anything not understood. */
export function prepareOptimizerFile(file: ConformanceFile): { readonly c: OptimizerCase; readonly built: BuiltPipeline } {
  if (kindOf(file.json) !== 'optimizer') throw new Error(`${file.name}: not an optimizer case file`);
  const c = readOptimizerCase(file.json, file.name);
  // Errors name the file (its base name), which is also the test's name.
  const built = buildPipeline({ ...c, name: file.name });
  return { c, built };
}

/** Replays the steps with leaves of `dtype` through `path`, comparing the params after each step. */
export function replay(c: OptimizerCase, built: BuiltPipeline, dtype: Dtype, path: Path = reference): ErrorStats {
  const stats = new ErrorStats(toleranceOf(dtype));
  const driver = path(built.tx, decodeTree(c.params0, dtype, `${c.name}: params0`));
  c.steps.forEach((s, i) => {
    const at = `${c.name}: steps[${String(i)}]`;
    const params = driver.step(decodeTree(s.grads, dtype, `${at}.grads`));
    stats.addTrees(params, decodeTree(s.params, 'float64', `${at}.params`), `step t=${String(i + 1)}`);
  });
  return stats;
}

/**
 * Replays the steps through two paths side by side and compares their params exactly
 * (tolerance 0): how far a compiled path is from the reference path.
 */
export function sideBySide(c: OptimizerCase, built: BuiltPipeline, dtype: Dtype, a: Path, b: Path): ErrorStats {
  const stats = new ErrorStats({ atol: 0, rtol: 0 });
  const params0 = (): Tree => decodeTree(c.params0, dtype, `${c.name}: params0`);
  const da = a(built.tx, params0());
  const db = b(built.tx, params0());
  c.steps.forEach((s, i) => {
    const grads = decodeTree(s.grads, dtype, `${c.name}: steps[${String(i)}].grads`);
    stats.addTrees(da.step(grads), db.step(grads), `step t=${String(i + 1)}`);
  });
  return stats;
}

function scheduleStats(schedule: Schedule | number, expected: readonly number[], what: string): ErrorStats {
  const stats = scalarStats();
  expected.forEach((want, t) => {
    stats.add(typeof schedule === 'number' ? schedule : schedule(t), want, () => `${what}[${String(t)}]`);
  });
  return stats;
}

/**
 * Checks the scalars of a file: the learning rate (gradfuse's own schedule, never injected), the
 * momentum schedule and the gradient norm.
 */
export function checkScalars(c: OptimizerCase, built: BuiltPipeline): Omit<OptimizerReport, 'params'> {
  const lrs = c.steps.map((s) => s.lr);
  const rate = built.lr ?? built.constantLr;
  if (rate === undefined) throw new Error(`${c.name}: the pipeline has no learning rate`);
  const lr = scheduleStats(rate, lrs, 'steps[].lr');
  const momenta = c.steps.map((s) => s.momentum);
  let momentum: ErrorStats | undefined;
  if (momenta.every((m): m is number => m !== undefined)) {
    if (built.momentum === undefined) throw new Error(`${c.name}: steps[].momentum is recorded but the pipeline has no momentum schedule`);
    momentum = scheduleStats(built.momentum, momenta, 'steps[].momentum');
  } else if (built.momentum !== undefined) {
    throw new Error(`${c.name}: the pipeline cycles the momentum but steps[].momentum is not recorded`);
  }
  const norms = c.steps.map((s) => s.gradNorm);
  let gradNorm: ErrorStats | undefined;
  if (norms.every((n): n is number => n !== undefined)) {
    const ord = built.clipNormOrd;
    if (ord === undefined) throw new Error(`${c.name}: steps[].grad_norm is recorded but the pipeline has no clip_by_global_norm`);
    gradNorm = scalarStats();
    const stats = gradNorm;
    c.steps.forEach((s, i) => {
      const n = globalNorm(decodeTree(s.grads, 'float64'), { ord });
      stats.add(n, s.gradNorm as number, () => `steps[${String(i)}].grad_norm`);
    });
  } else if (built.clipNormOrd !== undefined) {
    throw new Error(`${c.name}: the pipeline clips by the global norm but steps[].grad_norm is not recorded`);
  }
  return { lr, ...(momentum === undefined ? {} : { momentum }), ...(gradNorm === undefined ? {} : { gradNorm }) };
}

/** The whole reference check of an optimizer file: float64, then float32, then the scalars. */
export function runOptimizerFile(file: ConformanceFile, path: Path = reference): OptimizerReport {
  const { c, built } = prepareOptimizerFile(file);
  const params = new Map<string, ErrorStats>();
  for (const dtype of ['float64', 'float32'] as const) params.set(dtype, replay(c, built, dtype, path));
  return { params, ...checkScalars(c, built) };
}

// -------------------------------------------------------------------------------------------------
// clip.json
// -------------------------------------------------------------------------------------------------

/** The checks of `clip.json`: every clipped tree, every returned norm. */
export interface ClipReport {
  readonly cases: number;
  readonly clipped: ErrorStats;
  readonly totalNorm: ErrorStats;
}

/** Fields of a clip case that are data rather than the op's configuration. */
const CLIP_CASE_DATA = ['name', 'torch', 'grads', 'clipped', 'total_norm'] as const;

export function runClipFile(file: ConformanceFile): ClipReport {
  if (kindOf(file.json) !== 'clip') throw new Error(`${file.name}: not a clip file`);
  requireKeys(file.json, file.name, ['format', 'source', 'name', 'description', 'conventions', 'cases']);
  const cases = arrayAt(file.json, 'cases', file.name);
  if (cases.length === 0) throw new Error(`${file.name}: no cases`);
  const clipped = new ErrorStats(F64);
  const totalNorm = scalarStats();
  const context = { source: String(file.json['source']), torch: '' };
  cases.forEach((raw, i) => {
    if (!isObject(raw)) throw new Error(`${file.name}: cases[${String(i)}] must be an object`);
    const where = `${file.name}: cases[${String(i)}] ${String(raw['name'])}`;
    // The data fields are checked here; the op's own fields by the pipeline builder.
    const missing = ['name', 'op', 'torch', 'grads', 'clipped'].filter((k) => !Object.hasOwn(raw, k));
    if (missing.length > 0) throw new Error(`${where}: missing field(s) ${missing.join(', ')}`);
    const op: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(raw)) if (!(CLIP_CASE_DATA as readonly string[]).includes(k)) op[k] = v;
    const built = buildOp(op, { ...context, torch: String(raw['torch']) }, where);
    if (built.lr !== undefined || built.constantLr !== undefined) throw new Error(`${where}: a clip case must hold a clipping op`);
    const grads = decodeTree(raw['grads'], 'float64', `${where}.grads`);
    const tx = built.transforms.length === 1 ? built.transforms[0] : undefined;
    if (tx === undefined) throw new Error(`${where}: expected one transformation`);
    const [out] = tx.update(grads, tx.init(grads), grads);
    clipped.addTrees(out, decodeTree(raw['clipped'], 'float64', `${where}.clipped`), where);
    if (built.clipNormOrd !== undefined) {
      if (!Object.hasOwn(raw, 'total_norm')) throw new Error(`${where}: a global-norm case must record total_norm`);
      totalNorm.add(globalNorm(grads, { ord: built.clipNormOrd }), numberAt(raw, 'total_norm', where), () => `${where} total_norm`);
    } else if (Object.hasOwn(raw, 'total_norm')) {
      throw new Error(`${where}: total_norm on a case that does not clip by the global norm`);
    }
  });
  return { cases: cases.length, clipped, totalNorm };
}

// -------------------------------------------------------------------------------------------------
// schedules.json
// -------------------------------------------------------------------------------------------------

/** The checks of `schedules.json`: every recorded lr and momentum. */
export interface SchedulesReport {
  readonly entries: number;
  readonly lrs: ErrorStats;
  readonly momentums: ErrorStats;
}

export function runSchedulesFile(file: ConformanceFile): SchedulesReport {
  if (kindOf(file.json) !== 'schedules') throw new Error(`${file.name}: not a schedules file`);
  requireKeys(file.json, file.name, ['format', 'source', 'name', 'description', 'protocol', 'schedules']);
  const entries = arrayAt(file.json, 'schedules', file.name);
  if (entries.length === 0) throw new Error(`${file.name}: no schedules`);
  const lrs = scalarStats();
  const momentums = scalarStats();
  entries.forEach((raw, i) => {
    if (!isObject(raw)) throw new Error(`${file.name}: schedules[${String(i)}] must be an object`);
    const where = `${file.name}: schedules[${String(i)}] ${String(raw['name'])}`;
    requireKeys(raw, where, ['name', 'torch', 'args', 'base_lr', 'steps', 'lrs'], ['convention', 'momentums']);
    const entry = raw as unknown as TorchScheduleEntry;
    if (entry.lrs.length !== entry.steps) throw new Error(`${where}: ${String(entry.lrs.length)} lrs for ${String(entry.steps)} steps`);
    const built = torchScheduleFromEntry(entry);
    entry.lrs.forEach((want, t) => {
      lrs.add(built.lr(t), want, () => `${where} lrs[${String(t)}]`);
    });
    if (entry.momentums !== undefined) {
      const m = built.momentum;
      if (m === undefined) throw new Error(`${where}: momentums are recorded but the schedule does not cycle momentum`);
      entry.momentums.forEach((want, t) => {
        momentums.add(m(t), want, () => `${where} momentums[${String(t)}]`);
      });
    } else if (built.momentum !== undefined) {
      throw new Error(`${where}: the schedule cycles momentum but no momentums are recorded`);
    }
  });
  return { entries: entries.length, lrs, momentums };
}
