/**
 * Stochastic gradient descent, with momentum.
 *
 * @module
 */
import type { GradientTransformation } from '../base.js';
import { type ChainState, chain } from '../combine/chain.js';
import type { KernelState } from '../kernel/define.js';
import type { ScalarOrSchedule } from '../schedules/schedule.js';
import { addDecayedWeights } from '../transforms/decay.js';
import { type TraceState, trace } from '../transforms/momentum.js';
import { scaleByLearningRate } from '../transforms/scale.js';
import { identity } from '../transforms/identity.js';
import { specOptions, withSpec } from '../spec/spec.js';
import { requireKnownKeys } from '../validate.js';

/** Options of {@link sgd}. */
export interface SgdOptions {
  /** η, a number >= 0 or a schedule. */
  readonly learningRate: ScalarOrSchedule;
  /** μ in [0, 1] or a schedule; 0 or absent means no momentum buffer. Default none. */
  readonly momentum?: ScalarOrSchedule;
  /** Nesterov momentum. Default false. */
  readonly nesterov?: boolean;
  /** PyTorch's dampening τ (see {@link trace}). Default 0. */
  readonly dampening?: number;
  /** L2 weight decay λ added to the gradient before the momentum (PyTorch's `weight_decay`). Default 0. */
  readonly weightDecay?: ScalarOrSchedule;
}

/** The state of {@link sgd}: L2 decay, momentum, learning rate. */
export type SgdState = ChainState<[GradientTransformation<KernelState>, GradientTransformation<TraceState> | GradientTransformation<KernelState>, GradientTransformation<KernelState>]>;

/**
 * SGD with optional momentum, Nesterov and L2 weight decay:
 *
 * ```text
 * g' = g + λ·p
 * u  = -η_t · trace(g')        (see trace; without momentum u = -η_t·g')
 * ```
 *
 * This is optax's `sgd` and, term for term, PyTorch's `SGD` (the learning rate multiplies the
 * momentum buffer, so a scheduled rate behaves as in PyTorch).
 * @category Optimizers
 */
export function sgd(options: SgdOptions): GradientTransformation<SgdState> {
  requireKnownKeys('sgd', options, ['learningRate', 'momentum', 'nesterov', 'dampening', 'weightDecay']);
  const momentum = options.momentum;
  const useMomentum = momentum !== undefined && momentum !== 0;
  const useDecay = options.weightDecay !== undefined && options.weightDecay !== 0;
  const decay = useDecay ? addDecayedWeights({ weightDecay: options.weightDecay }) : identity();
  const buffer = useMomentum
    ? trace({ decay: momentum, nesterov: options.nesterov ?? false, dampening: options.dampening ?? 0 })
    : identity();
  const lr = scaleByLearningRate(options.learningRate);
  // Without momentum (or decay) the member is the identity: the spec records the options as
  // given, with their defaults (0 means "none").
  return withSpec(chain(decay, buffer, lr) as GradientTransformation<SgdState>, {
    op: 'sgd',
    ...specOptions(lr, ['learningRate']),
    momentum: 0,
    nesterov: options.nesterov ?? false,
    dampening: options.dampening ?? 0,
    ...specOptions(buffer, { decay: 'momentum', nesterov: 'nesterov', dampening: 'dampening' }),
    weightDecay: 0,
    ...specOptions(decay, ['weightDecay']),
  });
}
