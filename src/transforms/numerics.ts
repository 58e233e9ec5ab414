/**
 * Numerical guards on the updates.
 *
 * @module
 */
import type { GradientTransformation } from '../base.js';
import { type KernelState, defineTransform } from '../kernel/define.js';
import { g, isNaN, select } from '../kernel/dsl.js';

/**
 * Replaces every NaN in the updates by 0; every other value, ±Infinity included, passes
 * unchanged:
 *
 * ```text
 * u = isNaN(g) ? 0 : g
 * ```
 *
 * optax's `zero_nans` also records in its state, per leaf, whether that leaf held a NaN
 * (`found_nan`). This kernel keeps no such flag: its state is only the step `count`. Check the
 * incoming gradients yourself (or use an `applyIfFinite`-style wrapper) when you need to know.
 * @category Transformations
 */
export function zeroNans(): GradientTransformation<KernelState> {
  return defineTransform({
    name: 'zeroNans',
    options: {},
    scalars: () => ({}),
    body: () => ({ update: select(isNaN(g), 0, g), next: {} }),
  });
}
