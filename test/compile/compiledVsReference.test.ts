/**
 * The compiled paths equal the reference interpreter BIT FOR BIT: random chains of every
 * registry row × random trees (1 to 20 leaves, sizes 0 to 1000, float32 / float64 / mixed,
 * nested records and arrays, bare and tensor leaves) × 1 to 5 steps × every backend, pure and in
 * place, on params, updates and every state slot.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import type { Backend } from '../../src/compile/index.js';
import { type Built, REGISTRY, chainArb } from './registry.js';
import { type TrajectoryCase, expectSameTrajectories } from './trajectory.js';
import { treeArb } from './trees.js';

const BACKENDS: readonly Backend[] = ['js', 'closure'];

const caseArb = (chain: fc.Arbitrary<Built>): fc.Arbitrary<TrajectoryCase> =>
  fc.record({ built: chain, tree: treeArb(20), steps: fc.integer({ min: 1, max: 5 }), specials: fc.boolean() });

const check = expectSameTrajectories({ backends: BACKENDS });

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
