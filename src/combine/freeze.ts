/**
 * Freezing parameters: `freeze` zeroes the updates of some leaves, `selectiveTransform` runs an
 * optimizer on the others only.
 *
 * @module
 */
import type { GradientTransformation } from '../base.js';
import { HyperparameterError } from '../errors.js';
import type { KernelState } from '../kernel/define.js';
import { NO_SPEC } from '../spec/spec.js';
import { setToZero } from '../transforms/identity.js';
import { type Mask, type MaskTree, validateMask } from '../tree/mask.js';
import type { Tree } from '../tree/tree.js';
import { type MaskedState, describeMask, masked } from './masked.js';
import { type LabelTree, type MultiTransformState, multiTransform } from './multiTransform.js';
import { requireTransformation } from './rewrite.js';

/** The state of {@link freeze}: `setToZero`'s (a count) inside `masked`'s. */
export type FreezeState = MaskedState<KernelState>;

/** Options of {@link selectiveTransform}. */
export interface SelectiveTransformOptions {
  /** Which leaves to freeze (`true`): a mask tree, a prefix of one, or a function of the params. */
  readonly freezeMask: Mask;
}

/** The state of {@link selectiveTransform}: the `train` and `freeze` groups. */
export type SelectiveTransformState<S> = MultiTransformState<{ readonly train: GradientTransformation<S>; readonly freeze: GradientTransformation<KernelState> }>;

/**
 * Freezes the leaves where `mask` is **true**: their updates become zero, so the params do
 * not move. The other leaves pass through unchanged. It is `masked(setToZero(), mask)`.
 *
 * ```ts
 * // fine-tune the head only: freeze the encoder
 * const opt = chain(freeze({ encoder: true, head: false }), adam({ learningRate: 1e-4 }));
 * ```
 *
 * Put it before a stateful optimizer to keep the frozen leaves' moments at zero too, or after
 * it (last in the chain) to zero the final step; {@link selectiveTransform} does the first and
 * keeps the optimizer away from the frozen leaves.
 * @category Combinators
 */
export function freeze(mask: Mask): GradientTransformation<FreezeState> {
  const m = validateMask('freeze', mask);
  return { ...masked(setToZero(), m), spec: { op: 'freeze', mask: describeMask(m) } };
}

/** The label tree (`'freeze'` / `'train'`) of a freeze mask tree. */
function labelsOf(mask: MaskTree): LabelTree {
  if (typeof mask === 'boolean') return mask ? 'freeze' : 'train';
  if (Array.isArray(mask)) return (mask as readonly MaskTree[]).map(labelsOf);
  if (typeof mask !== 'object' || mask === null) throw new HyperparameterError('selectiveTransform', 'freezeMask', 'a tree of booleans or a function params -> tree of booleans', mask);
  const out: Record<string, LabelTree> = {};
  const rec = mask as { readonly [k: string]: MaskTree };
  for (const k of Object.keys(rec)) Object.defineProperty(out, k, { value: labelsOf(rec[k] as MaskTree), enumerable: true, writable: true, configurable: true });
  return out;
}

/**
 * Runs `optimizer` on the leaves that are not frozen, and zeroes the updates of those where
 * `freezeMask` is true: optax's `selective_transform`, which is
 * `multiTransform({ transforms: { train: optimizer, freeze: setToZero() }, paramLabels })`
 * with the labels read off the mask. The optimizer never sees the frozen leaves (its global
 * reductions leave them out; its fusable slots for them stay at their initial values).
 *
 * ```ts
 * const opt = selectiveTransform(adamw({ learningRate: 1e-3, weightDecay: 1e-2 }), { freezeMask: { encoder: true, head: false } });
 * ```
 * @category Combinators
 */
export function selectiveTransform<S>(optimizer: GradientTransformation<S>, options: SelectiveTransformOptions): GradientTransformation<SelectiveTransformState<S>> {
  const owner = 'selectiveTransform';
  requireTransformation(owner, 'optimizer', optimizer);
  if (typeof options !== 'object' || options === null) throw new HyperparameterError(owner, 'options', 'an object { freezeMask }', options);
  for (const key of Object.keys(options)) {
    if (key !== 'freezeMask') throw new HyperparameterError(owner, key, 'the option freezeMask', 'an unknown option');
  }
  const m = validateMask(owner, options.freezeMask);
  const paramLabels = typeof m === 'function' ? (params: Tree): LabelTree => labelsOf(m(params)) : labelsOf(m);
  const tx = multiTransform({ transforms: { train: optimizer, freeze: setToZero() }, paramLabels });
  return { ...tx, spec: { op: owner, transform: optimizer.spec ?? NO_SPEC, freezeMask: describeMask(m) } };
}
