/**
 * Layer-wise trust ratios (LARS, LAMB, Fromage): each leaf's update is rescaled by the ratio of
 * the leaf's parameter norm to its update norm.
 *
 * The two norms are per-leaf reductions of the stage's input (`Σp²`, `Σu²`, folded in float64);
 * the ratio is a per-leaf scalar computed once per leaf and step in `leafScalars`, and the
 * element-wise body only multiplies by it.
 *
 * @module
 */
import type { GradientTransformation } from '../base.js';
import { type KernelState, defineTransform } from '../kernel/define.js';
import { g, mul, p, scalar } from '../kernel/dsl.js';
import { FUNCTION } from '../spec/spec.js';
import { type Mask, validateMask } from '../tree/mask.js';
import { requireKnownKeys, requireNonNegative, requirePositive } from '../validate.js';

/** Options of {@link scaleByTrustRatio}. */
export interface ScaleByTrustRatioOptions {
  /** Lower bound of both norms, `‖·‖ ← max(‖·‖, minNorm)`, a finite number >= 0. Default 0. */
  readonly minNorm?: number;
  /** The multiplier `c` of the ratio, a finite number > 0. Default 1. */
  readonly trustCoefficient?: number;
  /** Added to the update norm in the denominator, a finite number >= 0. Default 0. */
  readonly eps?: number;
  /**
   * Leaves to rescale (`true`); the others pass through unchanged. Default: all. (gradfuse's
   * form of optax's `masked(scale_by_trust_ratio(...), mask)`, which `lars` uses.)
   */
  readonly mask?: Mask;
}

/**
 * The trust ratio of one leaf from its squared norms, with optax's rules: both norms are
 * raised to `minNorm` (`safe_norm`), and the ratio is 1 where either norm is 0, so that a leaf
 * with zero params (a freshly zeroed bias) or a zero update still moves or stays put as the
 * update says. NaN norms give a NaN ratio.
 * @category Transformations
 */
export function trustRatioOf(paramSquares: number, updateSquares: number, minNorm: number, trustCoefficient: number, eps: number): number {
  const paramNorm = Math.max(Math.sqrt(paramSquares), minNorm);
  const updateNorm = Math.max(Math.sqrt(updateSquares), minNorm);
  if (paramNorm === 0 || updateNorm === 0) return 1;
  return (trustCoefficient * paramNorm) / (updateNorm + eps);
}

/**
 * Rescales each leaf's update by its trust ratio (You et al., "Large Batch Training of
 * Convolutional Networks", 2017 (LARS); You et al., "Large Batch Optimization for Deep
 * Learning", ICLR 2020 (LAMB)):
 *
 * ```text
 * ‖p‖ = max(√(Σ_leaf p²), minNorm)      ‖u‖ = max(√(Σ_leaf u²), minNorm)
 * r   = c·‖p‖ / (‖u‖ + eps)             (r = 1 where ‖p‖ = 0 or ‖u‖ = 0)
 * out = u · r
 * ```
 *
 * Defaults `minNorm = 0`, `trustCoefficient` c `= 1`, `eps = 0` (optax's
 * `scale_by_trust_ratio`). Needs `params`. Stateless (only the count).
 *
 * @remarks The norms and the ratio are computed in float64 from the leaf's values (optax
 * computes them in the leaf's dtype); the product is rounded to the leaf's dtype on store.
 * A leaf is one "layer": a `[out, in]` matrix gets one ratio, as in optax.
 * @category Transformations
 */
export function scaleByTrustRatio(options: ScaleByTrustRatioOptions = {}): GradientTransformation<KernelState> {
  const owner = 'scaleByTrustRatio';
  requireKnownKeys(owner, options, ['minNorm', 'trustCoefficient', 'eps', 'mask']);
  const minNorm = requireNonNegative(owner, 'minNorm', options.minNorm ?? 0);
  const trustCoefficient = requirePositive(owner, 'trustCoefficient', options.trustCoefficient ?? 1);
  const eps = requireNonNegative(owner, 'eps', options.eps ?? 0);
  const mask = options.mask === undefined || options.mask === true ? undefined : validateMask(owner, options.mask);
  return defineTransform({
    name: owner,
    options: { minNorm, trustCoefficient, eps, ...(mask === undefined ? {} : { mask: typeof mask === 'function' ? FUNCTION : mask }) },
    reductions: [
      { name: 'paramSquares', kind: 'sumSquares', of: p, scope: 'leaf' },
      { name: 'updateSquares', kind: 'sumSquares', of: g, scope: 'leaf' },
    ],
    scalars: () => ({}),
    leafScalars: ({ leafReductions }) => ({
      ratio: trustRatioOf(leafReductions.paramSquares ?? 0, leafReductions.updateSquares ?? 0, minNorm, trustCoefficient, eps),
    }),
    body: () => ({ update: mul(g, scalar('ratio')), next: {} }),
    ...(mask === undefined ? {} : { mask }),
  });
}
