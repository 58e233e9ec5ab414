import { describe, expect, it } from 'vitest';
import { HyperparameterError } from '../../src/errors.js';
import { type ScaleByAdadeltaOptions, scaleByAdadelta } from '../../src/transforms/adadelta.js';
import { DTYPES, type DtypeCase, GRADS, expectClose, leafW, runSteps } from './adaptiveSupport.js';

/** scale_by_adadelta written from Zeiler's Algorithm 1. */
function refAdadelta(rho: number, eps: number, grads: readonly (readonly number[])[], dt: DtypeCase) {
  const n = grads[0]?.length ?? 0;
  let eg = new Array<number>(n).fill(0);
  let ex = new Array<number>(n).fill(0);
  const updates: number[][] = [];
  const egs: number[][] = [];
  const exs: number[][] = [];
  for (const raw of grads) {
    const g = raw.map(dt.round);
    const egNew = g.map((gi, i) => rho * (eg[i] as number) + (1 - rho) * gi * gi);
    const delta = g.map((gi, i) => (Math.sqrt((ex[i] as number) + eps) / Math.sqrt((egNew[i] as number) + eps)) * gi);
    const exNew = delta.map((d, i) => rho * (ex[i] as number) + (1 - rho) * d * d);
    eg = egNew.map(dt.round);
    ex = exNew.map(dt.round);
    updates.push(delta.map(dt.round));
    egs.push(eg);
    exs.push(ex);
  }
  return { updates, egs, exs };
}

describe('scaleByAdadelta', () => {
  const variants: readonly [string, ScaleByAdadeltaOptions, number, number][] = [
    ['defaults', {}, 0.9, 1e-6],
    ['rho 0.95, eps 1e-4', { rho: 0.95, eps: 1e-4 }, 0.95, 1e-4],
  ];
  for (const dt of DTYPES) {
    for (const [name, options, rho, eps] of variants) {
      it(`matches the formula for 3 steps (${name}, ${dt.name})`, () => {
        const { updates, states } = runSteps(scaleByAdadelta(options), GRADS, dt);
        const ref = refAdadelta(rho, eps, GRADS, dt);
        updates.forEach((u, k) => {
          expect(u).toBeInstanceOf(dt.name === 'float32' ? Float32Array : Float64Array);
          expectClose(u, ref.updates[k] ?? [], dt.rtol, `update ${String(k + 1)}`);
          expectClose(leafW(states[k]?.eG ?? {}), ref.egs[k] ?? [], dt.rtol, `eG ${String(k + 1)}`);
          expectClose(leafW(states[k]?.eX ?? {}), ref.exs[k] ?? [], dt.rtol, `eX ${String(k + 1)}`);
        });
      });
    }
  }

  it('takes a first step of √ε/√(0.1·g² + ε)·g (worked value)', () => {
    const tx = scaleByAdadelta();
    const [u, s] = tx.update({ w: Float64Array.from([2]) }, tx.init({ w: new Float64Array(1) }));
    const d = (Math.sqrt(1e-6) / Math.sqrt(0.4 + 1e-6)) * 2;
    expect(u.w[0]).toBeCloseTo(d, 15);
    expect(leafW(s.eX)[0]).toBeCloseTo(0.1 * d * d, 18);
  });

  it('rejects out-of-range, non-finite and unknown options, naming them', () => {
    const cases: readonly [ScaleByAdadeltaOptions, string][] = [
      [{ rho: -0.5 }, 'rho'],
      [{ rho: 1.01 }, 'rho'],
      [{ rho: Number.NaN }, 'rho'],
      [{ eps: -1e-6 }, 'eps'],
      [{ eps: Number.NEGATIVE_INFINITY }, 'eps'],
      [{ epsilon: 1e-6 } as ScaleByAdadeltaOptions, 'epsilon'],
    ];
    for (const [options, parameter] of cases) {
      expect(() => scaleByAdadelta(options), JSON.stringify(options)).toThrow(HyperparameterError);
      expect(() => scaleByAdadelta(options)).toThrow(new RegExp(`^scaleByAdadelta: ${parameter} must be`));
    }
  });
});
