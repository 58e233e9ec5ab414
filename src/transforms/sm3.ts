/**
 * SM3: memory-efficient adaptive scaling with one accumulator per tensor axis.
 *
 * @module
 */
import type { GradientTransformation } from '../base.js';
import { HyperparameterError, StateMismatchError } from '../errors.js';
import type { TransformSpec } from '../spec/spec.js';
import { type FloatArray, allocate } from '../tree/leaf.js';
import { type Tree, type TreeLike, buildFromDef, flatten, unflatten } from '../tree/tree.js';
import { requireInRange, requireKnownKeys, requireNonNegative } from '../validate.js';
import { stateLeaves } from './adafactor.js';

/** Options of {@link scaleBySm3}. */
export interface ScaleBySm3Options {
  /** Momentum β₁ of the output, in [0, 1]. Default 0.9. */
  readonly b1?: number;
  /** Decay β₂ of the accumulators, in [0, 1] (1: a plain sum, as in the paper). Default 1. */
  readonly b2?: number;
  /** ε, added under the square root, >= 0. Default 1e-8. */
  readonly eps?: number;
}

/**
 * The state of {@link scaleBySm3} (optax's `ScaleBySM3State`): `mu` has the params' structure
 * with, at each leaf, one accumulator vector per axis (`mu[i]` of length `shape[i]`; a 0-d
 * leaf has one of length 1); `nu`, the momentum, is shaped like the params.
 */
export interface ScaleBySm3State {
  readonly mu: unknown;
  readonly nu: Tree;
}

/** The axes of a leaf as SM3 sees them: a 0-d leaf is one axis of length 1. */
const axesOf = (shape: readonly number[]): readonly number[] => (shape.length === 0 ? [1] : shape);

/**
 * SM3 (Anil, Gupta, Koren & Singer, "Memory-Efficient Adaptive Optimization", 2019; optax's
 * `scale_by_sm3`): an Adagrad-like scaling whose second-moment statistics are one vector per
 * axis (memory O(Σ dims) instead of O(Π dims)). Per leaf, with `v_i` the accumulator of axis i:
 *
 * ```text
 * c    = 1 if β₂ = 1, else 1 − β₂
 * a    = c·g² + β₂ · min_i v_i[idx_i]          (rank >= 2: the min over the axes' entries;
 *                                             rank 1: a = c·g² + β₂·v_0)
 * up   = a > 0 ? g / √(a + ε) : 0
 * ν    ← β₁ ν + (1 − β₁) up                  (output: ν)
 * v_i  ← max of a over every axis but i        (rank 1: v_0 ← a)
 * ```
 *
 * Defaults (optax's): `b1 = 0.9`, `b2 = 1`, `eps = 1e-8`. Not element-wise (per-axis max and
 * min), so it has no kernel definition: `compile` runs it on the host between the fused parts
 * of a chain. Computed in float64, stored in the leaf's dtype.
 *
 * @remarks optax fails on 0-d leaves (it keeps no accumulator for them); here a 0-d leaf is
 * treated as one axis of length 1.
 * @category Transformations
 */
export function scaleBySm3(options: ScaleBySm3Options = {}): GradientTransformation<ScaleBySm3State> {
  const owner = 'scaleBySm3';
  if (typeof options !== 'object' || (options as unknown) === null) throw new HyperparameterError(owner, 'options', 'an object', options);
  requireKnownKeys(owner, options, ['b1', 'b2', 'eps']);
  const b1 = requireInRange(owner, 'b1', options.b1 ?? 0.9, 0, 1);
  const b2 = requireInRange(owner, 'b2', options.b2 ?? 1, 0, 1);
  const eps = requireNonNegative(owner, 'eps', options.eps ?? 1e-8);
  const c = b2 === 1 ? 1 : 1 - b2;

  const init = (params: object): ScaleBySm3State => {
    const { leaves, def } = flatten(params);
    return {
      mu: buildFromDef(def, (d) => axesOf(d.shape).map((n) => allocate(d.dtype, n))),
      nu: unflatten(def, leaves.map((l) => allocate(l.dtype, l.data.length))),
    };
  };

  const update = <P extends TreeLike<P>>(updates: P, state: ScaleBySm3State): readonly [P, ScaleBySm3State] => {
    if (typeof state !== 'object' || (state as unknown) === null) throw new StateMismatchError(owner, 'an object { mu, nu }', state);
    const { leaves, def } = flatten(updates);
    const nus = stateLeaves(owner, 'nu', state.nu, leaves.length);
    const mus = muLeaves(owner, state.mu, leaves.length);
    const outs: FloatArray[] = [];
    const newMu: FloatArray[][] = [];
    leaves.forEach((leaf, l) => {
      const g = leaf.data;
      const n = g.length;
      const axes = axesOf(leaf.shape);
      const rank = axes.length;
      const nu = nus[l] as FloatArray | { readonly data: unknown };
      const nuData = ArrayBuffer.isView(nu) ? nu : (nu as { readonly data: unknown }).data;
      if (!(nuData instanceof Float32Array || nuData instanceof Float64Array) || nuData.length !== n) {
        throw new StateMismatchError(owner, `a state whose nu at ${leaf.path || '(root)'} has ${String(n)} elements`, nu);
      }
      const v = mus[l] as readonly unknown[];
      if (v.length !== rank || v.some((x, i) => !(x instanceof Float32Array || x instanceof Float64Array) || x.length !== axes[i])) {
        throw new StateMismatchError(owner, `a state whose mu at ${leaf.path || '(root)'} holds ${String(rank)} vectors of lengths [${axes.join(', ')}]`, v);
      }
      const vs = v as readonly FloatArray[];
      const out = allocate(leaf.dtype, n);
      const next = axes.map((len) => new Float64Array(len).fill(-Infinity));
      if (rank === 2) {
        // The common case, without the odometer: a = c·g² + β₂·min(v_0[i], v_1[j]).
        const [r0, r1] = next as [Float64Array, Float64Array];
        const [v0, v1] = vs as [FloatArray, FloatArray];
        const n0 = axes[0] as number;
        const n1 = axes[1] as number;
        for (let i = 0, k = 0; i < n0; i++) {
          const vi = v0[i] as number;
          let rowMax = r0[i] as number;
          for (let j = 0; j < n1; j++, k++) {
            const x = g[k] as number;
            const a = c * x * x + b2 * Math.min(vi, v1[j] as number);
            const up = a > 0 ? x / Math.sqrt(a + eps) : 0;
            out[k] = b1 * (nuData[k] as number) + (1 - b1) * up;
            rowMax = Math.max(rowMax, a);
            r1[j] = Math.max(r1[j] as number, a);
          }
          r0[i] = rowMax;
        }
      } else {
        // Any rank: an odometer over the multi-index.
        const coords = new Int32Array(rank);
        for (let i = 0; i < n; i++) {
          let m = Infinity;
          for (let k = 0; k < rank; k++) m = Math.min(m, (vs[k] as FloatArray)[coords[k] as number] as number);
          const x = g[i] as number;
          const a = c * x * x + b2 * m;
          const up = a > 0 ? x / Math.sqrt(a + eps) : 0;
          out[i] = b1 * (nuData[i] as number) + (1 - b1) * up;
          for (let k = 0; k < rank; k++) {
            const row = next[k] as Float64Array;
            const at = coords[k] as number;
            // Math.max keeps a NaN, as jnp.max does.
            row[at] = Math.max(row[at] as number, a);
          }
          for (let k = rank - 1; k >= 0; k--) {
            const cc = (coords[k] as number) + 1;
            if (cc < (axes[k] as number)) {
              coords[k] = cc;
              break;
            }
            coords[k] = 0;
          }
        }
      }
      outs.push(out);
      // An axis some other axis of length 0 empties keeps no entries: jnp.max over nothing is -inf.
      newMu.push(next.map((row) => {
        const stored = allocate(leaf.dtype, row.length);
        stored.set(row);
        return stored;
      }));
    });
    const nu = unflatten(def, outs);
    return [unflatten(def, outs.map((o) => o.slice())) as P, { mu: buildFromDef(def, (_, l) => newMu[l]), nu }];
  };

  return { init, update, spec: { op: owner, b1, b2, eps } as TransformSpec };
}

/** The per-leaf accumulator lists of `mu`, in flatten order. */
function muLeaves(owner: string, mu: unknown, count: number): unknown[] {
  const out: unknown[] = [];
  const isList = (x: unknown): boolean => Array.isArray(x) && x.every((y) => ArrayBuffer.isView(y));
  const walk = (node: unknown): void => {
    if (isList(node) && (node as readonly unknown[]).length > 0) {
      out.push(node);
      return;
    }
    if (Array.isArray(node)) {
      (node as readonly unknown[]).forEach(walk);
      return;
    }
    if (typeof node === 'object' && node !== null && !ArrayBuffer.isView(node)) {
      for (const k of Object.keys(node).sort()) walk((node as Record<string, unknown>)[k]);
      return;
    }
    throw new StateMismatchError(owner, 'a state whose mu holds one list of accumulator vectors per leaf', node);
  };
  walk(mu);
  if (out.length !== count) throw new StateMismatchError(owner, `a state whose mu has ${String(count)} accumulator lists, like the updates`, mu);
  return out;
}
