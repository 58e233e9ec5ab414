/**
 * scaleByAdan against plain float64 JavaScript written from the paper's Algorithm 1 and
 * optax's formula, for 3 steps in float32 and float64.
 */
import { describe, expect, it } from 'vitest';
import { HyperparameterError } from '../../src/errors.js';
import { type ScaleByAdanOptions, scaleByAdan } from '../../src/transforms/adan.js';
import { compiledDifference } from '../combine/compileCheck.js';
import { type DtypeCase, DTYPES, expectStepsMatch, GRADS, leafW, mixedDtypeInputs, runSteps } from './adaptiveSupport.js';

interface AdanParams {
  readonly b1: number;
  readonly b2: number;
  readonly b3: number;
  readonly eps: number;
  readonly epsRoot: number;
}

interface AdanStep {
  readonly u: number[];
  readonly m: number[];
  readonly v: number[];
  readonly n: number[];
  readonly gPrev: number[];
}

function refAdan(o: AdanParams, grads: readonly (readonly number[])[], dt: DtypeCase): AdanStep[] {
  const size = grads[0]?.length ?? 0;
  let m = new Array<number>(size).fill(0);
  let v = new Array<number>(size).fill(0);
  let n = new Array<number>(size).fill(0);
  let prev = new Array<number>(size).fill(0);
  const out: AdanStep[] = [];
  grads.forEach((raw, k) => {
    const t = k + 1;
    const g = raw.map(dt.round);
    const d = g.map((gi, i) => (t === 1 ? 0 : gi - (prev[i] as number)));
    const mNew = g.map((gi, i) => o.b1 * (m[i] as number) + (1 - o.b1) * gi);
    const vNew = d.map((di, i) => o.b2 * (v[i] as number) + (1 - o.b2) * di);
    const nNew = g.map((gi, i) => o.b3 * (n[i] as number) + (1 - o.b3) * (gi + (1 - o.b2) * (d[i] as number)) ** 2);
    const u = g.map((_, i) => {
      const mHat = (mNew[i] as number) / (1 - o.b1 ** t);
      const vHat = (vNew[i] as number) / (1 - o.b2 ** t);
      const nHat = (nNew[i] as number) / (1 - o.b3 ** t);
      return dt.round((mHat + (1 - o.b2) * vHat) / (Math.sqrt(nHat + o.epsRoot) + o.eps));
    });
    m = mNew.map(dt.round);
    v = vNew.map(dt.round);
    n = nNew.map(dt.round);
    prev = g;
    out.push({ u, m, v, n, gPrev: g });
  });
  return out;
}

describe('scaleByAdan', () => {
  const variants: readonly [string, ScaleByAdanOptions, AdanParams][] = [
    ['defaults', {}, { b1: 0.98, b2: 0.92, b3: 0.99, eps: 1e-8, epsRoot: 0 }],
    ['b1 0.9, b2 0.5, b3 0.8, epsRoot 1e-8', { b1: 0.9, b2: 0.5, b3: 0.8, epsRoot: 1e-8 }, { b1: 0.9, b2: 0.5, b3: 0.8, eps: 1e-8, epsRoot: 1e-8 }],
  ];
  for (const dt of DTYPES) {
    for (const [name, options, o] of variants) {
      it(`matches the formula for 3 steps (${name}, ${dt.name})`, () => {
        const run = runSteps(scaleByAdan(options), GRADS, dt);
        const ref = refAdan(o, GRADS, dt);
        expectStepsMatch(run, ref, dt, ['m', 'v', 'n']);
        run.states.forEach((s, k) => {
          expect(Array.from(leafW(s.gPrev)), `gPrev ${String(k + 1)}`).toEqual(ref[k]?.gPrev);
        });
      });
    }
  }

  it('takes no gradient difference on the first step (v stays 0) and stores the gradient', () => {
    const tx = scaleByAdan({ epsRoot: 0, eps: 0 });
    const g = { w: Float64Array.from([3, -4]) };
    const [u, state] = tx.update(g, tx.init(g));
    expect(Array.from(leafW(state.v))).toEqual([0, 0]);
    expect(Array.from(leafW(state.gPrev))).toEqual([3, -4]);
    // m̂ = g, n̂ = g², so the first step is sign(g) (up to the rounding of the corrections).
    expect(u.w[0]).toBeCloseTo(1, 14);
    expect(u.w[1]).toBeCloseTo(-1, 14);
  });

  it('rejects out-of-range, non-finite and unknown options, naming them', () => {
    const cases: readonly [ScaleByAdanOptions, string][] = [
      [{ b1: 1 }, 'b1'],
      [{ b2: -0.1 }, 'b2'],
      [{ b3: Number.NaN }, 'b3'],
      [{ eps: -1 }, 'eps'],
      [{ epsRoot: Number.POSITIVE_INFINITY }, 'epsRoot'],
      [{ beta3: 0.9 } as ScaleByAdanOptions, 'beta3'],
    ];
    for (const [options, parameter] of cases) {
      expect(() => scaleByAdan(options), JSON.stringify(options)).toThrow(HyperparameterError);
      expect(() => scaleByAdan(options)).toThrow(new RegExp(`^scaleByAdan: ${parameter} must be`));
    }
  });

  it('compiles to the same numbers as the reference', () => {
    const { params, grads } = mixedDtypeInputs();
    expect(compiledDifference(scaleByAdan({ epsRoot: 1e-8 }), params, grads)).toBeUndefined();
  });
});
