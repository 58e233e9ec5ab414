/**
 * Linear warm-up followed by a decay: optax's `warmup_cosine_decay_schedule` and
 * `warmup_exponential_decay_schedule`, each a linear schedule joined to a decay at
 * `warmupSteps`.
 *
 * @module
 */
import { HyperparameterError } from '../errors.js';
import { requireBoolean, requireFinite, requireInteger, requireNonNegative, requirePositive } from '../validate.js';
import { joinFn, orDefault, requireOptions } from './common.js';
import { cosineDecaySchedule, exponentialDecay, linearSchedule } from './decay.js';
import { describeSchedule, type Schedule } from './schedule.js';

// -------------------------------------------------------------------------------------------------
// warm-up then cosine
// -------------------------------------------------------------------------------------------------

/** Options of {@link warmupCosineDecay}. */
export interface WarmupCosineDecayOptions {
  /** $I$, the value at count 0. */
  readonly initValue: number;
  /** $P$, the value reached at the end of the warm-up. */
  readonly peakValue: number;
  /** $W$, the length of the linear warm-up (integer >= 0). */
  readonly warmupSteps: number;
  /** $D$, the total length **including the warm-up** (integer > `warmupSteps`). */
  readonly decaySteps: number;
  /** $E$, the value reached at $D$ and kept after. Default 0. */
  readonly endValue?: number;
  /** $p$, the exponent of the cosine factor (> 0). Default 1. */
  readonly exponent?: number;
}

/**
 * Linear warm-up from `initValue` to `peakValue` over `warmupSteps`, then cosine decay to
 * `endValue` at `decaySteps` (which counts the warm-up):
 *
 * $$
 * v(t) = \begin{cases}
 *   I + (P - I)\,\frac{t}{W} & t < W \\
 *   P\left((1 - \alpha)\left[\tfrac12\left(1 + \cos\frac{\pi \min(t - W,\, D - W)}{D - W}\right)\right]^{p} + \alpha\right),
 *   \ \alpha = E / P \ (0 \text{ if } P = 0) & t \ge W
 * \end{cases}
 * $$
 *
 * so $v(W) = P$ and $v(t) = E$ for $t \ge D$. With `peakValue` 0 the value stays 0 after the
 * warm-up whatever `endValue` is (optax's $\alpha = 0$ rule). Defaults: `endValue` 0,
 * `exponent` 1.
 *
 * @remarks
 * PyTorch users write this as `SequentialLR([LinearLR(start_factor=s, total_iters=W),
 * CosineAnnealingLR(T_max=T-W, eta_min=e)], milestones=[W])`, which equals
 * `warmupCosineDecay({ initValue: s*lr, peakValue: lr, warmupSteps: W, decaySteps: T, endValue: e })`
 * for counts up to `T`. Note that torch's `T_max` excludes the warm-up while `decaySteps`
 * includes it, and that past `T` torch's cosine rises again while this one holds `endValue`.
 *
 * @example
 * ```ts
 * const s = warmupCosineDecay({ initValue: 0, peakValue: 1, warmupSteps: 5, decaySteps: 25, endValue: 0.1 });
 * s(5); // 1
 * s(25); // 0.1
 * ```
 * @category Schedules
 */
export function warmupCosineDecay(options: WarmupCosineDecayOptions): Schedule {
  const owner = 'warmupCosineDecay';
  requireOptions(owner, options, ['initValue', 'peakValue', 'warmupSteps', 'decaySteps', 'endValue', 'exponent']);
  const initValue = requireFinite(owner, 'initValue', options.initValue);
  const peakValue = requireFinite(owner, 'peakValue', options.peakValue);
  const warmupSteps = requireInteger(owner, 'warmupSteps', options.warmupSteps);
  const decaySteps = requireInteger(owner, 'decaySteps', options.decaySteps, warmupSteps + 1);
  const endValue = requireFinite(owner, 'endValue', orDefault(options.endValue, 0));
  const exponent = requirePositive(owner, 'exponent', orDefault(options.exponent, 1));
  const alpha = peakValue === 0 ? 0 : endValue / peakValue;
  if (!Number.isFinite(alpha)) {
    throw new HyperparameterError(owner, 'endValue', `a value whose ratio to peakValue (${String(peakValue)}) is finite`, endValue);
  }
  const fn = joinFn(
    [
      linearSchedule({ initValue, endValue: peakValue, transitionSteps: warmupSteps }),
      cosineDecaySchedule({ initValue: peakValue, decaySteps: decaySteps - warmupSteps, alpha, exponent }),
    ],
    [warmupSteps],
  );
  return describeSchedule(fn, {
    schedule: owner,
    options: { initValue, peakValue, warmupSteps, decaySteps, endValue, exponent },
  });
}

// -------------------------------------------------------------------------------------------------
// warm-up then exponential decay
// -------------------------------------------------------------------------------------------------

/** Options of {@link warmupExponentialDecay}. */
export interface WarmupExponentialDecayOptions {
  /** $I$, the value at count 0. */
  readonly initValue: number;
  /** $P$, the value reached at the end of the warm-up, where the decay starts. */
  readonly peakValue: number;
  /** $W$, the length of the linear warm-up (integer >= 0). */
  readonly warmupSteps: number;
  /** $T$, see {@link exponentialDecay} (integer >= 0; 0 holds $P$). */
  readonly transitionSteps: number;
  /** $r$, the decay rate (>= 0). */
  readonly decayRate: number;
  /** $B$, counted from the end of the warm-up (integer >= 0). Default 0. */
  readonly transitionBegin?: number;
  /** Decay in whole multiples of `transitionSteps`. Default false. */
  readonly staircase?: boolean;
  /** A lower bound when $r < 1$, an upper bound otherwise. Default none. */
  readonly endValue?: number;
}

/**
 * Linear warm-up from `initValue` to `peakValue` over `warmupSteps`, then
 * {@link exponentialDecay} of `peakValue`, restarted at `warmupSteps`:
 *
 * $$
 * v(t) = \begin{cases}
 *   I + (P - I)\,\frac{t}{W} & t < W \\
 *   \operatorname{expdecay}_{P, T, r, B, E}(t - W) & t \ge W
 * \end{cases}
 * $$
 *
 * Defaults: `transitionBegin` 0, `staircase` false, no `endValue`.
 *
 * @remarks
 * `transitionBegin` counts from the end of the warm-up, as in optax.
 *
 * @category Schedules
 */
export function warmupExponentialDecay(options: WarmupExponentialDecayOptions): Schedule {
  const owner = 'warmupExponentialDecay';
  requireOptions(owner, options, [
    'initValue',
    'peakValue',
    'warmupSteps',
    'transitionSteps',
    'decayRate',
    'transitionBegin',
    'staircase',
    'endValue',
  ]);
  const initValue = requireFinite(owner, 'initValue', options.initValue);
  const peakValue = requireFinite(owner, 'peakValue', options.peakValue);
  const warmupSteps = requireInteger(owner, 'warmupSteps', options.warmupSteps);
  const transitionSteps = requireInteger(owner, 'transitionSteps', options.transitionSteps);
  const decayRate = requireNonNegative(owner, 'decayRate', options.decayRate);
  const transitionBegin = requireInteger(owner, 'transitionBegin', orDefault(options.transitionBegin, 0));
  const staircase = requireBoolean(owner, 'staircase', orDefault(options.staircase, false));
  const end = options.endValue === undefined ? {} : { endValue: requireFinite(owner, 'endValue', options.endValue) };
  const fn = joinFn(
    [
      linearSchedule({ initValue, endValue: peakValue, transitionSteps: warmupSteps }),
      exponentialDecay({ initValue: peakValue, transitionSteps, decayRate, transitionBegin, staircase, ...end }),
    ],
    [warmupSteps],
  );
  return describeSchedule(fn, {
    schedule: owner,
    options: { initValue, peakValue, warmupSteps, transitionSteps, decayRate, transitionBegin, staircase, ...end },
  });
}
