/**
 * Optimistic gradient descent.
 *
 * @module
 */
import type { GradientTransformation } from '../base.js';
import { chain } from '../combine/chain.js';
import type { KernelState } from '../kernel/define.js';
import type { ScalarOrSchedule } from '../schedules/schedule.js';
import {
  type ScaleByOptimisticGradientOptions,
  type ScaleByOptimisticGradientState,
  scaleByOptimisticGradient,
} from '../transforms/optimistic.js';
import { scaleByLearningRate } from '../transforms/scale.js';
import { specOptions, withSpec } from '../spec/spec.js';
import { requireKnownKeys } from '../validate.js';

/** Options of {@link optimisticGradientDescent}. */
export interface OptimisticGradientDescentOptions extends ScaleByOptimisticGradientOptions {
  /** η, a number >= 0 or a schedule. */
  readonly learningRate: ScalarOrSchedule;
}

/** The state of {@link optimisticGradientDescent}: scaler, learning rate. */
export type OptimisticGradientDescentState = readonly [ScaleByOptimisticGradientState, KernelState];

/**
 * Optimistic gradient descent (Mokhtari et al., AISTATS 2020), optax's
 * `optimistic_gradient_descent`: {@link scaleByOptimisticGradient} then `-η_t`,
 *
 * ```text
 * u_t = -η_t ((α + β) g_t - β g_{t-1})       (g_0 := g_1: the first step is -η_1 α g_1)
 * ```
 *
 * Defaults `alpha = 1`, `beta = 1` (optax). For min-max games, where plain gradient
 * descent-ascent cycles or diverges, it converges in the last iterate.
 *
 * ```ts
 * const opt = optimisticGradientDescent({ learningRate: 1e-2, alpha: 0.7, beta: 0.1 });
 * ```
 * @category Optimizers
 */
export function optimisticGradientDescent(options: OptimisticGradientDescentOptions): GradientTransformation<OptimisticGradientDescentState> {
  requireKnownKeys('optimisticGradientDescent', options, ['learningRate', 'alpha', 'beta']);
  const { learningRate, ...coefficients } = options;
  const scaler = scaleByOptimisticGradient(coefficients);
  const lr = scaleByLearningRate(learningRate);
  return withSpec(chain(scaler, lr), {
    op: 'optimisticGradientDescent',
    ...specOptions(lr, ['learningRate']),
    ...specOptions(scaler, ['alpha', 'beta']),
  });
}
