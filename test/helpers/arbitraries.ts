/**
 * fast-check generators for pytrees and their companions (grads, params of the same structure).
 */
import fc from 'fast-check';
import type { Dtype, FloatArray } from '../../src/tree/leaf.js';
import { type Tree, flatten, unflatten } from '../../src/tree/tree.js';

/** A tree structure: nested records/arrays with leaf sizes and forms; data filled separately. */
export type Skeleton =
  | { readonly kind: 'leaf'; readonly shape: readonly number[]; readonly tensor: boolean }
  | { readonly kind: 'array'; readonly children: readonly Skeleton[] }
  | { readonly kind: 'record'; readonly entries: readonly (readonly [string, Skeleton])[] };

const leafSkeleton = (maxSize: number): fc.Arbitrary<Skeleton> =>
  fc.oneof(
    fc.integer({ min: 0, max: maxSize }).map((n): Skeleton => ({ kind: 'leaf', shape: [n], tensor: false })),
    fc
      .tuple(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 8 }))
      .map(([a, b]): Skeleton => ({ kind: 'leaf', shape: [a, b], tensor: true })),
    fc.constant<Skeleton>({ kind: 'leaf', shape: [], tensor: true }),
  );

/** Skeletons with 1..maxLeaves leaves, nested up to depth 3. */
export function skeleton(maxLeaves = 6, maxSize = 40): fc.Arbitrary<Skeleton> {
  const { tree } = fc.letrec((tie) => ({
    tree: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leafSkeleton(maxSize),
      fc.array(tie('tree'), { minLength: 1, maxLength: 3 }).map((children): Skeleton => ({ kind: 'array', children: children as Skeleton[] })),
      fc
        .uniqueArray(fc.tuple(fc.constantFrom('w', 'b', 'dense1', 'dense2', 'scale', 'gamma', 'x', 'emb'), tie('tree')), {
          minLength: 1,
          maxLength: 3,
          selector: ([k]) => k,
        })
        .map((entries): Skeleton => ({ kind: 'record', entries: entries as (readonly [string, Skeleton])[] })),
    ),
  }));
  return (tree as fc.Arbitrary<Skeleton>).filter((s) => countLeaves(s) >= 1 && countLeaves(s) <= maxLeaves);
}

export function countLeaves(s: Skeleton): number {
  if (s.kind === 'leaf') return 1;
  if (s.kind === 'array') return s.children.reduce((n, c) => n + countLeaves(c), 0);
  return s.entries.reduce((n, [, c]) => n + countLeaves(c), 0);
}

/** Builds a tree of the skeleton with data from `fill(leafIndex, elementIndex)`. */
export function build(s: Skeleton, dtype: Dtype, fill: (leaf: number, i: number) => number): Tree {
  let leaf = 0;
  const go = (n: Skeleton): Tree => {
    if (n.kind === 'leaf') {
      const size = n.shape.reduce((a, b) => a * b, 1);
      const k = leaf++;
      const data: FloatArray = dtype === 'float32' ? new Float32Array(size) : new Float64Array(size);
      for (let i = 0; i < size; i++) data[i] = fill(k, i);
      return n.tensor ? { shape: [...n.shape], data } : data;
    }
    if (n.kind === 'array') return n.children.map(go);
    return Object.fromEntries(n.entries.map(([k, c]) => [k, go(c)]));
  };
  return go(s);
}

/** A deterministic pseudo-random fill from a seed (values in [-scale, scale]). */
export function seededFill(seed: number, scale = 1): (leaf: number, i: number) => number {
  return (leaf, i) => {
    let x = Math.imul(seed ^ (leaf * 0x9e3779b1), 0x85ebca6b) ^ Math.imul(i + 1, 0xc2b2ae35);
    x ^= x >>> 13;
    x = Math.imul(x, 0x27d4eb2f);
    x ^= x >>> 16;
    return ((x >>> 0) / 0xffffffff * 2 - 1) * scale;
  };
}

/** params and a list of grads trees of one skeleton and dtype. */
export function problem(opts: { maxLeaves?: number; maxSize?: number; steps?: number } = {}): fc.Arbitrary<{
  readonly params: Tree;
  readonly grads: readonly Tree[];
  readonly dtype: Dtype;
}> {
  return fc
    .record({
      s: skeleton(opts.maxLeaves ?? 6, opts.maxSize ?? 40),
      dtype: fc.constantFrom<Dtype>('float32', 'float64'),
      seed: fc.integer(),
      steps: fc.integer({ min: 1, max: opts.steps ?? 3 }),
    })
    .map(({ s, dtype, seed, steps }) => ({
      params: build(s, dtype, seededFill(seed, 2)),
      grads: Array.from({ length: steps }, (_, k) => build(s, dtype, seededFill(seed + 7919 * (k + 1), 1))),
      dtype,
    }));
}

/** Every leaf's data, concatenated, for exact comparison. */
export function allValues(tree: Tree): number[] {
  return flatten(tree).leaves.flatMap((l) => Array.from(l.data));
}

/** A deep copy of a tree (fresh arrays). */
export function copyTree<T extends Tree>(tree: T): T {
  const { leaves, def } = flatten(tree);
  return unflatten(def, leaves.map((l) => l.data.slice())) as T;
}

/** True when two trees hold the same values element for element (Object.is: -0 and NaN exact). */
export function sameBits(a: Tree, b: Tree): boolean {
  const x = allValues(a);
  const y = allValues(b);
  return x.length === y.length && x.every((v, i) => Object.is(v, y[i]));
}
