/**
 * Random trees and gradients for compiler tests, and a bit-for-bit comparison of any two values
 * (trees, states) that names the first path where they differ.
 */
import fc from 'fast-check';
import type { Dtype, FloatArray } from '../../src/tree/leaf.js';
import type { Tree } from '../../src/tree/tree.js';
import { flatten } from '../../src/tree/tree.js';

/** How to build one leaf: values come from a seeded generator (fast for 1000 elements). */
export interface LeafRecipe {
  readonly dtype: Dtype;
  readonly size: number;
  readonly tensor: boolean;
  readonly seed: number;
}

/** A tree recipe: leaves and how they nest. */
export interface TreeRecipe {
  readonly leaves: readonly LeafRecipe[];
  /** Drives the nesting (records, arrays) and the keys. */
  readonly shapeSeed: number;
}

export const SPECIALS = [NaN, 0, -0, Infinity, -Infinity, 5e-324, -2.2250738585072014e-308, 1e308, -1e308, 3.4028235677973366e38, 1.401298464324817e-45, 0.1, 16777217];

/** xorshift32 → [0, 1) */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

/** Values for a leaf at a step: mostly moderate, some tiny/huge, a few special values. */
export function fillValues(data: FloatArray, seed: number, specials: boolean): void {
  const r = rng(seed);
  for (let i = 0; i < data.length; i++) {
    const u = r();
    if (specials && u < 0.02) data[i] = SPECIALS[Math.floor(r() * SPECIALS.length)] as number;
    else if (u < 0.1) data[i] = (r() - 0.5) * 10 ** (Math.floor(r() * 16) - 8);
    else data[i] = (r() - 0.5) * 4;
  }
}

const leafArb: fc.Arbitrary<LeafRecipe> = fc.record({
  dtype: fc.constantFrom<Dtype>('float32', 'float64'),
  size: fc.oneof({ weight: 1, arbitrary: fc.constant(0) }, { weight: 6, arbitrary: fc.integer({ min: 1, max: 40 }) }, { weight: 2, arbitrary: fc.integer({ min: 41, max: 1000 }) }),
  tensor: fc.boolean(),
  seed: fc.integer({ min: 1, max: 0x7fffffff }),
});

/** 1 to `max` leaves; one dtype for the whole tree or mixed. */
export function treeArb(max = 20): fc.Arbitrary<TreeRecipe> {
  return fc
    .record({
      leaves: fc.array(leafArb, { minLength: 1, maxLength: max }),
      dtype: fc.constantFrom<Dtype | 'mixed'>('float32', 'float64', 'mixed'),
      shapeSeed: fc.integer({ min: 1, max: 0x7fffffff }),
    })
    .map(({ leaves, dtype, shapeSeed }) => ({ leaves: dtype === 'mixed' ? leaves : leaves.map((l) => ({ ...l, dtype })), shapeSeed }));
}

const KEYS = ['w', 'b', 'weight', 'bias', 'layer0', 'x y', '0', 'constructor', 'toString', 'émoji✓', 'a.b', '["q"]'];

/** Builds the tree of a recipe, each leaf filled by `fill(data, leafIndex)`. */
export function buildTree(recipe: TreeRecipe, fill: (data: FloatArray, leaf: number) => void): Tree {
  const r = rng(recipe.shapeSeed);
  const leaves: Tree[] = recipe.leaves.map((l, i) => {
    const data = l.dtype === 'float32' ? new Float32Array(l.size) : new Float64Array(l.size);
    fill(data, i);
    if (!l.tensor) return data;
    // A rank-2 shape when the size splits, else rank 1.
    const rows = l.size % 2 === 0 && l.size > 0 ? 2 : 1;
    return { shape: [rows, l.size / rows], data };
  });
  const group = (items: Tree[]): Tree => {
    if (items.length === 1 && r() < 0.5) return items[0] as Tree;
    const parts: Tree[][] = [];
    let rest = items;
    while (rest.length > 0) {
      const n = 1 + Math.floor(r() * Math.min(rest.length, 4));
      parts.push(rest.slice(0, n));
      rest = rest.slice(n);
    }
    const children = parts.map((p) => (p.length === 1 || r() < 0.3 ? (p.length === 1 ? (p[0] as Tree) : p) : group(p)));
    if (r() < 0.4) return children;
    const out: Record<string, Tree> = {};
    const used = new Set<string>();
    children.forEach((c, i) => {
      let k = KEYS[Math.floor(r() * KEYS.length)] as string;
      if (used.has(k)) k = `${k}${String(i)}`;
      used.add(k);
      Object.defineProperty(out, k, { value: c, enumerable: true, writable: true, configurable: true });
    });
    return out;
  };
  // Flatten order sorts record keys, so the leaf order of the result is not the recipe's; the
  // fill functions are keyed by recipe index, which stays attached to the leaf's data.
  return group(leaves);
}

/** A fresh tree of the same structure with each leaf's values from `seed`. */
export function gradsLike<T>(tree: T, seed: number, specials: boolean): T {
  const { leaves } = flatten(tree as Tree);
  const copies = leaves.map((l, i) => {
    const data = l.data instanceof Float32Array ? new Float32Array(l.data.length) : new Float64Array(l.data.length);
    fillValues(data, (seed * 7919 + i * 104729) >>> 0, specials);
    return data;
  });
  let next = 0;
  const rebuild = (node: Tree): Tree => {
    if (node instanceof Float32Array || node instanceof Float64Array) return copies[next++] as FloatArray;
    if (Array.isArray(node)) return (node as readonly Tree[]).map(rebuild);
    const rec = node as Record<string, unknown>;
    if ('data' in rec && (rec.data instanceof Float32Array || rec.data instanceof Float64Array) && Array.isArray(rec.shape)) {
      return { shape: [...(rec.shape as number[])], data: copies[next++] as FloatArray };
    }
    const out: Record<string, Tree> = {};
    for (const k of Object.keys(rec).sort()) Object.defineProperty(out, k, { value: rebuild(rec[k] as Tree), enumerable: true, writable: true, configurable: true });
    return out;
  };
  return rebuild(tree as Tree) as T;
}

/** Copies the leaves of `src` into `dst` (same structure). */
export function copyLeaves<T>(dst: T, src: T): void {
  const d = flatten(dst as Tree).leaves;
  flatten(src as Tree).leaves.forEach((l, i) => d[i]?.data.set(l.data));
}

/**
 * The first difference between two values, bit for bit (`Object.is` per number, so -0 and NaN
 * are exact), as a path and a description; undefined when they are the same.
 */
export function firstDifference(a: unknown, b: unknown, path = ''): string | undefined {
  if (typeof a === 'number' || typeof b === 'number') {
    return Object.is(a, b) ? undefined : `${path}: ${String(a)} vs ${String(b)}`;
  }
  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b)) {
    if (!(a instanceof Float32Array || a instanceof Float64Array) || !(b instanceof Float32Array || b instanceof Float64Array)) return `${path}: not both float arrays`;
    if (a.constructor !== b.constructor) return `${path}: ${a.constructor.name} vs ${b.constructor.name}`;
    if (a.length !== b.length) return `${path}: length ${String(a.length)} vs ${String(b.length)}`;
    for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return `${path}[${String(i)}]: ${String(a[i])} vs ${String(b[i])}`;
    return undefined;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return `${path}: array shapes differ`;
    for (let i = 0; i < a.length; i++) {
      const d = firstDifference(a[i], b[i], `${path}[${String(i)}]`);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    if (ka.join('\u0000') !== kb.join('\u0000')) return `${path}: keys {${ka.join(',')}} vs {${kb.join(',')}}`;
    for (const k of ka) {
      const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  return Object.is(a, b) ? undefined : `${path}: ${String(a)} vs ${String(b)}`;
}
