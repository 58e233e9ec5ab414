/**
 * Gradient clipping: element-wise by value, and by the global norm of all updates.
 *
 * @module
 */
import type { GradientTransformation } from '../base.js';
import { type KernelState, defineTransform } from '../kernel/define.js';
import { clamp, g, mul, scalar } from '../kernel/dsl.js';
import { HyperparameterError } from '../errors.js';
import { requireKnownKeys, requireNonNegative, requirePositive } from '../validate.js';

/**
 * Clips every element to `[-maxDelta, maxDelta]`: `u = min(max(g, -δ), δ)`. NaN stays NaN.
 * Same as PyTorch's `clip_grad_value_`.
 * @category Transformations
 */
export function clip(maxDelta: number): GradientTransformation<KernelState> {
  const d = requireNonNegative('clip', 'maxDelta', maxDelta);
  return defineTransform({
    name: 'clip',
    options: { maxDelta: d },
    scalars: () => ({ lo: -d, hi: d }),
    body: () => ({ update: clamp(g, scalar('lo'), scalar('hi')), next: {} }),
  });
}

/** Options of {@link clipByGlobalNorm}. */
export interface ClipByGlobalNormOptions {
  /**
   * Added to the norm before dividing: `coef = min(1, maxNorm/(‖g‖ + eps))`. Default 0 (optax);
   * `1e-6` reproduces PyTorch's `clip_grad_norm_`.
   */
  readonly eps?: number;
  /** `2` (Euclidean, default) or `Infinity` (the largest |g| over all leaves). */
  readonly normType?: 2 | typeof Infinity;
}

/**
 * Scales all updates together so that their global norm is at most `maxNorm`:
 *
 * ```text
 * n = √(Σ_leaves Σ g²)                (normType ∞: n = max |g|)
 * u = g · min(1, maxNorm / (n + eps))
 * ```
 *
 * Below the threshold the coefficient is exactly 1 and updates pass unchanged. `maxNorm` must be
 * > 0. The norm is a global reduction, so a compiled chain splits its loop here.
 *
 * @remarks PyTorch's `clip_grad_norm_` adds `1e-6` to the norm (`eps: 1e-6`) and multiplies
 * even when the coefficient is 1 (which changes nothing); it takes the norm of the per-leaf
 * norms, which differs from the flat sum only in rounding.
 * @category Transformations
 */
export function clipByGlobalNorm(maxNorm: number, options: ClipByGlobalNormOptions = {}): GradientTransformation<KernelState> {
  const owner = 'clipByGlobalNorm';
  requireKnownKeys(owner, options, ['eps', 'normType']);
  const m = requirePositive(owner, 'maxNorm', maxNorm);
  const eps = requireNonNegative(owner, 'eps', options.eps ?? 0);
  const normType = options.normType ?? 2;
  if (normType !== 2 && normType !== Infinity) throw new HyperparameterError(owner, 'normType', '2 or Infinity', normType);
  return defineTransform({
    name: owner,
    options: { maxNorm: m, eps, normType: normType === 2 ? 2 : 'inf' },
    reductions: [{ name: 'norm', kind: normType === 2 ? 'sumSquares' : 'maxAbs', of: g, scope: 'global' }],
    scalars: ({ reductions }) => {
      const r = reductions.norm ?? 0;
      const norm = normType === 2 ? Math.sqrt(r) : r;
      return { coef: Math.min(1, m / (norm + eps)) };
    },
    body: () => ({ update: mul(g, scalar('coef')), next: {} }),
  });
}
