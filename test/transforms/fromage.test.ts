/**
 * fromageDecay: u = g + (1/√(1 + η²) - 1)·p, with a number and a schedule.
 */
import { describe, expect, it } from 'vitest';
import { HyperparameterError, MissingParamsError } from '../../src/errors.js';
import { fromageDecay, fromageMultiplier } from '../../src/transforms/fromage.js';
import { compiledDifference } from '../combine/compileCheck.js';
import { DTYPES, expectClose } from './adaptiveSupport.js';

describe('fromageDecay', () => {
  for (const dt of DTYPES) {
    it(`adds (1/√(1 + η²) - 1)·p for 3 steps (${dt.name})`, () => {
      const eta = 0.75; // 1/√(1 + 0.5625) = 0.8
      const tx = fromageDecay(eta);
      let state = tx.init({ w: dt.make([0, 0, 0]) });
      const ps = [
        [1, -2, 10],
        [0.5, 0, -3],
        [1e-3, 4, 2],
      ];
      const gs = [
        [0.1, 0.2, -0.3],
        [-1, 5, 0],
        [2, 2, 2],
      ];
      ps.forEach((p, k) => {
        const g = gs[k] ?? [];
        const [u, next] = tx.update({ w: dt.make(g) }, state, { w: dt.make(p) });
        const expected = g.map((gi, i) => dt.round(dt.round(gi) + (1 / Math.sqrt(1 + eta * eta) - 1) * dt.round(p[i] as number)));
        expectClose(u.w, expected, dt.rtol, `step ${String(k + 1)}`);
        state = next;
      });
    });
  }

  it('shrinks by exactly 1 - 1/√(1 + η²) of p, and not at all for η = 0', () => {
    expect(fromageMultiplier(0.75)).toBe(0.8);
    const params = { w: Float64Array.from([10]) };
    const tx = fromageDecay(0.75);
    expect(tx.update({ w: Float64Array.from([0]) }, tx.init(params), params)[0].w[0]).toBeCloseTo(-2, 14);
    const none = fromageDecay(0);
    expect(none.update({ w: Float64Array.from([1.5]) }, none.init(params), params)[0].w[0]).toBe(1.5);
  });

  it('evaluates a schedule at the count before the update', () => {
    const tx = fromageDecay((count) => (count === 0 ? 0.75 : 0));
    const params = { w: Float64Array.from([10]) };
    let state = tx.init(params);
    const [u1, s1] = tx.update({ w: Float64Array.from([0]) }, state, params);
    state = s1;
    const [u2] = tx.update({ w: Float64Array.from([0]) }, state, params);
    expect(u1.w[0]).toBeCloseTo(-2, 14);
    expect(u2.w[0]).toBe(0);
  });

  it('needs params, and rejects a learning rate that is not >= 0 (a schedule when it is used)', () => {
    const tx = fromageDecay(0.1);
    const g = { w: Float64Array.from([1]) };
    expect(() => tx.update(g, tx.init(g))).toThrow(MissingParamsError);
    expect(() => fromageDecay(-1)).toThrow(HyperparameterError);
    expect(() => fromageDecay(Number.NaN)).toThrow(/^fromageDecay: learningRate must be/);
    const bad = fromageDecay(() => -1);
    expect(() => bad.update(g, bad.init(g), g)).toThrow(/^fromageDecay: learningRate \(schedule at count 0\) must be/);
  });

  it('compiles to the same numbers as the reference', () => {
    const params = { a: Float32Array.from([1, -2, 3]), b: Float64Array.from([0.5, 0, -1]) };
    const grads = [1, 2].map((k) => ({ a: Float32Array.from([k, 0, -k]), b: Float64Array.from([0.1, k, 3]) }));
    expect(compiledDifference(fromageDecay((c) => 0.1 * (c + 1)), params, grads)).toBeUndefined();
  });
});
