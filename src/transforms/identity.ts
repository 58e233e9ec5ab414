/**
 * The trivial transformations.
 *
 * @module
 */
import type { GradientTransformation } from '../base.js';
import { type KernelState, defineTransform } from '../kernel/define.js';
import { constant, g } from '../kernel/dsl.js';

/**
 * Passes updates through unchanged.
 * @category Transformations
 */
export function identity(): GradientTransformation<KernelState> {
  return defineTransform({ name: 'identity', options: {}, scalars: () => ({}), body: () => ({ update: g, next: {} }) });
}

/**
 * Replaces every update by zero (with a mask, freezes those params).
 * @category Transformations
 */
export function setToZero(): GradientTransformation<KernelState> {
  return defineTransform({ name: 'setToZero', options: {}, scalars: () => ({}), body: () => ({ update: constant(0), next: {} }) });
}
