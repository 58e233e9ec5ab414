/**
 * Corrupted specs: random mutations of valid specs (deleted keys or elements, values of the
 * wrong type, numbers out of range, unknown or other ops, unknown keys). `decodeSpec` never
 * throws; it returns at least one SpecError near the mutation, or — when the mutation kept the
 * spec valid — a transformation that is fully described by its own spec.
 */
import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import type { GradientTransformation } from '../../src/base.js';
import { decodeSpec } from '../../src/spec/fromSpec.js';
import { SpecError, toSpec } from '../../src/spec/spec.js';
import { pipeline } from './arbitraries.js';
import { problem } from './helpers.js';
import { isPrefix, mutate, mutation, parentOf } from './mutate.js';

const corrupted = problem.chain((p) =>
  fc.record({ c: pipeline(p.params), filled: fc.boolean(), pick: fc.nat(), m: mutation }).map(({ c, filled, pick, m }) => {
    const valid = filled ? toSpec(c.make()) : c.spec;
    return mutate(valid, pick, m);
  }),
);

/** Every key of `given` is in `filled` with a value `within` it (`filled` may hold more keys: defaults). */
function within(given: unknown, filled: unknown): boolean {
  if (Array.isArray(given)) return Array.isArray(filled) && given.length === filled.length && given.every((g, i) => within(g, filled[i]));
  if (typeof given === 'object' && given !== null) {
    if (typeof filled !== 'object' || filled === null || Array.isArray(filled)) return false;
    return Object.entries(given).every(([k, v]) => Object.hasOwn(filled, k) && within(v, (filled as Record<string, unknown>)[k]));
  }
  return Object.is(given, filled);
}

describe('corrupted specs', () => {
  it('decodeSpec never throws: errors near the mutation, or a transformation its own spec describes', () => {
    let lefts = 0;
    let rights = 0;
    fc.assert(
      fc.property(corrupted, (mutated) => {
        let result: ReturnType<typeof decodeSpec> | undefined;
        expect(() => {
          result = decodeSpec(mutated.json);
        }, mutated.description).not.toThrow();
        if (result === undefined) throw new Error('no result');
        if (E.isLeft(result)) {
          lefts++;
          expect(result.left.length).toBeGreaterThan(0);
          for (const e of result.left) {
            expect(e).toBeInstanceOf(SpecError);
            expect(e.path.startsWith('$')).toBe(true);
            expect(e.message).toBe(`at ${e.path}: expected ${e.expected}, got ${e.actual}`);
          }
          const near = parentOf(mutated.parent);
          const paths = result.left.map((e) => e.path);
          expect(
            paths.some((p) => isPrefix(p, mutated.path) || isPrefix(near, p)),
            `${mutated.description}: errors at ${paths.join(', ')}`,
          ).toBe(true);
        } else {
          rights++;
          const tx: GradientTransformation<unknown> = result.right;
          const spec = toSpec(tx);
          // Valid means kept: everything the mutated spec says is in the built one's spec.
          expect(within(mutated.json, spec), `${mutated.description}: ${JSON.stringify(spec)}`).toBe(true);
          const again = decodeSpec(JSON.parse(JSON.stringify(spec)));
          expect(E.isRight(again) && toSpec(again.right)).toStrictEqual(spec);
        }
      }),
      { seed: 0xc0ffee, numRuns: 600 },
    );
    // Both outcomes occur, so neither branch is vacuous.
    expect(lefts).toBeGreaterThan(200);
    expect(rights).toBeGreaterThan(50);
  });
});
