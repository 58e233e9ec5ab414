/**
 * `scaleByPolyak`: the Polyak step size, from the loss and the gradient's global norm. It
 * reads the loss from `update`'s extra arguments (`{ value }`), so it is a plain
 * transformation, not a kernel.
 *
 * @module
 */
import { type EmptyState, type GradientTransformation, type UpdateExtras, requireValue } from '../base.js';
import { HyperparameterError } from '../errors.js';
import { type TreeLike, flatten, mapTree } from '../tree/tree.js';
import { requireFinite, requireKnownKeys, requireNonNegative, requireOneOf, requirePositive } from '../validate.js';

/** Options of {@link scaleByPolyak} (optax's names, camelCased, and optax's defaults). */
export interface ScaleByPolyakOptions {
  /** f*, a lower bound on (a guess of the minimum of) the objective. Default 0. */
  readonly fMin?: number;
  /** γ_max, the largest step size taken (a finite number > 0). Default 1. */
  readonly maxLearningRate?: number;
  /** ε, added to ‖g‖² in the denominator (>= 0). Default 0. */
  readonly eps?: number;
  /**
   * `'sps'` (the default): the gap `f(x) - f*` as it is. `'sps+'`: its positive part
   * `max(f(x) - f*, 0)` (Garrigos et al. 2023), so a loss below `fMin` takes no step.
   */
  readonly variant?: 'sps' | 'sps+';
}

/**
 * Scales the updates by the Polyak step size (optax's `scale_by_polyak`):
 *
 * ```text
 * gap  = f(x) - f*                       ('sps+': max(f(x) - f*, 0))
 * n²   = ‖g‖² = Σ_leaves Σ g²            (the global squared norm of the incoming updates)
 * γ    = n² + ε <= 2⁻⁵² ? 0 : min(gap / (n² + ε), γ_max)
 * u    = γ · g
 * ```
 *
 * Defaults (optax's): fMin 0, maxLearningRate 1, eps 0, variant `'sps'`. The output is **not**
 * negated: `polyakSgd` puts it after `sgd`, whose learning rate does that.
 *
 * **Needs `value`.** Every update must get `{ value }`, the loss `f(x)` at `params`; without it
 * `update` throws an `ExtraArgError` naming `value`.
 *
 * **Not fusable.** γ depends on the loss, outside the kernel IR; `compile` refuses it. The
 * state is empty (`{}`).
 *
 * @remarks The squared norm is summed in float64 over every leaf, and γ is a float64 number
 * rounded to each leaf's dtype only in the product `γ·g`; optax computes in the updates'
 * dtype (float32 usually). The zero-step guard compares with `2⁻⁵²` (float64's machine
 * epsilon, optax's `jnp.finfo(float).eps`).
 *
 * References: Loizou et al., *Stochastic Polyak step-size for SGD: an adaptive learning rate
 * for fast convergence*, AISTATS 2021 (arXiv:2002.10542); Berrada et al., *Training neural
 * networks for and by interpolation*, ICML 2020; Garrigos et al., *Function value learning:
 * adaptive learning rates based on the Polyak stepsize and function splitting in ERM*, 2023
 * (arXiv:2307.14528).
 * @category Transformations
 */
export function scaleByPolyak(options: ScaleByPolyakOptions = {}): GradientTransformation<EmptyState> {
  const owner = 'scaleByPolyak';
  if (typeof options !== 'object' || options === null) throw new HyperparameterError(owner, 'options', 'an object { fMin, maxLearningRate, eps, variant }', options);
  requireKnownKeys(owner, options, ['fMin', 'maxLearningRate', 'eps', 'variant']);
  const fMin = requireFinite(owner, 'fMin', options.fMin ?? 0);
  const maxLearningRate = requirePositive(owner, 'maxLearningRate', options.maxLearningRate ?? 1);
  const eps = requireNonNegative(owner, 'eps', options.eps ?? 0);
  const variant = requireOneOf(owner, 'variant', options.variant ?? 'sps', ['sps', 'sps+']);

  return {
    init: () => ({}),
    update: <P extends TreeLike<P>>(updates: P, _state: EmptyState, _params?: P, extra?: UpdateExtras): readonly [P, EmptyState] => {
      const value = requireValue(owner, extra);
      let sq = 0;
      for (const { data } of flatten(updates).leaves) {
        for (let i = 0; i < data.length; i++) {
          const x = data[i] as number;
          sq += x * x;
        }
      }
      const raw = value - fMin;
      // Math.max keeps a NaN gap NaN, as jax's relu does.
      const gap = variant === 'sps+' ? Math.max(raw, 0) : raw;
      const denominator = sq + eps;
      const step = denominator <= Number.EPSILON ? 0 : Math.min(gap / denominator, maxLearningRate);
      const out = mapTree(updates, (d) => {
        const r = d instanceof Float32Array ? new Float32Array(d.length) : new Float64Array(d.length);
        for (let i = 0; i < d.length; i++) r[i] = step * (d[i] as number);
        return r;
      });
      return [out, {}];
    },
    spec: { op: owner, fMin, maxLearningRate, eps, variant },
  };
}
