/**
 * AdaBelief's scaler: Adam with the second moment of the prediction error `g - μ_t` instead of
 * the raw second moment.
 *
 * @module
 */
import type { GradientTransformation } from '../base.js';
import { type KernelState, defineTransform } from '../kernel/define.js';
import { add, div, ema, g, mul, scalar, sqrt, square, sub } from '../kernel/dsl.js';
import { requireBoolean, requireInRange, requireKnownKeys, requireNonNegative } from '../validate.js';

/** Options of {@link scaleByBelief}. */
export interface ScaleByBeliefOptions {
  /** Decay of the first moment, in [0, 1). Default 0.9. */
  readonly b1?: number;
  /** Decay of the second moment of the prediction error, in [0, 1). Default 0.999. */
  readonly b2?: number;
  /** Added to the root of the bias-corrected second moment (outside the root). Default 1e-16. */
  readonly eps?: number;
  /** Added to the second moment **in the state** at every step (so it sits inside the root). Default 1e-16. */
  readonly epsRoot?: number;
  /** Use Nesterov momentum for `m̂` (Dozat's form, as `scaleByAdam`). Default false. */
  readonly nesterov?: boolean;
}

/** The state of {@link scaleByBelief}: `count`, first moment `mu`, second moment of the prediction error `nu`. */
export type ScaleByBeliefState = KernelState<'mu' | 'nu'>;

/**
 * Rescales updates with AdaBelief (Zhuang et al., "AdaBelief Optimizer: Adapting Stepsizes by
 * the Belief in Observed Gradients", NeurIPS 2020):
 *
 * ```text
 * μ_t = β₁ μ_{t-1} + (1 - β₁) g
 * s_t = β₂ s_{t-1} + (1 - β₂) (g - μ_t)² + ε_root       (ε_root is stored in the state)
 * m̂  = μ_t / (1 - β₁ᵗ)           (nesterov: β₁ μ_t / (1 - β₁ᵗ⁺¹) + (1 - β₁) g / (1 - β₁ᵗ))
 * ŝ   = s_t / (1 - β₂ᵗ)
 * u   = m̂ / (√ŝ + ε)
 * ```
 *
 * Defaults `b1 = 0.9`, `b2 = 0.999`, `eps = 1e-16`, `epsRoot = 1e-16`, `nesterov = false`
 * (optax's `scale_by_belief`). The prediction error uses the **new** `μ_t`. The bias
 * corrections are applied as reciprocals computed once per step (as in `scaleByAdam`).
 *
 * @category Transformations
 */
export function scaleByBelief(options: ScaleByBeliefOptions = {}): GradientTransformation<ScaleByBeliefState> {
  const owner = 'scaleByBelief';
  requireKnownKeys(owner, options, ['b1', 'b2', 'eps', 'epsRoot', 'nesterov']);
  const o = {
    b1: requireInRange(owner, 'b1', options.b1 ?? 0.9, 0, 1, { hiOpen: true }),
    b2: requireInRange(owner, 'b2', options.b2 ?? 0.999, 0, 1, { hiOpen: true }),
    eps: requireNonNegative(owner, 'eps', options.eps ?? 1e-16),
    epsRoot: requireNonNegative(owner, 'epsRoot', options.epsRoot ?? 1e-16),
    nesterov: requireBoolean(owner, 'nesterov', options.nesterov ?? false),
  };
  return defineTransform<'mu' | 'nu'>({
    name: owner,
    options: o,
    slots: { mu: 0, nu: 0 },
    scalars: ({ count }) => {
      const t = count + 1;
      return {
        b1: o.b1,
        oneMinusB1: 1 - o.b1,
        b2: o.b2,
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
      const mu = ema(s.mu, g, scalar('b1'), scalar('oneMinusB1'));
      const nu = add(ema(s.nu, square(sub(g, mu)), scalar('b2'), scalar('oneMinusB2')), scalar('epsRoot'));
      const mHat = o.nesterov ? add(mul(scalar('nb1'), mu), mul(scalar('ng'), g)) : mul(mu, scalar('rbc1'));
      const update = div(mHat, add(sqrt(mul(nu, scalar('rbc2'))), scalar('eps')));
      return { update, next: { mu, nu } };
    },
  });
}
