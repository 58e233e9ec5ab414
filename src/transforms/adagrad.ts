/**
 * Adagrad's scaler: the root of the running sum of squared updates.
 *
 * @module
 */
import type { GradientTransformation } from '../base.js';
import { type KernelState, defineTransform } from '../kernel/define.js';
import { add, div, g, gt, mul, scalar, select, sqrt, square } from '../kernel/dsl.js';
import { requireBoolean, requireKnownKeys, requireNonNegative } from '../validate.js';

/** Options of {@link scaleByRss}. */
export interface ScaleByRssOptions {
  /** Initial value s₀ of the accumulator, >= 0. Default 0.1 (optax; PyTorch's default is 0). */
  readonly initialAccumulatorValue?: number;
  /** ε, >= 0: added inside the square root, or outside with `epsInSqrt: false`. Default 1e-7. */
  readonly eps?: number;
  /** `√(s + ε)` (optax, default `true`) or `√s + ε` (`false`, PyTorch). */
  readonly epsInSqrt?: boolean;
}

/** The state of {@link scaleByRss}: `count` and the accumulator `sumOfSquares`. */
export type ScaleByRssState = KernelState<'sumOfSquares'>;

/**
 * Rescales updates by the root of the sum of all squared updates so far (Adagrad, Duchi, Hazan
 * & Singer, 2011):
 *
 * ```text
 * s_t = s_{t-1} + g²                 s_0 = initialAccumulatorValue
 * u   = g / √(s_t + ε)   where s_t > 0, else 0        (epsInSqrt: false → g / (√s_t + ε))
 * ```
 *
 * Defaults `initialAccumulatorValue = 0.1`, `eps = 1e-7`, `epsInSqrt = true` (optax's
 * `scale_by_rss`). Where the accumulator is still 0 the update is `0·g` (0 for a finite `g`;
 * a NaN or infinite `g` still gives NaN, as optax's `where(s > 0, rsqrt(s + ε), 0)·g` does).
 *
 * @remarks PyTorch's Adagrad is `{ initialAccumulatorValue: 0, eps: 1e-10, epsInSqrt: false }`.
 * With a zero accumulator, PyTorch's `0/(0 + ε)` and the masked 0 here agree.
 * @category Transformations
 */
export function scaleByRss(options: ScaleByRssOptions = {}): GradientTransformation<ScaleByRssState> {
  const owner = 'scaleByRss';
  requireKnownKeys(owner, options, ['initialAccumulatorValue', 'eps', 'epsInSqrt']);
  const o = {
    initialAccumulatorValue: requireNonNegative(owner, 'initialAccumulatorValue', options.initialAccumulatorValue ?? 0.1),
    eps: requireNonNegative(owner, 'eps', options.eps ?? 1e-7),
    epsInSqrt: requireBoolean(owner, 'epsInSqrt', options.epsInSqrt ?? true),
  };
  return defineTransform<'sumOfSquares'>({
    name: owner,
    options: o,
    slots: { sumOfSquares: o.initialAccumulatorValue },
    scalars: () => ({ eps: o.eps }),
    body: (st) => {
      const s = add(st.sumOfSquares, square(g));
      const denom = o.epsInSqrt ? sqrt(add(s, scalar('eps'))) : add(sqrt(s), scalar('eps'));
      return { update: select(gt(s, 0), div(g, denom), mul(g, 0)), next: { sumOfSquares: s } };
    },
  });
}
