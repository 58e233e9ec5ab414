/**
 * The compiled paths equal the reference interpreter BIT FOR BIT: random chains of every
 * registry row × random trees (1 to 20 leaves, sizes 0 to 1000, float32 / float64 / mixed,
 * nested records and arrays, bare and tensor leaves) × 1 to 5 steps × every backend, pure and in
 * place, on params, updates and every state slot.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { type Backend, compile } from '../../src/compile/index.js';
import type { Tree } from '../../src/tree/tree.js';
import { applyUpdates } from '../../src/update.js';
import { type Built, REGISTRY, chainArb } from './registry.js';
import { type TreeRecipe, buildTree, copyLeaves, fillValues, firstDifference, gradsLike, treeArb } from './trees.js';

const BACKENDS: readonly Backend[] = ['js', 'closure'];

interface Case {
  readonly built: Built;
  readonly tree: TreeRecipe;
  readonly steps: number;
  readonly specials: boolean;
}

/** Runs the reference and every compiled path side by side; returns the first difference. */
function compare(c: Case): string | undefined {
  const params0 = buildTree(c.tree, (data, i) => {
    fillValues(data, c.tree.leaves[i]?.seed ?? 1, false);
  });
  const tx = c.built.tx;
  let refParams = params0;
  let refState = tx.init(params0);
  const pure = BACKENDS.map((backend) => ({ backend, compiled: compile(tx, params0, { backend }), params: params0, state: tx.init(params0) }));
  const inPlace = BACKENDS.map((backend) => ({ backend, compiled: compile(tx, params0, { backend }) }));
  for (const p of inPlace) {
    const d = firstDifference(p.compiled.params, params0, 'params');
    if (d !== undefined) return `packed params (${p.backend}): ${d}`;
  }
  for (let step = 0; step < c.steps; step++) {
    const grads = gradsLike(params0, 1 + step * 31 + (c.tree.shapeSeed % 1000), c.specials);
    const [refUpdates, nextRefState] = tx.update(grads, refState, refParams);
    const nextRefParams = applyUpdates(refParams, refUpdates);
    for (const p of pure) {
      const [u, s] = p.compiled.update(grads, p.state, p.params);
      const du = firstDifference(u, refUpdates, 'updates');
      if (du !== undefined) return `step ${String(step)}, pure ${p.backend}: ${du}`;
      const ds = firstDifference(s, nextRefState, 'state');
      if (ds !== undefined) return `step ${String(step)}, pure ${p.backend}: ${ds}`;
      p.params = applyUpdates(p.params, u);
      p.state = s;
    }
    for (const p of inPlace) {
      copyLeaves(p.compiled.grads as Tree, grads);
      p.compiled.step();
      const dp = firstDifference(p.compiled.params, nextRefParams, 'params');
      if (dp !== undefined) return `step ${String(step)}, in place ${p.backend}: ${dp}`;
      const ds = firstDifference(p.compiled.state, nextRefState, 'state');
      if (ds !== undefined) return `step ${String(step)}, in place ${p.backend}: ${ds}`;
    }
    refParams = nextRefParams;
    refState = nextRefState;
  }
  return undefined;
}

const caseArb = (chain: fc.Arbitrary<Built>): fc.Arbitrary<Case> =>
  fc.record({ built: chain, tree: treeArb(20), steps: fc.integer({ min: 1, max: 5 }), specials: fc.boolean() });

function check(c: Case): boolean {
  const diff = compare(c);
  if (diff !== undefined) {
    throw new Error(`compiled != reference: ${diff}\nchain: ${JSON.stringify(c.built.spec)}\ntree: ${JSON.stringify(c.tree)}\nsteps: ${String(c.steps)}, specials: ${String(c.specials)}`);
  }
  return true;
}

describe('compiled == reference interpreter, bit for bit', () => {
  it('random chains × random trees × steps × backends (pure and in place)', () => {
    fc.assert(fc.property(caseArb(chainArb(4)), check), { seed: 20240611, numRuns: 120 });
  });

  // Every row alone, so a new transformation is covered even when random chains miss it.
  for (const row of REGISTRY) {
    it(`${row.name} alone`, () => {
      fc.assert(fc.property(caseArb(row.arb), check), { seed: 7 + row.name.length, numRuns: 12 });
    });
  }
});
