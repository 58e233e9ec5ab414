/**
 * Masks: which leaves a transformation applies to.
 *
 * A mask is a tree of booleans with the structure of the params, or a prefix of it (a boolean
 * at an inner node covers its whole subtree), or a function from the params to such a tree.
 *
 * @module
 */
import { HyperparameterError, TreeMismatchError } from '../errors.js';
import { isLeaf } from './leaf.js';
import { type PathSegment, formatPath } from './path.js';
import type { Tree } from './tree.js';

/** A tree of booleans, or a prefix of the params tree with booleans at its leaves. */
export type MaskTree = boolean | readonly MaskTree[] | { readonly [key: string]: MaskTree };

/**
 * Which leaves to apply to: `true` means apply.
 * @category Combinators
 */
export type Mask = MaskTree | ((params: Tree) => MaskTree);

/** Checks the shape of a mask value at build time (a function is checked when it is called). */
export function validateMask(owner: string, mask: unknown): Mask {
  const ok = (m: unknown): boolean =>
    typeof m === 'boolean' ||
    (Array.isArray(m) && m.every(ok)) ||
    (typeof m === 'object' && m !== null && !Array.isArray(m) && !ArrayBuffer.isView(m) && Object.values(m).every(ok));
  if (typeof mask === 'function' || ok(mask)) return mask as Mask;
  throw new HyperparameterError(owner, 'mask', 'a tree of booleans or a function params -> tree of booleans', mask);
}

/**
 * One boolean per leaf of `params`, in flatten order. Throws a {@link TreeMismatchError} naming
 * the path where the mask departs from the params.
 */
export function resolveMask(mask: Mask, params: Tree, owner: string): boolean[] {
  const tree: unknown = typeof mask === 'function' ? mask(params) : mask;
  const out: boolean[] = [];
  const context = `${owner}: mask against params`;
  const fill = (node: Tree, value: boolean): void => {
    if (isLeaf(node)) out.push(value);
    else if (Array.isArray(node)) (node as readonly Tree[]).forEach((c) => { fill(c, value); });
    else {
      const rec = node as { readonly [k: string]: Tree };
      for (const k of Object.keys(rec).sort()) fill(rec[k] as Tree, value);
    }
  };
  const walk = (m: unknown, node: Tree, segments: PathSegment[]): void => {
    if (typeof m === 'boolean') {
      fill(node, m);
      return;
    }
    const path = formatPath(segments);
    if (isLeaf(node)) throw new TreeMismatchError(path, 'a boolean for this leaf', 'a subtree', context);
    if (Array.isArray(node)) {
      const arr = node as readonly Tree[];
      if (!Array.isArray(m) || m.length !== arr.length) {
        throw new TreeMismatchError(path, `a boolean or an array of ${String(arr.length)} masks`, Array.isArray(m) ? `an array of ${String(m.length)}` : typeof m, context);
      }
      arr.forEach((c, i) => { walk((m as unknown[])[i], c, [...segments, i]); });
      return;
    }
    const rec = node as { readonly [k: string]: Tree };
    if (typeof m !== 'object' || m === null || Array.isArray(m)) {
      throw new TreeMismatchError(path, 'a boolean or a record of masks', m === null ? 'null' : Array.isArray(m) ? 'an array' : typeof m, context);
    }
    const mrec = m as Record<string, unknown>;
    const keys = Object.keys(rec).sort();
    for (const k of Object.keys(mrec)) {
      if (!keys.includes(k)) throw new TreeMismatchError(formatPath([...segments, k]), 'no such key', `extra key ${JSON.stringify(k)}`, context);
    }
    for (const k of keys) {
      if (!(k in mrec)) throw new TreeMismatchError(formatPath([...segments, k]), 'a mask entry', 'nothing (missing key)', context);
      walk(mrec[k], rec[k] as Tree, [...segments, k]);
    }
  };
  walk(tree, params, []);
  return out;
}
