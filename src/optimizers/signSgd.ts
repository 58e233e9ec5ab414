/**
 * signSGD.
 *
 * @module
 */
import type { GradientTransformation } from '../base.js';
import { chain } from '../combine/chain.js';
import type { KernelState } from '../kernel/define.js';
import type { ScalarOrSchedule } from '../schedules/schedule.js';
import { scaleByLearningRate } from '../transforms/scale.js';
import { scaleBySign } from '../transforms/sign.js';
import { specOptions, withSpec } from '../spec/spec.js';
import { requireKnownKeys } from '../validate.js';

/** Options of {@link signSgd}. */
export interface SignSgdOptions {
  /** η, a number >= 0 or a schedule. */
  readonly learningRate: ScalarOrSchedule;
}

/** The state of {@link signSgd}: sign, learning rate. */
export type SignSgdState = readonly [KernelState, KernelState];

/**
 * signSGD (Bernstein et al., ICML 2018), optax's `sign_sgd`: {@link scaleBySign} then `-η_t`,
 * `u = -η_t·sign(g)`. Every element moves by exactly `η_t` (or not at all where `g = 0`), so a
 * fixed rate ends oscillating within `η` of a minimum: use a decaying schedule to converge.
 *
 * ```ts
 * const opt = signSgd({ learningRate: 1e-3 });
 * ```
 * @category Optimizers
 */
export function signSgd(options: SignSgdOptions): GradientTransformation<SignSgdState> {
  requireKnownKeys('signSgd', options, ['learningRate']);
  const lr = scaleByLearningRate(options.learningRate);
  return withSpec(chain(scaleBySign(), lr), { op: 'signSgd', ...specOptions(lr, ['learningRate']) });
}
