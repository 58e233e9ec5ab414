/**
 * Laws every transformation obeys: init and update never mutate their inputs, return fresh
 * arrays, and give back updates of the caller's structure, leaf forms and dtypes.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { flatten } from '../../src/tree/tree.js';
import { copyTree, problem, sameBits } from '../helpers/arbitraries.js';
import { ALL } from '../helpers/registry.js';

describe.each(ALL)('$name', (row) => {
  it('never mutates updates, state or params, and returns fresh arrays of the same form', () => {
    fc.assert(
      fc.property(problem(), ({ params, grads }) => {
        const tx = row.make();
        const paramsCopy = copyTree(params);
        let state = tx.init(params);
        expect(sameBits(params, paramsCopy)).toBe(true);
        for (const g of grads) {
          const gCopy = copyTree(g);
          const stateBefore = structuredClone(state);
          const [u, next] = tx.update(g, state, params);
          expect(sameBits(g, gCopy)).toBe(true);
          expect(sameBits(params, paramsCopy)).toBe(true);
          expect(state).toEqual(stateBefore);
          const uf = flatten(u);
          const gf = flatten(g);
          expect(uf.def).toEqual(gf.def);
          uf.leaves.forEach((l, i) => {
            const input = gf.leaves[i]?.data;
            expect(l.data).not.toBe(input);
            expect(l.data.constructor).toBe(input?.constructor);
          });
          state = next;
        }
      }),
      { seed: 20261123, numRuns: 40 },
    );
  });
});
