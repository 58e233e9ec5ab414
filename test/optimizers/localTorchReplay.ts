/**
 * A small local replay of the PyTorch conformance files in `../shared/conformance/torch/`
 * (format described in that folder's README), for the RMSprop / Adagrad / Adadelta tests.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GradientTransformation } from '../../src/base.js';
import type { Tree } from '../../src/tree/tree.js';
import { flatten } from '../../src/tree/tree.js';
import { applyUpdates } from '../../src/update.js';

export const TORCH_DIR = path.resolve(fileURLToPath(new URL('../..', import.meta.url)), '..', 'shared', 'conformance', 'torch');

interface JsonLeaf {
  readonly shape: readonly number[];
  readonly data: readonly number[];
}
type JsonTree = JsonLeaf | { readonly [key: string]: JsonTree };

export interface TorchStep {
  readonly lr: number;
  readonly grads: JsonTree;
  readonly params: JsonTree;
}

export interface TorchCase {
  readonly name: string;
  readonly pipeline: readonly Readonly<Record<string, unknown>>[];
  readonly params0: JsonTree;
  readonly steps: readonly TorchStep[];
}

export function loadTorchCase(name: string): TorchCase {
  return JSON.parse(readFileSync(path.join(TORCH_DIR, `${name}.json`), 'utf8')) as TorchCase;
}

const isJsonLeaf = (t: JsonTree): t is JsonLeaf => Array.isArray((t as JsonLeaf).shape) && Array.isArray((t as JsonLeaf).data);

/** A JSON tree as a gradfuse tree of float64 tensors `{ shape, data }`. */
export function decode(t: JsonTree): Tree {
  if (isJsonLeaf(t)) return { shape: [...t.shape], data: Float64Array.from(t.data) };
  const rec = t as { readonly [key: string]: JsonTree };
  return Object.fromEntries(Object.keys(rec).map((k) => [k, decode(rec[k] as JsonTree)]));
}

/** The number field `key` of a pipeline op. */
export function num(op: Readonly<Record<string, unknown>>, key: string): number {
  const v = op[key];
  if (typeof v !== 'number') throw new Error(`pipeline field ${key} is not a number: ${String(v)}`);
  return v;
}

export interface ReplayResult {
  /** The largest |gradfuse - torch| over all params of all steps. */
  readonly maxAbsError: number;
  /** The first elements outside `|a - b| <= 1e-12 + 1e-10·|b|` (step, path, values). */
  readonly failures: readonly string[];
  readonly steps: number;
}

/** Replays every step, comparing the params after each one. */
export function replayTorchCase<S>(opt: GradientTransformation<S>, c: TorchCase): ReplayResult {
  let params = decode(c.params0);
  let state = opt.init(params);
  let maxAbsError = 0;
  const failures: string[] = [];
  c.steps.forEach((step, k) => {
    const [updates, next] = opt.update(decode(step.grads), state, params);
    params = applyUpdates(params, updates);
    state = next;
    const got = flatten(params).leaves;
    const want = flatten(decode(step.params)).leaves;
    if (got.length !== want.length) throw new Error(`step ${String(k + 1)}: ${String(got.length)} leaves, expected ${String(want.length)}`);
    got.forEach((leaf, j) => {
      const ref = want[j];
      if (ref === undefined || ref.path !== leaf.path) throw new Error(`step ${String(k + 1)}: leaf ${leaf.path} has no counterpart`);
      for (let i = 0; i < ref.data.length; i++) {
        const a = leaf.data[i] as number;
        const b = ref.data[i] as number;
        const err = Math.abs(a - b);
        maxAbsError = Math.max(maxAbsError, Number.isNaN(err) ? Number.POSITIVE_INFINITY : err);
        if (!(err <= 1e-12 + 1e-10 * Math.abs(b)) && failures.length < 5) {
          failures.push(`step ${String(k + 1)} ${leaf.path}[${String(i)}]: got ${String(a)}, torch ${String(b)}`);
        }
      }
    });
  });
  return { maxAbsError, failures, steps: c.steps.length };
}
