import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HyperparameterError } from '../../src/errors.js';
import { scaleByAdam } from '../../src/transforms/adam.js';
import { type ScaleByRmsOptions, scaleByRms, scaleByStddev } from '../../src/transforms/rms.js';
import { DTYPES, type DtypeCase, GRADS, expectClose, leafW, runSteps } from './adaptiveSupport.js';

interface RmsRef {
  readonly decay: number;
  readonly eps: number;
  readonly initialScale: number;
  readonly epsInSqrt: boolean;
  readonly biasCorrection: boolean;
}

const FULL: RmsRef = { decay: 0.9, eps: 1e-8, initialScale: 0, epsInSqrt: true, biasCorrection: false };

/** scale_by_rms written from its formula, storing state with the dtype's rounding. */
function refRms(o: RmsRef, grads: readonly (readonly number[])[], dt: DtypeCase) {
  const n = grads[0]?.length ?? 0;
  let nu = new Array<number>(n).fill(dt.round(o.initialScale));
  const updates: number[][] = [];
  const nus: number[][] = [];
  grads.forEach((raw, k) => {
    const t = k + 1;
    const g = raw.map(dt.round);
    const nuNew = g.map((gi, i) => o.decay * (nu[i] as number) + (1 - o.decay) * gi * gi);
    const u = g.map((gi, i) => {
      const v = o.biasCorrection ? (nuNew[i] as number) / (1 - o.decay ** t) : (nuNew[i] as number);
      return dt.round(o.epsInSqrt ? gi / Math.sqrt(v + o.eps) : gi / (Math.sqrt(v) + o.eps));
    });
    nu = nuNew.map(dt.round);
    updates.push(u);
    nus.push(nu);
  });
  return { updates, nus };
}

/** scale_by_stddev written from its formula. */
function refStddev(o: RmsRef, grads: readonly (readonly number[])[], dt: DtypeCase) {
  const n = grads[0]?.length ?? 0;
  let mu = new Array<number>(n).fill(0);
  let nu = new Array<number>(n).fill(dt.round(o.initialScale));
  const updates: number[][] = [];
  const mus: number[][] = [];
  const nus: number[][] = [];
  grads.forEach((raw, k) => {
    const t = k + 1;
    const g = raw.map(dt.round);
    const muNew = g.map((gi, i) => o.decay * (mu[i] as number) + (1 - o.decay) * gi);
    const nuNew = g.map((gi, i) => o.decay * (nu[i] as number) + (1 - o.decay) * gi * gi);
    const bc = o.biasCorrection ? 1 - o.decay ** t : 1;
    const u = g.map((gi, i) => {
      const m = (muNew[i] as number) / bc;
      const v = (nuNew[i] as number) / bc;
      const variance = v - m * m;
      return dt.round(o.epsInSqrt ? gi / Math.sqrt(variance + o.eps) : gi / (Math.sqrt(variance) + o.eps));
    });
    mu = muNew.map(dt.round);
    nu = nuNew.map(dt.round);
    updates.push(u);
    mus.push(mu);
    nus.push(nu);
  });
  return { updates, mus, nus };
}

const VARIANTS: readonly { readonly name: string; readonly options: ScaleByRmsOptions; readonly ref: RmsRef }[] = [
  { name: 'defaults', options: {}, ref: FULL },
  { name: 'PyTorch (eps outside, decay 0.99)', options: { decay: 0.99, epsInSqrt: false }, ref: { ...FULL, decay: 0.99, epsInSqrt: false } },
  { name: 'bias correction', options: { decay: 0.8, biasCorrection: true }, ref: { ...FULL, decay: 0.8, biasCorrection: true } },
  {
    name: 'initial scale 1, eps 1e-3, eps outside, bias correction',
    options: { initialScale: 1, eps: 1e-3, epsInSqrt: false, biasCorrection: true },
    ref: { ...FULL, initialScale: 1, eps: 1e-3, epsInSqrt: false, biasCorrection: true },
  },
];

describe('scaleByRms', () => {
  for (const dt of DTYPES) {
    for (const v of VARIANTS) {
      it(`matches the formula for 3 steps (${v.name}, ${dt.name})`, () => {
        const { updates, states } = runSteps(scaleByRms(v.options), GRADS, dt);
        const ref = refRms(v.ref, GRADS, dt);
        updates.forEach((u, k) => {
          expect(u).toBeInstanceOf(dt.name === 'float32' ? Float32Array : Float64Array);
          expectClose(u, ref.updates[k] ?? [], dt.rtol, `update ${String(k + 1)}`);
          expectClose(leafW(states[k]?.nu ?? {}), ref.nus[k] ?? [], dt.rtol, `nu ${String(k + 1)}`);
          expect(states[k]?.count).toBe(k + 1);
        });
      });
    }
  }

  it('gives g/√(0.1·g² + 1e-8) on the first step by default (worked values)', () => {
    const [u] = scaleByRms().update({ w: Float64Array.from([1, -2, 0]) }, scaleByRms().init({ w: new Float64Array(3) }));
    expect(u.w[0]).toBeCloseTo(1 / Math.sqrt(0.1 + 1e-8), 14);
    expect(u.w[1]).toBeCloseTo(-2 / Math.sqrt(0.4 + 1e-8), 14);
    expect(u.w[2]).toBe(0);
  });

  it('starts ν at initialScale in the dtype and shape of the params', () => {
    const s = scaleByRms({ initialScale: 0.5 }).init({ a: { shape: [2, 1], data: new Float32Array(2) } });
    expect(s.nu).toEqual({ a: { shape: [2, 1], data: new Float32Array([0.5, 0.5]) } });
    expect(s.count).toBe(0);
  });

  it('with epsInSqrt false and bias correction equals scaleByAdam with b1 = 0 (optax note)', () => {
    const gradSeq = fc.array(fc.array(fc.double({ min: -50, max: 50, noNaN: true }), { minLength: 4, maxLength: 4 }), {
      minLength: 1,
      maxLength: 6,
    });
    fc.assert(
      fc.property(gradSeq, fc.double({ min: 0.5, max: 0.999, noNaN: true }), (seq, b2) => {
        const rms = scaleByRms({ decay: b2, epsInSqrt: false, biasCorrection: true });
        const adam = scaleByAdam({ b1: 0, b2 });
        const params = { w: new Float64Array(4) };
        let sr = rms.init(params);
        let sa = adam.init(params);
        for (const g of seq) {
          const [ur, nr] = rms.update({ w: Float64Array.from(g) }, sr);
          const [ua, na] = adam.update({ w: Float64Array.from(g) }, sa);
          expectClose(ur.w, Array.from(ua.w), 1e-13, 'rms vs adam');
          sr = nr;
          sa = na;
        }
      }),
      { seed: 20240611, numRuns: 100 },
    );
  });

  it('does not modify its inputs', () => {
    const tx = scaleByRms();
    const g = { w: Float64Array.from([1, 2]) };
    const s0 = tx.init(g);
    tx.update(g, s0);
    expect(g.w).toEqual(Float64Array.from([1, 2]));
    expect(leafW(s0.nu)).toEqual(new Float64Array(2));
  });
});

describe('scaleByStddev', () => {
  for (const dt of DTYPES) {
    for (const v of VARIANTS) {
      it(`matches the centered formula for 3 steps (${v.name}, ${dt.name})`, () => {
        const { updates, states } = runSteps(scaleByStddev(v.options), GRADS, dt);
        const ref = refStddev(v.ref, GRADS, dt);
        // ν̂ - μ̂² cancels (exactly to 0 on a bias-corrected first step), which magnifies the
        // last-ulp differences of operation order by up to ~100× in the update.
        const rtolUpdate = Math.max(dt.rtol, 1e-12);
        updates.forEach((u, k) => {
          expectClose(u, ref.updates[k] ?? [], rtolUpdate, `update ${String(k + 1)}`);
          expectClose(leafW(states[k]?.mu ?? {}), ref.mus[k] ?? [], dt.rtol, `mu ${String(k + 1)}`);
          expectClose(leafW(states[k]?.nu ?? {}), ref.nus[k] ?? [], dt.rtol, `nu ${String(k + 1)}`);
        });
      });
    }
  }

  it('divides by √(ρ(1-ρ)g² + ε) on the first step (worked value)', () => {
    const tx = scaleByStddev({ decay: 0.9 });
    const [u] = tx.update({ w: Float64Array.from([2]) }, tx.init({ w: new Float64Array(1) }));
    // ν - μ² = 0.1·4 - 0.04·... = 0.4 - 0.04 = 0.36
    expect(u.w[0]).toBeCloseTo(2 / Math.sqrt(0.36 + 1e-8), 14);
  });

  it('differs from the uncentered scaler once the mean is non-zero', () => {
    const g = { w: Float64Array.from([3]) };
    const a = scaleByRms().update(g, scaleByRms().init(g))[0].w[0] as number;
    const b = scaleByStddev().update(g, scaleByStddev().init(g))[0].w[0] as number;
    expect(b).toBeGreaterThan(a);
  });
});

describe('RMS option validation', () => {
  const ctors = [
    ['scaleByRms', scaleByRms],
    ['scaleByStddev', scaleByStddev],
  ] as const;
  for (const [name, ctor] of ctors) {
    it(`${name} rejects out-of-range, non-finite and unknown options, naming them`, () => {
      const cases: readonly [ScaleByRmsOptions, string][] = [
        [{ decay: -0.1 }, 'decay'],
        [{ decay: 1.5 }, 'decay'],
        [{ decay: Number.NaN }, 'decay'],
        [{ decay: 1, biasCorrection: true }, 'decay'],
        [{ eps: -1e-8 }, 'eps'],
        [{ eps: Number.POSITIVE_INFINITY }, 'eps'],
        [{ initialScale: -1 }, 'initialScale'],
        [{ epsInSqrt: 'no' as unknown as boolean }, 'epsInSqrt'],
        [{ biasCorrection: 1 as unknown as boolean }, 'biasCorrection'],
        [{ alpha: 0.99 } as ScaleByRmsOptions, 'alpha'],
      ];
      for (const [options, parameter] of cases) {
        let err: unknown;
        try {
          ctor(options);
        } catch (e) {
          err = e;
        }
        expect(err, JSON.stringify(options)).toBeInstanceOf(HyperparameterError);
        expect((err as HyperparameterError).owner).toBe(name);
        expect((err as HyperparameterError).parameter).toBe(parameter);
      }
    });

    it(`${name} accepts decay 1 without bias correction and decay 0`, () => {
      expect(() => ctor({ decay: 1 })).not.toThrow();
      expect(() => ctor({ decay: 0, eps: 0 })).not.toThrow();
    });
  }
});
