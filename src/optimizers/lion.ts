/**
 * Lion.
 *
 * @module
 */
import type { GradientTransformation } from '../base.js';
import { chain } from '../combine/chain.js';
import type { KernelState } from '../kernel/define.js';
import type { ScalarOrSchedule } from '../schedules/schedule.js';
import type { Mask } from '../tree/mask.js';
import { addDecayedWeights } from '../transforms/decay.js';
import { identity } from '../transforms/identity.js';
import { type ScaleByLionState, scaleByLion } from '../transforms/lion.js';
import { scaleByLearningRate } from '../transforms/scale.js';
import { specOptions, withSpec } from '../spec/spec.js';
import { requireKnownKeys } from '../validate.js';

/** Options of {@link lion}. */
export interface LionOptions {
  /** η, a number >= 0 or a schedule. Lion's steps are ±1 per element: use a rate 3–10× below Adam's. */
  readonly learningRate: ScalarOrSchedule;
  /** Interpolation weight β₁ of the old momentum, in [0, 1]. Default 0.9. */
  readonly b1?: number;
  /** Momentum decay β₂, in [0, 1]. Default 0.99. */
  readonly b2?: number;
  /** Decoupled weight decay λ (>= 0, or a schedule). Default 1e-3 (optax). */
  readonly weightDecay?: ScalarOrSchedule;
  /** Leaves to decay; default all. */
  readonly mask?: Mask;
}

/** The state of {@link lion}: scaler, decoupled decay, learning rate. */
export type LionState = readonly [ScaleByLionState, KernelState, KernelState];

/**
 * Lion (Chen et al., 2023), optax's `lion`: {@link scaleByLion}, decoupled weight decay, `-η_t`:
 *
 * ```text
 * u   = -η_t · (sign((1 - β₁) g + β₁ μ_{t-1}) + λ·p)
 * μ_t = β₂ μ_{t-1} + (1 - β₂) g
 * ```
 *
 * Defaults `b1 = 0.9`, `b2 = 0.99`, `weightDecay = 1e-3` (optax). The decay reads the params,
 * so `update` needs them unless `weightDecay` is 0 and no mask is given (the decay stage is then
 * the identity).
 *
 * @remarks The `lion-pytorch` package (PyTorch has no Lion of its own) first multiplies `p` by
 * `1 - η_t·λ`, then takes the sign step: the same update up to rounding. Its default λ is 0.
 * @category Optimizers
 */
export function lion(options: LionOptions): GradientTransformation<LionState> {
  requireKnownKeys('lion', options, ['learningRate', 'b1', 'b2', 'weightDecay', 'mask']);
  const { learningRate, weightDecay, mask, ...moments } = options;
  const decay =
    weightDecay === 0 && mask === undefined
      ? identity()
      : addDecayedWeights({ weightDecay: weightDecay ?? 1e-3, ...(mask === undefined ? {} : { mask }) });
  const scaler = scaleByLion(moments);
  const lr = scaleByLearningRate(learningRate);
  return withSpec(chain(scaler, decay, lr), {
    op: 'lion',
    ...specOptions(lr, ['learningRate']),
    ...specOptions(scaler, ['b1', 'b2']),
    weightDecay: 0,
    ...specOptions(decay, ['weightDecay', 'mask']),
  });
}
