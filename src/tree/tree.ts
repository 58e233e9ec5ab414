/**
 * Pytrees: nested records and arrays whose leaves are typed arrays.
 *
 * Leaves are visited in a stable order: record keys sorted (by code unit), array elements by
 * index, depth first. `flatten` gives the leaves and a {@link TreeDef} that `unflatten` uses to
 * rebuild a tree of the same structure, with each leaf in the form it came in (bare array or
 * tensor).
 *
 * @module
 */
import { InvalidTreeError, TreeMismatchError } from '../errors.js';
import { type Dtype, type FloatArray, type Leaf, dtypeOf, isFloatArray, isTensor, shapeToString } from './leaf.js';
import { type PathSegment, formatPath } from './path.js';

/**
 * A pytree: a leaf, an array of trees, or a record of trees.
 * @category Trees
 */
export type Tree = Leaf | readonly Tree[] | { readonly [key: string]: Tree };

/**
 * The compile-time form of a tree, for generic signatures: `P extends TreeLike<P>` accepts a
 * params type declared as an `interface` as well as a `type` (an interface is not assignable
 * to {@link Tree}'s index signature), and rejects non-tree members such as numbers.
 * @category Trees
 */
export type TreeLike<P> = Tree | TreeMapped<P>;
/** The record/array part of {@link TreeLike}, a separate alias so that it distributes over unions. */
export type TreeMapped<P> = { readonly [K in keyof P]: TreeNode<P[K]> };
/** One node of a {@link TreeLike}: a leaf, or an object/array of nodes. */
export type TreeNode<V> = V extends Tree ? V : V extends object ? { readonly [K in keyof V]: TreeNode<V[K]> } : never;

/** The structure of a tree without its data. */
export type TreeDef =
  | { readonly kind: 'leaf'; readonly form: 'array' | 'tensor'; readonly shape: readonly number[]; readonly dtype: Dtype }
  | { readonly kind: 'array'; readonly children: readonly TreeDef[] }
  | { readonly kind: 'record'; readonly keys: readonly string[]; readonly children: readonly TreeDef[] };

/** One leaf of a flattened tree. */
export interface FlatLeaf {
  readonly path: string;
  readonly shape: readonly number[];
  readonly dtype: Dtype;
  readonly data: FloatArray;
}

/** A flattened tree: its leaves in order and its structure. */
export interface Flat {
  readonly leaves: readonly FlatLeaf[];
  readonly def: TreeDef;
}

function isRecord(value: unknown): value is { readonly [key: string]: unknown } {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || ArrayBuffer.isView(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * Flattens a tree, validating it: every leaf must be a Float32Array, a Float64Array or a
 * tensor whose shape matches its data.
 * @category Trees
 */
export function flatten(tree: object): Flat {
  const leaves: FlatLeaf[] = [];
  const walk = (node: unknown, segments: PathSegment[]): TreeDef => {
    if (isFloatArray(node)) {
      const shape = [node.length];
      leaves.push({ path: formatPath(segments), shape, dtype: dtypeOf(node), data: node });
      return { kind: 'leaf', form: 'array', shape, dtype: dtypeOf(node) };
    }
    if (isTensor(node)) {
      const shape = [...node.shape];
      if (!shape.every((d) => Number.isInteger(d) && d >= 0)) {
        throw new InvalidTreeError(formatPath(segments), 'a shape of non-negative integers', node.shape);
      }
      const size = shape.reduce((a, b) => a * b, 1);
      if (size !== node.data.length) {
        throw new InvalidTreeError(
          formatPath(segments),
          `data of length ${String(size)} for shape ${shapeToString(shape)}`,
          node.data,
        );
      }
      leaves.push({ path: formatPath(segments), shape, dtype: dtypeOf(node.data), data: node.data });
      return { kind: 'leaf', form: 'tensor', shape, dtype: dtypeOf(node.data) };
    }
    if (Array.isArray(node)) {
      return { kind: 'array', children: node.map((child: unknown, i) => walk(child, [...segments, i])) };
    }
    if (isRecord(node)) {
      const keys = Object.keys(node).sort();
      return { kind: 'record', keys, children: keys.map((k) => walk(node[k], [...segments, k])) };
    }
    throw new InvalidTreeError(
      formatPath(segments),
      'a Float32Array, a Float64Array, a tensor { shape, data }, an array or a plain object',
      node,
    );
  };
  const def = walk(tree, []);
  return { leaves, def };
}

/** The leaves of a tree, in flatten order. */
export function leavesOf(tree: object): readonly FlatLeaf[] {
  return flatten(tree).leaves;
}

/** A leaf of a {@link TreeDef}. */
export type LeafDef = Extract<TreeDef, { kind: 'leaf' }>;

/**
 * Builds a value of structure `def` with `leaf(leafDef, index)` at each leaf, in leaf order
 * (records get own keys, so a key such as `__proto__` stays an ordinary own key). What trees
 * and state trees of any leaf type are rebuilt with.
 */
export function buildFromDef<L>(def: TreeDef, leaf: (d: LeafDef, index: number) => L): unknown {
  let next = 0;
  const build = (d: TreeDef): unknown => {
    switch (d.kind) {
      case 'leaf':
        return leaf(d, next++);
      case 'array':
        return d.children.map(build);
      case 'record': {
        const out: Record<string, unknown> = {};
        d.keys.forEach((k, i) => {
          Object.defineProperty(out, k, { value: build(d.children[i] as TreeDef), enumerable: true, writable: true, configurable: true });
        });
        return out;
      }
      default: {
        const never: never = d;
        return never;
      }
    }
  };
  return build(def);
}

/** The number of leaves of a {@link TreeDef}. */
function leafCount(d: TreeDef): number {
  return d.kind === 'leaf' ? 1 : d.children.reduce((n, c) => n + leafCount(c), 0);
}

/**
 * Rebuilds a tree of structure `def` from arrays in leaf order. The arrays are used as they
 * are (not copied); each must have the length of its leaf.
 * @category Trees
 */
export function unflatten(def: TreeDef, data: readonly FloatArray[]): Tree {
  const count = leafCount(def);
  if (count !== data.length) throw new InvalidTreeError('', `${String(count)} leaves`, data);
  return buildFromDef(def, (d, i) => {
    const arr = data[i] as FloatArray;
    return d.form === 'array' ? arr : { shape: [...d.shape], data: arr };
  }) as Tree;
}

function describeDef(d: TreeDef): string {
  switch (d.kind) {
    case 'leaf':
      return `a ${d.dtype} leaf of shape ${shapeToString(d.shape)}`;
    case 'array':
      return `an array of ${String(d.children.length)} subtrees`;
    case 'record':
      return `a record with keys {${d.keys.join(', ')}}`;
    default: {
      const never: never = d;
      return never;
    }
  }
}

/**
 * Checks that two tree structures are the same (keys, array lengths, leaf shapes and dtypes;
 * the leaf form, bare array or tensor, may differ) and throws a {@link TreeMismatchError}
 * naming the first path where they part.
 * @category Trees
 */
export function assertSameStructure(expected: TreeDef, actual: TreeDef, context: string): void {
  const walk = (e: TreeDef, a: TreeDef, segments: PathSegment[]): void => {
    const path = formatPath(segments);
    if (e.kind !== a.kind) throw new TreeMismatchError(path, describeDef(e), describeDef(a), context);
    if (e.kind === 'leaf' && a.kind === 'leaf') {
      if (e.dtype !== a.dtype) throw new TreeMismatchError(path, `dtype ${e.dtype}`, `dtype ${a.dtype}`, context);
      if (e.shape.length !== a.shape.length || e.shape.some((s, i) => s !== a.shape[i])) {
        throw new TreeMismatchError(path, `shape ${shapeToString(e.shape)}`, `shape ${shapeToString(a.shape)}`, context);
      }
      return;
    }
    if (e.kind === 'array' && a.kind === 'array') {
      if (e.children.length !== a.children.length) {
        throw new TreeMismatchError(path, `an array of length ${String(e.children.length)}`, `length ${String(a.children.length)}`, context);
      }
      e.children.forEach((c, i) => {
        walk(c, a.children[i] as TreeDef, [...segments, i]);
      });
      return;
    }
    if (e.kind === 'record' && a.kind === 'record') {
      const missing = e.keys.find((k) => !a.keys.includes(k));
      if (missing !== undefined) {
        throw new TreeMismatchError(formatPath([...segments, missing]), describeDef(e.children[e.keys.indexOf(missing)] as TreeDef), 'nothing (missing key)', context);
      }
      const extra = a.keys.find((k) => !e.keys.includes(k));
      if (extra !== undefined) {
        throw new TreeMismatchError(formatPath([...segments, extra]), 'no such key', `extra key ${JSON.stringify(extra)}`, context);
      }
      e.children.forEach((c, i) => {
        walk(c, a.children[i] as TreeDef, [...segments, e.keys[i] as string]);
      });
    }
  };
  walk(expected, actual, []);
}

/**
 * Maps every leaf's data through `f`, keeping the structure and each leaf's form.
 * @category Trees
 */
export function mapTree<T extends TreeLike<T>>(tree: T, f: (data: FloatArray, leaf: FlatLeaf) => FloatArray): T {
  const { leaves, def } = flatten(tree);
  return unflatten(def, leaves.map((l) => f(l.data, l))) as T;
}

/**
 * Maps the leaves of trees of one structure together. Throws a {@link TreeMismatchError}
 * naming the path where `others` depart from `tree`.
 * @category Trees
 */
export function zipTrees<T extends TreeLike<T>>(
  tree: T,
  others: readonly T[],
  f: (data: FloatArray, others: readonly FloatArray[], leaf: FlatLeaf) => FloatArray,
  context = 'trees',
): T {
  const flat = flatten(tree);
  const otherFlats = others.map((o) => flatten(o));
  for (const o of otherFlats) assertSameStructure(flat.def, o.def, context);
  return unflatten(
    flat.def,
    flat.leaves.map((l, i) =>
      f(
        l.data,
        otherFlats.map((o) => (o.leaves[i] as FlatLeaf).data),
        l,
      ),
    ),
  ) as T;
}

/** Same structure, zero-filled leaves of the same dtype and form. */
export function zerosLike<T extends TreeLike<T>>(tree: T): T {
  return mapTree(tree, (d) => (d instanceof Float32Array ? new Float32Array(d.length) : new Float64Array(d.length)));
}

/** Same structure, leaves filled with `value` (rounded to the leaf's dtype). */
export function fullLike<T extends TreeLike<T>>(tree: T, value: number): T {
  return mapTree(tree, (d) => (d instanceof Float32Array ? new Float32Array(d.length) : new Float64Array(d.length)).fill(value));
}

/** A deep copy with fresh arrays. */
export function cloneTree<T extends TreeLike<T>>(tree: T): T {
  return mapTree(tree, (d) => d.slice());
}

/** The total number of elements over all leaves. */
export function treeSize(tree: object): number {
  return flatten(tree).leaves.reduce((n, l) => n + l.data.length, 0);
}
