/**
 * Applying updates to parameters.
 *
 * @module
 */
import type { FloatArray } from './tree/leaf.js';
import { type FlatLeaf, type TreeLike, assertSameStructure, flatten, unflatten } from './tree/tree.js';

/**
 * `p + u`, leaf by leaf, into fresh arrays of the params' dtype. Throws a `TreeMismatchError`
 * naming the path when the trees differ.
 * @category Base
 */
export function applyUpdates<P extends TreeLike<P>>(params: P, updates: P): P {
  const pf = flatten(params);
  const uf = flatten(updates);
  assertSameStructure(pf.def, uf.def, 'applyUpdates: updates against params');
  const out: FloatArray[] = pf.leaves.map((l, i) => {
    const u = (uf.leaves[i] as FlatLeaf).data;
    const p = l.data;
    const r = p instanceof Float32Array ? new Float32Array(p.length) : new Float64Array(p.length);
    for (let k = 0; k < p.length; k++) r[k] = (p[k] as number) + (u[k] as number);
    return r;
  });
  return unflatten(pf.def, out) as P;
}
