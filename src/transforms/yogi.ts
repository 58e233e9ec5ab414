/**
 * Yogi's scaler: Adam whose second moment moves additively, by at most `(1 - β₂)·g²` a step.
 *
 * @module
 */
import type { GradientTransformation } from '../base.js';
import { type KernelState, defineTransform } from '../kernel/define.js';
import { add, div, ema, g, mul, scalar, sign, sqrt, square, sub } from '../kernel/dsl.js';
import { requireInRange, requireKnownKeys, requireNonNegative, requirePositive } from '../validate.js';

/** Options of {@link scaleByYogi}. */
export interface ScaleByYogiOptions {
  /** Decay of the first moment, in [0, 1). Default 0.9. */
  readonly b1?: number;
  /** Rate of the second moment's additive change, in [0, 1). Default 0.999. */
  readonly b2?: number;
  /** Added to the root of the bias-corrected second moment (outside the root). Default 1e-3. */
  readonly eps?: number;
  /** Added to the bias-corrected second moment inside the root. Default 0. */
  readonly epsRoot?: number;
  /** The value both moments start at, a finite number > 0. Default 1e-6. */
  readonly initialAccumulatorValue?: number;
}

/** The state of {@link scaleByYogi}: `count`, first moment `mu`, second moment `nu`. */
export type ScaleByYogiState = KernelState<'mu' | 'nu'>;

/**
 * Rescales updates with Yogi (Zaheer et al., "Adaptive Methods for Nonconvex Optimization",
 * NeurIPS 2018):
 *
 * ```text
 * μ_t = β₁ μ_{t-1} + (1 - β₁) g
 * ν_t = ν_{t-1} - (1 - β₂) · sign(ν_{t-1} - g²) · g²
 * m̂  = μ_t / (1 - β₁ᵗ),   v̂ = ν_t / (1 - β₂ᵗ)
 * u   = m̂ / (√(v̂ + ε_root) + ε)
 * ```
 *
 * Defaults `b1 = 0.9`, `b2 = 0.999`, `eps = 1e-3`, `epsRoot = 0`,
 * `initialAccumulatorValue = 1e-6` (optax's `scale_by_yogi`). **Both** `μ` and `ν` start at
 * `initialAccumulatorValue` (as in optax), and both are bias-corrected as in Adam; the
 * corrections are reciprocals computed once per step.
 * @category Transformations
 */
export function scaleByYogi(options: ScaleByYogiOptions = {}): GradientTransformation<ScaleByYogiState> {
  const owner = 'scaleByYogi';
  requireKnownKeys(owner, options, ['b1', 'b2', 'eps', 'epsRoot', 'initialAccumulatorValue']);
  const o = {
    b1: requireInRange(owner, 'b1', options.b1 ?? 0.9, 0, 1, { hiOpen: true }),
    b2: requireInRange(owner, 'b2', options.b2 ?? 0.999, 0, 1, { hiOpen: true }),
    eps: requireNonNegative(owner, 'eps', options.eps ?? 1e-3),
    epsRoot: requireNonNegative(owner, 'epsRoot', options.epsRoot ?? 0),
    initialAccumulatorValue: requirePositive(owner, 'initialAccumulatorValue', options.initialAccumulatorValue ?? 1e-6),
  };
  return defineTransform<'mu' | 'nu'>({
    name: owner,
    options: o,
    slots: { mu: o.initialAccumulatorValue, nu: o.initialAccumulatorValue },
    scalars: ({ count }) => {
      const t = count + 1;
      return {
        b1: o.b1,
        oneMinusB1: 1 - o.b1,
        oneMinusB2: 1 - o.b2,
        eps: o.eps,
        epsRoot: o.epsRoot,
        rbc1: 1 / (1 - o.b1 ** t),
        rbc2: 1 / (1 - o.b2 ** t),
      };
    },
    body: (s) => {
      const mu = ema(s.mu, g, scalar('b1'), scalar('oneMinusB1'));
      const g2 = square(g);
      const nu = sub(s.nu, mul(mul(scalar('oneMinusB2'), sign(sub(s.nu, g2))), g2));
      const update = div(mul(mu, scalar('rbc1')), add(sqrt(add(mul(nu, scalar('rbc2')), scalar('epsRoot'))), scalar('eps')));
      return { update, next: { mu, nu } };
    },
  });
}
