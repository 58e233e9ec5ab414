/**
 * Norms of a whole pytree, over all of its leaves.
 *
 * @module
 */
import { HyperparameterError } from '../errors.js';
import { requireKnownKeys } from '../validate.js';
import { type Tree, flatten } from './tree.js';

/** Options of {@link globalNorm}. */
export interface GlobalNormOptions {
  /**
   * Which norm: `2` (Euclidean, default), `1` (sum of absolute values) or `Infinity` (largest
   * absolute value).
   */
  readonly ord?: 1 | 2 | typeof Infinity;
}

/**
 * The norm of all elements of all leaves of `tree`, taken together as one vector:
 *
 * ```text
 * ord 2: ‖x‖₂ = √(Σ_leaves Σ x²)     (default; optax's global_norm)
 * ord 1: ‖x‖₁ = Σ_leaves Σ |x|
 * ord ∞: ‖x‖∞ = max_leaves max |x|   (0 for a tree without elements)
 * ```
 *
 * Leaves are visited in flatten order (sorted keys, depth first) and the sum is accumulated in
 * float64 whatever the leaves' dtype, so a float32 tree gets a float64 norm with no float32
 * rounding in between. A NaN anywhere gives NaN (also for `Infinity`); an infinite element
 * gives `Infinity`.
 *
 * @remarks PyTorch's `clip_grad_norm_` returns the norm of the per-leaf norms, which equals this
 * up to rounding; for `norm_type='inf'` it is exactly this.
 * @category Trees
 */
export function globalNorm(tree: Tree, options: GlobalNormOptions = {}): number {
  const owner = 'globalNorm';
  requireKnownKeys(owner, options, ['ord']);
  const ord = options.ord ?? 2;
  if (ord !== 1 && ord !== 2 && ord !== Infinity) throw new HyperparameterError(owner, 'ord', '1, 2 or Infinity', ord);
  const { leaves } = flatten(tree);
  let acc = 0;
  if (ord === Infinity) {
    for (const { data } of leaves) {
      for (let i = 0; i < data.length; i++) {
        const a = Math.abs(data[i] as number);
        // `a > acc` is false for NaN: propagate it explicitly.
        if (Number.isNaN(a)) return NaN;
        if (a > acc) acc = a;
      }
    }
    return acc;
  }
  if (ord === 1) {
    for (const { data } of leaves) for (let i = 0; i < data.length; i++) acc += Math.abs(data[i] as number);
    return acc;
  }
  for (const { data } of leaves) {
    for (let i = 0; i < data.length; i++) {
      const x = data[i] as number;
      acc += x * x;
    }
  }
  return Math.sqrt(acc);
}
