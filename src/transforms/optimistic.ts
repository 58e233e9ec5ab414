/**
 * Optimistic gradients: the current gradient extrapolated against the previous one.
 *
 * @module
 */
import type { GradientTransformation } from '../base.js';
import { type KernelState, defineTransform } from '../kernel/define.js';
import { g, mul, scalar, select, sub } from '../kernel/dsl.js';
import { requireFinite, requireKnownKeys } from '../validate.js';

/** Options of {@link scaleByOptimisticGradient}. */
export interface ScaleByOptimisticGradientOptions {
  /** α, the weight of the plain gradient step, a finite number. Default 1. */
  readonly alpha?: number;
  /** β, the weight of the optimistic (negative momentum) correction, a finite number. Default 1. */
  readonly beta?: number;
}

/** The state of {@link scaleByOptimisticGradient}: `count` and the previous gradient `previousGradient`. */
export type ScaleByOptimisticGradientState = KernelState<'previousGradient'>;

/**
 * Generalised optimistic gradients (Mokhtari, Ozdaglar & Pattathil, "A Unified Analysis of
 * Extra-gradient and Optimistic Gradient Methods for Saddle Point Problems", AISTATS 2020;
 * Daskalakis et al., "Training GANs with Optimism", ICLR 2018):
 *
 * ```text
 * u_t = (α + β) g_t - β g_{t-1}       with g_0 := g_1 on the first step, so u_1 = (α + β) g_1 - β g_1
 * ```
 *
 * Defaults `alpha = 1`, `beta = 1` (optax's `scale_by_optimistic_gradient`). The first step
 * uses the current gradient as the previous one (optax's fix of issue #1082, which had used
 * zeros): with α = β = 1 and gradients 2, 3, 4 the outputs are 2, 4, 5. The slot
 * `previousGradient` keeps the incoming update of the last step; the first step is recognised
 * by the count (optax keeps an `is_initial_step` flag).
 * @category Transformations
 */
export function scaleByOptimisticGradient(options: ScaleByOptimisticGradientOptions = {}): GradientTransformation<ScaleByOptimisticGradientState> {
  const owner = 'scaleByOptimisticGradient';
  requireKnownKeys(owner, options, ['alpha', 'beta']);
  const alpha = requireFinite(owner, 'alpha', options.alpha ?? 1);
  const beta = requireFinite(owner, 'beta', options.beta ?? 1);
  return defineTransform<'previousGradient'>({
    name: owner,
    options: { alpha, beta },
    slots: { previousGradient: 0 },
    scalars: ({ count }) => ({ first: count === 0 ? 1 : 0, alphaPlusBeta: alpha + beta, beta }),
    body: (s) => {
      const previous = select(scalar('first'), g, s.previousGradient);
      const update = sub(mul(scalar('alphaPlusBeta'), g), mul(scalar('beta'), previous));
      return { update, next: { previousGradient: g } };
    },
  });
}
