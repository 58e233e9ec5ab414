/**
 * scaleByBelief (AdaBelief) against plain float64 JavaScript written from the paper's and
 * optax's formula, for 3 steps in float32 and float64.
 */
import { describe, expect, it } from 'vitest';
import { HyperparameterError } from '../../src/errors.js';
import { type ScaleByBeliefOptions, scaleByBelief } from '../../src/transforms/belief.js';
import { compiledDifference } from '../combine/compileCheck.js';
import { type DtypeCase, DTYPES, expectStepsMatch, GRADS, leafW, mixedDtypeInputs, runSteps } from './adaptiveSupport.js';

interface BeliefParams {
  readonly b1: number;
  readonly b2: number;
  readonly eps: number;
  readonly epsRoot: number;
  readonly nesterov: boolean;
}

function refBelief(o: BeliefParams, grads: readonly (readonly number[])[], dt: DtypeCase) {
  const n = grads[0]?.length ?? 0;
  let mu = new Array<number>(n).fill(0);
  let nu = new Array<number>(n).fill(0);
  const out: { u: number[]; mu: number[]; nu: number[] }[] = [];
  grads.forEach((raw, k) => {
    const t = k + 1;
    const g = raw.map(dt.round);
    const muNew = g.map((gi, i) => o.b1 * (mu[i] as number) + (1 - o.b1) * gi);
    const nuNew = g.map((gi, i) => o.b2 * (nu[i] as number) + (1 - o.b2) * (gi - (muNew[i] as number)) ** 2 + o.epsRoot);
    const u = g.map((gi, i) => {
      const m = muNew[i] as number;
      const mHat = o.nesterov ? (o.b1 * m) / (1 - o.b1 ** (t + 1)) + ((1 - o.b1) * gi) / (1 - o.b1 ** t) : m / (1 - o.b1 ** t);
      const sHat = (nuNew[i] as number) / (1 - o.b2 ** t);
      return dt.round(mHat / (Math.sqrt(sHat) + o.eps));
    });
    mu = muNew.map(dt.round);
    nu = nuNew.map(dt.round);
    out.push({ u, mu, nu });
  });
  return out;
}

describe('scaleByBelief', () => {
  const variants: readonly [string, ScaleByBeliefOptions, BeliefParams][] = [
    ['defaults', {}, { b1: 0.9, b2: 0.999, eps: 1e-16, epsRoot: 1e-16, nesterov: false }],
    ['nesterov', { nesterov: true }, { b1: 0.9, b2: 0.999, eps: 1e-16, epsRoot: 1e-16, nesterov: true }],
    ['b1 0.5, b2 0.9, eps 1e-8, epsRoot 0', { b1: 0.5, b2: 0.9, eps: 1e-8, epsRoot: 0 }, { b1: 0.5, b2: 0.9, eps: 1e-8, epsRoot: 0, nesterov: false }],
  ];
  for (const dt of DTYPES) {
    for (const [name, options, o] of variants) {
      it(`matches the formula for 3 steps (${name}, ${dt.name})`, () => {
        expectStepsMatch(runSteps(scaleByBelief(options), GRADS, dt), refBelief(o, GRADS, dt), dt, ['mu', 'nu']);
      });
    }
  }

  it('adds epsRoot into the stored second moment at every step', () => {
    const tx = scaleByBelief({ b2: 0.5, epsRoot: 1e-3 });
    const zero = { w: Float64Array.from([0]) };
    let [, state] = tx.update(zero, tx.init(zero));
    expect(leafW(state.nu)[0]).toBe(1e-3);
    [, state] = tx.update(zero, state);
    expect(leafW(state.nu)[0]).toBe(0.5 * 1e-3 + 1e-3);
  });

  it('measures the prediction error against the new first moment (g - μ_t, not g - μ_{t-1})', () => {
    // β₁ = β₂ = 0.5, g = 2: μ₁ = 1, s₁ = 0.5·(2 - 1)² = 0.5, m̂ = 2, ŝ = 1, so u = 2.
    // With the old μ₀ = 0 it would be s₁ = 2, ŝ = 4 and u = 1 (Adam's first step).
    const tx = scaleByBelief({ b1: 0.5, b2: 0.5, eps: 0, epsRoot: 0 });
    const [u, state] = tx.update({ w: Float64Array.from([2]) }, tx.init({ w: new Float64Array(1) }));
    expect(u.w[0]).toBe(2);
    expect(leafW(state.mu)[0]).toBe(1);
    expect(leafW(state.nu)[0]).toBe(0.5);
  });

  it('rejects out-of-range, non-finite and unknown options, naming them', () => {
    const cases: readonly [ScaleByBeliefOptions, string][] = [
      [{ b1: 1 }, 'b1'],
      [{ b1: -0.1 }, 'b1'],
      [{ b2: 1 }, 'b2'],
      [{ eps: -1 }, 'eps'],
      [{ epsRoot: Number.NaN }, 'epsRoot'],
      [{ nesterov: 1 as unknown as boolean }, 'nesterov'],
      [{ beta1: 0.9 } as ScaleByBeliefOptions, 'beta1'],
    ];
    for (const [options, parameter] of cases) {
      expect(() => scaleByBelief(options), JSON.stringify(options)).toThrow(HyperparameterError);
      expect(() => scaleByBelief(options)).toThrow(new RegExp(`^scaleByBelief: ${parameter} must be`));
    }
  });

  it('compiles to the same numbers as the reference', () => {
    const { params, grads } = mixedDtypeInputs();
    expect(compiledDifference(scaleByBelief({ nesterov: true }), params, grads)).toBeUndefined();
  });
});
