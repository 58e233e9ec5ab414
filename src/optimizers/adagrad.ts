/**
 * Adagrad.
 *
 * @module
 */
import type { GradientTransformation } from '../base.js';
import { chain } from '../combine/chain.js';
import type { KernelState } from '../kernel/define.js';
import { type Schedule, type ScalarOrSchedule, describeSchedule } from '../schedules/schedule.js';
import { type ScaleByRssOptions, type ScaleByRssState, scaleByRss } from '../transforms/adagrad.js';
import { scaleByLearningRate } from '../transforms/scale.js';
import { specOptions, withSpec } from '../spec/spec.js';
import { requireKnownKeys, requireNonNegative } from '../validate.js';

/** Options of {@link adagrad}. */
export interface AdagradOptions extends ScaleByRssOptions {
  /** η, a number >= 0 or a schedule (see {@link adagradLrDecay} for PyTorch's `lr_decay`). */
  readonly learningRate: ScalarOrSchedule;
}

/** The state of {@link adagrad}. */
export type AdagradState = readonly [ScaleByRssState, KernelState];

/**
 * Adagrad (Duchi, Hazan & Singer, 2011), optax's `adagrad`: {@link scaleByRss} then `-η_t`:
 *
 * ```text
 * s_t = s_{t-1} + g²                 s_0 = initialAccumulatorValue
 * u   = -η_t · g / √(s_t + ε)        (epsInSqrt: false → -η_t · g / (√s_t + ε))
 * ```
 *
 * Defaults `initialAccumulatorValue = 0.1`, `eps = 1e-7`, `epsInSqrt = true` (optax).
 *
 * ```ts
 * const opt = adagrad({ learningRate: 0.1 });
 * // torch.optim.Adagrad(lr=0.1, lr_decay=1e-3):
 * const torchLike = adagrad({
 *   learningRate: adagradLrDecay({ learningRate: 0.1, lrDecay: 1e-3 }),
 *   initialAccumulatorValue: 0, eps: 1e-10, epsInSqrt: false,
 * });
 * ```
 *
 * @remarks The PyTorch preset is `{ initialAccumulatorValue: 0, eps: 1e-10, epsInSqrt: false }`.
 * PyTorch's `lr_decay` is the schedule `count ↦ η/(1 + count·lrDecay)` ({@link adagradLrDecay});
 * its `weight_decay=λ` is L2 decay added to the gradient first:
 * `chain(addDecayedWeights({ weightDecay: λ }), adagrad(...))`.
 * @category Optimizers
 */
export function adagrad(options: AdagradOptions): GradientTransformation<AdagradState> {
  requireKnownKeys('adagrad', options, ['learningRate', 'initialAccumulatorValue', 'eps', 'epsInSqrt']);
  const { learningRate, ...rss } = options;
  const scaler = scaleByRss(rss);
  const lr = scaleByLearningRate(learningRate);
  return withSpec(chain(scaler, lr), {
    op: 'adagrad',
    ...specOptions(lr, ['learningRate']),
    ...specOptions(scaler, ['initialAccumulatorValue', 'eps', 'epsInSqrt']),
  });
}

/** Options of {@link adagradLrDecay}. */
export interface AdagradLrDecayOptions {
  /** The initial rate η, >= 0. */
  readonly learningRate: number;
  /** The decay δ, >= 0. */
  readonly lrDecay: number;
}

/**
 * PyTorch Adagrad's `lr_decay` as a schedule: `count ↦ η / (1 + count·δ)` (torch's
 * `clr = lr / (1 + (t - 1)·lr_decay)` with `t = count + 1`).
 * @category Schedules
 */
export function adagradLrDecay(options: AdagradLrDecayOptions): Schedule {
  const owner = 'adagradLrDecay';
  requireKnownKeys(owner, options, ['learningRate', 'lrDecay']);
  const lr = requireNonNegative(owner, 'learningRate', options.learningRate);
  const decay = requireNonNegative(owner, 'lrDecay', options.lrDecay);
  return describeSchedule((count) => lr / (1 + count * decay), { schedule: owner, options: { learningRate: lr, lrDecay: decay } });
}
