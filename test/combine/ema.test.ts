import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chain } from '../../src/combine/chain.js';
import { ema } from '../../src/combine/ema.js';
import { HyperparameterError } from '../../src/errors.js';
import { toSpec } from '../../src/spec/spec.js';
import { scaleByLearningRate } from '../../src/transforms/scale.js';
import { copyTree, sameBits } from '../helpers/arbitraries.js';
import { gradsLike } from '../compile/trees.js';
import { compiledDifference } from './compileCheck.js';
import type { GradientTransformation } from '../../src/base.js';
import { assertCompiledMatches } from './compileCheck.js';

const f64 = (...xs: number[]): Float64Array => Float64Array.from(xs);

describe('ema', () => {
  it('optax test_ema: without debiasing', () => {
    const d = 0.9;
    const tx = ema({ decay: d, debias: false });
    const [m1, s1] = tx.update({ x: f64(5) }, tx.init({ x: f64(0) }));
    expect(m1.x[0]).toBeCloseTo((1 - d) * 5, 12);
    const [m2] = tx.update({ x: f64(7) }, s1);
    expect(m2.x[0]).toBeCloseTo((1 - d) * (7 + d * 5), 12);
  });

  it('optax test_ema_debias: the output is debiased, the stored average is not', () => {
    const d = 0.9;
    const tx = ema({ decay: d });
    const [m1, s1] = tx.update({ x: f64(5) }, tx.init({ x: f64(0) }));
    expect(m1.x[0]).toBeCloseTo(5, 12);
    const [m2, s2] = tx.update({ x: f64(7) }, s1);
    expect(m2.x[0]).toBeCloseTo(((1 - d) * 7 + d * (1 - d) * 5) / (1 - d ** 2), 12);
    expect((s2.ema as { x: Float64Array }).x[0]).toBeCloseTo((1 - d) * 7 + d * (1 - d) * 5, 12);
    expect(s2.count).toBe(2);
  });

  it('a constant input is returned exactly as itself by the debiased average (up to rounding), at every step', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 0.99, noNaN: true }), fc.double({ min: -100, max: 100, noNaN: true }), (decay, c) => {
        const tx = ema({ decay });
        let state = tx.init({ x: f64(0) });
        for (let k = 0; k < 5; k++) {
          const [m, s] = tx.update({ x: f64(c) }, state);
          expect(Math.abs((m.x[0] as number) - c)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(c)) * (k + 2) / (1 - decay));
          state = s;
        }
      }),
      { seed: 7401, numRuns: 100 },
    );
  });

  it('validates decay against debias, rejects unknown options, has a spec, is pure, compiles bit for bit', () => {
    expect(() => ema({ decay: 1 })).toThrow(HyperparameterError);
    expect(() => ema({ decay: 1 })).toThrow(/decay must be a number in \[0, 1\)/);
    expect(ema({ decay: 1, debias: false })).toBeDefined();
    expect(() => ema({ decay: -0.1, debias: false })).toThrow(HyperparameterError);
    expect(() => ema({ decay: 0.5, beta: 1 } as never)).toThrow(/beta/);
    expect(() => ema(undefined as never)).toThrow(HyperparameterError);
    expect(toSpec(ema({ decay: 0.9 }))).toEqual({ op: 'ema', decay: 0.9, debias: true });
    const params = { w: Float32Array.from([1, 2]), b: f64(3) };
    const g = { w: Float32Array.from([0.5, -1]), b: f64(2) };
    const gc = copyTree(g);
    const tx = ema({ decay: 0.8 });
    const s0 = tx.init(params);
    const before = structuredClone(s0);
    tx.update(g, s0);
    expect(sameBits(g, gc)).toBe(true);
    expect(s0).toEqual(before);
    const grads = Array.from({ length: 4 }, (_, i) => gradsLike(params, 50 + i, false));
    expect(compiledDifference(chain(ema({ decay: 0.8 }), scaleByLearningRate(0.1)), params, grads)).toBeUndefined();
    expect(compiledDifference(ema({ decay: 0.5, debias: false }), params, grads)).toBeUndefined();
  });
});

describe('ema: compiled == reference over random trees', () => {
  it('ema(random decay, debias) × random trees × steps (specials included)', () => {
    const arb = fc.record({ decay: fc.double({ min: 0, max: 0.999, noNaN: true }), debias: fc.boolean() }).map((o) => ({ tx: ema(o) as GradientTransformation<unknown>, spec: { ema: o } }));
    assertCompiledMatches(arb, 7411, 40);
  });
});
