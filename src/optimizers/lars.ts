/**
 * LARS.
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
import { type TraceState, trace } from '../transforms/momentum.js';
import { scaleByLearningRate } from '../transforms/scale.js';
import { scaleByTrustRatio } from '../transforms/trustRatio.js';
import { specOptions, withSpec } from '../spec/spec.js';
import { requireKnownKeys } from '../validate.js';

/** Options of {@link lars}. */
export interface LarsOptions {
  /** η, a number >= 0 or a schedule. */
  readonly learningRate: ScalarOrSchedule;
  /** Weight decay λ (>= 0, or a schedule), added to the gradient before the trust ratio. Default 0. */
  readonly weightDecay?: ScalarOrSchedule;
  /** Leaves to decay. Default `true` (all). */
  readonly weightDecayMask?: Mask;
  /** The trust coefficient c, > 0. Default 0.001. */
  readonly trustCoefficient?: number;
  /** Added to the update norm in the trust ratio's denominator, >= 0. Default 0. */
  readonly eps?: number;
  /** Leaves the trust ratio rescales; the others keep their (decayed) gradient. Default `true` (all). */
  readonly trustRatioMask?: Mask;
  /** Momentum μ in [0, 1] (or a schedule), applied after the learning rate. Default 0.9. */
  readonly momentum?: ScalarOrSchedule;
  /** Nesterov momentum. Default false. */
  readonly nesterov?: boolean;
}

/** The state of {@link lars}: weight decay, trust ratio, learning rate, momentum. */
export type LarsState = readonly [KernelState, KernelState, KernelState, TraceState];

/**
 * LARS (You, Gitman & Ginsburg, "Large Batch Training of Convolutional Networks", 2017),
 * optax's `lars`: weight decay, the layer-wise {@link scaleByTrustRatio}, `-η_t`, then
 * momentum:
 *
 * ```text
 * a    = g + λ·p
 * r    = c·‖p‖ / (‖a‖ + ε)              (per leaf; 1 where a norm is 0; 1 outside trustRatioMask)
 * tr_t = μ·tr_{t-1} - η_t·r·a           u = tr_t   (nesterov: u = -η_t·r·a + μ·tr_t)
 * ```
 *
 * Defaults `weightDecay = 0`, `weightDecayMask = true`, `trustCoefficient = 0.001`, `eps = 0`,
 * `trustRatioMask = true`, `momentum = 0.9`, `nesterov = false` (optax). The momentum buffer
 * follows the learning rate (as in optax), so a scheduled rate weights each accumulated step
 * by its own rate. Needs `params`. With `weightDecay` 0 and no decay mask the decay member is
 * the identity.
 *
 * ```ts
 * // no decay and no trust ratio on biases and norm scales (leaves of rank < 2)
 * const matrices = maskByPath((path, leaf) => leaf.shape.length > 1);
 * const opt = lars({ learningRate: 1, weightDecay: 1e-4, weightDecayMask: matrices, trustRatioMask: matrices });
 * ```
 * @category Optimizers
 */
export function lars(options: LarsOptions): GradientTransformation<LarsState> {
  requireKnownKeys('lars', options, ['learningRate', 'weightDecay', 'weightDecayMask', 'trustCoefficient', 'eps', 'trustRatioMask', 'momentum', 'nesterov']);
  const { learningRate, weightDecay, weightDecayMask, trustCoefficient, eps, trustRatioMask, momentum, nesterov } = options;
  const decayMask = weightDecayMask === true ? undefined : weightDecayMask;
  const decay =
    (weightDecay ?? 0) === 0 && decayMask === undefined
      ? identity()
      : addDecayedWeights({ weightDecay: weightDecay ?? 0, ...(decayMask === undefined ? {} : { mask: decayMask }) });
  const trust = scaleByTrustRatio({
    trustCoefficient: trustCoefficient ?? 0.001,
    eps: eps ?? 0,
    ...(trustRatioMask === undefined ? {} : { mask: trustRatioMask }),
  });
  const lr = scaleByLearningRate(learningRate);
  const buffer = trace({ decay: momentum ?? 0.9, nesterov: nesterov ?? false });
  return withSpec(chain(decay, trust, lr, buffer), {
    op: 'lars',
    ...specOptions(lr, ['learningRate']),
    weightDecay: 0,
    weightDecayMask: true,
    ...specOptions(decay, { weightDecay: 'weightDecay', mask: 'weightDecayMask' }),
    trustRatioMask: true,
    ...specOptions(trust, { trustCoefficient: 'trustCoefficient', eps: 'eps', mask: 'trustRatioMask' }),
    ...specOptions(buffer, { decay: 'momentum', nesterov: 'nesterov' }),
  });
}
