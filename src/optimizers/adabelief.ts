/**
 * AdaBelief.
 *
 * @module
 */
import type { GradientTransformation } from '../base.js';
import { chain } from '../combine/chain.js';
import type { KernelState } from '../kernel/define.js';
import type { ScalarOrSchedule } from '../schedules/schedule.js';
import type { Mask } from '../tree/mask.js';
import { type ScaleByBeliefOptions, type ScaleByBeliefState, scaleByBelief } from '../transforms/belief.js';
import { addDecayedWeights } from '../transforms/decay.js';
import { identity } from '../transforms/identity.js';
import { scaleByLearningRate } from '../transforms/scale.js';
import { specOptions, withSpec } from '../spec/spec.js';
import { requireKnownKeys } from '../validate.js';

/** Options of {@link adabelief}. */
export interface AdabeliefOptions extends ScaleByBeliefOptions {
  /** η, a number >= 0 or a schedule. */
  readonly learningRate: ScalarOrSchedule;
  /** Decoupled weight decay λ (>= 0, or a schedule). Default 0 (none). */
  readonly weightDecay?: ScalarOrSchedule;
  /** Leaves to decay; default all. */
  readonly weightDecayMask?: Mask;
}

/** The state of {@link adabelief}: scaler, decoupled weight decay, learning rate. */
export type AdabeliefState = readonly [ScaleByBeliefState, KernelState, KernelState];

/**
 * AdaBelief (Zhuang et al., NeurIPS 2020), optax's `adabelief`: {@link scaleByBelief}, optional
 * decoupled weight decay, then `-η_t`:
 *
 * ```text
 * u = -η_t · (m̂ / (√ŝ + ε) + λ·p)        ŝ: bias-corrected EMA of (g - μ_t)² + ε_root
 * ```
 *
 * Defaults `b1 = 0.9`, `b2 = 0.999`, `eps = 1e-16`, `epsRoot = 1e-16`, `nesterov = false`,
 * `weightDecay = 0` (optax). With `weightDecay` 0 and no `weightDecayMask` the decay member is
 * the identity and `update` needs no params.
 *
 * ```ts
 * const opt = adabelief({ learningRate: 1e-3 });
 * ```
 * @category Optimizers
 */
export function adabelief(options: AdabeliefOptions): GradientTransformation<AdabeliefState> {
  requireKnownKeys('adabelief', options, ['learningRate', 'b1', 'b2', 'eps', 'epsRoot', 'nesterov', 'weightDecay', 'weightDecayMask']);
  const { learningRate, weightDecay, weightDecayMask, ...moments } = options;
  const scaler = scaleByBelief(moments);
  const decay =
    (weightDecay ?? 0) === 0 && weightDecayMask === undefined
      ? identity()
      : addDecayedWeights({ weightDecay: weightDecay ?? 0, ...(weightDecayMask === undefined ? {} : { mask: weightDecayMask }) });
  const lr = scaleByLearningRate(learningRate);
  return withSpec(chain(scaler, decay, lr), {
    op: 'adabelief',
    ...specOptions(lr, ['learningRate']),
    ...specOptions(scaler, ['b1', 'b2', 'eps', 'epsRoot', 'nesterov']),
    weightDecay: 0,
    ...specOptions(decay, { weightDecay: 'weightDecay', mask: 'weightDecayMask' }),
  });
}
