/**
 * SM3.
 *
 * @module
 */
import type { GradientTransformation } from '../base.js';
import { chain } from '../combine/chain.js';
import type { KernelState } from '../kernel/define.js';
import type { ScalarOrSchedule } from '../schedules/schedule.js';
import { specOptions, withSpec } from '../spec/spec.js';
import { type ScaleBySm3State, scaleBySm3 } from '../transforms/sm3.js';
import { scaleByLearningRate } from '../transforms/scale.js';
import { HyperparameterError } from '../errors.js';
import { requireInRange, requireKnownKeys } from '../validate.js';

/** Options of {@link sm3}. */
export interface Sm3Options {
  /** η, a number >= 0 or a schedule. */
  readonly learningRate: ScalarOrSchedule;
  /** β₁, the momentum of the output, in [0, 1]. Default 0.9. */
  readonly momentum?: number;
}

/** The state of {@link sm3}: the scaler's, the learning rate's. */
export type Sm3State = readonly [ScaleBySm3State, KernelState];

/**
 * SM3 (Anil, Gupta, Koren & Singer, "Memory-Efficient Adaptive Optimization", 2019), optax's
 * `sm3`: {@link scaleBySm3} with `b1 = momentum` (β₂ = 1, ε = 1e-8), then `−η_t`:
 *
 * ```text
 * a   = g² + min_i v_i       (per element, over its entries of the per-axis accumulators)
 * ν   ← β₁ ν + (1 − β₁) · g / √(a + ε)
 * u   = −η_t · ν
 * v_i ← max of a over the other axes
 * ```
 *
 * Default `momentum = 0.9` (optax). `compile` runs the SM3 scaling on the host and fuses the
 * learning rate.
 * @category Optimizers
 */
export function sm3(options: Sm3Options): GradientTransformation<Sm3State> {
  const owner = 'sm3';
  if (typeof options !== 'object' || (options as unknown) === null) throw new HyperparameterError(owner, 'options', 'an object { learningRate, momentum }', options);
  requireKnownKeys(owner, options, ['learningRate', 'momentum']);
  const momentum = requireInRange(owner, 'momentum', options.momentum ?? 0.9, 0, 1);
  const scaler = scaleBySm3({ b1: momentum });
  const lr = scaleByLearningRate(options.learningRate);
  return withSpec(chain(scaler, lr), {
    op: owner,
    ...specOptions(lr, ['learningRate']),
    ...specOptions(scaler, { b1: 'momentum' }),
  });
}
