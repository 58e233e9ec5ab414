/**
 * SGD with warm restarts (optax `sgdr_schedule`): warm-up + cosine cycles joined end to end.
 *
 * @module
 */
import { HyperparameterError } from '../errors.js';
import { asOptionOf, joinFn, requireOptions } from './common.js';
import { describeSchedule, type Schedule } from './schedule.js';
import { warmupCosineDecay, type WarmupCosineDecayOptions } from './warmup.js';

/** Options of {@link sgdrSchedule}. */
export interface SgdrScheduleOptions {
  /** One {@link warmupCosineDecay} option set per cycle (at least one). */
  readonly cosineKwargs: readonly WarmupCosineDecayOptions[];
}

/**
 * SGDR: cycle $k$ is `warmupCosineDecay(cosineKwargs[k])`, started at the sum of the earlier
 * cycles' `decaySteps` with its count restarted there:
 *
 * $$
 * v(t) = c_k(t - S_k), \quad S_k = \sum_{j < k} D_j, \quad k = \max\{k : S_k \le t\}
 * $$
 *
 * Each cycle restarts from its own `initValue`; the last cycle holds its `endValue` after it
 * ends. The spec is `{ schedule: 'sgdrSchedule', options: { cosineKwargs } }` with every
 * cycle's defaults filled in (each entry is the options of that cycle's
 * `warmupCosineDecay` spec).
 *
 * @remarks
 * PyTorch's `CosineAnnealingWarmRestarts` has no warm-up and restarts at the peak; see
 * {@link cosineAnnealingWarmRestarts}.
 *
 * @example
 * ```ts
 * const s = sgdrSchedule({
 *   cosineKwargs: [
 *     { initValue: 0, peakValue: 1.6, warmupSteps: 500, decaySteps: 2000 },
 *     { initValue: 0, peakValue: 0.8, warmupSteps: 500, decaySteps: 3000 },
 *   ],
 * });
 * s(500); // 1.6
 * s(2500); // 0.8
 * ```
 * @category Schedules
 */
export function sgdrSchedule(options: SgdrScheduleOptions): Schedule {
  const owner = 'sgdrSchedule';
  requireOptions(owner, options, ['cosineKwargs']);
  const kwargs: unknown = options.cosineKwargs;
  if (!Array.isArray(kwargs) || kwargs.length === 0) {
    throw new HyperparameterError(owner, 'cosineKwargs', 'a non-empty array of warmupCosineDecay options', kwargs);
  }
  const cycles = kwargs.map((k: WarmupCosineDecayOptions, i) =>
    asOptionOf(owner, `cosineKwargs[${String(i)}]`, () => warmupCosineDecay(k)),
  );
  // Each cycle validated its options, so `decaySteps` is an integer and `spec` is present.
  const filled = cycles.map((cycle) => cycle.spec?.options);
  const boundaries: number[] = [];
  let start = 0;
  for (const k of kwargs as readonly WarmupCosineDecayOptions[]) {
    start += k.decaySteps;
    boundaries.push(start);
  }
  boundaries.pop();
  return describeSchedule(joinFn(cycles, boundaries), { schedule: owner, options: { cosineKwargs: filled } });
}
