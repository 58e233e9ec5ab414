/**
 * The Adam family of moment scalers: Adam (with Dozat's Nesterov form), AMSGrad, Adamax,
 * RAdam and PyTorch's NAdam with its momentum-decay schedule.
 *
 * Every member keeps its per-step branches in scalars: counts, bias corrections, the RAdam
 * rectification and the NAdam momentum product are plain numbers computed once per step, and
 * the element-wise bodies are branch-free expression DAGs.
 *
 * @module
 */
import type { GradientTransformation } from '../base.js';
import { HyperparameterError } from '../errors.js';
import { type KernelState, defineTransform } from '../kernel/define.js';
import { abs, add, div, ema, g, max, mul, scalar, select, sqrt, square } from '../kernel/dsl.js';
import type { Expr } from '../kernel/expr.js';
import {
  requireBoolean,
  requireInRange,
  requireKnownKeys,
  requireNonNegative,
  requireOneOf,
} from '../validate.js';

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

/** Options of {@link scaleByAmsgrad}. */
export interface ScaleByAmsgradOptions {
  /** Decay of the first moment, in [0, 1). Default 0.9. */
  readonly b1?: number;
  /** Decay of the second moment, in [0, 1). Default 0.999. */
  readonly b2?: number;
  /** Added to the root of the running maximum (outside the square root). Default 1e-8. */
  readonly eps?: number;
  /** Added inside the square root. Default 0. */
  readonly epsRoot?: number;
  /**
   * Which second moment the running maximum is taken of. `'biasCorrected'` (optax, default):
   * the maximum of `v̂_t = ν_t/(1 - β₂ᵗ)`. `'raw'` (PyTorch): the maximum of the raw `ν_t`,
   * bias-corrected afterwards with the current step's `1 - β₂ᵗ`.
   */
  readonly maxOf?: AmsgradMaxOf;
}

/** What {@link scaleByAmsgrad} takes the running maximum of. */
export type AmsgradMaxOf = 'biasCorrected' | 'raw';

/** Options of {@link scaleByAdamax}. */
export interface ScaleByAdamaxOptions {
  /** Decay of the first moment, in [0, 1). Default 0.9. */
  readonly b1?: number;
  /** Decay of the infinity norm, in [0, 1). Default 0.999. */
  readonly b2?: number;
  /** Added to `|g|` inside the maximum (so the norm is at least `eps`). Default 1e-8. */
  readonly eps?: number;
}

/** Options of {@link scaleByRadam}. */
export interface ScaleByRadamOptions {
  /** Decay of the first moment, in [0, 1). Default 0.9. */
  readonly b1?: number;
  /** Decay of the second moment, in [0, 1). Default 0.999. */
  readonly b2?: number;
  /** Added to the root of the second moment (outside the square root). Default 1e-8. */
  readonly eps?: number;
  /** Added to the second moment inside the square root. Default 0. */
  readonly epsRoot?: number;
  /**
   * Rectify once the length of the approximated SMA `ρ_t` reaches this value; a finite number
   * > 4 (the variance of the adaptive rate is intractable for `ρ_t <= 4`). Default 5.
   */
  readonly threshold?: number;
  /** Use Nesterov momentum for `m̂` (as {@link scaleByAdam}). Default false. */
  readonly nesterov?: boolean;
  /** Rectify only when `ρ_t > threshold` (PyTorch) instead of `ρ_t >= threshold` (optax). Default false. */
  readonly strictThreshold?: boolean;
  /**
   * Put `eps` on the root of the *uncorrected* second moment and bias-correct the quotient,
   * `r·m̂·√(1-β₂ᵗ)/(√(ν_t + ε_root) + ε)` (PyTorch), instead of `r·m̂/(√(v̂_t + ε_root) + ε)`
   * (optax). Default false.
   */
  readonly epsOnUncorrectedRoot?: boolean;
}

/** Options of {@link scaleByNadam}. */
export interface ScaleByNadamOptions {
  /** β₁, the base momentum, in [0, 1). Default 0.9. */
  readonly b1?: number;
  /** Decay of the second moment, in [0, 1). Default 0.999. */
  readonly b2?: number;
  /** Added to the root of the bias-corrected second moment. Default 1e-8. */
  readonly eps?: number;
  /** Added to the bias-corrected second moment inside the square root. Default 0. */
  readonly epsRoot?: number;
  /** ψ of the momentum schedule `μ_t = β₁(1 - 0.5·0.96^(t·ψ))`, a finite number >= 0. Default 0.004. */
  readonly momentumDecay?: number;
  /**
   * Reproduce PyTorch 1.13's default (single-tensor) code path, which multiplies the second
   * coefficient's product by `μ_t` once more: `Q_t = P_t·μ_t·μ_{t+1}` instead of
   * `P_t·μ_{t+1}`. Corrected in PyTorch 2.0. Default false.
   */
  readonly doubleCountMu?: boolean;
}

// ---------------------------------------------------------------------------------------------
// state
// ---------------------------------------------------------------------------------------------

/** The state of {@link scaleByAdam}: `count`, first moment `mu`, second moment `nu`. */
export type ScaleByAdamState = KernelState<'mu' | 'nu'>;
/** The state of {@link scaleByAmsgrad}: `count`, `mu`, `nu` and the running maximum `nuMax`. */
export type ScaleByAmsgradState = KernelState<'mu' | 'nu' | 'nuMax'>;
/** The state of {@link scaleByAdamax}: `count`, first moment `mu`, infinity norm `nu`. */
export type ScaleByAdamaxState = KernelState<'mu' | 'nu'>;
/** The state of {@link scaleByRadam}: `count`, first moment `mu`, second moment `nu`. */
export type ScaleByRadamState = KernelState<'mu' | 'nu'>;
/**
 * The state of {@link scaleByNadam}: `count`, first moment `mu`, second moment `nu`. The
 * momentum product `Π μ_i` depends only on the count and is recomputed, not stored.
 */
export type ScaleByNadamState = KernelState<'mu' | 'nu'>;

// ---------------------------------------------------------------------------------------------
// validation
// ---------------------------------------------------------------------------------------------

const ADAM_KEYS = ['b1', 'b2', 'eps', 'epsRoot', 'nesterov'] as const;

const decay = (owner: string, name: string, value: unknown): number =>
  requireInRange(owner, name, value, 0, 1, { hiOpen: true });

/** Validates Adam-style options, filling optax's defaults. */
export function adamOptions(owner: string, options: ScaleByAdamOptions): Required<ScaleByAdamOptions> {
  requireKnownKeys(owner, options, ADAM_KEYS);
  return {
    b1: decay(owner, 'b1', options.b1 ?? 0.9),
    b2: decay(owner, 'b2', options.b2 ?? 0.999),
    eps: requireNonNegative(owner, 'eps', options.eps ?? 1e-8),
    epsRoot: requireNonNegative(owner, 'epsRoot', options.epsRoot ?? 0),
    nesterov: requireBoolean(owner, 'nesterov', options.nesterov ?? false),
  };
}

/** A RAdam threshold: finite and > 4 (the rectification factor is real only for `ρ_t > 4`). */
function radamThreshold(owner: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 4) {
    throw new HyperparameterError(owner, 'threshold', 'a finite number > 4', value);
  }
  return value;
}

// ---------------------------------------------------------------------------------------------
// kernel pieces
// ---------------------------------------------------------------------------------------------

/** The shared per-step scalars of the first two moments and their bias corrections. */
function momentScalars(b1: number, b2: number, t: number, eps: number, epsRoot: number): Record<string, number> {
  const b1t = b1 ** t;
  // One object literal of a fixed shape (no spread): this runs once per step of every compiled
  // Adam, and a spread into a fresh object was most of a small step's time and garbage.
  return {
    b1,
    b2,
    oneMinusB1: 1 - b1,
    oneMinusB2: 1 - b2,
    rbc1: 1 / (1 - b1t),
    rbc2: 1 / (1 - b2 ** t),
    // Dozat's Nesterov m̂ = β₁μ_t/(1 - β₁ᵗ⁺¹) + (1 - β₁)g/(1 - β₁ᵗ)
    nb1: b1 / (1 - b1 ** (t + 1)),
    ng: (1 - b1) / (1 - b1t),
    eps,
    epsRoot,
  };
}

/** `μ_t = β₁μ_{t-1} + (1 - β₁)g`. */
const firstMoment = (mu: Expr): Expr => ema(mu, g, scalar('b1'), scalar('oneMinusB1'));
/** `ν_t = β₂ν_{t-1} + (1 - β₂)g²`. */
const secondMoment = (nu: Expr): Expr => ema(nu, square(g), scalar('b2'), scalar('oneMinusB2'));
/** `m̂`: bias-corrected, or Dozat's Nesterov form. */
const firstMomentHat = (muNew: Expr, nesterov: boolean): Expr =>
  nesterov ? add(mul(scalar('nb1'), muNew), mul(scalar('ng'), g)) : mul(muNew, scalar('rbc1'));
/** `√(x + ε_root) + ε`. */
const rootDenominator = (x: Expr): Expr => add(sqrt(add(x, scalar('epsRoot'))), scalar('eps'));

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
    scalars: ({ count }) => momentScalars(o.b1, o.b2, count + 1, o.eps, o.epsRoot),
    body: (s) => {
      const muNew = firstMoment(s.mu);
      const nuNew = secondMoment(s.nu);
      const mHat = firstMomentHat(muNew, o.nesterov);
      const vHat = mul(nuNew, scalar('rbc2'));
      return { update: div(mHat, rootDenominator(vHat)), next: { mu: muNew, nu: nuNew } };
    },
  });
}

/**
 * AMSGrad (Reddi, Kale & Kumar, "On the Convergence of Adam and Beyond", ICLR 2018): Adam
 * whose denominator never shrinks, because it uses the running maximum of the second moment.
 *
 * ```text
 * μ_t = β₁ μ_{t-1} + (1 - β₁) g
 * ν_t = β₂ ν_{t-1} + (1 - β₂) g²
 * m̂ = μ_t / (1 - β₁ᵗ)
 * maxOf 'biasCorrected':  ν^max_t = max(ν^max_{t-1}, ν_t/(1 - β₂ᵗ)),  u = m̂ / (√(ν^max_t + ε_root) + ε)
 * maxOf 'raw':            ν^max_t = max(ν^max_{t-1}, ν_t),           u = m̂ / (√(ν^max_t/(1 - β₂ᵗ) + ε_root) + ε)
 * ```
 *
 * Defaults `b1 = 0.9`, `b2 = 0.999`, `eps = 1e-8`, `epsRoot = 0`, `maxOf = 'biasCorrected'`
 * (optax's `scale_by_amsgrad`). State slots `mu`, `nu`, `nuMax` (all start at 0).
 *
 * @remarks PyTorch's `Adam(amsgrad=True)` keeps the maximum of the **raw** `ν` and divides by
 * `√(ν^max)/√(1-β₂ᵗ) + ε` with the current step's correction: `maxOf: 'raw'` (with
 * `epsRoot = 0`) reproduces it up to rounding. The two modes differ whenever `ν` falls: a
 * maximum of bias-corrected values remembers the large corrections of the first steps.
 * @category Transformations
 */
export function scaleByAmsgrad(options: ScaleByAmsgradOptions = {}): GradientTransformation<ScaleByAmsgradState> {
  const owner = 'scaleByAmsgrad';
  requireKnownKeys(owner, options, ['b1', 'b2', 'eps', 'epsRoot', 'maxOf']);
  const o = {
    b1: decay(owner, 'b1', options.b1 ?? 0.9),
    b2: decay(owner, 'b2', options.b2 ?? 0.999),
    eps: requireNonNegative(owner, 'eps', options.eps ?? 1e-8),
    epsRoot: requireNonNegative(owner, 'epsRoot', options.epsRoot ?? 0),
    maxOf: requireOneOf<AmsgradMaxOf>(owner, 'maxOf', options.maxOf ?? 'biasCorrected', ['biasCorrected', 'raw']),
  };
  return defineTransform<'mu' | 'nu' | 'nuMax'>({
    name: owner,
    options: o,
    slots: { mu: 0, nu: 0, nuMax: 0 },
    scalars: ({ count }) => momentScalars(o.b1, o.b2, count + 1, o.eps, o.epsRoot),
    body: (s) => {
      const muNew = firstMoment(s.mu);
      const nuNew = secondMoment(s.nu);
      const mHat = firstMomentHat(muNew, false);
      if (o.maxOf === 'raw') {
        const nuMax = max(s.nuMax, nuNew);
        const update = div(mHat, rootDenominator(mul(nuMax, scalar('rbc2'))));
        return { update, next: { mu: muNew, nu: nuNew, nuMax } };
      }
      const nuMax = max(s.nuMax, mul(nuNew, scalar('rbc2')));
      return { update: div(mHat, rootDenominator(nuMax)), next: { mu: muNew, nu: nuNew, nuMax } };
    },
  });
}

/**
 * Adamax (Kingma & Ba, 2015, Section 7.1, Algorithm 2): Adam with the infinity norm in place
 * of the second moment.
 *
 * ```text
 * μ_t = β₁ μ_{t-1} + (1 - β₁) g
 * ν_t = max(|g| + ε, β₂ ν_{t-1})
 * u   = (μ_t / (1 - β₁ᵗ)) / ν_t
 * ```
 *
 * Defaults `b1 = 0.9`, `b2 = 0.999`, `eps = 1e-8` (optax). `ε` sits inside the maximum, so
 * `ν_t >= ε` and there is no `ε` in the division; the infinity norm needs no bias correction.
 *
 * @remarks The same formula as PyTorch's `Adamax` (`u = max(β₂u, |g| + ε)`, then
 * `θ -= (lr/(1-β₁ᵗ))·m/u`); only the last bits of rounding differ. With `eps = 0` a leaf
 * whose gradient has been exactly 0 from the start gives `0/0 = NaN`, as in optax.
 * @category Transformations
 */
export function scaleByAdamax(options: ScaleByAdamaxOptions = {}): GradientTransformation<ScaleByAdamaxState> {
  const owner = 'scaleByAdamax';
  requireKnownKeys(owner, options, ['b1', 'b2', 'eps']);
  const o = {
    b1: decay(owner, 'b1', options.b1 ?? 0.9),
    b2: decay(owner, 'b2', options.b2 ?? 0.999),
    eps: requireNonNegative(owner, 'eps', options.eps ?? 1e-8),
  };
  return defineTransform<'mu' | 'nu'>({
    name: owner,
    options: o,
    slots: { mu: 0, nu: 0 },
    scalars: ({ count }) => momentScalars(o.b1, o.b2, count + 1, o.eps, 0),
    body: (s) => {
      const muNew = firstMoment(s.mu);
      const nuNew = max(add(abs(g), scalar('eps')), mul(scalar('b2'), s.nu));
      return { update: div(firstMomentHat(muNew, false), nuNew), next: { mu: muNew, nu: nuNew } };
    },
  });
}

/**
 * Rectified Adam (Liu et al., "On the Variance of the Adaptive Learning Rate and Beyond",
 * ICLR 2020): momentum SGD while the variance of the adaptive rate is intractable, Adam scaled
 * by a rectification factor `r_t` afterwards.
 *
 * ```text
 * μ_t = β₁ μ_{t-1} + (1 - β₁) g
 * ν_t = β₂ ν_{t-1} + (1 - β₂) g²
 * m̂ = μ_t / (1 - β₁ᵗ)                  (nesterov: as scaleByAdam)
 * ρ∞ = 2/(1 - β₂) - 1,   ρ_t = ρ∞ - 2t·β₂ᵗ/(1 - β₂ᵗ)
 * r_t = √( (ρ_t - 4)(ρ_t - 2)ρ∞ / ((ρ∞ - 4)(ρ∞ - 2)ρ_t) )
 * u = r_t · m̂ / (√(ν_t/(1 - β₂ᵗ) + ε_root) + ε)      if ρ_t >= threshold   (strictThreshold: >)
 *   = m̂                                               otherwise
 * epsOnUncorrectedRoot:  rectified u = r_t · m̂ · √(1 - β₂ᵗ) / (√(ν_t + ε_root) + ε)
 * ```
 *
 * Defaults `b1 = 0.9`, `b2 = 0.999`, `eps = 1e-8`, `epsRoot = 0`, `threshold = 5`,
 * `nesterov = false`, `strictThreshold = false`, `epsOnUncorrectedRoot = false` (optax's
 * `scale_by_radam`). The branch depends only on `t`: `ρ_t`, `r_t` and a 0/1 flag are per-step
 * scalars and the body selects on the flag, so the element loop has no control flow. With
 * `b2 = 0.999` the first rectified step is `t = 6`.
 *
 * `threshold` must be > 4: for `ρ_t <= 4` the factor `r_t` is not real (optax accepts such
 * thresholds and produces NaN).
 *
 * @remarks PyTorch's `RAdam` rectifies when `ρ_t > 5` and puts `eps` on the uncorrected root:
 * `strictThreshold: true, epsOnUncorrectedRoot: true` reproduces it. The comparison only
 * matters when `ρ_t` equals the threshold exactly; the placement of `eps` changes the
 * trajectory by far more than rounding.
 * @category Transformations
 */
export function scaleByRadam(options: ScaleByRadamOptions = {}): GradientTransformation<ScaleByRadamState> {
  const owner = 'scaleByRadam';
  requireKnownKeys(owner, options, ['b1', 'b2', 'eps', 'epsRoot', 'threshold', 'nesterov', 'strictThreshold', 'epsOnUncorrectedRoot']);
  const o = {
    b1: decay(owner, 'b1', options.b1 ?? 0.9),
    b2: decay(owner, 'b2', options.b2 ?? 0.999),
    eps: requireNonNegative(owner, 'eps', options.eps ?? 1e-8),
    epsRoot: requireNonNegative(owner, 'epsRoot', options.epsRoot ?? 0),
    threshold: radamThreshold(owner, options.threshold ?? 5),
    nesterov: requireBoolean(owner, 'nesterov', options.nesterov ?? false),
    strictThreshold: requireBoolean(owner, 'strictThreshold', options.strictThreshold ?? false),
    epsOnUncorrectedRoot: requireBoolean(owner, 'epsOnUncorrectedRoot', options.epsOnUncorrectedRoot ?? false),
  };
  const rhoInf = 2 / (1 - o.b2) - 1;
  return defineTransform<'mu' | 'nu'>({
    name: owner,
    options: o,
    slots: { mu: 0, nu: 0 },
    scalars: ({ count }) => {
      const t = count + 1;
      const b2t = o.b2 ** t;
      const bc2 = 1 - b2t;
      const rhoT = rhoInf - (2 * t * b2t) / bc2;
      const rectify = o.strictThreshold ? rhoT > o.threshold : rhoT >= o.threshold;
      const r = rectify ? Math.sqrt(((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT)) : 0;
      return {
        ...momentScalars(o.b1, o.b2, t, o.eps, o.epsRoot),
        rectify: rectify ? 1 : 0,
        rCoef: o.epsOnUncorrectedRoot ? r * Math.sqrt(bc2) : r,
      };
    },
    body: (s) => {
      const muNew = firstMoment(s.mu);
      const nuNew = secondMoment(s.nu);
      const mHat = firstMomentHat(muNew, o.nesterov);
      const denom = rootDenominator(o.epsOnUncorrectedRoot ? nuNew : mul(nuNew, scalar('rbc2')));
      const rectified = div(mul(scalar('rCoef'), mHat), denom);
      return { update: select(scalar('rectify'), rectified, mHat), next: { mu: muNew, nu: nuNew } };
    },
  });
}

/** Multiplications between two cached values of the NAdam momentum product. */
const PRODUCT_STRIDE = 256;

/**
 * `t ↦ P_t = Π_{i=1..t} μ_i` (`P_0 = 1`), multiplied in the order i = 1, 2, …, t, which is how
 * PyTorch accumulates it in its state: every `t` gives the float64 PyTorch holds, bit for bit.
 * The products at multiples of `PRODUCT_STRIDE` are cached as they are met, so a step
 * costs at most that many multiplications whatever the order of the calls, and the result is
 * the same for every call order (the cache holds values of the same sequence). Once the
 * product underflows to 0 it stays 0.
 */
function momentumProduct(muAt: (i: number) => number): (t: number) => number {
  const checkpoints: number[] = [1];
  return (t) => {
    const k = Math.min(Math.floor(t / PRODUCT_STRIDE), checkpoints.length - 1);
    let product = checkpoints[k] as number;
    for (let i = k * PRODUCT_STRIDE + 1; i <= t; i++) {
      if (product === 0) return 0;
      product *= muAt(i);
      if (i === checkpoints.length * PRODUCT_STRIDE) checkpoints.push(product);
    }
    return product;
  };
}

/**
 * PyTorch's NAdam (Dozat, "Incorporating Nesterov Momentum into Adam", ICLR 2016 workshop):
 * Nesterov momentum with the momentum schedule `μ_t` and its running product.
 *
 * ```text
 * μ_t   = β₁ (1 - 0.5·0.96^(t·ψ)),   μ_{t+1} = β₁ (1 - 0.5·0.96^((t+1)·ψ))
 * P_t   = μ_1·μ_2·…·μ_t,             Q_t = P_t·μ_{t+1}        (doubleCountMu: P_t·μ_t·μ_{t+1})
 * m_t   = β₁ m_{t-1} + (1 - β₁) g
 * ν_t   = β₂ ν_{t-1} + (1 - β₂) g²
 * d     = √(ν_t/(1 - β₂ᵗ) + ε_root) + ε
 * u     = ((1 - μ_t)/(1 - P_t)·g + μ_{t+1}/(1 - Q_t)·m_t) / d
 * ```
 *
 * Defaults `b1 = 0.9`, `b2 = 0.999`, `eps = 1e-8`, `epsRoot = 0`, `momentumDecay` ψ `= 0.004`,
 * `doubleCountMu = false`. `P_t` depends only on `t`, so it is a per-step scalar recomputed
 * from the count in PyTorch's multiplication order (no state; see the cache note in the
 * source) and the two coefficients enter the body as scalars.
 *
 * This is not optax's `nadam`, which is {@link scaleByAdam} with `nesterov: true` (Dozat's form
 * with a constant β₁).
 *
 * @remarks With `epsRoot = 0` this is PyTorch ≥ 2.0's `NAdam` (and 1.13's `foreach=True`
 * path) up to rounding. PyTorch 1.13's default single-tensor path computes
 * `Q_t = P_t·μ_t·μ_{t+1}`: pass `doubleCountMu: true` to reproduce it (the parameters part by
 * about 2e-4 after 30 steps at lr 1e-2).
 * @category Transformations
 */
export function scaleByNadam(options: ScaleByNadamOptions = {}): GradientTransformation<ScaleByNadamState> {
  const owner = 'scaleByNadam';
  requireKnownKeys(owner, options, ['b1', 'b2', 'eps', 'epsRoot', 'momentumDecay', 'doubleCountMu']);
  const o = {
    b1: decay(owner, 'b1', options.b1 ?? 0.9),
    b2: decay(owner, 'b2', options.b2 ?? 0.999),
    eps: requireNonNegative(owner, 'eps', options.eps ?? 1e-8),
    epsRoot: requireNonNegative(owner, 'epsRoot', options.epsRoot ?? 0),
    momentumDecay: requireNonNegative(owner, 'momentumDecay', options.momentumDecay ?? 0.004),
    doubleCountMu: requireBoolean(owner, 'doubleCountMu', options.doubleCountMu ?? false),
  };
  const muAt = (i: number): number => o.b1 * (1 - 0.5 * 0.96 ** (i * o.momentumDecay));
  const productAt = momentumProduct(muAt);
  return defineTransform<'mu' | 'nu'>({
    name: owner,
    options: o,
    slots: { mu: 0, nu: 0 },
    scalars: ({ count }) => {
      const t = count + 1;
      const muT = muAt(t);
      const muNext = muAt(t + 1);
      const pT = productAt(t);
      const qT = o.doubleCountMu ? pT * muT * muNext : pT * muNext;
      return {
        b1: o.b1,
        b2: o.b2,
        oneMinusB1: 1 - o.b1,
        oneMinusB2: 1 - o.b2,
        rbc2: 1 / (1 - o.b2 ** t),
        eps: o.eps,
        epsRoot: o.epsRoot,
        gradCoef: (1 - muT) / (1 - pT),
        momentCoef: muNext / (1 - qT),
      };
    },
    body: (s) => {
      const muNew = firstMoment(s.mu);
      const nuNew = secondMoment(s.nu);
      const numerator = add(mul(scalar('gradCoef'), g), mul(scalar('momentCoef'), muNew));
      const denom = rootDenominator(mul(nuNew, scalar('rbc2')));
      return { update: div(numerator, denom), next: { mu: muNew, nu: nuNew } };
    },
  });
}
