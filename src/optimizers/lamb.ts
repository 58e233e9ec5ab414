/**
 * LAMB.
 *
 * @module
 */
import type { GradientTransformation } from '../base.js';
import { chain } from '../combine/chain.js';
import type { KernelState } from '../kernel/define.js';
import type { ScalarOrSchedule } from '../schedules/schedule.js';
import type { Mask } from '../tree/mask.js';
import { type ScaleByAdamState, scaleByAdam } from '../transforms/adam.js';
import { addDecayedWeights } from '../transforms/decay.js';
import { identity } from '../transforms/identity.js';
import { scaleByLearningRate } from '../transforms/scale.js';
import { scaleByTrustRatio } from '../transforms/trustRatio.js';
import { specOptions, withSpec } from '../spec/spec.js';
import { requireKnownKeys } from '../validate.js';

/** Options of {@link lamb}. */
export interface LambOptions {
  /** η, a number >= 0 or a schedule. */
  readonly learningRate: ScalarOrSchedule;
  /** Decay of Adam's first moment, in [0, 1). Default 0.9. */
  readonly b1?: number;
  /** Decay of Adam's second moment, in [0, 1). Default 0.999. */
  readonly b2?: number;
  /** Added to the root of Adam's second moment. Default 1e-6 (optax's `lamb`; Adam's is 1e-8). */
  readonly eps?: number;
  /** Added inside the root. Default 0. */
  readonly epsRoot?: number;
  /** Decoupled weight decay λ (>= 0, or a schedule), added before the trust ratio. Default 0. */
  readonly weightDecay?: ScalarOrSchedule;
  /** Leaves to decay; default all. */
  readonly mask?: Mask;
}

/** The state of {@link lamb}: Adam scaler, weight decay, trust ratio, learning rate. */
export type LambState = readonly [ScaleByAdamState, KernelState, KernelState, KernelState];

/**
 * LAMB (You et al., "Large Batch Optimization for Deep Learning: Training BERT in 76 minutes",
 * ICLR 2020), optax's `lamb`: {@link scaleByAdam}, decoupled weight decay, the layer-wise
 * {@link scaleByTrustRatio}, then `-η_t`:
 *
 * ```text
 * a   = m̂ / (√(v̂ + ε_root) + ε) + λ·p            (Adam direction plus decay, per element)
 * u   = -η_t · (‖p‖ / ‖a‖) · a                     (norms per leaf; ratio 1 where a norm is 0)
 * ```
 *
 * Defaults `b1 = 0.9`, `b2 = 0.999`, `eps = 1e-6`, `epsRoot = 0`, `weightDecay = 0` (optax).
 * Needs `params` (the trust ratio reads them). With `weightDecay` 0 and no `mask` the decay
 * member is the identity.
 *
 * ```ts
 * const opt = lamb({ learningRate: 1e-3, weightDecay: 1e-2 });
 * ```
 * @category Optimizers
 */
export function lamb(options: LambOptions): GradientTransformation<LambState> {
  requireKnownKeys('lamb', options, ['learningRate', 'b1', 'b2', 'eps', 'epsRoot', 'weightDecay', 'mask']);
  const { learningRate, weightDecay, mask, eps, ...moments } = options;
  const scaler = scaleByAdam({ ...moments, eps: eps ?? 1e-6 });
  const decay =
    (weightDecay ?? 0) === 0 && mask === undefined
      ? identity()
      : addDecayedWeights({ weightDecay: weightDecay ?? 0, ...(mask === undefined ? {} : { mask }) });
  const trust = scaleByTrustRatio();
  const lr = scaleByLearningRate(learningRate);
  return withSpec(chain(scaler, decay, trust, lr), {
    op: 'lamb',
    ...specOptions(lr, ['learningRate']),
    ...specOptions(scaler, ['b1', 'b2', 'eps', 'epsRoot']),
    weightDecay: 0,
    ...specOptions(decay, ['weightDecay', 'mask']),
  });
}
