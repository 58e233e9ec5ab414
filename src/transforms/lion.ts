/**
 * Lion's scaler: the sign of an interpolated momentum.
 *
 * @module
 */
import type { GradientTransformation } from '../base.js';
import { type KernelState, defineTransform } from '../kernel/define.js';
import { abs, add, ema, g, lt, mul, scalar, select, sign, tanh } from '../kernel/dsl.js';
import type { Expr } from '../kernel/expr.js';
import { requireInRange, requireKnownKeys, requireOneOf, requirePositive } from '../validate.js';

/** How {@link scaleByLion} turns the interpolation `x` into an update. */
export type LionMode = 'hard' | 'smooth' | 'refined';

/** Options of {@link scaleByLion}. */
export interface ScaleByLionOptions {
  /** Weight β₁ of the old momentum in the update's interpolation, in [0, 1]. Default 0.9. */
  readonly b1?: number;
  /** Decay β₂ of the momentum, in [0, 1]. Default 0.99. */
  readonly b2?: number;
  /**
   * `'hard'` (default): `sign(x)`; `'smooth'`: `tanh(smoothBeta·x)`; `'refined'`: `x` where
   * `|x| < 1`, else `sign(x)`.
   */
  readonly mode?: LionMode;
  /** The slope of the `'smooth'` mode, > 0. Default 1. */
  readonly smoothBeta?: number;
}

/** The state of {@link scaleByLion}: `count` and the momentum `mu`. */
export type ScaleByLionState = KernelState<'mu'>;

/**
 * Lion (Chen et al., 2023, "Symbolic Discovery of Optimization Algorithms", Program 1): the sign
 * of an interpolation between the gradient and the momentum **before** this step's update:
 *
 * ```text
 * x   = (1 - β₁) g + β₁ μ_{t-1}
 * u   = sign(x)                       (smooth: tanh(smoothBeta·x); refined: |x| < 1 ? x : sign(x))
 * μ_t = β₂ μ_{t-1} + (1 - β₂) g       μ_0 = 0
 * ```
 *
 * Defaults `b1 = 0.9`, `b2 = 0.99`, `mode = 'hard'`, `smoothBeta = 1` (optax's
 * `scale_by_lion`). `sign(0) = 0`, so a zero interpolation gives no step.
 *
 * @remarks PyTorch has no Lion in `torch.optim`; the common `lion-pytorch` package computes the
 * same hard-sign update.
 * @category Transformations
 */
export function scaleByLion(options: ScaleByLionOptions = {}): GradientTransformation<ScaleByLionState> {
  const owner = 'scaleByLion';
  requireKnownKeys(owner, options, ['b1', 'b2', 'mode', 'smoothBeta']);
  const o = {
    b1: requireInRange(owner, 'b1', options.b1 ?? 0.9, 0, 1),
    b2: requireInRange(owner, 'b2', options.b2 ?? 0.99, 0, 1),
    mode: requireOneOf(owner, 'mode', options.mode ?? 'hard', ['hard', 'smooth', 'refined'] as const),
    smoothBeta: requirePositive(owner, 'smoothBeta', options.smoothBeta ?? 1),
  };
  const shape = (x: Expr): Expr => {
    switch (o.mode) {
      case 'hard':
        return sign(x);
      case 'smooth':
        return tanh(mul(scalar('smoothBeta'), x));
      case 'refined':
        return select(lt(abs(x), 1), x, sign(x));
    }
  };
  return defineTransform<'mu'>({
    name: owner,
    options: o,
    slots: { mu: 0 },
    scalars: () => ({
      b1: o.b1,
      oneMinusB1: 1 - o.b1,
      b2: o.b2,
      oneMinusB2: 1 - o.b2,
      ...(o.mode === 'smooth' ? { smoothBeta: o.smoothBeta } : {}),
    }),
    body: (s) => {
      const x = add(mul(scalar('oneMinusB1'), g), mul(scalar('b1'), s.mu));
      const mu = ema(s.mu, g, scalar('b2'), scalar('oneMinusB2'));
      return { update: shape(x), next: { mu } };
    },
  });
}
