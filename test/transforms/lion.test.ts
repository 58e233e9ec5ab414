import { describe, expect, it } from 'vitest';
import { HyperparameterError } from '../../src/errors.js';
import { type LionMode, type ScaleByLionOptions, scaleByLion } from '../../src/transforms/lion.js';
import { DTYPES, type DtypeCase, GRADS, expectClose, leafW, runSteps } from './adaptiveSupport.js';

/** Lion written from the paper's Program 1, with optax's smooth and refined modes. */
function refLion(b1: number, b2: number, mode: LionMode, beta: number, grads: readonly (readonly number[])[], dt: DtypeCase) {
  const n = grads[0]?.length ?? 0;
  let mu = new Array<number>(n).fill(0);
  const updates: number[][] = [];
  const mus: number[][] = [];
  for (const raw of grads) {
    const g = raw.map(dt.round);
    const u = g.map((gi, i) => {
      const x = (1 - b1) * gi + b1 * (mu[i] as number);
      if (mode === 'hard') return Math.sign(x);
      if (mode === 'smooth') return dt.round(Math.tanh(beta * x));
      return dt.round(Math.abs(x) < 1 ? x : Math.sign(x));
    });
    mu = g.map((gi, i) => dt.round(b2 * (mu[i] as number) + (1 - b2) * gi));
    updates.push(u);
    mus.push(mu);
  }
  return { updates, mus };
}

describe('scaleByLion', () => {
  const variants: readonly [string, ScaleByLionOptions, number, number, LionMode, number][] = [
    ['defaults (hard)', {}, 0.9, 0.99, 'hard', 1],
    ['b1 0.5, b2 0.9', { b1: 0.5, b2: 0.9 }, 0.5, 0.9, 'hard', 1],
    ['smooth, beta 3', { mode: 'smooth', smoothBeta: 3 }, 0.9, 0.99, 'smooth', 3],
    ['refined', { mode: 'refined' }, 0.9, 0.99, 'refined', 1],
  ];
  for (const dt of DTYPES) {
    for (const [name, options, b1, b2, mode, beta] of variants) {
      it(`matches the formula for 3 steps (${name}, ${dt.name})`, () => {
        const { updates, states } = runSteps(scaleByLion(options), GRADS, dt);
        const ref = refLion(b1, b2, mode, beta, GRADS, dt);
        updates.forEach((u, k) => {
          expect(u).toBeInstanceOf(dt.name === 'float32' ? Float32Array : Float64Array);
          expectClose(u, ref.updates[k] ?? [], dt.rtol, `update ${String(k + 1)}`);
          expectClose(leafW(states[k]?.mu ?? {}), ref.mus[k] ?? [], dt.rtol, `mu ${String(k + 1)}`);
        });
      });
    }
  }

  it('uses the momentum from before the step: sign((1-β₁)g + β₁μ_old), then updates μ', () => {
    const tx = scaleByLion({ b1: 0.9, b2: 0.5 });
    let state = tx.init({ w: new Float64Array(1) });
    // Step 1: μ_old = 0, so u = sign(0.1·1) = 1; μ becomes 0.5.
    let [u, next] = tx.update({ w: Float64Array.from([1]) }, state);
    expect(u.w[0]).toBe(1);
    expect(leafW(next.mu)[0]).toBe(0.5);
    state = next;
    // Step 2: x = 0.1·(-4) + 0.9·0.5 = 0.05 > 0, so u = +1 although g < 0 (the new μ would be -1.75).
    [u, next] = tx.update({ w: Float64Array.from([-4]) }, state);
    expect(u.w[0]).toBe(1);
    expect(leafW(next.mu)[0]).toBe(-1.75);
  });

  it('emits 0 where the interpolation is 0', () => {
    const tx = scaleByLion();
    const [u] = tx.update({ w: Float64Array.from([0, 3, -3]) }, tx.init({ w: new Float64Array(3) }));
    expect(Array.from(u.w)).toEqual([0, 1, -1]);
  });

  it('rejects out-of-range, non-finite and unknown options, naming them', () => {
    const cases: readonly [ScaleByLionOptions, string][] = [
      [{ b1: -0.1 }, 'b1'],
      [{ b1: 1.5 }, 'b1'],
      [{ b2: Number.NaN }, 'b2'],
      [{ b2: 2 }, 'b2'],
      [{ mode: 'soft' as LionMode }, 'mode'],
      [{ smoothBeta: 0 }, 'smoothBeta'],
      [{ smoothBeta: Number.POSITIVE_INFINITY }, 'smoothBeta'],
      [{ beta1: 0.9 } as ScaleByLionOptions, 'beta1'],
    ];
    for (const [options, parameter] of cases) {
      expect(() => scaleByLion(options), JSON.stringify(options)).toThrow(HyperparameterError);
      expect(() => scaleByLion(options)).toThrow(new RegExp(`^scaleByLion: ${parameter} must be`));
    }
  });
});
