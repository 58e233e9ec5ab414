/**
 * scaleByOptimisticGradient: optax's test values, plain float64 JavaScript from the formula
 * for 3 steps in float32 and float64, validation.
 */
import { describe, expect, it } from 'vitest';
import { HyperparameterError } from '../../src/errors.js';
import { type ScaleByOptimisticGradientOptions, scaleByOptimisticGradient } from '../../src/transforms/optimistic.js';
import { compiledDifference } from '../combine/compileCheck.js';
import { type DtypeCase, DTYPES, expectClose, GRADS, leafW, mixedDtypeInputs, runSteps } from './adaptiveSupport.js';

function refOptimistic(alpha: number, beta: number, grads: readonly (readonly number[])[], dt: DtypeCase): number[][] {
  let prev: number[] | undefined;
  return grads.map((raw) => {
    const g = raw.map(dt.round);
    const before = prev ?? g;
    prev = g;
    return g.map((gi, i) => dt.round((alpha + beta) * gi - beta * (before[i] as number)));
  });
}

describe('scaleByOptimisticGradient', () => {
  it('gives optax\'s values: α = β = 1, gradients 2, 3, 4 → 2, 4, 5', () => {
    const tx = scaleByOptimisticGradient();
    let state = tx.init({ w: new Float64Array(1) });
    const out: number[] = [];
    for (const g of [2, 3, 4]) {
      const [u, next] = tx.update({ w: Float64Array.from([g]) }, state);
      out.push(u.w[0] as number);
      state = next;
    }
    expect(out).toEqual([2, 4, 5]);
  });

  for (const dt of DTYPES) {
    for (const [alpha, beta] of [
      [1, 1],
      [0.7, 0.1],
      [0.3, -2],
    ] as const) {
      it(`matches (α + β)g_t - βg_{t-1} for 3 steps (α ${String(alpha)}, β ${String(beta)}, ${dt.name})`, () => {
        const { updates, states } = runSteps(scaleByOptimisticGradient({ alpha, beta }), GRADS, dt);
        const ref = refOptimistic(alpha, beta, GRADS, dt);
        updates.forEach((u, k) => {
          expectClose(u, ref[k] ?? [], dt.rtol, `update ${String(k + 1)}`);
          expect(Array.from(leafW(states[k]?.previousGradient ?? {}))).toEqual((GRADS[k] ?? []).map(dt.round));
        });
      });
    }
  }

  it('uses the current gradient as the previous one on the first step (optax issue #1082)', () => {
    const tx = scaleByOptimisticGradient({ alpha: 0.5, beta: 3 });
    const [u] = tx.update({ w: Float64Array.from([2]) }, tx.init({ w: new Float64Array(1) }));
    expect(u.w[0]).toBe(3.5 * 2 - 3 * 2);
  });

  it('rejects non-finite and unknown options, naming them', () => {
    const cases: readonly [ScaleByOptimisticGradientOptions, string][] = [
      [{ alpha: Number.NaN }, 'alpha'],
      [{ beta: Number.POSITIVE_INFINITY }, 'beta'],
      [{ alpha: '1' as unknown as number }, 'alpha'],
      [{ optimism: 1 } as ScaleByOptimisticGradientOptions, 'optimism'],
    ];
    for (const [options, parameter] of cases) {
      expect(() => scaleByOptimisticGradient(options), JSON.stringify(options)).toThrow(HyperparameterError);
      expect(() => scaleByOptimisticGradient(options)).toThrow(new RegExp(`^scaleByOptimisticGradient: ${parameter} must be`));
    }
  });

  it('compiles to the same numbers as the reference', () => {
    const { params, grads } = mixedDtypeInputs();
    expect(compiledDifference(scaleByOptimisticGradient({ alpha: 0.7, beta: 0.1 }), params, grads)).toBeUndefined();
  });
});
