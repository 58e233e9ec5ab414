/**
 * RMSprop's scalers: the root of an exponential moving average of squared updates
 * ({@link scaleByRms}) and its centered form ({@link scaleByStddev}).
 *
 * @module
 */
import type { GradientTransformation } from '../base.js';
import { type KernelState, defineTransform } from '../kernel/define.js';
import { add, div, ema, g, mul, scalar, sqrt, square, sub } from '../kernel/dsl.js';
import type { Expr } from '../kernel/expr.js';
import { requireBoolean, requireInRange, requireKnownKeys, requireNonNegative } from '../validate.js';

// ---------------------------------------------------------------------------------------------
// options
// ---------------------------------------------------------------------------------------------

/** Options of {@link scaleByRms} and {@link scaleByStddev}. */
export interface ScaleByRmsOptions {
  /**
   * Decay ρ of the moving averages, in [0, 1] (in [0, 1) with `biasCorrection`). Default 0.9
   * (optax; PyTorch's RMSprop `alpha` defaults to 0.99).
   */
  readonly decay?: number;
  /** ε, >= 0: added inside the square root, or outside with `epsInSqrt: false`. Default 1e-8. */
  readonly eps?: number;
  /** Initial value of the second moment ν, >= 0 (PyTorch 0, TF1 1). Default 0. */
  readonly initialScale?: number;
  /** `√(ν̂ + ε)` (optax, default `true`) or `√ν̂ + ε` (`false`, PyTorch). */
  readonly epsInSqrt?: boolean;
  /** Divide the moments by `1 - ρᵗ` (as Adam does). Default false (optax and PyTorch). */
  readonly biasCorrection?: boolean;
}

/** The state of {@link scaleByRms}: `count` and the second moment `nu`. */
export type ScaleByRmsState = KernelState<'nu'>;

/** The state of {@link scaleByStddev}: `count`, the first moment `mu` and the second moment `nu`. */
export type ScaleByStddevState = KernelState<'mu' | 'nu'>;

const RMS_KEYS = ['decay', 'eps', 'initialScale', 'epsInSqrt', 'biasCorrection'] as const;

/** Validates RMS options, filling optax's defaults. */
export function rmsOptions(owner: string, options: ScaleByRmsOptions): Required<ScaleByRmsOptions> {
  requireKnownKeys(owner, options, RMS_KEYS);
  const biasCorrection = requireBoolean(owner, 'biasCorrection', options.biasCorrection ?? false);
  return {
    // With bias correction ρ = 1 would divide by 1 - 1ᵗ = 0.
    decay: requireInRange(owner, 'decay', options.decay ?? 0.9, 0, 1, { hiOpen: biasCorrection }),
    eps: requireNonNegative(owner, 'eps', options.eps ?? 1e-8),
    initialScale: requireNonNegative(owner, 'initialScale', options.initialScale ?? 0),
    epsInSqrt: requireBoolean(owner, 'epsInSqrt', options.epsInSqrt ?? true),
    biasCorrection,
  };
}

/** The per-step scalars shared by both scalers. */
function rmsScalars(o: Required<ScaleByRmsOptions>, count: number): Readonly<Record<string, number>> {
  const t = count + 1;
  return {
    decay: o.decay,
    oneMinusDecay: 1 - o.decay,
    eps: o.eps,
    ...(o.biasCorrection ? { rbc: 1 / (1 - o.decay ** t) } : {}),
  };
}

/** `√(v + ε)` or `√v + ε`. */
function denominator(o: Required<ScaleByRmsOptions>, v: Expr): Expr {
  return o.epsInSqrt ? sqrt(add(v, scalar('eps'))) : add(sqrt(v), scalar('eps'));
}

// ---------------------------------------------------------------------------------------------
// constructors
// ---------------------------------------------------------------------------------------------

/**
 * Rescales updates by the root of an exponential moving average of their squares (RMSprop,
 * Tieleman & Hinton 2012, lecture 6e):
 *
 * ```text
 * ν_t = ρ ν_{t-1} + (1 - ρ) g²          ν_0 = initialScale
 * ν̂  = ν_t                             (biasCorrection: ν_t / (1 - ρᵗ))
 * u   = g / √(ν̂ + ε)                   (epsInSqrt: false → g / (√ν̂ + ε))
 * ```
 *
 * Defaults `decay = 0.9`, `eps = 1e-8`, `initialScale = 0`, `epsInSqrt = true`,
 * `biasCorrection = false` (optax's `scale_by_rms`). With `epsInSqrt: false` and
 * `biasCorrection: true` this is {@link scaleByAdam} with `b1 = 0`, without a first moment.
 *
 * @remarks PyTorch's RMSprop puts ε outside the root and defaults ρ (`alpha`) to 0.99: use
 * `{ decay: 0.99, epsInSqrt: false }`. Its accumulator starts at 0 (`initialScale: 0`).
 * @category Transformations
 */
export function scaleByRms(options: ScaleByRmsOptions = {}): GradientTransformation<ScaleByRmsState> {
  const o = rmsOptions('scaleByRms', options);
  return defineTransform<'nu'>({
    name: 'scaleByRms',
    options: o,
    slots: { nu: o.initialScale },
    scalars: ({ count }) => rmsScalars(o, count),
    body: (s) => {
      const nuNew = ema(s.nu, square(g), scalar('decay'), scalar('oneMinusDecay'));
      const nuHat = o.biasCorrection ? mul(nuNew, scalar('rbc')) : nuNew;
      return { update: div(g, denominator(o, nuHat)), next: { nu: nuNew } };
    },
  });
}

/**
 * Rescales updates by an estimate of their standard deviation: the centered RMSprop of
 * Graves (2013), eq. 38–45:
 *
 * ```text
 * μ_t = ρ μ_{t-1} + (1 - ρ) g           μ_0 = 0
 * ν_t = ρ ν_{t-1} + (1 - ρ) g²          ν_0 = initialScale
 * μ̂, ν̂ = μ_t, ν_t                      (biasCorrection: each divided by 1 - ρᵗ)
 * u   = g / √(ν̂ - μ̂² + ε)              (epsInSqrt: false → g / (√(ν̂ - μ̂²) + ε))
 * ```
 *
 * Same options and defaults as {@link scaleByRms} (optax's `scale_by_stddev`). There is no
 * clamp: should rounding make `ν̂ - μ̂²` negative, the root is NaN, as in optax and PyTorch.
 *
 * @remarks PyTorch's `RMSprop(centered=True)` is `{ decay: 0.99, epsInSqrt: false }`:
 * `g / (√(v - ḡ²) + ε)`.
 * @category Transformations
 */
export function scaleByStddev(options: ScaleByRmsOptions = {}): GradientTransformation<ScaleByStddevState> {
  const o = rmsOptions('scaleByStddev', options);
  return defineTransform<'mu' | 'nu'>({
    name: 'scaleByStddev',
    options: o,
    slots: { mu: 0, nu: o.initialScale },
    scalars: ({ count }) => rmsScalars(o, count),
    body: (s) => {
      const muNew = ema(s.mu, g, scalar('decay'), scalar('oneMinusDecay'));
      const nuNew = ema(s.nu, square(g), scalar('decay'), scalar('oneMinusDecay'));
      const muHat = o.biasCorrection ? mul(muNew, scalar('rbc')) : muNew;
      const nuHat = o.biasCorrection ? mul(nuNew, scalar('rbc')) : nuNew;
      const variance = sub(nuHat, square(muHat));
      return { update: div(g, denominator(o, variance)), next: { mu: muNew, nu: nuNew } };
    },
  });
}
