/**
 * optax's one-cycle schedules (`cosine_onecycle_schedule`, `linear_onecycle_schedule`): a
 * piecewise interpolation through integer knots. For PyTorch's `OneCycleLR`, whose knots are
 * the floats `pct·T - 1` and `T - 1` and which also cycles the momentum, see
 * {@link oneCycleLR}.
 *
 * @module
 */
import { requireFinite, requireInRange, requireInteger, requirePositive } from '../validate.js';
import { interpolateFn, orDefault, requireOptions } from './common.js';
import { describeSchedule, type Schedule } from './schedule.js';

/** Knots `[step, scale]` as optax's dict literal builds them: a later equal step replaces an earlier one. */
function knots(pairs: readonly (readonly [number, number])[]): readonly (readonly [number, number])[] {
  const byStep = new Map<number, number>();
  for (const [step, scale] of pairs) byStep.set(step, scale);
  return [...byStep.entries()].sort((a, b) => a[0] - b[0]);
}

// -------------------------------------------------------------------------------------------------
// cosine one-cycle
// -------------------------------------------------------------------------------------------------

/** Options of {@link cosineOnecycleSchedule}. */
export interface CosineOnecycleScheduleOptions {
  /** $T$, the length of the cycle (integer >= 1). */
  readonly transitionSteps: number;
  /** $P$, the peak value, reached at $\lfloor \text{pctStart}\cdot T \rfloor$. */
  readonly peakValue: number;
  /** Fraction of the cycle spent rising, in [0, 1]. Default 0.3. */
  readonly pctStart?: number;
  /** The start value is $P / \text{divFactor}$ (> 0). Default 25. */
  readonly divFactor?: number;
  /** The final value is $P / (\text{divFactor}\cdot\text{finalDivFactor})$ (> 0). Default 1e4. */
  readonly finalDivFactor?: number;
}

/**
 * One cycle with cosine transitions: {@link piecewiseInterpolateSchedule} `'cosine'` from
 * $P/d$ to $P$ at $k_1 = \lfloor \text{pctStart}\cdot T \rfloor$, then to $P/(d f)$ at $T$:
 *
 * $$
 * v(t) = \begin{cases}
 *   P + \left(\tfrac{P}{d} - P\right)\tfrac12\left(1 + \cos\frac{\pi t}{k_1}\right) & t < k_1 \\
 *   \tfrac{P}{d f} + \left(P - \tfrac{P}{d f}\right)\tfrac12\left(1 + \cos\frac{\pi (t - k_1)}{T - k_1}\right) & k_1 \le t < T \\
 *   \tfrac{P}{d f} & t \ge T
 * \end{cases}
 * $$
 *
 * (interval lengths below 1 count as 1). Defaults: `pctStart` 0.3, `divFactor` 25,
 * `finalDivFactor` 1e4.
 *
 * @remarks
 * PyTorch's `OneCycleLR` uses the float knots `pct·T - 1` and `T - 1`, so it runs one step
 * ahead of this schedule (torch peaks at `pct·T - 1`, optax at `⌊pct·T⌋`) and reaches the
 * minimum at `T - 1`; use {@link oneCycleLR} to reproduce torch.
 *
 * @example
 * ```ts
 * const s = cosineOnecycleSchedule({ transitionSteps: 5, peakValue: 1000, pctStart: 0.4, divFactor: 10, finalDivFactor: 100 });
 * [0, 1, 2, 3, 4, 5].map(s); // [100, 550, 1000, 750.25, 250.75, 1]
 * ```
 * @category Schedules
 */
export function cosineOnecycleSchedule(options: CosineOnecycleScheduleOptions): Schedule {
  const owner = 'cosineOnecycleSchedule';
  requireOptions(owner, options, ['transitionSteps', 'peakValue', 'pctStart', 'divFactor', 'finalDivFactor']);
  const transitionSteps = requireInteger(owner, 'transitionSteps', options.transitionSteps, 1);
  const peakValue = requireFinite(owner, 'peakValue', options.peakValue);
  const pctStart = requireInRange(owner, 'pctStart', orDefault(options.pctStart, 0.3), 0, 1);
  const divFactor = requirePositive(owner, 'divFactor', orDefault(options.divFactor, 25));
  const finalDivFactor = requirePositive(owner, 'finalDivFactor', orDefault(options.finalDivFactor, 1e4));
  const fn = interpolateFn(
    'cosine',
    peakValue / divFactor,
    knots([
      [Math.trunc(pctStart * transitionSteps), divFactor],
      [transitionSteps, 1 / (divFactor * finalDivFactor)],
    ]),
  );
  return describeSchedule(fn, {
    schedule: owner,
    options: { transitionSteps, peakValue, pctStart, divFactor, finalDivFactor },
  });
}

// -------------------------------------------------------------------------------------------------
// linear one-cycle
// -------------------------------------------------------------------------------------------------

/** Options of {@link linearOnecycleSchedule}. */
export interface LinearOnecycleScheduleOptions extends CosineOnecycleScheduleOptions {
  /** Fraction of the cycle at whose end the value is back at $P/d$, in [0, 1]. Default 0.85. */
  readonly pctFinal?: number;
}

/**
 * One cycle in three linear pieces: {@link piecewiseInterpolateSchedule} `'linear'` from $P/d$
 * up to $P$ at $\lfloor \text{pctStart}\cdot T \rfloor$, back down to $P/d$ at
 * $\lfloor \text{pctFinal}\cdot T \rfloor$, then to $P/(d f)$ at $T$, held after:
 *
 * $$
 * v(t) = v_k + (v_{k+1} - v_k)\frac{t - b_k}{b_{k+1} - b_k}, \quad
 * (b, v) = (0, \tfrac{P}{d}), (\lfloor p_s T \rfloor, P), (\lfloor p_f T \rfloor, \tfrac{P}{d}), (T, \tfrac{P}{d f})
 * $$
 *
 * Defaults: `pctStart` 0.3, `pctFinal` 0.85, `divFactor` 25, `finalDivFactor` 1e4.
 *
 * @remarks
 * If two knots fall on the same step, the later one replaces the earlier (optax builds them
 * as a dict literal). PyTorch's `OneCycleLR(anneal_strategy='linear')` is a different shape
 * (two phases, or three with `three_phase`, with float knots); see {@link oneCycleLR}.
 *
 * @category Schedules
 */
export function linearOnecycleSchedule(options: LinearOnecycleScheduleOptions): Schedule {
  const owner = 'linearOnecycleSchedule';
  requireOptions(owner, options, ['transitionSteps', 'peakValue', 'pctStart', 'pctFinal', 'divFactor', 'finalDivFactor']);
  const transitionSteps = requireInteger(owner, 'transitionSteps', options.transitionSteps, 1);
  const peakValue = requireFinite(owner, 'peakValue', options.peakValue);
  const pctStart = requireInRange(owner, 'pctStart', orDefault(options.pctStart, 0.3), 0, 1);
  const pctFinal = requireInRange(owner, 'pctFinal', orDefault(options.pctFinal, 0.85), 0, 1);
  const divFactor = requirePositive(owner, 'divFactor', orDefault(options.divFactor, 25));
  const finalDivFactor = requirePositive(owner, 'finalDivFactor', orDefault(options.finalDivFactor, 1e4));
  const fn = interpolateFn(
    'linear',
    peakValue / divFactor,
    knots([
      [Math.trunc(pctStart * transitionSteps), divFactor],
      [Math.trunc(pctFinal * transitionSteps), 1 / divFactor],
      [transitionSteps, 1 / finalDivFactor],
    ]),
  );
  return describeSchedule(fn, {
    schedule: owner,
    options: { transitionSteps, peakValue, pctStart, pctFinal, divFactor, finalDivFactor },
  });
}
