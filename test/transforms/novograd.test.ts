/**
 * scaleByNovograd against plain float64 JavaScript written from the paper's and optax's
 * formula (one second moment per leaf), for 3 steps in float32 and float64.
 */
import { describe, expect, it } from 'vitest';
import { HyperparameterError, MissingParamsError } from '../../src/errors.js';
import { type ScaleByNovogradOptions, scaleByNovograd } from '../../src/transforms/novograd.js';
import type { FloatArray } from '../../src/tree/leaf.js';
import { compiledDifference } from '../combine/compileCheck.js';
import { DTYPES, type DtypeCase, expectClose } from './adaptiveSupport.js';

interface NovogradParams {
  readonly b1: number;
  readonly b2: number;
  readonly eps: number;
  readonly epsRoot: number;
  readonly wd: number;
}

/** One leaf's trajectory: optax keeps `nu` as one number per leaf. */
function refLeaf(o: NovogradParams, params: readonly (readonly number[])[], grads: readonly (readonly number[])[], dt: DtypeCase) {
  let nu = 0;
  let mu = new Array<number>(grads[0]?.length ?? 0).fill(0);
  return grads.map((raw, k) => {
    const g = raw.map(dt.round);
    const p = (params[k] ?? []).map(dt.round);
    const normSquared = Math.sqrt(g.reduce((a, v) => a + v * v, 0)) ** 2;
    const nuNew = k === 0 ? normSquared : o.b2 * nu + (1 - o.b2) * normSquared;
    const a = g.map((gi, i) => gi / (Math.sqrt(nuNew + o.epsRoot) + o.eps) + o.wd * (p[i] as number));
    const muNew = k === 0 ? a : a.map((ai, i) => o.b1 * (mu[i] as number) + ai);
    nu = dt.round(nuNew);
    mu = muNew.map(dt.round);
    return { u: mu, mu, nu };
  });
}

const GRADS = {
  a: [
    [1, -2, 0.5],
    [0.25, 4, -1],
    [-3, 0, 1e-3],
  ],
  b: [
    [10, 0],
    [-0.1, 0.2],
    [5, 5],
  ],
};
const PARAMS = {
  a: [
    [1, 2, 3],
    [0.9, 1.9, 3.1],
    [0.8, 1.7, 3],
  ],
  b: [
    [-1, 0],
    [-1.5, 0.5],
    [0, 0],
  ],
};

describe('scaleByNovograd', () => {
  const variants: readonly [string, ScaleByNovogradOptions, NovogradParams][] = [
    ['defaults', {}, { b1: 0.9, b2: 0.25, eps: 1e-8, epsRoot: 0, wd: 0 }],
    ['b1 0.5, b2 0.9, eps 1e-6, epsRoot 1e-4, weightDecay 0.1', { b1: 0.5, b2: 0.9, eps: 1e-6, epsRoot: 1e-4, weightDecay: 0.1 }, { b1: 0.5, b2: 0.9, eps: 1e-6, epsRoot: 1e-4, wd: 0.1 }],
  ];
  for (const dt of DTYPES) {
    for (const [name, options, o] of variants) {
      it(`matches the per-leaf formula for 3 steps (${name}, ${dt.name})`, () => {
        const tx = scaleByNovograd(options);
        let state = tx.init({ a: dt.make([0, 0, 0]), b: dt.make([0, 0]) });
        const ref = { a: refLeaf(o, PARAMS.a, GRADS.a, dt), b: refLeaf(o, PARAMS.b, GRADS.b, dt) };
        for (let k = 0; k < 3; k++) {
          const params = { a: dt.make(PARAMS.a[k] ?? []), b: dt.make(PARAMS.b[k] ?? []) };
          const [u, next] = tx.update({ a: dt.make(GRADS.a[k] ?? []), b: dt.make(GRADS.b[k] ?? []) }, state, params);
          for (const leaf of ['a', 'b'] as const) {
            const r = ref[leaf][k] as { u: number[]; mu: number[]; nu: number };
            expectClose(u[leaf], r.u, dt.rtol, `${leaf} update ${String(k + 1)}`);
            expectClose((next.mu as Record<string, FloatArray>)[leaf] ?? [], r.mu, dt.rtol, `${leaf} mu ${String(k + 1)}`);
            // nu: the leaf's one value, held by every element of the leaf.
            const nu = (next.nu as Record<string, FloatArray>)[leaf] ?? new Float64Array(0);
            expectClose(nu, new Array<number>(nu.length).fill(r.nu), dt.rtol, `${leaf} nu ${String(k + 1)}`);
          }
          state = next;
        }
      });
    }
  }

  it('sets ν to ‖g‖² and μ to the normalised gradient on the first step (no 1 - β₁ factor)', () => {
    const tx = scaleByNovograd({ eps: 0 });
    const params = { w: Float64Array.from([0, 0]) };
    const [u, state] = tx.update({ w: Float64Array.from([3, 4]) }, tx.init(params), params);
    expect(Array.from((state.nu as { w: Float64Array }).w)).toEqual([25, 25]);
    expect(Array.from(u.w)).toEqual([0.6, 0.8]);
    // Second step, same gradient: ν = 0.25·25 + 0.75·25 = 25, μ = 0.9·μ + g/5.
    const [v] = tx.update({ w: Float64Array.from([3, 4]) }, state, params);
    expect(v.w[0]).toBeCloseTo(0.9 * 0.6 + 0.6, 15);
  });

  it('needs params even without weight decay (as optax)', () => {
    const tx = scaleByNovograd();
    const g = { w: Float64Array.from([1]) };
    expect(() => tx.update(g, tx.init(g))).toThrow(MissingParamsError);
  });

  it('rejects out-of-range, non-finite and unknown options, naming them', () => {
    const cases: readonly [ScaleByNovogradOptions, string][] = [
      [{ b1: 1.5 }, 'b1'],
      [{ b2: -0.1 }, 'b2'],
      [{ eps: -1 }, 'eps'],
      [{ epsRoot: Number.NaN }, 'epsRoot'],
      [{ weightDecay: -1e-4 }, 'weightDecay'],
      [{ mu_dtype: 'float32' } as ScaleByNovogradOptions, 'mu_dtype'],
    ];
    for (const [options, parameter] of cases) {
      expect(() => scaleByNovograd(options), JSON.stringify(options)).toThrow(HyperparameterError);
      expect(() => scaleByNovograd(options)).toThrow(new RegExp(`^scaleByNovograd: ${parameter} must be`));
    }
  });

  it('compiles to the same numbers as the reference', () => {
    const params = { a: Float32Array.from([1, -2, 3]), b: Float64Array.from([0.5, 0, -1, 2]) };
    const grads = [0, 1, 2].map((k) => ({ a: Float32Array.from([k, -1, 0.5]), b: Float64Array.from([0.1, k, 3, -k]) }));
    expect(compiledDifference(scaleByNovograd({ weightDecay: 0.01 }), params, grads)).toBeUndefined();
  });
});
