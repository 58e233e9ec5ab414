/**
 * The Adam family of moment scalers.
 *
 * @module
 */
import type { GradientTransformation } from '../base.js';
import { type KernelState, defineTransform } from '../kernel/define.js';
import { add, div, ema, g, mul, scalar, sqrt, square } from '../kernel/dsl.js';
import { requireBoolean, requireInRange, requireKnownKeys, requireNonNegative } from '../validate.js';

// ---------------------------------------------------------------------------------------------
// options
// ---------------------------------------------------------------------------------------------

/** Options of {@link scaleByAdam}. */
export interface ScaleByAdamOptions {
  /** Decay of the first moment, in [0, 1). Default 0.9. */
  readonly b1?: number;
  /** Decay of the second moment, in [0, 1). Default 0.999. */
  readonly b2?: number;
  /** Added to the root of the second moment (outside the square root). Default 1e-8. */
  readonly eps?: number;
  /** Added to the second moment inside the square root. Default 0. */
  readonly epsRoot?: number;
  /** Use Nesterov momentum (Dozat's NAdam form). Default false. */
  readonly nesterov?: boolean;
}

/** The state of {@link scaleByAdam}: `count`, first moment `mu`, second moment `nu`. */
export type ScaleByAdamState = KernelState<'mu' | 'nu'>;

const ADAM_KEYS = ['b1', 'b2', 'eps', 'epsRoot', 'nesterov'] as const;

/** Validates Adam-style options, filling optax's defaults. */
export function adamOptions(owner: string, options: ScaleByAdamOptions): Required<ScaleByAdamOptions> {
  requireKnownKeys(owner, options, ADAM_KEYS);
  return {
    b1: requireInRange(owner, 'b1', options.b1 ?? 0.9, 0, 1, { hiOpen: true }),
    b2: requireInRange(owner, 'b2', options.b2 ?? 0.999, 0, 1, { hiOpen: true }),
    eps: requireNonNegative(owner, 'eps', options.eps ?? 1e-8),
    epsRoot: requireNonNegative(owner, 'epsRoot', options.epsRoot ?? 0),
    nesterov: requireBoolean(owner, 'nesterov', options.nesterov ?? false),
  };
}

// ---------------------------------------------------------------------------------------------
// constructors
// ---------------------------------------------------------------------------------------------

/**
 * Rescales updates by Adam's bias-corrected moments (Kingma & Ba, 2015, Algorithm 1).
 *
 * ```text
 * μ_t = β₁ μ_{t-1} + (1 - β₁) g
 * ν_t = β₂ ν_{t-1} + (1 - β₂) g²
 * m̂ = μ_t / (1 - β₁ᵗ)                  (nesterov: β₁ μ_t / (1 - β₁ᵗ⁺¹) + (1 - β₁) g / (1 - β₁ᵗ))
 * v̂ = ν_t / (1 - β₂ᵗ)
 * u = m̂ / (√(v̂ + ε_root) + ε)
 * ```
 *
 * Defaults `b1 = 0.9`, `b2 = 0.999`, `eps = 1e-8`, `epsRoot = 0`, `nesterov = false` (optax).
 * The bias corrections are applied as reciprocals computed once per step.
 *
 * @remarks PyTorch's Adam computes `(lr/(1-β₁ᵗ))·m / (√v/√(1-β₂ᵗ) + ε)`: the same formula with
 * `epsRoot = 0`; only the last bits of rounding differ.
 * @category Transformations
 */
export function scaleByAdam(options: ScaleByAdamOptions = {}): GradientTransformation<ScaleByAdamState> {
  const o = adamOptions('scaleByAdam', options);
  return defineTransform<'mu' | 'nu'>({
    name: 'scaleByAdam',
    options: o,
    slots: { mu: 0, nu: 0 },
    scalars: ({ count }) => {
      const t = count + 1;
      return {
        b1: o.b1,
        b2: o.b2,
        oneMinusB1: 1 - o.b1,
        oneMinusB2: 1 - o.b2,
        eps: o.eps,
        epsRoot: o.epsRoot,
        rbc1: 1 / (1 - o.b1 ** t),
        rbc2: 1 / (1 - o.b2 ** t),
        nb1: o.b1 / (1 - o.b1 ** (t + 1)),
        ng: (1 - o.b1) / (1 - o.b1 ** t),
      };
    },
    body: (s) => {
      const muNew = ema(s.mu, g, scalar('b1'), scalar('oneMinusB1'));
      const nuNew = ema(s.nu, square(g), scalar('b2'), scalar('oneMinusB2'));
      const mHat = o.nesterov ? add(mul(scalar('nb1'), muNew), mul(scalar('ng'), g)) : mul(muNew, scalar('rbc1'));
      const vHat = mul(nuNew, scalar('rbc2'));
      const denom = add(sqrt(add(vHat, scalar('epsRoot'))), scalar('eps'));
      return { update: div(mHat, denom), next: { mu: muNew, nu: nuNew } };
    },
  });
}
