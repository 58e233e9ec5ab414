/**
 * Fromage.
 *
 * @module
 */
import type { GradientTransformation } from '../base.js';
import { chain } from '../combine/chain.js';
import type { KernelState } from '../kernel/define.js';
import type { ScalarOrSchedule } from '../schedules/schedule.js';
import { fromageDecay, fromageMultiplier } from '../transforms/fromage.js';
import { hyperAt, requireScalarOrSchedule } from '../transforms/hyper.js';
import { scaleByLearningRate } from '../transforms/scale.js';
import { scaleByTrustRatio } from '../transforms/trustRatio.js';
import { specOptions, withSpec } from '../spec/spec.js';
import { requireKnownKeys } from '../validate.js';

/** Options of {@link fromage}. */
export interface FromageOptions {
  /** η, a number >= 0 or a schedule. */
  readonly learningRate: ScalarOrSchedule;
  /** Lower bound of the parameter and update norms in the trust ratio, >= 0. Default 1e-6. */
  readonly minNorm?: number;
}

/** The state of {@link fromage}: trust ratio, learning rate, shrinkage. */
export type FromageState = readonly [KernelState, KernelState, KernelState];

/**
 * Fromage, Frobenius matched gradient descent (Bernstein et al., "On the Distance between Two
 * Neural Networks and the Stability of Learning", NeurIPS 2020), optax's `fromage`: the
 * layer-wise {@link scaleByTrustRatio} (with `minNorm`), `-η_t·m_t`, then
 * `fromageDecay`, with `m_t = 1/√(1 + η_t²)`:
 *
 * ```text
 * r = max(‖p‖, minNorm) / max(‖g‖, minNorm)           (per leaf)
 * u = -η_t m_t · r·g + (m_t - 1)·p                   so that  p + u = m_t (p - η_t r g)
 * ```
 *
 * Defaults `minNorm = 1e-6` (optax). Needs `params`. A schedule for `learningRate` recomputes
 * `m_t` at every step (optax's `fromage` takes a number only).
 *
 * ```ts
 * const opt = fromage({ learningRate: 1e-2 });
 * ```
 * @category Optimizers
 */
export function fromage(options: FromageOptions): GradientTransformation<FromageState> {
  const owner = 'fromage';
  requireKnownKeys(owner, options, ['learningRate', 'minNorm']);
  const eta = requireScalarOrSchedule(owner, 'learningRate', options.learningRate, { min: 0 });
  const trust = scaleByTrustRatio({ minNorm: options.minNorm ?? 1e-6 });
  const scaledRate =
    typeof eta === 'number'
      ? eta * fromageMultiplier(eta)
      : (count: number): number => {
          const value = hyperAt(owner, 'learningRate', eta, count, { min: 0 });
          return value * fromageMultiplier(value);
        };
  const shrink = fromageDecay(eta);
  return withSpec(chain(trust, scaleByLearningRate(scaledRate), shrink), {
    op: owner,
    ...specOptions(shrink, ['learningRate']),
    ...specOptions(trust, ['minNorm']),
  });
}
