/**
 * Constraints on the parameters, enforced through the updates.
 *
 * @module
 */
import type { GradientTransformation } from '../base.js';
import { type KernelState, defineTransform } from '../kernel/define.js';
import { add, g, lt, neg, p, select } from '../kernel/dsl.js';

/**
 * Keeps the parameters non-negative: where a step would take a parameter below zero, the
 * update sends it to exactly zero instead.
 *
 * ```text
 * u = p + g < 0 ? -p : g
 * ```
 *
 * Put it **last** in the chain (it must see the final update), and start from non-negative
 * params: a negative parameter is moved to zero by its first update whenever `p + g < 0`.
 * Needs `params`. Stateless (its state is only the step `count`).
 *
 * ```ts
 * const opt = chain(sgd({ learningRate: 1e-2 }), keepParamsNonnegative());
 * ```
 *
 * @remarks optax's `keep_params_nonnegative`. The test `p + g < 0` is evaluated in float64 for
 * float32 leaves (as every gradfuse body is), so a float32 sum that rounds to exactly `-0` or
 * to a tiny negative can decide differently from optax's float32 comparison; the result is a
 * parameter at, or within one rounding of, zero either way.
 * @category Transformations
 */
export function keepParamsNonnegative(): GradientTransformation<KernelState> {
  return defineTransform({
    name: 'keepParamsNonnegative',
    options: {},
    scalars: () => ({}),
    body: () => ({ update: select(lt(add(p, g), 0), neg(p), g), next: {} }),
  });
}
