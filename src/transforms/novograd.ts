/**
 * NovoGrad's scaler: a layer-wise second moment (one number per leaf, from the squared norm of
 * the leaf's gradient) and a momentum of the normalised gradient plus weight decay.
 *
 * @module
 */
import type { GradientTransformation } from '../base.js';
import { type KernelState, defineTransform } from '../kernel/define.js';
import { add, div, g, mul, p, scalar, select, sqrt } from '../kernel/dsl.js';
import { requireInRange, requireKnownKeys, requireNonNegative } from '../validate.js';

/** Options of {@link scaleByNovograd}. */
export interface ScaleByNovogradOptions {
  /** Momentum factor β₁ (the new term is **not** scaled by `1 - β₁`), in [0, 1]. Default 0.9. */
  readonly b1?: number;
  /** Decay β₂ of the per-leaf second moment, in [0, 1]. Default 0.25. */
  readonly b2?: number;
  /** Added to the root of the second moment (outside the root). Default 1e-8 (the `novograd` optimizer uses 1e-6). */
  readonly eps?: number;
  /** Added to the second moment inside the root. Default 0. */
  readonly epsRoot?: number;
  /** λ of the weight decay added to the normalised gradient, a finite number >= 0. Default 0. */
  readonly weightDecay?: number;
}

/**
 * The state of {@link scaleByNovograd}: `count`, the momentum `mu`, and the per-leaf second
 * moment `nu`, **stored once per element**: every element of a leaf holds the leaf's value.
 */
export type ScaleByNovogradState = KernelState<'mu' | 'nu'>;

/**
 * Rescales updates with NovoGrad (Ginsburg et al., "Stochastic Gradient Methods with
 * Layer-wise Adaptive Moments for Training of Deep Networks", 2019), per leaf `l`:
 *
 * ```text
 * n_l = ‖g_l‖²                                   (the leaf's squared Euclidean norm)
 * ν_l = n_l                       at t = 1,      β₂ ν_l + (1 - β₂) n_l   after
 * a   = g / (√(ν_l + ε_root) + ε) + λ p
 * μ   = a                         at t = 1,      β₁ μ + a                after
 * u   = μ
 * ```
 *
 * Defaults `b1 = 0.9`, `b2 = 0.25`, `eps = 1e-8`, `epsRoot = 0`, `weightDecay` λ `= 0`
 * (optax's `scale_by_novograd`; optax's `novograd` optimizer passes `eps = 1e-6`). Needs
 * `params` (the decay term reads them even when λ = 0, as in optax). No bias correction.
 *
 * **State layout.** optax keeps `ν` as one scalar per leaf. The kernel IR has per-element slots
 * only, so `ν` is a slot like `μ` whose elements all hold the leaf's value: every element
 * computes the same update of the same inputs, so the values are those of optax (it costs one
 * number per element instead of one per leaf). `‖g_l‖²` is a per-leaf reduction, squared from
 * the norm as optax does (`norm(g)**2`), in float64.
 * @category Transformations
 */
export function scaleByNovograd(options: ScaleByNovogradOptions = {}): GradientTransformation<ScaleByNovogradState> {
  const owner = 'scaleByNovograd';
  requireKnownKeys(owner, options, ['b1', 'b2', 'eps', 'epsRoot', 'weightDecay']);
  const o = {
    b1: requireInRange(owner, 'b1', options.b1 ?? 0.9, 0, 1),
    b2: requireInRange(owner, 'b2', options.b2 ?? 0.25, 0, 1),
    eps: requireNonNegative(owner, 'eps', options.eps ?? 1e-8),
    epsRoot: requireNonNegative(owner, 'epsRoot', options.epsRoot ?? 0),
    weightDecay: requireNonNegative(owner, 'weightDecay', options.weightDecay ?? 0),
  };
  return defineTransform<'mu' | 'nu'>({
    name: owner,
    options: o,
    slots: { mu: 0, nu: 0 },
    reductions: [{ name: 'gradSquares', kind: 'sumSquares', of: g, scope: 'leaf' }],
    scalars: ({ count }) => ({
      first: count === 0 ? 1 : 0,
      b1: o.b1,
      b2: o.b2,
      oneMinusB2: 1 - o.b2,
      eps: o.eps,
      epsRoot: o.epsRoot,
      weightDecay: o.weightDecay,
    }),
    leafScalars: ({ leafReductions }) => {
      const norm = Math.sqrt(leafReductions.gradSquares ?? 0);
      return { normSquared: norm * norm };
    },
    body: (s) => {
      const first = scalar('first');
      const n = scalar('normSquared');
      const nu = select(first, n, add(mul(scalar('b2'), s.nu), mul(scalar('oneMinusB2'), n)));
      const a = add(div(g, add(sqrt(add(nu, scalar('epsRoot'))), scalar('eps'))), mul(scalar('weightDecay'), p));
      const mu = select(first, a, add(mul(scalar('b1'), s.mu), a));
      return { update: mu, next: { mu, nu } };
    },
  });
}
