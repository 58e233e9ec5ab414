/**
 * `masked`: applies a transformation to some leaves only; the others pass through unchanged.
 *
 * @module
 */
import type { Fusable, GradientTransformation, UpdateExtras } from '../base.js';
import { HyperparameterError } from '../errors.js';
import type { Stage } from '../kernel/stage.js';
import { FUNCTION, NO_SPEC, type JsonValue } from '../spec/spec.js';
import type { FloatArray } from '../tree/leaf.js';
import { type Mask, type MaskTree, resolveMask, validateMask } from '../tree/mask.js';
import { type FlatLeaf, type Tree, type TreeLike, flatten, unflatten } from '../tree/tree.js';
import { maskTreeOf, pruneTree, requireStateObject, requireTransformation, updateThroughStages } from './rewrite.js';

// ---------------------------------------------------------------------------------------------
// state
// ---------------------------------------------------------------------------------------------

/**
 * The state of {@link masked}: the inner transformation's state (optax's `MaskedState`).
 *
 * When the inner transformation is fusable its slots cover **every** leaf, masked-out leaves
 * included (they keep their initial values): the compiler works over one flat buffer per slot
 * shaped like the params. optax stores nothing for masked-out leaves; a non-fusable inner
 * transformation gets the same here (its state is built from the params with the masked-out
 * leaves removed).
 */
export interface MaskedState<S> {
  readonly inner: S;
}

// ---------------------------------------------------------------------------------------------
// masks by path
// ---------------------------------------------------------------------------------------------

/** A predicate on one leaf: its path (`dense1.b`, `layers[2].w`, `b` at the top) and the leaf. */
export type LeafPredicate = (path: string, leaf: FlatLeaf) => boolean;

/**
 * A mask from a predicate on each leaf's path (and the leaf itself: `shape`, `dtype`), for
 * {@link masked}, `addDecayedWeights({ mask })`, {@link freeze} and every other `mask` option.
 *
 * Paths are written as in error messages: record keys joined by `.`, array indices in
 * brackets, odd keys quoted (`dense1.b`, `layers[2].w`, `["x y"].b`); a leaf at the top of the
 * tree has no leading dot (`b`).
 *
 * ```ts
 * // weight decay on matrices only: no decay on biases and norm scales
 * const decay = masked(addDecayedWeights({ weightDecay: 1e-2 }), maskByPath((path, leaf) => leaf.shape.length > 1));
 * const noBias = maskByPath((path) => !/(^|\.)b$/.test(path));
 * ```
 * @category Combinators
 */
export function maskByPath(predicate: LeafPredicate): (params: Tree) => MaskTree {
  if (typeof predicate !== 'function') throw new HyperparameterError('maskByPath', 'predicate', 'a function (path, leaf) => boolean', predicate);
  return (params) => {
    const leaves = flatten(params).leaves;
    const active = leaves.map((leaf) => {
      const v: unknown = predicate(leaf.path, leaf);
      if (typeof v !== 'boolean') throw new HyperparameterError('maskByPath', `predicate (at ${leaf.path === '' ? '<root>' : leaf.path})`, 'a boolean result', v);
      return v;
    });
    return maskTreeOf(params, active);
  };
}

/** The mask that is true where both are (a stage's own mask, and the wrapper's). */
function intersectMasks(inner: Mask | undefined, innerOwner: string, outer: Mask): Mask {
  if (inner === undefined) return outer;
  return (params: Tree) => {
    const a = resolveMask(inner, params, innerOwner);
    const b = resolveMask(outer, params, 'masked');
    return maskTreeOf(params, a.map((x, i) => x && b[i] === true));
  };
}

/** The spec form of a mask: the tree, or the function marker. */
export function describeMask(mask: Mask): JsonValue {
  return typeof mask === 'function' ? FUNCTION : (mask as JsonValue);
}

// ---------------------------------------------------------------------------------------------
// masked
// ---------------------------------------------------------------------------------------------

/**
 * Applies `inner` only to the leaves where `mask` is true. **Leaves where the mask is false
 * pass through UNCHANGED — they are not zeroed** (a common surprise, optax issue #159): to stop
 * some params from moving, use {@link freeze} (or `masked(setToZero(), mask)`), or give them
 * their own transformation with {@link multiTransform}.
 *
 * `mask` is a tree of booleans with the params' structure, or a prefix of it (a boolean at an
 * inner node covers its subtree), or a function `params -> such a tree`, or
 * {@link maskByPath}`((path, leaf) => boolean)`. A function mask is called with the params
 * (the updates when `update` is called without params).
 *
 * The inner transformation sees only the masked-in leaves: its reductions (a global norm, a
 * finiteness check) are over those leaves alone, as in optax.
 *
 * ```ts
 * // weight decay everywhere except on the biases
 * const opt = chain(
 *   scaleByAdam(),
 *   masked(addDecayedWeights({ weightDecay: 1e-2 }), { dense: { w: true, b: false } }),
 *   scaleByLearningRate(1e-3),
 * );
 * ```
 *
 * **State.** `{ inner }`. When `inner` is fusable, `masked` is fusable too (each inner stage's
 * mask becomes the intersection of its own and this one, so `compile` fuses it), and the inner
 * state has slots for every leaf: masked-out leaves keep their initial slot values. optax keeps
 * no state for masked-out leaves; a non-fusable inner transformation gets exactly that here.
 * @category Combinators
 */
export function masked<S>(inner: GradientTransformation<S>, mask: Mask): GradientTransformation<MaskedState<S>> {
  const owner = 'masked';
  requireTransformation(owner, 'inner', inner);
  const m = validateMask(owner, mask);
  const checkState = (state: unknown): MaskedState<S> => requireStateObject(owner, state, ['inner']) as unknown as MaskedState<S>;
  const spec = { op: owner, transform: inner.spec ?? NO_SPEC, mask: describeMask(m) };

  const innerFusable = inner.fusable;
  if (innerFusable !== undefined) {
    const stages: Stage[] = innerFusable.stages.map((stage) => ({ ...stage, mask: intersectMasks(stage.mask, stage.name, m) }));
    const fusable: Fusable<MaskedState<S>> = {
      stages,
      toStageStates: (state) => innerFusable.toStageStates(checkState(state).inner),
      fromStageStates: (states) => ({ inner: innerFusable.fromStageStates(states) }),
    };
    return {
      init: (params) => {
        resolveMask(m, params as Tree, owner); // a mask that does not fit the params fails here, not at the first update
        return { inner: inner.init(params) };
      },
      update: <P extends TreeLike<P>>(updates: P, state: MaskedState<S>, params?: P) => updateThroughStages(fusable, owner, updates, state, params),
      fusable,
      spec,
    };
  }

  // Not fusable: the inner transformation sees the masked-in leaves only (optax's MaskedNode).
  return {
    init: (params) => ({ inner: inner.init(pruneTree(params as Tree, resolveMask(m, params as Tree, owner))) }),
    update: <P extends TreeLike<P>>(updates: P, state: MaskedState<S>, params?: P, extra?: UpdateExtras): readonly [P, MaskedState<S>] => {
      const s = checkState(state);
      const u = flatten(updates);
      const active = resolveMask(m, (params ?? updates) as Tree, owner);
      const prunedParams = params === undefined ? undefined : (pruneTree(params as Tree, active) as P);
      const [innerUpdates, innerState] = inner.update(pruneTree(updates as Tree, active) as P, s.inner, prunedParams, extra);
      const transformed = flatten(innerUpdates).leaves;
      let next = 0;
      const out: FloatArray[] = u.leaves.map((leaf, i) => {
        if (active[i] !== true) return leaf.data.slice();
        const data = (transformed[next++] as FlatLeaf).data;
        return data === leaf.data ? data.slice() : data;
      });
      return [unflatten(u.def, out) as P, { inner: innerState }];
    },
    spec,
  };
}
