/**
 * scaleByYogi against plain float64 JavaScript written from the paper's and optax's formula,
 * for 3 steps in float32 and float64.
 */
import { describe, expect, it } from 'vitest';
import { HyperparameterError } from '../../src/errors.js';
import { type ScaleByYogiOptions, scaleByYogi } from '../../src/transforms/yogi.js';
import { compiledDifference } from '../combine/compileCheck.js';
import { type DtypeCase, DTYPES, expectStepsMatch, GRADS, leafW, mixedDtypeInputs, runSteps } from './adaptiveSupport.js';

interface YogiParams {
  readonly b1: number;
  readonly b2: number;
  readonly eps: number;
  readonly epsRoot: number;
  readonly init: number;
}

function refYogi(o: YogiParams, grads: readonly (readonly number[])[], dt: DtypeCase) {
  const n = grads[0]?.length ?? 0;
  let mu = new Array<number>(n).fill(dt.round(o.init));
  let nu = new Array<number>(n).fill(dt.round(o.init));
  const out: { u: number[]; mu: number[]; nu: number[] }[] = [];
  grads.forEach((raw, k) => {
    const t = k + 1;
    const g = raw.map(dt.round);
    const muNew = g.map((gi, i) => o.b1 * (mu[i] as number) + (1 - o.b1) * gi);
    const nuNew = g.map((gi, i) => {
      const v = nu[i] as number;
      return v - (1 - o.b2) * Math.sign(v - gi * gi) * gi * gi;
    });
    const u = g.map((_, i) => {
      const mHat = (muNew[i] as number) / (1 - o.b1 ** t);
      const vHat = (nuNew[i] as number) / (1 - o.b2 ** t);
      return dt.round(mHat / (Math.sqrt(vHat + o.epsRoot) + o.eps));
    });
    mu = muNew.map(dt.round);
    nu = nuNew.map(dt.round);
    out.push({ u, mu, nu });
  });
  return out;
}

describe('scaleByYogi', () => {
  const variants: readonly [string, ScaleByYogiOptions, YogiParams][] = [
    ['defaults', {}, { b1: 0.9, b2: 0.999, eps: 1e-3, epsRoot: 0, init: 1e-6 }],
    ['b1 0.5, b2 0.9, eps 1e-8, epsRoot 1e-6, init 0.5', { b1: 0.5, b2: 0.9, eps: 1e-8, epsRoot: 1e-6, initialAccumulatorValue: 0.5 }, { b1: 0.5, b2: 0.9, eps: 1e-8, epsRoot: 1e-6, init: 0.5 }],
  ];
  for (const dt of DTYPES) {
    for (const [name, options, o] of variants) {
      it(`matches the formula for 3 steps (${name}, ${dt.name})`, () => {
        expectStepsMatch(runSteps(scaleByYogi(options), GRADS, dt), refYogi(o, GRADS, dt), dt, ['mu', 'nu']);
      });
    }
  }

  it('starts both moments at initialAccumulatorValue (optax)', () => {
    const state = scaleByYogi({ initialAccumulatorValue: 0.25 }).init({ w: new Float64Array(3) });
    expect(Array.from(leafW(state.mu))).toEqual([0.25, 0.25, 0.25]);
    expect(Array.from(leafW(state.nu))).toEqual([0.25, 0.25, 0.25]);
  });

  it('moves the second moment by exactly (1 - β₂)·g² a step, towards g²', () => {
    const tx = scaleByYogi({ b2: 0.5, initialAccumulatorValue: 1 });
    const [, up] = tx.update({ w: Float64Array.from([4]) }, tx.init({ w: new Float64Array(1) }));
    expect(leafW(up.nu)[0]).toBe(1 + 0.5 * 16); // ν < g²: grows by (1 - β₂)g² (Adam would give 0.5 + 8)
    const [, down] = tx.update({ w: Float64Array.from([0.5]) }, tx.init({ w: new Float64Array(1) }));
    expect(leafW(down.nu)[0]).toBe(1 - 0.5 * 0.25);
  });

  it('rejects out-of-range, non-finite and unknown options, naming them', () => {
    const cases: readonly [ScaleByYogiOptions, string][] = [
      [{ b1: 1 }, 'b1'],
      [{ b2: -0.5 }, 'b2'],
      [{ eps: -1 }, 'eps'],
      [{ epsRoot: Number.POSITIVE_INFINITY }, 'epsRoot'],
      [{ initialAccumulatorValue: 0 }, 'initialAccumulatorValue'],
      [{ initialAccumulatorValue: -1 }, 'initialAccumulatorValue'],
      [{ initial_accumulator_value: 1 } as ScaleByYogiOptions, 'initial_accumulator_value'],
    ];
    for (const [options, parameter] of cases) {
      expect(() => scaleByYogi(options), JSON.stringify(options)).toThrow(HyperparameterError);
      expect(() => scaleByYogi(options)).toThrow(new RegExp(`^scaleByYogi: ${parameter} must be`));
    }
  });

  it('compiles to the same numbers as the reference', () => {
    const { params, grads } = mixedDtypeInputs();
    expect(compiledDifference(scaleByYogi(), params, grads)).toBeUndefined();
  });
});
