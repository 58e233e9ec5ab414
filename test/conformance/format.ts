/**
 * Reading the PyTorch conformance vectors (`shared/conformance/torch/*.json`, see its README):
 * where they are, which of the three formats a file has (decided by its content, never by its
 * name), strict shape checks of every object, and decoding of their JSON trees into gradfuse
 * trees. Anything unexpected throws: a vector must never be skipped or half-read silently.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Dtype, FloatArray } from '../../src/tree/leaf.js';
import type { Tree } from '../../src/tree/tree.js';

/** A JSON object as the files hold it. */
export type Json = Readonly<Record<string, unknown>>;

/**
 * The directory of vectors: `GRADFUSE_CONFORMANCE_DIR` when set, else
 * `<repo>/../shared/conformance/torch`.
 */
export function conformanceDir(): string {
  const fromEnv = process.env['GRADFUSE_CONFORMANCE_DIR'];
  if (fromEnv !== undefined && fromEnv !== '') return path.resolve(fromEnv);
  return path.resolve(fileURLToPath(new URL('../..', import.meta.url)), '..', 'shared', 'conformance', 'torch');
}

/** One vector file: its base name (test name), path and parsed content. */
export interface ConformanceFile {
  readonly name: string;
  readonly file: string;
  readonly json: Json;
}

/** Every `*.json` file of `dir`, sorted by name. Throws when `dir` does not exist. */
export function listConformanceFiles(dir: string): readonly { readonly name: string; readonly file: string }[] {
  if (!existsSync(dir)) throw new Error(`conformance directory ${dir} does not exist (set GRADFUSE_CONFORMANCE_DIR)`);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ name: f.slice(0, -'.json'.length), file: path.join(dir, f) }));
}

/** Reads and parses one file; it must hold a JSON object. */
export function readConformanceFile(file: string): ConformanceFile {
  const json: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (!isObject(json)) throw new Error(`${file}: expected a JSON object`);
  return { name: path.basename(file, '.json'), file, json };
}

// -------------------------------------------------------------------------------------------------
// formats
// -------------------------------------------------------------------------------------------------

/** The three formats, told apart by the presence of `pipeline`, `cases` or `schedules`. */
export type ConformanceKind = 'optimizer' | 'clip' | 'schedules';

export function kindOf(json: Json): ConformanceKind {
  const found = (['pipeline', 'cases', 'schedules'] as const).filter((k) => Object.hasOwn(json, k));
  if (found.length !== 1) {
    throw new Error(
      `cannot tell the format of this file: it needs exactly one of "pipeline", "cases", "schedules", has ${found.length === 0 ? 'none' : found.join(', ')}`,
    );
  }
  if (json['format'] !== 1) throw new Error(`unsupported format ${JSON.stringify(json['format'])} (this suite reads format 1)`);
  return found[0] === 'pipeline' ? 'optimizer' : found[0] === 'cases' ? 'clip' : 'schedules';
}

export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Throws unless `obj` has every key of `required` and no key outside `required` and `optional`. */
export function requireKeys(obj: Json, where: string, required: readonly string[], optional: readonly string[] = []): void {
  const missing = required.filter((k) => !Object.hasOwn(obj, k));
  if (missing.length > 0) throw new Error(`${where}: missing field(s) ${missing.map((k) => JSON.stringify(k)).join(', ')}`);
  const unknown = Object.keys(obj).filter((k) => !required.includes(k) && !optional.includes(k));
  if (unknown.length > 0) {
    throw new Error(`${where}: field(s) ${unknown.map((k) => JSON.stringify(k)).join(', ')} not understood by this suite`);
  }
}

export function numberAt(obj: Json, key: string, where: string): number {
  const v = obj[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${where}: ${key} must be a finite number, got ${JSON.stringify(v)}`);
  return v;
}

export function stringAt(obj: Json, key: string, where: string): string {
  const v = obj[key];
  if (typeof v !== 'string') throw new Error(`${where}: ${key} must be a string, got ${JSON.stringify(v)}`);
  return v;
}

export function arrayAt(obj: Json, key: string, where: string): readonly unknown[] {
  const v = obj[key];
  if (!Array.isArray(v)) throw new Error(`${where}: ${key} must be an array`);
  return v as readonly unknown[];
}

// -------------------------------------------------------------------------------------------------
// optimizer case files
// -------------------------------------------------------------------------------------------------

/** One step of an optimizer case file, with its trees still in JSON form. */
export interface CaseStep {
  readonly lr: number;
  readonly momentum?: number;
  readonly gradNorm?: number;
  readonly grads: unknown;
  readonly params: unknown;
}

/** An optimizer case file, checked field by field. */
export interface OptimizerCase {
  readonly name: string;
  readonly source: string;
  readonly torch: string;
  readonly pipeline: readonly Json[];
  readonly params0: unknown;
  readonly steps: readonly CaseStep[];
}

export function readOptimizerCase(json: Json, where: string): OptimizerCase {
  requireKeys(json, where, ['format', 'source', 'name', 'description', 'pipeline', 'torch', 'params0', 'steps']);
  const pipeline = arrayAt(json, 'pipeline', where);
  if (pipeline.length === 0) throw new Error(`${where}: empty pipeline`);
  const ops = pipeline.map((op, i) => {
    if (!isObject(op)) throw new Error(`${where}: pipeline[${String(i)}] must be an object`);
    return op;
  });
  const steps = arrayAt(json, 'steps', where).map((s, i): CaseStep => {
    const at = `${where}: steps[${String(i)}]`;
    if (!isObject(s)) throw new Error(`${at} must be an object`);
    requireKeys(s, at, ['lr', 'grads', 'params'], ['momentum', 'grad_norm']);
    return {
      lr: numberAt(s, 'lr', at),
      ...(Object.hasOwn(s, 'momentum') ? { momentum: numberAt(s, 'momentum', at) } : {}),
      ...(Object.hasOwn(s, 'grad_norm') ? { gradNorm: numberAt(s, 'grad_norm', at) } : {}),
      grads: s['grads'],
      params: s['params'],
    };
  });
  if (steps.length === 0) throw new Error(`${where}: no steps`);
  for (const key of ['momentum', 'gradNorm'] as const) {
    const n = steps.filter((s) => s[key] !== undefined).length;
    if (n !== 0 && n !== steps.length) throw new Error(`${where}: ${key} is recorded on ${String(n)} of ${String(steps.length)} steps`);
  }
  return {
    name: stringAt(json, 'name', where),
    source: stringAt(json, 'source', where),
    torch: stringAt(json, 'torch', where),
    pipeline: ops,
    params0: json['params0'],
    steps,
  };
}

// -------------------------------------------------------------------------------------------------
// trees
// -------------------------------------------------------------------------------------------------

/**
 * Decodes a JSON tree: a leaf is an object with exactly the keys `shape` and `data` (row-major,
 * length = product of shape); anything else is a record of subtrees. Leaves become
 * `{ shape, data }` tensors of the dtype (float32 rounds each number once).
 */
export function decodeTree(json: unknown, dtype: Dtype, where = 'tree'): Tree {
  if (!isObject(json)) throw new Error(`${where}: expected a leaf {shape, data} or an object of subtrees`);
  const keys = Object.keys(json);
  if (keys.length === 2 && Object.hasOwn(json, 'shape') && Object.hasOwn(json, 'data')) {
    const shape = json['shape'];
    const data = json['data'];
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && (d as number) >= 0)) {
      throw new Error(`${where}: shape must be an array of non-negative integers`);
    }
    if (!Array.isArray(data) || !data.every((x) => typeof x === 'number')) throw new Error(`${where}: data must be an array of numbers`);
    const size = (shape as number[]).reduce((a, b) => a * b, 1);
    if (data.length !== size) throw new Error(`${where}: data has ${String(data.length)} numbers for shape [${shape.join(', ')}]`);
    const arr: FloatArray = dtype === 'float32' ? Float32Array.from(data as number[]) : Float64Array.from(data as number[]);
    return { shape: [...(shape as number[])], data: arr };
  }
  if (keys.length === 0) throw new Error(`${where}: empty object`);
  const out: Record<string, Tree> = {};
  for (const k of keys) out[k] = decodeTree(json[k], dtype, `${where}.${k}`);
  return out;
}
