/**
 * Scaling by constants and schedules: the learning rate.
 *
 * @module
 */
import type { GradientTransformation } from '../base.js';
import { type KernelState, defineTransform } from '../kernel/define.js';
import { g, mul, scalar } from '../kernel/dsl.js';
import type { ScalarOrSchedule } from '../schedules/schedule.js';
import { requireBoolean, requireFinite } from '../validate.js';
import { describeHyper, hyperAt, requireScalarOrSchedule } from './hyper.js';

/**
 * Multiplies updates by a constant: `u = step·g`.
 * @category Transformations
 */
export function scale(step: number): GradientTransformation<KernelState> {
  const s = requireFinite('scale', 'step', step);
  return defineTransform({
    name: 'scale',
    options: { step: s },
    scalars: () => ({ step: s }),
    body: () => ({ update: mul(g, scalar('step')), next: {} }),
  });
}

/** Options of {@link scaleByLearningRate}. */
export interface ScaleByLearningRateOptions {
  /** Multiply by `-learningRate` (descent) rather than `learningRate`. Default `true`. */
  readonly flipSign?: boolean;
}

/**
 * Multiplies updates by the (scheduled) learning rate, negated for descent:
 * `u = -η_t·g`, with `η_t = learningRate(count)` before the count is incremented.
 *
 * `learningRate` must be >= 0 (a schedule is checked at every step).
 * @category Transformations
 */
export function scaleByLearningRate(
  learningRate: ScalarOrSchedule,
  options: ScaleByLearningRateOptions = {},
): GradientTransformation<KernelState> {
  const owner = 'scaleByLearningRate';
  const lr = requireScalarOrSchedule(owner, 'learningRate', learningRate, { min: 0 });
  const flipSign = requireBoolean(owner, 'flipSign', options.flipSign ?? true);
  const sign = flipSign ? -1 : 1;
  return defineTransform({
    name: owner,
    options: { learningRate: describeHyper(lr), flipSign },
    scalars: ({ count }) => ({ lr: sign * hyperAt(owner, 'learningRate', lr, count, { min: 0 }) }),
    body: () => ({ update: mul(g, scalar('lr')), next: {} }),
  });
}

/**
 * Multiplies updates by a schedule's value: `u = s(count)·g` (no sign flip).
 * @category Transformations
 */
export function scaleBySchedule(schedule: ScalarOrSchedule): GradientTransformation<KernelState> {
  const owner = 'scaleBySchedule';
  const s = requireScalarOrSchedule(owner, 'schedule', schedule);
  return defineTransform({
    name: owner,
    options: { schedule: describeHyper(s) },
    scalars: ({ count }) => ({ scale: hyperAt(owner, 'schedule', s, count) }),
    body: () => ({ update: mul(g, scalar('scale')), next: {} }),
  });
}
