/**
 * Adadelta's scaler.
 *
 * @module
 */
import type { GradientTransformation } from '../base.js';
import { type KernelState, defineTransform } from '../kernel/define.js';
import { add, div, ema, g, mul, scalar, sqrt, square } from '../kernel/dsl.js';
import { requireInRange, requireKnownKeys, requireNonNegative } from '../validate.js';

/** Options of {@link scaleByAdadelta}. */
export interface ScaleByAdadeltaOptions {
  /** Decay ρ of both moving averages, in [0, 1]. Default 0.9. */
  readonly rho?: number;
  /** ε, >= 0, added inside both square roots. Default 1e-6. */
  readonly eps?: number;
}

/**
 * The state of {@link scaleByAdadelta}: `count`, the average squared update `eG` (optax's
 * `e_g`) and the average squared step `eX` (optax's `e_x`).
 */
export type ScaleByAdadeltaState = KernelState<'eG' | 'eX'>;

/**
 * Rescales updates by the ratio of two running RMS values (Adadelta, Zeiler 2012, Algorithm 1):
 *
 * ```text
 * E[g²]_t = ρ E[g²]_{t-1} + (1 - ρ) g²                 E[g²]_0 = 0
 * Δ       = √(E[Δ²]_{t-1} + ε) / √(E[g²]_t + ε) · g     E[Δ²]_0 = 0
 * E[Δ²]_t = ρ E[Δ²]_{t-1} + (1 - ρ) Δ²
 * u       = Δ
 * ```
 *
 * Defaults `rho = 0.9`, `eps = 1e-6` (optax's `scale_by_adadelta`, and PyTorch's).
 *
 * @remarks The same formula as PyTorch's Adadelta (ε inside both roots), whose default learning
 * rate 1.0 multiplies Δ afterwards (see `adadelta`).
 * @category Transformations
 */
export function scaleByAdadelta(options: ScaleByAdadeltaOptions = {}): GradientTransformation<ScaleByAdadeltaState> {
  const owner = 'scaleByAdadelta';
  requireKnownKeys(owner, options, ['rho', 'eps']);
  const o = {
    rho: requireInRange(owner, 'rho', options.rho ?? 0.9, 0, 1),
    eps: requireNonNegative(owner, 'eps', options.eps ?? 1e-6),
  };
  return defineTransform<'eG' | 'eX'>({
    name: owner,
    options: o,
    slots: { eG: 0, eX: 0 },
    scalars: () => ({ rho: o.rho, oneMinusRho: 1 - o.rho, eps: o.eps }),
    body: (s) => {
      const eG = ema(s.eG, square(g), scalar('rho'), scalar('oneMinusRho'));
      const delta = mul(div(sqrt(add(s.eX, scalar('eps'))), sqrt(add(eG, scalar('eps')))), g);
      const eX = ema(s.eX, square(delta), scalar('rho'), scalar('oneMinusRho'));
      return { update: delta, next: { eG, eX } };
    },
  });
}
