/**
 * `multiTransform` (alias `partition`): a different transformation for each group of
 * parameters, chosen by a label per leaf: PyTorch's parameter groups.
 *
 * @module
 */
import type { Fusable, GradientTransformation, StateOf, UpdateExtras } from '../base.js';
import { HyperparameterError } from '../errors.js';
import type { StageState } from '../kernel/stage.js';
import { FUNCTION, NO_SPEC, type JsonValue } from '../spec/spec.js';
import { isLeaf } from '../tree/leaf.js';
import { type MaskTree, resolveMask } from '../tree/mask.js';
import { type FlatLeaf, type Tree, type TreeLike, flatten } from '../tree/tree.js';
import { type AnyTransformation, chain } from './chain.js';
import { type MaskedState, masked } from './masked.js';
import { maskTreeOf, requireStateObject, requireTransformation } from './rewrite.js';

// ---------------------------------------------------------------------------------------------
// options and state
// ---------------------------------------------------------------------------------------------


/** A tree of labels with the params' structure, or a prefix of it (a label covers its subtree). */
export type LabelTree = string | readonly LabelTree[] | { readonly [key: string]: LabelTree };

/** Labels for the leaves: a label tree, or a function `params -> label tree`. */
export type ParamLabels = LabelTree | ((params: Tree) => LabelTree);

/** Options of {@link multiTransform}. */
export interface MultiTransformOptions<T extends Readonly<Record<string, AnyTransformation>>> {
  /** One transformation per label. They are applied in the order of these keys. */
  readonly transforms: T;
  /**
   * The label of each leaf: a tree of strings with the params' structure (or a prefix of it),
   * or a function of the params returning one (see {@link labelsByPath}). Every label must be
   * a key of `transforms`.
   */
  readonly paramLabels: ParamLabels;
}

/** The state of {@link multiTransform}: each label's masked state (optax's `PartitionState`). */
export interface MultiTransformState<T extends Readonly<Record<string, AnyTransformation>>> {
  readonly innerStates: { readonly [K in keyof T]: MaskedState<StateOf<T[K]>> };
}

// ---------------------------------------------------------------------------------------------
// labels
// ---------------------------------------------------------------------------------------------

const OWNER = 'multiTransform';

function isLabelTree(value: unknown): value is LabelTree {
  if (typeof value === 'string') return true;
  if (Array.isArray(value)) return value.every(isLabelTree);
  return typeof value === 'object' && value !== null && !ArrayBuffer.isView(value) && Object.values(value).every(isLabelTree);
}

/** A label tree with every label replaced by `f(label)`, same structure. */
function mapLabels(tree: LabelTree, f: (label: string) => boolean): MaskTree {
  if (typeof tree === 'string') return f(tree);
  if (Array.isArray(tree)) return (tree as readonly LabelTree[]).map((t) => mapLabels(t, f));
  const out: Record<string, MaskTree> = {};
  const rec = tree as { readonly [key: string]: LabelTree };
  for (const k of Object.keys(rec)) Object.defineProperty(out, k, { value: mapLabels(rec[k] as LabelTree, f), enumerable: true, writable: true, configurable: true });
  return out;
}

/** The label of each leaf of `params`, in flatten order. */
function resolveLabels(labels: ParamLabels, params: Tree, owner: string): string[] {
  const tree: unknown = typeof labels === 'function' ? labels(params) : labels;
  if (!isLabelTree(tree)) throw new HyperparameterError(owner, 'paramLabels', 'a tree of strings (labels), or a function params -> tree of strings', tree);
  // The structure (prefix, keys, lengths) is checked by resolveMask, which names the path.
  resolveMask(mapLabels(tree, () => true), params, `${owner} (paramLabels)`);
  const out: string[] = [];
  const fill = (node: Tree, label: string): void => {
    if (isLeaf(node)) out.push(label);
    else if (Array.isArray(node)) (node as readonly Tree[]).forEach((c) => { fill(c, label); });
    else {
      const rec = node as { readonly [k: string]: Tree };
      for (const k of Object.keys(rec).sort()) fill(rec[k] as Tree, label);
    }
  };
  const walk = (t: LabelTree, node: Tree): void => {
    if (typeof t === 'string') {
      fill(node, t);
      return;
    }
    if (Array.isArray(t)) {
      (node as readonly Tree[]).forEach((c, i) => { walk((t as readonly LabelTree[])[i] as LabelTree, c); });
      return;
    }
    const rec = node as { readonly [k: string]: Tree };
    const trec = t as { readonly [k: string]: LabelTree };
    for (const k of Object.keys(rec).sort()) walk(trec[k] as LabelTree, rec[k] as Tree);
  };
  walk(tree, params);
  return out;
}

/**
 * Labels from a function of each leaf's path (and the leaf: `shape`, `dtype`), for
 * {@link multiTransform}'s `paramLabels`. Paths are written as in {@link maskByPath}.
 *
 * ```ts
 * const paramLabels = labelsByPath((path, leaf) => (leaf.shape.length > 1 ? 'decay' : 'noDecay'));
 * ```
 * @category Combinators
 */
export function labelsByPath(label: (path: string, leaf: FlatLeaf) => string): (params: Tree) => LabelTree {
  if (typeof label !== 'function') throw new HyperparameterError('labelsByPath', 'label', 'a function (path, leaf) => string', label);
  return (params) => {
    const leaves = flatten(params).leaves;
    const labels = leaves.map((leaf) => {
      const v: unknown = label(leaf.path, leaf);
      if (typeof v !== 'string') throw new HyperparameterError('labelsByPath', `label (at ${leaf.path === '' ? '<root>' : leaf.path})`, 'a string', v);
      return v;
    });
    // Built from a mask-shaped tree: booleans mark leaves, replaced by the labels in order.
    let next = 0;
    const relabel = (m: MaskTree): LabelTree => {
      if (typeof m === 'boolean') return labels[next++] as string;
      if (Array.isArray(m)) return (m as readonly MaskTree[]).map(relabel);
      const out: Record<string, LabelTree> = {};
      const rec = m as { readonly [k: string]: MaskTree };
      for (const k of Object.keys(rec)) Object.defineProperty(out, k, { value: relabel(rec[k] as MaskTree), enumerable: true, writable: true, configurable: true });
      return out;
    };
    return relabel(maskTreeOf(params, labels.map(() => true)));
  };
}

// ---------------------------------------------------------------------------------------------
// multiTransform
// ---------------------------------------------------------------------------------------------

/**
 * Applies a different transformation to each group of leaves, chosen by a label per leaf:
 * optax's `multi_transform` / `partition`, PyTorch's parameter groups. It is one
 * {@link masked} per label, applied in the order of `transforms`' keys; each label's
 * transformation sees only its own leaves (its reductions, e.g. a global-norm clip, are over
 * them alone).
 *
 * Every label must have a transformation: `init` (and every update, and `compile`) throws a
 * `HyperparameterError` naming the first leaf whose label has none, and the label.
 *
 * ```ts
 * // AdamW with weight decay on the matrices only; biases and norm scales get plain Adam
 * // (PyTorch: two param groups, one with weight_decay=0).
 * const opt = multiTransform({
 *   transforms: {
 *     decay: adamw({ learningRate: 1e-3, weightDecay: 1e-2 }),
 *     noDecay: adam({ learningRate: 1e-3 }),
 *   },
 *   paramLabels: labelsByPath((path, leaf) => (leaf.shape.length > 1 ? 'decay' : 'noDecay')),
 * });
 * // or a label tree (a prefix covers a subtree):
 * //   paramLabels: { dense1: { w: 'decay', b: 'noDecay' }, norm: 'noDecay' }
 * ```
 *
 * **State.** `{ innerStates: { [label]: { inner } } }`. When every transformation is fusable
 * so is `multiTransform` (its stages are the label transformations' stages with masks), and,
 * as for {@link masked}, their slots cover every leaf.
 * @category Combinators
 */
export function multiTransform<const T extends Readonly<Record<string, AnyTransformation>>>(
  options: MultiTransformOptions<T>,
): GradientTransformation<MultiTransformState<T>> {
  if (typeof options !== 'object' || options === null) throw new HyperparameterError(OWNER, 'options', 'an object { transforms, paramLabels }', options);
  for (const key of Object.keys(options)) {
    if (key !== 'transforms' && key !== 'paramLabels') throw new HyperparameterError(OWNER, key, 'one of the options transforms, paramLabels', 'an unknown option');
  }
  const { transforms, paramLabels } = options;
  if (typeof transforms !== 'object' || transforms === null || Array.isArray(transforms)) {
    throw new HyperparameterError(OWNER, 'transforms', 'a record { label: transformation }', transforms);
  }
  if (typeof paramLabels !== 'function' && !isLabelTree(paramLabels)) {
    throw new HyperparameterError(OWNER, 'paramLabels', 'a tree of strings (labels), or a function params -> tree of strings', paramLabels);
  }
  const labels = Object.keys(transforms);
  const known = new Set(labels);
  for (const l of labels) requireTransformation(OWNER, `transforms.${l}`, transforms[l] as AnyTransformation);

  /** The per-leaf labels, each checked against `transforms`. */
  const checkedLabels = (params: Tree): string[] => {
    const perLeaf = resolveLabels(paramLabels, params, OWNER);
    const bad = perLeaf.findIndex((l) => !known.has(l));
    if (bad >= 0) {
      const path = flatten(params).leaves[bad]?.path ?? '';
      const expected = labels.length === 0 ? 'a label with a transformation (transforms is empty)' : `one of the labels with a transformation (${labels.map((l) => JSON.stringify(l)).join(', ')})`;
      throw new HyperparameterError(OWNER, `paramLabels at ${path === '' ? '<root>' : path}`, expected, perLeaf[bad]);
    }
    return perLeaf;
  };
  const maskFor = (label: string) => (params: Tree): MaskTree => maskTreeOf(params, checkedLabels(params).map((l) => l === label));
  const parts = labels.map((l) => masked(transforms[l] as AnyTransformation, maskFor(l)));
  const inner = chain(...parts);

  const toTuple = (state: MultiTransformState<T>): readonly unknown[] => {
    const s = requireStateObject(OWNER, state, ['innerStates']);
    const states = requireStateObject(OWNER, s.innerStates, labels);
    return labels.map((l) => states[l]);
  };
  const fromTuple = (tuple: readonly unknown[]): MultiTransformState<T> => {
    const innerStates: Record<string, unknown> = {};
    labels.forEach((l, i) => {
      Object.defineProperty(innerStates, l, { value: tuple[i], enumerable: true, writable: true, configurable: true });
    });
    return { innerStates } as unknown as MultiTransformState<T>;
  };

  const chainFusable = inner.fusable as Fusable<readonly unknown[]> | undefined;
  const fusable: Fusable<MultiTransformState<T>> | undefined =
    chainFusable === undefined
      ? undefined
      : {
          stages: chainFusable.stages,
          toStageStates: (state) => chainFusable.toStageStates(toTuple(state)),
          fromStageStates: (states: readonly StageState[]) => fromTuple(chainFusable.fromStageStates(states)),
        };

  const describedLabels: JsonValue = typeof paramLabels === 'function' ? FUNCTION : (paramLabels as JsonValue);
  const transformSpecs: Record<string, JsonValue> = {};
  for (const l of labels) {
    Object.defineProperty(transformSpecs, l, { value: (transforms[l] as AnyTransformation).spec ?? NO_SPEC, enumerable: true, writable: true, configurable: true });
  }

  return {
    init: (params) => {
      checkedLabels(params as Tree);
      return fromTuple(inner.init(params) as readonly unknown[]);
    },
    update: <P extends TreeLike<P>>(updates: P, state: MultiTransformState<T>, params?: P, extra?: UpdateExtras): readonly [P, MultiTransformState<T>] => {
      checkedLabels((params ?? updates) as Tree);
      const [u, s] = inner.update(updates, toTuple(state) as never, params, extra);
      return [u, fromTuple(s as readonly unknown[])];
    },
    ...(fusable === undefined ? {} : { fusable }),
    spec: { op: OWNER, transforms: transformSpecs, paramLabels: describedLabels },
  };
}

/**
 * optax's other name for {@link multiTransform}.
 * @category Combinators
 */
export const partition = multiTransform;
