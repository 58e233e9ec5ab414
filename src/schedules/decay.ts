/**
 * The basic optax schedules: constant, polynomial (and linear), exponential decay and cosine
 * decay. Each matches `optax/schedules/_schedule.py`; every constructor validates its options
 * eagerly and returns a schedule carrying its `spec`.
 *
 * @module
 */
import { requireBoolean, requireFinite, requireInteger, requireNonNegative, requirePositive } from '../validate.js';
import { clampCount, orDefault, requireOptions } from './common.js';
import { describeSchedule, type Schedule } from './schedule.js';

// -------------------------------------------------------------------------------------------------
// constant
// -------------------------------------------------------------------------------------------------

/** Options of {@link constantSchedule}. */
export interface ConstantScheduleOptions {
  /** The value returned at every count. */
  readonly value: number;
}

/**
 * A constant schedule: $v(t) = \text{value}$.
 *
 * @example
 * ```ts
 * const s = constantSchedule({ value: 0.1 });
 * s(0); // 0.1
 * s(1000); // 0.1
 * ```
 * @category Schedules
 */
export function constantSchedule(options: ConstantScheduleOptions): Schedule {
  const owner = 'constantSchedule';
  requireOptions(owner, options, ['value']);
  const value = requireFinite(owner, 'value', options.value);
  return describeSchedule(() => value, { schedule: owner, options: { value } });
}

// -------------------------------------------------------------------------------------------------
// polynomial and linear
// -------------------------------------------------------------------------------------------------

/** Options of {@link polynomialSchedule}. */
export interface PolynomialScheduleOptions {
  /** $I$, the value up to `transitionBegin`. */
  readonly initValue: number;
  /** $E$, the value from `transitionBegin + transitionSteps` on. */
  readonly endValue: number;
  /** $P$, the power of the polynomial (>= 0). */
  readonly power: number;
  /** $T$, the length of the transition in steps (integer >= 0; 0 gives the constant $I$). */
  readonly transitionSteps: number;
  /** $B$, the count at which the transition starts (integer >= 0). Default 0. */
  readonly transitionBegin?: number;
}

/** Options of {@link linearSchedule}: {@link PolynomialScheduleOptions} without `power`. */
export type LinearScheduleOptions = Omit<PolynomialScheduleOptions, 'power'>;

function polynomialFn(
  initValue: number,
  endValue: number,
  power: number,
  transitionSteps: number,
  transitionBegin: number,
): (count: number) => number {
  if (transitionSteps === 0) return (): number => initValue;
  return (count: number): number => {
    const c = Math.min(Math.max(clampCount(count) - transitionBegin, 0), transitionSteps);
    const frac = 1 - c / transitionSteps;
    return (initValue - endValue) * frac ** power + endValue;
  };
}

/**
 * A polynomial transition from `initValue` to `endValue`:
 *
 * $$
 * v(t) = (I - E)\left(1 - \frac{\operatorname{clip}(t - B,\, 0,\, T)}{T}\right)^{P} + E
 * $$
 *
 * so $v = I$ for $t \le B$ and $v = E$ for $t \ge B + T$. Defaults: `transitionBegin` 0.
 *
 * @remarks
 * optax logs and falls back to 0 for a negative `transitionBegin` and accepts a negative
 * `transitionSteps` (a constant schedule); gradfuse rejects both. `transitionSteps: 0` is
 * accepted and, as in optax, gives the constant `initValue`.
 *
 * @example
 * ```ts
 * const s = polynomialSchedule({ initValue: 1, endValue: 0.01, power: 2, transitionSteps: 100 });
 * s(0); // 1
 * s(100); // 0.01
 * ```
 * @category Schedules
 */
export function polynomialSchedule(options: PolynomialScheduleOptions): Schedule {
  const owner = 'polynomialSchedule';
  requireOptions(owner, options, ['initValue', 'endValue', 'power', 'transitionSteps', 'transitionBegin']);
  const initValue = requireFinite(owner, 'initValue', options.initValue);
  const endValue = requireFinite(owner, 'endValue', options.endValue);
  const power = requireNonNegative(owner, 'power', options.power);
  const transitionSteps = requireInteger(owner, 'transitionSteps', options.transitionSteps);
  const transitionBegin = requireInteger(owner, 'transitionBegin', orDefault(options.transitionBegin, 0));
  return describeSchedule(polynomialFn(initValue, endValue, power, transitionSteps, transitionBegin), {
    schedule: owner,
    options: { initValue, endValue, power, transitionSteps, transitionBegin },
  });
}

/**
 * A linear transition from `initValue` to `endValue` ({@link polynomialSchedule} with power 1):
 *
 * $$
 * v(t) = (I - E)\left(1 - \frac{\operatorname{clip}(t - B,\, 0,\, T)}{T}\right) + E
 * $$
 *
 * Defaults: `transitionBegin` 0. `transitionSteps: 0` gives the constant `initValue`.
 *
 * @remarks
 * This is optax's `warmup_constant_schedule` too (`linearSchedule({ initValue, endValue: peak,
 * transitionSteps: warmupSteps })`). For PyTorch's `LinearLR`, which scales a base lr by
 * factors, see {@link linearLR}.
 *
 * @category Schedules
 */
export function linearSchedule(options: LinearScheduleOptions): Schedule {
  const owner = 'linearSchedule';
  requireOptions(owner, options, ['initValue', 'endValue', 'transitionSteps', 'transitionBegin']);
  const initValue = requireFinite(owner, 'initValue', options.initValue);
  const endValue = requireFinite(owner, 'endValue', options.endValue);
  const transitionSteps = requireInteger(owner, 'transitionSteps', options.transitionSteps);
  const transitionBegin = requireInteger(owner, 'transitionBegin', orDefault(options.transitionBegin, 0));
  return describeSchedule(polynomialFn(initValue, endValue, 1, transitionSteps, transitionBegin), {
    schedule: owner,
    options: { initValue, endValue, transitionSteps, transitionBegin },
  });
}

// -------------------------------------------------------------------------------------------------
// exponential decay
// -------------------------------------------------------------------------------------------------

/** Options of {@link exponentialDecay}. */
export interface ExponentialDecayOptions {
  /** $I$, the value up to `transitionBegin`. */
  readonly initValue: number;
  /** $T$, the number of steps over which the value is multiplied by `decayRate` (integer >= 0; 0 gives the constant $I$). */
  readonly transitionSteps: number;
  /** $r$, the decay rate (>= 0; 0 gives the constant $I$, > 1 grows). */
  readonly decayRate: number;
  /** $B$, the count at which the decay starts (integer >= 0). Default 0. */
  readonly transitionBegin?: number;
  /** Decay in whole multiples of `transitionSteps` (integer exponent). Default false. */
  readonly staircase?: boolean;
  /** $E$, a bound: a lower bound when $r < 1$, an upper bound when $r \ge 1$. Default none. */
  readonly endValue?: number;
}

/**
 * Exponential decay (or growth) of `initValue`:
 *
 * $$
 * v(t) = \begin{cases}
 *   I & t \le B \\
 *   I \, r^{p}, \quad p = \frac{t - B}{T} \ \text{(or } \lfloor \tfrac{t - B}{T} \rfloor \text{ with staircase)} & t > B
 * \end{cases}
 * $$
 *
 * then clipped by `endValue`: $\max(v, E)$ when $r < 1$, $\min(v, E)$ when $r \ge 1$.
 * `transitionSteps: 0` or `decayRate: 0` give the constant $I$ (and ignore `endValue`), as
 * optax. Defaults: `transitionBegin` 0, `staircase` false, no `endValue`.
 *
 * @remarks
 * optax falls back to 0 for a negative `transitionBegin` and to a constant for a negative
 * `transitionSteps`; gradfuse rejects both, and rejects a negative `decayRate`. PyTorch's
 * `ExponentialLR` is `exponentialDecay({ initValue: lr, transitionSteps: 1, decayRate: gamma })`
 * (see {@link exponentialLR}).
 *
 * @example
 * ```ts
 * const s = exponentialDecay({ initValue: 32, transitionSteps: 1, decayRate: 0.5 });
 * [0, 1, 2].map(s); // [32, 16, 8]
 * ```
 * @category Schedules
 */
export function exponentialDecay(options: ExponentialDecayOptions): Schedule {
  const owner = 'exponentialDecay';
  requireOptions(owner, options, ['initValue', 'transitionSteps', 'decayRate', 'transitionBegin', 'staircase', 'endValue']);
  const initValue = requireFinite(owner, 'initValue', options.initValue);
  const transitionSteps = requireInteger(owner, 'transitionSteps', options.transitionSteps);
  const decayRate = requireNonNegative(owner, 'decayRate', options.decayRate);
  const transitionBegin = requireInteger(owner, 'transitionBegin', orDefault(options.transitionBegin, 0));
  const staircase = requireBoolean(owner, 'staircase', orDefault(options.staircase, false));
  const endValue = options.endValue === undefined ? undefined : requireFinite(owner, 'endValue', options.endValue);
  const spec = {
    schedule: owner,
    options: {
      initValue,
      transitionSteps,
      decayRate,
      transitionBegin,
      staircase,
      ...(endValue === undefined ? {} : { endValue }),
    },
  };
  if (transitionSteps === 0 || decayRate === 0) return describeSchedule(() => initValue, spec);
  const clip =
    endValue === undefined
      ? (v: number): number => v
      : decayRate < 1
        ? (v: number): number => Math.max(v, endValue)
        : (v: number): number => Math.min(v, endValue);
  return describeSchedule((count: number): number => {
    const decreased = clampCount(count) - transitionBegin;
    let p = decreased / transitionSteps;
    if (staircase) p = Math.floor(p);
    return clip(decreased <= 0 ? initValue : initValue * decayRate ** p);
  }, spec);
}

// -------------------------------------------------------------------------------------------------
// cosine decay
// -------------------------------------------------------------------------------------------------

/** Options of {@link cosineDecaySchedule}. */
export interface CosineDecayScheduleOptions {
  /** $I$, the value at count 0. */
  readonly initValue: number;
  /** $D$, the length of the decay (integer >= 1). */
  readonly decaySteps: number;
  /** $\alpha$, the multiplier of $I$ reached at $D$ and kept after. Default 0. */
  readonly alpha?: number;
  /** $p$, the exponent of the cosine factor (> 0). Default 1. */
  readonly exponent?: number;
}

/**
 * Cosine decay of `initValue` (SGDR without restarts), clamped at `decaySteps`:
 *
 * $$
 * v(t) = I\left((1 - \alpha)\left[\tfrac12\left(1 + \cos\frac{\pi \min(t, D)}{D}\right)\right]^{p} + \alpha\right)
 * $$
 *
 * Defaults: `alpha` 0, `exponent` 1.
 *
 * @remarks
 * PyTorch's `CosineAnnealingLR` is not clamped at `T_max`: it rises again with period
 * `2·T_max`; see {@link cosineAnnealingLR}. Within `[0, T_max]` the two agree with
 * `initValue = lr`, `decaySteps = T_max`, `alpha = etaMin / lr`.
 *
 * @example
 * ```ts
 * const s = cosineDecaySchedule({ initValue: 0.1, decaySteps: 5 });
 * s(0); // 0.1
 * s(5); // 0
 * ```
 * @category Schedules
 */
export function cosineDecaySchedule(options: CosineDecayScheduleOptions): Schedule {
  const owner = 'cosineDecaySchedule';
  requireOptions(owner, options, ['initValue', 'decaySteps', 'alpha', 'exponent']);
  const initValue = requireFinite(owner, 'initValue', options.initValue);
  const decaySteps = requireInteger(owner, 'decaySteps', options.decaySteps, 1);
  const alpha = requireFinite(owner, 'alpha', orDefault(options.alpha, 0));
  const exponent = requirePositive(owner, 'exponent', orDefault(options.exponent, 1));
  const fn = (count: number): number => {
    const c = Math.min(clampCount(count), decaySteps);
    const cosineDecay = 0.5 * (1 + Math.cos((Math.PI * c) / decaySteps));
    return initValue * ((1 - alpha) * cosineDecay ** exponent + alpha);
  };
  return describeSchedule(fn, { schedule: owner, options: { initValue, decaySteps, alpha, exponent } });
}
