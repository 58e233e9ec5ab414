/**
 * Per-leaf ("block") clipping: by the root mean square of each leaf's update, and adaptive
 * gradient clipping relative to each leaf's parameter norm.
 *
 * Both read per-leaf reductions (`Σu²`, `Σp²`, folded in float64) and turn them into one
 * coefficient per leaf in `leafScalars`; the element-wise body applies it.
 *
 * @module
 */
import type { GradientTransformation } from '../base.js';
import { type KernelState, defineTransform } from '../kernel/define.js';
import { div, g, mul, p, scalar } from '../kernel/dsl.js';
import { requireKnownKeys, requireNonNegative, requirePositive } from '../validate.js';

/**
 * Clips each leaf's update to a maximum root mean square (optax's `clip_by_block_rms`; used by
 * Adafactor):
 *
 * ```text
 * rms = √(Σ_leaf u² / n)            (n = the leaf's element count)
 * out = u / max(1, rms / threshold)
 * ```
 *
 * `threshold` must be a finite number > 0. A leaf whose RMS is at most `threshold` passes
 * unchanged (the divisor is exactly 1). Stateless (only the count).
 *
 * @remarks The RMS and the divisor are computed in float64 (optax: in the leaf's dtype).
 * @category Transformations
 */
export function clipByBlockRms(threshold: number): GradientTransformation<KernelState> {
  const owner = 'clipByBlockRms';
  const t = requirePositive(owner, 'threshold', threshold);
  return defineTransform({
    name: owner,
    options: { threshold: t },
    reductions: [{ name: 'updateSquares', kind: 'sumSquares', of: g, scope: 'leaf' }],
    scalars: () => ({}),
    leafScalars: ({ leafReductions, size }) => ({
      divisor: Math.max(1, Math.sqrt((leafReductions.updateSquares ?? 0) / size) / t),
    }),
    body: () => ({ update: div(g, scalar('divisor')), next: {} }),
  });
}

/** Options of {@link adaptiveGradClip}. */
export interface AdaptiveGradClipOptions {
  /** Lower bound of the parameter norm (so zero-initialised params still move), >= 0. Default 1e-3. */
  readonly eps?: number;
}

/** optax's guard against dividing by a zero update norm in `unitwise_clip`. */
const DIV_EPS = 1e-6;

/**
 * Adaptive gradient clipping (Brock et al., "High-Performance Large-Scale Image Recognition
 * Without Normalization", 2021), with **each leaf as one unit**:
 *
 * ```text
 * ‖p‖ = √(Σ_leaf p²)    ‖u‖ = √(Σ_leaf u²)
 * max = clipping · max(‖p‖, eps)
 * out = u                             if ‖u‖ < max
 *     = u · max / max(‖u‖, 1e-6)      otherwise
 * ```
 *
 * Defaults `eps = 1e-3` (optax's `adaptive_grad_clip`); `clipping` is a finite number >= 0.
 * Needs `params`. Stateless (only the count).
 *
 * **Difference from optax.** optax clips *unit-wise*: for a leaf whose shape has more than one
 * dimension larger than 1 it takes one norm per unit (rank 2 and 3: per index of the trailing
 * axes, reducing axis 0, i.e. per output column of an `[in, out]` kernel; rank 4 (`HWIO`):
 * per output channel, reducing axes 0–2; other ranks need its `axis` argument). The kernel IR
 * has per-leaf reductions only, so this transformation uses the whole leaf as the unit. It
 * equals optax for scalars and vectors (any leaf whose shape has at most one dimension > 1,
 * e.g. `[n]`, `[1, n]`, `[n, 1]`), and optax with `axis` covering every axis for the others;
 * for a matrix it clips less selectively than optax (one large column does not get clipped
 * alone). Norms and the coefficient are computed in float64.
 * @category Transformations
 */
export function adaptiveGradClip(clipping: number, options: AdaptiveGradClipOptions = {}): GradientTransformation<KernelState> {
  const owner = 'adaptiveGradClip';
  const c = requireNonNegative(owner, 'clipping', clipping);
  requireKnownKeys(owner, options, ['eps']);
  const eps = requireNonNegative(owner, 'eps', options.eps ?? 1e-3);
  return defineTransform({
    name: owner,
    options: { clipping: c, eps },
    reductions: [
      { name: 'paramSquares', kind: 'sumSquares', of: p, scope: 'leaf' },
      { name: 'updateSquares', kind: 'sumSquares', of: g, scope: 'leaf' },
    ],
    scalars: () => ({}),
    leafScalars: ({ leafReductions }) => {
      const paramNorm = Math.sqrt(leafReductions.paramSquares ?? 0);
      const updateNorm = Math.sqrt(leafReductions.updateSquares ?? 0);
      const maxNorm = c * Math.max(paramNorm, eps);
      // Below the bound the coefficient is exactly 1, so u·1 = u bit for bit (optax's `where`).
      return { coef: updateNorm < maxNorm ? 1 : maxNorm / Math.max(updateNorm, DIV_EPS) };
    },
    body: () => ({ update: mul(g, scalar('coef')), next: {} }),
  });
}
