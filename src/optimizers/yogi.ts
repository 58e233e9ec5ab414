/**
 * Yogi.
 *
 * @module
 */
import type { GradientTransformation } from '../base.js';
import { chain } from '../combine/chain.js';
import type { KernelState } from '../kernel/define.js';
import type { ScalarOrSchedule } from '../schedules/schedule.js';
import { scaleByLearningRate } from '../transforms/scale.js';
import { type ScaleByYogiOptions, type ScaleByYogiState, scaleByYogi } from '../transforms/yogi.js';
import { specOptions, withSpec } from '../spec/spec.js';
import { requireKnownKeys } from '../validate.js';

/** Options of {@link yogi}. */
export interface YogiOptions extends ScaleByYogiOptions {
  /** η, a number >= 0 or a schedule. */
  readonly learningRate: ScalarOrSchedule;
}

/** The state of {@link yogi}: scaler, learning rate. */
export type YogiState = readonly [ScaleByYogiState, KernelState];

/**
 * Yogi (Zaheer et al., NeurIPS 2018), optax's `yogi`: {@link scaleByYogi} then `-η_t`,
 * `u = -η_t·m̂/(√(v̂ + ε_root) + ε)` with the additive second moment
 * `ν_t = ν_{t-1} - (1 - β₂)·sign(ν_{t-1} - g²)·g²`.
 *
 * Defaults `b1 = 0.9`, `b2 = 0.999`, `eps = 1e-3`, `epsRoot = 0`,
 * `initialAccumulatorValue = 1e-6` (optax; its `yogi` exposes only the first three).
 *
 * ```ts
 * const opt = yogi({ learningRate: 1e-2 });
 * ```
 * @category Optimizers
 */
export function yogi(options: YogiOptions): GradientTransformation<YogiState> {
  requireKnownKeys('yogi', options, ['learningRate', 'b1', 'b2', 'eps', 'epsRoot', 'initialAccumulatorValue']);
  const { learningRate, ...moments } = options;
  const scaler = scaleByYogi(moments);
  const lr = scaleByLearningRate(learningRate);
  return withSpec(chain(scaler, lr), {
    op: 'yogi',
    ...specOptions(lr, ['learningRate']),
    ...specOptions(scaler, ['b1', 'b2', 'eps', 'epsRoot', 'initialAccumulatorValue']),
  });
}
