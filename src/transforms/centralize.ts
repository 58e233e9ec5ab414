/**
 * Gradient centralization.
 *
 * @module
 */
import type { EmptyState, GradientTransformation } from '../base.js';
import { StateMismatchError } from '../errors.js';
import { allocate, dtypeOf } from '../tree/leaf.js';
import { type TreeLike, mapTree } from '../tree/tree.js';

/**
 * Centralizes gradients (Yong et al., "Gradient Centralization: A New Optimization Technique
 * for Deep Neural Networks", ECCV 2020): for a leaf with more than one axis, subtracts the
 * mean over every axis but the first,
 *
 * ```text
 * u[i, …] = g[i, …] - mean_{…} g[i, …]        (ndim > 1)
 * u = g                                        (ndim ≤ 1: bare arrays, vectors, scalars)
 * ```
 *
 * optax's `centralize()`. The shape is the leaf's (`{ shape, data }`, row-major); a bare
 * `Float32Array`/`Float64Array` is 1-D and passes through unchanged. Each row's mean is summed
 * in float64 in index order and divided by the row length; the results are rounded to the
 * leaf's dtype. No options, no state (`{}`). Not fusable (it needs a mean per row); it runs
 * through the reference path.
 * @category Transformations
 */
export function centralize(): GradientTransformation<EmptyState> {
  const owner = 'centralize';
  return {
    init: () => ({}),
    update: <P extends TreeLike<P>>(updates: P, state: EmptyState): readonly [P, EmptyState] => {
      if (typeof state !== 'object' || state === null || Array.isArray(state)) throw new StateMismatchError(owner, 'an empty object {}', state);
      const out = mapTree(updates, (data, leaf) => {
        if (leaf.shape.length <= 1) return data.slice();
        const rows = leaf.shape[0] as number;
        const out = allocate(dtypeOf(data), data.length);
        if (rows === 0) return out;
        const width = data.length / rows;
        for (let r = 0; r < rows; r++) {
          const start = r * width;
          let sum = 0;
          for (let i = 0; i < width; i++) sum += data[start + i] as number;
          const mean = sum / width;
          for (let i = 0; i < width; i++) out[start + i] = (data[start + i] as number) - mean;
        }
        return out;
      });
      return [out, {}];
    },
    spec: { op: owner },
  };
}
