/**
 * Fromage's shrinkage of the parameters (the last member of the `fromage` chain).
 *
 * @module
 */
import type { GradientTransformation } from '../base.js';
import { type KernelState, defineTransform } from '../kernel/define.js';
import { add, g, mul, p, scalar } from '../kernel/dsl.js';
import type { ScalarOrSchedule } from '../schedules/schedule.js';
import { describeHyper, hyperAt, requireScalarOrSchedule } from './hyper.js';

/**
 * Fromage's factor `1/√(1 + η²)`.
 * @category Transformations
 */
export function fromageMultiplier(learningRate: number): number {
  return 1 / Math.sqrt(1 + learningRate * learningRate);
}

/**
 * Fromage's weight shrinkage (Bernstein et al., "On the Distance between Two Neural Networks
 * and the Stability of Learning", NeurIPS 2020): adds the parameters scaled by
 * `1/√(1 + η_t²) - 1` (a number in (-1, 0]), so that after the learning-rate step the new
 * parameters are `(p - η_t·r·g)/√(1 + η_t²)`:
 *
 * ```text
 * u = g + (1/√(1 + η_t²) - 1) · p        η_t = learningRate(count)
 * ```
 *
 * `learningRate` is a number >= 0 or a schedule (checked at every step). Needs `params`.
 * This is optax's `add_decayed_weights(mult - 1)` inside `fromage`; it is its own
 * transformation here because `addDecayedWeights` takes only decays >= 0.
 * @category Transformations
 */
export function fromageDecay(learningRate: ScalarOrSchedule): GradientTransformation<KernelState> {
  const owner = 'fromageDecay';
  const lr = requireScalarOrSchedule(owner, 'learningRate', learningRate, { min: 0 });
  return defineTransform({
    name: owner,
    options: { learningRate: describeHyper(lr) },
    scalars: ({ count }) => ({ shrink: fromageMultiplier(hyperAt(owner, 'learningRate', lr, count, { min: 0 })) - 1 }),
    body: () => ({ update: add(g, mul(scalar('shrink'), p)), next: {} }),
  });
}
