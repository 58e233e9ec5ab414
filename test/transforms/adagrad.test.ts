import { describe, expect, it } from 'vitest';
import { HyperparameterError } from '../../src/errors.js';
import { type ScaleByRssOptions, scaleByRss } from '../../src/transforms/adagrad.js';
import { DTYPES, type DtypeCase, GRADS, expectClose, leafW, runSteps } from './adaptiveSupport.js';

interface RssRef {
  readonly initialAccumulatorValue: number;
  readonly eps: number;
  readonly epsInSqrt: boolean;
}

/** scale_by_rss written from its formula (optax's mask: 0 where the sum is 0). */
function refRss(o: RssRef, grads: readonly (readonly number[])[], dt: DtypeCase) {
  const n = grads[0]?.length ?? 0;
  let acc = new Array<number>(n).fill(dt.round(o.initialAccumulatorValue));
  const updates: number[][] = [];
  const sums: number[][] = [];
  for (const raw of grads) {
    const g = raw.map(dt.round);
    const s = g.map((gi, i) => (acc[i] as number) + gi * gi);
    const u = g.map((gi, i) => {
      const si = s[i] as number;
      if (!(si > 0)) return 0;
      return dt.round(o.epsInSqrt ? gi / Math.sqrt(si + o.eps) : gi / (Math.sqrt(si) + o.eps));
    });
    acc = s.map(dt.round);
    updates.push(u);
    sums.push(acc);
  }
  return { updates, sums };
}

const VARIANTS: readonly { readonly name: string; readonly options: ScaleByRssOptions; readonly ref: RssRef }[] = [
  { name: 'defaults (optax)', options: {}, ref: { initialAccumulatorValue: 0.1, eps: 1e-7, epsInSqrt: true } },
  {
    name: 'PyTorch (accumulator 0, eps 1e-10 outside)',
    options: { initialAccumulatorValue: 0, eps: 1e-10, epsInSqrt: false },
    ref: { initialAccumulatorValue: 0, eps: 1e-10, epsInSqrt: false },
  },
  {
    name: 'accumulator 0, eps inside',
    options: { initialAccumulatorValue: 0 },
    ref: { initialAccumulatorValue: 0, eps: 1e-7, epsInSqrt: true },
  },
];

describe('scaleByRss', () => {
  for (const dt of DTYPES) {
    for (const v of VARIANTS) {
      it(`matches the formula for 3 steps (${v.name}, ${dt.name})`, () => {
        const { updates, states } = runSteps(scaleByRss(v.options), GRADS, dt);
        const ref = refRss(v.ref, GRADS, dt);
        updates.forEach((u, k) => {
          expect(u).toBeInstanceOf(dt.name === 'float32' ? Float32Array : Float64Array);
          expectClose(u, ref.updates[k] ?? [], dt.rtol, `update ${String(k + 1)}`);
          expectClose(leafW(states[k]?.sumOfSquares ?? {}), ref.sums[k] ?? [], dt.rtol, `sum ${String(k + 1)}`);
        });
      });
    }
  }

  it('gives g/√(0.1 + g² + 1e-7) on the first step by default (worked value)', () => {
    const tx = scaleByRss();
    const [u] = tx.update({ w: Float64Array.from([3]) }, tx.init({ w: new Float64Array(1) }));
    expect(u.w[0]).toBeCloseTo(3 / Math.sqrt(9.1 + 1e-7), 15);
  });

  it('gives 0, not NaN, for a zero gradient on a zero accumulator (with eps 0 too)', () => {
    for (const options of [{ initialAccumulatorValue: 0, eps: 0 }, { initialAccumulatorValue: 0, eps: 0, epsInSqrt: false }]) {
      const tx = scaleByRss(options);
      const [u, s] = tx.update({ w: Float64Array.from([0, 2]) }, tx.init({ w: new Float64Array(2) }));
      expect(Array.from(u.w)).toEqual([0, 1]);
      expect(Array.from(leafW(s.sumOfSquares))).toEqual([0, 4]);
    }
  });

  it('propagates a NaN gradient (as optax does: 0·NaN)', () => {
    const tx = scaleByRss({ initialAccumulatorValue: 0 });
    const [u] = tx.update({ w: Float64Array.from([Number.NaN, 1]) }, tx.init({ w: new Float64Array(2) }));
    expect(u.w[0]).toBeNaN();
    expect(u.w[1]).toBeCloseTo(1 / Math.sqrt(1 + 1e-7), 15);
  });

  it('shrinks the steps as the squares accumulate', () => {
    const tx = scaleByRss();
    let state = tx.init({ w: new Float64Array(1) });
    let prev = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 10; i++) {
      const [u, next] = tx.update({ w: Float64Array.from([1]) }, state);
      expect(u.w[0]).toBeLessThan(prev);
      prev = u.w[0] as number;
      state = next;
    }
  });

  it('rejects out-of-range, non-finite and unknown options, naming them', () => {
    const cases: readonly [ScaleByRssOptions, string][] = [
      [{ initialAccumulatorValue: -0.1 }, 'initialAccumulatorValue'],
      [{ initialAccumulatorValue: Number.NaN }, 'initialAccumulatorValue'],
      [{ eps: -1 }, 'eps'],
      [{ eps: Number.POSITIVE_INFINITY }, 'eps'],
      [{ epsInSqrt: 0 as unknown as boolean }, 'epsInSqrt'],
      [{ initial_accumulator_value: 0 } as ScaleByRssOptions, 'initial_accumulator_value'],
    ];
    for (const [options, parameter] of cases) {
      expect(() => scaleByRss(options), JSON.stringify(options)).toThrow(HyperparameterError);
      expect(() => scaleByRss(options)).toThrow(new RegExp(`^scaleByRss: ${parameter} must be`));
    }
  });
});
