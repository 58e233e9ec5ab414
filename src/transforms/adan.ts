/**
 * Adan's scaler: moments of the gradient, of the gradient difference, and of a Nesterov-style
 * extrapolated gradient.
 *
 * @module
 */
import type { GradientTransformation } from '../base.js';
import { type KernelState, defineTransform } from '../kernel/define.js';
import { add, div, ema, g, mul, scalar, select, sqrt, square, sub } from '../kernel/dsl.js';
import { requireInRange, requireKnownKeys, requireNonNegative } from '../validate.js';

/** Options of {@link scaleByAdan}. */
export interface ScaleByAdanOptions {
  /** Decay β₁ of the gradient's moving average, in [0, 1). Default 0.98. */
  readonly b1?: number;
  /** Decay β₂ of the gradient difference's moving average, in [0, 1). Default 0.92. */
  readonly b2?: number;
  /** Decay β₃ of the squared term's moving average, in [0, 1). Default 0.99. */
  readonly b3?: number;
  /** Added to the root of the bias-corrected squared term (outside the root). Default 1e-8. */
  readonly eps?: number;
  /** Added inside the root. Default 0 (the `adan` optimizer uses 1e-8). */
  readonly epsRoot?: number;
}

/**
 * The state of {@link scaleByAdan}: `count`, the moments `m` (gradient), `v` (gradient
 * difference), `n` (squared term), and the previous gradient `gPrev`.
 */
export type ScaleByAdanState = KernelState<'m' | 'v' | 'n' | 'gPrev'>;

/**
 * Rescales updates with Adan (Xie et al., "Adan: Adaptive Nesterov Momentum Algorithm for
 * Faster Optimizing Deep Models", 2022, Algorithm 1):
 *
 * ```text
 * d_t = g - g_{t-1}                 (0 at t = 1)
 * m_t = β₁ m_{t-1} + (1 - β₁) g
 * v_t = β₂ v_{t-1} + (1 - β₂) d_t
 * n_t = β₃ n_{t-1} + (1 - β₃) (g + (1 - β₂) d_t)²
 * u   = (m̂ + (1 - β₂) v̂) / (√(n̂ + ε_root) + ε)
 * ```
 *
 * where `m̂ = m_t/(1 - β₁ᵗ)`, `v̂ = v_t/(1 - β₂ᵗ)`, `n̂ = n_t/(1 - β₃ᵗ)`, each corrected with its
 * own β (reciprocals computed once per step). Defaults `b1 = 0.98`, `b2 = 0.92`, `b3 = 0.99`,
 * `eps = 1e-8`, `epsRoot = 0` (optax's `scale_by_adan`). All slots start at 0; `gPrev` keeps
 * the incoming update of the last step.
 * @category Transformations
 */
export function scaleByAdan(options: ScaleByAdanOptions = {}): GradientTransformation<ScaleByAdanState> {
  const owner = 'scaleByAdan';
  requireKnownKeys(owner, options, ['b1', 'b2', 'b3', 'eps', 'epsRoot']);
  const decay = (name: string, value: number): number => requireInRange(owner, name, value, 0, 1, { hiOpen: true });
  const o = {
    b1: decay('b1', options.b1 ?? 0.98),
    b2: decay('b2', options.b2 ?? 0.92),
    b3: decay('b3', options.b3 ?? 0.99),
    eps: requireNonNegative(owner, 'eps', options.eps ?? 1e-8),
    epsRoot: requireNonNegative(owner, 'epsRoot', options.epsRoot ?? 0),
  };
  return defineTransform<'m' | 'v' | 'n' | 'gPrev'>({
    name: owner,
    options: o,
    slots: { m: 0, v: 0, n: 0, gPrev: 0 },
    scalars: ({ count }) => {
      const t = count + 1;
      return {
        first: count === 0 ? 1 : 0,
        b1: o.b1,
        oneMinusB1: 1 - o.b1,
        b2: o.b2,
        oneMinusB2: 1 - o.b2,
        b3: o.b3,
        oneMinusB3: 1 - o.b3,
        rbc1: 1 / (1 - o.b1 ** t),
        rbc2: 1 / (1 - o.b2 ** t),
        rbc3: 1 / (1 - o.b3 ** t),
        eps: o.eps,
        epsRoot: o.epsRoot,
      };
    },
    body: (s) => {
      const diff = select(scalar('first'), 0, sub(g, s.gPrev));
      const m = ema(s.m, g, scalar('b1'), scalar('oneMinusB1'));
      const v = ema(s.v, diff, scalar('b2'), scalar('oneMinusB2'));
      const n = ema(s.n, square(add(g, mul(scalar('oneMinusB2'), diff))), scalar('b3'), scalar('oneMinusB3'));
      const numerator = add(mul(m, scalar('rbc1')), mul(scalar('oneMinusB2'), mul(v, scalar('rbc2'))));
      const update = div(numerator, add(sqrt(add(mul(n, scalar('rbc3')), scalar('epsRoot'))), scalar('eps')));
      return { update, next: { m, v, n, gPrev: g } };
    },
  });
}
