/**
 * Adadelta.
 *
 * @module
 */
import type { GradientTransformation } from '../base.js';
import { chain } from '../combine/chain.js';
import type { KernelState } from '../kernel/define.js';
import type { ScalarOrSchedule } from '../schedules/schedule.js';
import type { Mask } from '../tree/mask.js';
import { type ScaleByAdadeltaOptions, type ScaleByAdadeltaState, scaleByAdadelta } from '../transforms/adadelta.js';
import { addDecayedWeights } from '../transforms/decay.js';
import { identity } from '../transforms/identity.js';
import { scaleByLearningRate } from '../transforms/scale.js';
import { specOptions, withSpec } from '../spec/spec.js';
import { requireKnownKeys } from '../validate.js';

/** Options of {@link adadelta}. */
export interface AdadeltaOptions extends ScaleByAdadeltaOptions {
  /** η, a number >= 0 or a schedule. Default 1 (PyTorch's default; see the remarks for optax's). */
  readonly learningRate?: ScalarOrSchedule;
  /** L2 weight decay λ added to the gradient before the scaling (>= 0, or a schedule). Default 0. */
  readonly weightDecay?: ScalarOrSchedule;
  /** Leaves to decay (optax's `weight_decay_mask`); default all. */
  readonly mask?: Mask;
}

/** The state of {@link adadelta}: L2 decay, scaler, learning rate. */
export type AdadeltaState = readonly [KernelState, ScaleByAdadeltaState, KernelState];

/**
 * Adadelta (Zeiler, 2012), optax's `adadelta`: L2 weight decay, {@link scaleByAdadelta}, then
 * `-η_t`:
 *
 * ```text
 * g'      = g + λ·p
 * E[g²]_t = ρ E[g²]_{t-1} + (1 - ρ) g'²
 * Δ       = √(E[Δ²]_{t-1} + ε) / √(E[g²]_t + ε) · g'
 * E[Δ²]_t = ρ E[Δ²]_{t-1} + (1 - ρ) Δ²
 * u       = -η_t · Δ
 * ```
 *
 * Defaults `learningRate = 1`, `rho = 0.9`, `eps = 1e-6`, `weightDecay = 0`. With
 * `weightDecay = 0` the decay stage passes updates through and `params` are not needed.
 *
 * @remarks This is PyTorch's `Adadelta` term for term (ε inside both roots, `weight_decay` as
 * L2 before the scaling, lr 1.0). optax's `learning_rate` defaults to `None`, which makes its
 * last stage the identity: the update `+Δ` is then not negated and the parameters climb the
 * gradient. Here the default is a descent step of rate 1.
 * @category Optimizers
 */
export function adadelta(options: AdadeltaOptions = {}): GradientTransformation<AdadeltaState> {
  requireKnownKeys('adadelta', options, ['learningRate', 'rho', 'eps', 'weightDecay', 'mask']);
  const { learningRate, weightDecay, mask, ...moments } = options;
  const decay =
    (weightDecay === undefined || weightDecay === 0) && mask === undefined
      ? identity()
      : addDecayedWeights({ weightDecay: weightDecay ?? 0, ...(mask === undefined ? {} : { mask }) });
  const scaler = scaleByAdadelta(moments);
  const lr = scaleByLearningRate(learningRate ?? 1);
  return withSpec(chain(decay, scaler, lr), {
    op: 'adadelta',
    ...specOptions(lr, ['learningRate']),
    ...specOptions(scaler, ['rho', 'eps']),
    weightDecay: 0,
    ...specOptions(decay, ['weightDecay', 'mask']),
  });
}
