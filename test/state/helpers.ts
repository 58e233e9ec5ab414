/**
 * Shared by the state tests: a bit-for-bit comparison that names the first difference, fixed
 * params trees in either dtype, deterministic gradients, and a training loop.
 */
import type { GradientTransformation } from '../../src/base.js';
import type { Dtype, FloatArray } from '../../src/tree/leaf.js';
import { type Tree, flatten, unflatten } from '../../src/tree/tree.js';
import { applyUpdates } from '../../src/update.js';

/**
 * The first difference between two values, bit for bit (`Object.is` per number, so -0 and NaN
 * count; Float32Array against Float64Array, a tensor against a bare array, key sets and
 * lengths too), as `path: a vs b`; `undefined` when they are the same.
 */
export function firstDifference(a: unknown, b: unknown, path = '$'): string | undefined {
  if (typeof a === 'number' || typeof b === 'number') return Object.is(a, b) ? undefined : `${path}: ${String(a)} vs ${String(b)}`;
  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b)) {
    if (!(a instanceof Float32Array || a instanceof Float64Array) || !(b instanceof Float32Array || b instanceof Float64Array)) return `${path}: not both float arrays`;
    if (a.constructor !== b.constructor) return `${path}: ${a.constructor.name} vs ${b.constructor.name}`;
    if (a.length !== b.length) return `${path}: length ${String(a.length)} vs ${String(b.length)}`;
    for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return `${path}[${String(i)}]: ${String(a[i])} vs ${String(b[i])}`;
    return undefined;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b)) return `${path}: array vs non-array`;
    if (a.length !== b.length) return `${path}: length ${String(a.length)} vs ${String(b.length)}`;
    for (let i = 0; i < a.length; i++) {
      const d = firstDifference(a[i], b[i], `${path}[${String(i)}]`);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    if (ka.join('\u0000') !== kb.join('\u0000')) return `${path}: keys {${ka.join(',')}} vs {${kb.join(',')}}`;
    for (const k of ka) {
      const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  return Object.is(a, b) ? undefined : `${path}: ${String(a)} vs ${String(b)}`;
}

const array = (dtype: Dtype, values: readonly number[]): FloatArray => (dtype === 'float32' ? Float32Array.from(values) : Float64Array.from(values));

/** A small model's params: nested records, an array of layers, tensors (rank 2 and 0) and bare arrays. */
export function modelParams(dtype: Dtype) {
  return {
    dense1: { w: { shape: [2, 3], data: array(dtype, [0.5, -0.25, 1.5, -2, 0.125, 3]) }, b: array(dtype, [0.1, -0.1, 0]) },
    layers: [{ w: array(dtype, [1, -1]) }, { w: { shape: [2, 2], data: array(dtype, [0.3, 0.6, -0.9, 1.2]) } }],
    scale: { shape: [] as number[], data: array(dtype, [2]) },
  };
}
export type ModelParams = ReturnType<typeof modelParams>;

/**
 * Gradients of step `step` for params of any structure: deterministic values of mixed sign and
 * magnitude (`specials` adds NaN, ±Infinity, -0 and subnormal values at fixed places).
 */
export function gradsAt<T extends object>(params: T, step: number, specials = false): T {
  const { leaves, def } = flatten(params);
  let k = 0;
  const data = leaves.map((l) => {
    const out = l.data instanceof Float32Array ? new Float32Array(l.data.length) : new Float64Array(l.data.length);
    for (let i = 0; i < out.length; i++, k++) {
      const x = Math.sin(1.7 * (k + 1) + 0.37 * step) * (1 + ((k * 7 + step * 3) % 5)) * 10 ** (((k + step) % 7) - 3);
      out[i] = x;
      if (specials && step === 1) {
        const special = [NaN, -0, Infinity, -Infinity, 1e-310, 5e-324][k % 9];
        if (special !== undefined) out[i] = special;
      }
    }
    return out;
  });
  return unflatten(def, data) as T;
}

/** One training step's results. */
export interface StepRecord {
  readonly updates: unknown;
  readonly params: unknown;
  readonly state: unknown;
}

/** Runs `steps` updates from `(params, state)`, recording each; steps are numbered from `from`. */
export function train<S, P extends Tree>(
  optimizer: GradientTransformation<S>,
  params: P,
  state: S,
  from: number,
  steps: number,
  specials = false,
): { readonly params: P; readonly state: S; readonly records: readonly StepRecord[] } {
  let p = params;
  let s = state;
  const records: StepRecord[] = [];
  for (let k = from; k < from + steps; k++) {
    const [u, next] = optimizer.update(gradsAt(p, k, specials), s, p);
    p = applyUpdates(p, u);
    s = next;
    records.push({ updates: u, params: p, state: s });
  }
  return { params: p, state: s, records };
}
