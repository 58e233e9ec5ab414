/**
 * Noisy SGD.
 *
 * @module
 */
import type { GradientTransformation } from '../base.js';
import { type ChainTransformation, chain } from '../combine/chain.js';
import { HyperparameterError } from '../errors.js';
import type { ScalarOrSchedule } from '../schedules/schedule.js';
import { specOptions, withSpec } from '../spec/spec.js';
import { type AddNoiseState, addNoise } from '../transforms/noise.js';
import { scaleByLearningRate } from '../transforms/scale.js';
import type { KernelState } from '../kernel/define.js';
import { requireKnownKeys } from '../validate.js';

/** Options of {@link noisySgd}. */
export interface NoisySgdOptions {
  /** η_lr, a number >= 0 or a schedule. */
  readonly learningRate: ScalarOrSchedule;
  /** η, the base variance of the noise, >= 0. Default 0.01. */
  readonly eta?: number;
  /** γ, the decay exponent of the variance, >= 0. Default 0.55. */
  readonly gamma?: number;
  /** The generator's seed, an integer in [0, 2⁵³). Default 0. */
  readonly seed?: number;
}

/** The state of {@link noisySgd}: the noise's state, then the learning rate's. */
export type NoisySgdState = readonly [AddNoiseState, KernelState];

/**
 * SGD with annealed Gaussian gradient noise (Neelakantan et al., 2015), optax's `noisy_sgd`:
 * {@link addNoise} then `-η_lr`:
 *
 * ```text
 * u = -η_lr(t) · (g + √(η / (t + 1)^γ) · n),      n ~ N(0, 1), t = count
 * ```
 *
 * Defaults `eta = 0.01`, `gamma = 0.55` (optax), `seed = 0`. The same seed gives the same
 * trajectory; the generator's state is two numbers, so a resumed run continues bit for bit.
 *
 * ```ts
 * const opt = noisySgd({ learningRate: 0.01, seed: 42 });
 * ```
 * @category Optimizers
 */
export function noisySgd(options: NoisySgdOptions): GradientTransformation<NoisySgdState> {
  const owner = 'noisySgd';
  if (typeof options !== 'object' || options === null) throw new HyperparameterError(owner, 'options', 'an object { learningRate, eta, gamma, seed }', options);
  requireKnownKeys(owner, options, ['learningRate', 'eta', 'gamma', 'seed']);
  const noise = addNoise({ eta: options.eta ?? 0.01, gamma: options.gamma ?? 0.55, ...(options.seed === undefined ? {} : { seed: options.seed }) });
  const lr = scaleByLearningRate(options.learningRate);
  const tx: ChainTransformation<readonly [GradientTransformation<AddNoiseState>, GradientTransformation<KernelState>]> = chain(noise, lr);
  return withSpec(tx as GradientTransformation<NoisySgdState>, {
    op: owner,
    ...specOptions(lr, ['learningRate']),
    ...specOptions(noise, ['eta', 'gamma', 'seed']),
  });
}
