/**
 * Weight decay added to the updates.
 *
 * @module
 */
import type { GradientTransformation } from '../base.js';
import { type KernelState, defineTransform } from '../kernel/define.js';
import { add, g, mul, p, scalar } from '../kernel/dsl.js';
import type { ScalarOrSchedule } from '../schedules/schedule.js';
import { type Mask, validateMask } from '../tree/mask.js';
import { requireKnownKeys } from '../validate.js';
import { FUNCTION } from '../spec/spec.js';
import { describeHyper, hyperAt, requireScalarOrSchedule } from './hyper.js';

/** Options of {@link addDecayedWeights}. */
export interface AddDecayedWeightsOptions {
  /** λ, a number >= 0 or a schedule. Default 0. */
  readonly weightDecay?: ScalarOrSchedule;
  /** Leaves to decay (`true`); the others pass through unchanged. Default: all. */
  readonly mask?: Mask;
}

/**
 * Adds the decayed parameters to the updates: `u = g + λ·p`. Needs `params`.
 *
 * Before the Adam scaling this is L2 regularisation (PyTorch's `weight_decay` in Adam, SGD,
 * RMSprop); after it and before the learning rate it is decoupled weight decay (AdamW,
 * Loshchilov & Hutter, 2019).
 * @category Transformations
 */
export function addDecayedWeights(options: AddDecayedWeightsOptions = {}): GradientTransformation<KernelState> {
  const owner = 'addDecayedWeights';
  requireKnownKeys(owner, options, ['weightDecay', 'mask']);
  const wd = requireScalarOrSchedule(owner, 'weightDecay', options.weightDecay ?? 0, { min: 0 });
  const mask = options.mask === undefined ? undefined : validateMask(owner, options.mask);
  return defineTransform({
    name: owner,
    options: { weightDecay: describeHyper(wd), ...(mask === undefined ? {} : { mask: typeof mask === 'function' ? FUNCTION : mask }) },
    scalars: ({ count }) => ({ weightDecay: hyperAt(owner, 'weightDecay', wd, count, { min: 0 }) }),
    body: () => ({ update: add(g, mul(scalar('weightDecay'), p)), next: {} }),
    ...(mask === undefined ? {} : { mask }),
  });
}
