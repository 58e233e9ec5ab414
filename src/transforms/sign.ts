/**
 * The sign of the updates.
 *
 * @module
 */
import type { GradientTransformation } from '../base.js';
import { type KernelState, defineTransform } from '../kernel/define.js';
import { g, sign } from '../kernel/dsl.js';

/**
 * Replaces every update by its sign (optax's `scale_by_sign`; Bernstein et al., "signSGD:
 * Compressed Optimisation for Non-Convex Problems", ICML 2018):
 *
 * ```text
 * u = sign(g)        ∈ {-1, 0, 1}   (sign(±0) = ±0, sign(NaN) = NaN)
 * ```
 *
 * No options. Stateless (only the count).
 * @category Transformations
 */
export function scaleBySign(): GradientTransformation<KernelState> {
  return defineTransform({ name: 'scaleBySign', options: {}, scalars: () => ({}), body: () => ({ update: sign(g), next: {} }) });
}
