/**
 * A compiled-vs-reference check for the combinator tests: `compile(tx, params)` with each
 * backend gives, bit for bit, the updates and state of `tx.update` (pure path), and the params
 * and state of `applyUpdates` (in-place step), for a sequence of gradients.
 */
import { type Backend, compile } from '../../src/compile/index.js';
import type { GradientTransformation } from '../../src/base.js';
import type { Tree } from '../../src/tree/tree.js';
import { applyUpdates } from '../../src/update.js';
import fc from 'fast-check';
import { type Built, REGISTRY } from '../compile/registry.js';
import { buildTree, copyLeaves, fillValues, firstDifference, gradsLike, treeArb } from '../compile/trees.js';

export const BACKENDS: readonly Backend[] = ['js', 'closure'];

/** The first difference between the compiled paths and the reference, or undefined. */
export function compiledDifference<S>(tx: GradientTransformation<S>, params: Tree, grads: readonly Tree[]): string | undefined {
  for (const backend of BACKENDS) {
    const pure = compile(tx, params, { backend });
    const inPlace = compile(tx, params, { backend });
    let refParams = params;
    let refState = tx.init(params);
    let pureParams = params;
    let pureState = tx.init(params);
    for (let step = 0; step < grads.length; step++) {
      const g = grads[step] as Tree;
      const [refU, refS] = tx.update(g, refState, refParams);
      const nextRefParams = applyUpdates(refParams, refU);
      const [u, s] = pure.update(g, pureState, pureParams);
      const du = firstDifference(u, refU, 'updates') ?? firstDifference(s, refS, 'state');
      if (du !== undefined) return `${backend}, step ${String(step)}, pure: ${du}`;
      pureParams = applyUpdates(pureParams, u);
      pureState = s;
      copyLeaves(inPlace.grads as Tree, g);
      inPlace.step();
      const dp = firstDifference(inPlace.params, nextRefParams, 'params') ?? firstDifference(inPlace.copyState(), refS, 'state');
      if (dp !== undefined) return `${backend}, step ${String(step)}, in place: ${dp}`;
      refParams = nextRefParams;
      refState = refS;
    }
  }
  return undefined;
}

/** Any row of the compiler registry: the inner transformation of a random combinator. */
export const registryInner: fc.Arbitrary<Built> = fc.oneof(...REGISTRY.map((r) => r.arb));

/**
 * The property: for random trees (1 to 12 leaves, sizes 0 to 1000, float32/float64/mixed,
 * tensors), 1 to 6 steps of gradients (with NaN, ±Infinity, -0, subnormals when `specials`),
 * compiled == reference bit for bit. A failure prints the spec and the tree recipe.
 */
export function assertCompiledMatches(arb: fc.Arbitrary<Built>, seed: number, numRuns: number): void {
  fc.assert(
    fc.property(fc.record({ built: arb, tree: treeArb(12), steps: fc.integer({ min: 1, max: 6 }), specials: fc.boolean() }), (c) => {
      const params = buildTree(c.tree, (data, i) => {
        fillValues(data, c.tree.leaves[i]?.seed ?? 1, false);
      });
      const grads = Array.from({ length: c.steps }, (_, k) => gradsLike(params, 1 + k * 31 + (c.tree.shapeSeed % 1000), c.specials));
      const diff = compiledDifference(c.built.tx, params, grads);
      if (diff !== undefined) throw new Error(`compiled != reference: ${diff}\nspec: ${JSON.stringify(c.built.spec)}\ntree: ${JSON.stringify(c.tree)}\nspecials: ${String(c.specials)}`);
      return true;
    }),
    { seed, numRuns },
  );
}
