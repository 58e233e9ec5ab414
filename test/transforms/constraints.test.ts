import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chain } from '../../src/combine/chain.js';
import { MissingParamsError } from '../../src/errors.js';
import { sgd } from '../../src/optimizers/sgd.js';
import { toSpec } from '../../src/spec/spec.js';
import { keepParamsNonnegative } from '../../src/transforms/constraints.js';
import { trace } from '../../src/transforms/momentum.js';
import { scale } from '../../src/transforms/scale.js';
import { applyUpdates } from '../../src/update.js';
import { allValues, copyTree, sameBits } from '../helpers/arbitraries.js';
import { gradsLike } from '../compile/trees.js';
import { compiledDifference } from '../combine/compileCheck.js';
import type { GradientTransformation } from '../../src/base.js';
import { assertCompiledMatches, registryInner } from '../combine/compileCheck.js';

const f64 = (...xs: number[]): Float64Array => Float64Array.from(xs);

describe('keepParamsNonnegative', () => {
  it('optax _constraining_test: sgd steps that would go negative stop at zero', () => {
    const grads = [f64(500, -500, 0), f64(500, -500, 0), f64(500, -500, 0)];
    const params = [f64(-1, -1, -1), f64(1, 1, 1), f64(0, 0, 0)];
    const plain = chain(trace({ decay: 0 }), scale(-1e-2));
    const [u0] = plain.update(grads, plain.init(params), params);
    expect(applyUpdates(params, u0).map((l) => Array.from(l))).toEqual([[-6, 4, -1], [-4, 6, 1], [-5, 5, 0]]);
    const kept = chain(trace({ decay: 0 }), scale(-1e-2), keepParamsNonnegative());
    const [u1] = kept.update(grads, kept.init(params), params);
    expect(applyUpdates(params, u1).map((l) => Array.from(l))).toEqual([[0, 4, 0], [0, 6, 1], [0, 5, 0]]);
  });

  it('p + u >= 0 after every step, from non-negative params; a step that stays non-negative is unchanged', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100000 }), fc.constantFrom('float32', 'float64'), (seed, dtype) => {
        const make = (xs: number[]) => (dtype === 'float32' ? Float32Array.from(xs) : Float64Array.from(xs));
        let params = { w: make([0, 0.5, 1, 2, 1e-3]), b: make([3]) };
        const opt = chain(sgd({ learningRate: 0.5 }), keepParamsNonnegative());
        const plain = sgd({ learningRate: 0.5 });
        let state = opt.init(params);
        for (let k = 0; k < 4; k++) {
          const g = gradsLike(params, seed + k, false);
          const [u, s] = opt.update(g, state, params);
          const [raw] = plain.update(g, plain.init(params), params);
          const rawNext = allValues(applyUpdates(params, raw));
          const next = applyUpdates(params, u);
          allValues(next).forEach((x, i) => {
            expect(x).toBeGreaterThanOrEqual(0);
            if ((rawNext[i] as number) >= 0) expect(x).toBe(rawNext[i]);
            else expect(x).toBe(0);
          });
          params = next;
          state = s;
        }
      }),
      { seed: 7301, numRuns: 50 },
    );
  });

  it('needs params, never mutates its inputs, has a spec, and compiles bit for bit', () => {
    const tx = keepParamsNonnegative();
    expect(() => tx.update({ w: f64(1) }, tx.init({ w: f64(1) }))).toThrow(MissingParamsError);
    const params = { w: f64(1, 0.5, 0), b: Float32Array.from([2]) };
    const g = { w: f64(-2, 0.25, -1), b: Float32Array.from([-3]) };
    const gc = copyTree(g);
    const pc = copyTree(params);
    const [u] = tx.update(g, tx.init(params), params);
    expect(sameBits(g, gc) && sameBits(params, pc)).toBe(true);
    expect(allValues(u)).toEqual([-2, -1, 0.25, -0]);
    expect(toSpec(tx)).toEqual({ op: 'keepParamsNonnegative' });
    const grads = Array.from({ length: 3 }, (_, i) => gradsLike(params, 3 + i, false));
    expect(compiledDifference(chain(sgd({ learningRate: 0.5 }), keepParamsNonnegative()), params, grads)).toBeUndefined();
  });
});

describe('keepParamsNonnegative: compiled == reference over random trees', () => {
  it('chain(registry row, keepParamsNonnegative) × random trees × steps (specials included)', () => {
    const arb = registryInner.map((inner) => ({ tx: chain(inner.tx, keepParamsNonnegative()) as GradientTransformation<unknown>, spec: { chain: [inner.spec, 'keepParamsNonnegative'] } }));
    assertCompiledMatches(arb, 7511, 40);
  });
});
