import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { HyperparameterError, InvalidTreeError } from '../../src/errors.js';
import { tensor } from '../../src/tree/leaf.js';
import { globalNorm } from '../../src/tree/norm.js';
import { type Tree, flatten } from '../../src/tree/tree.js';
import { clipByGlobalNorm } from '../../src/transforms/clipping.js';
import { allValues, build, seededFill, skeleton } from '../helpers/arbitraries.js';

/** The same norms computed the long way: one array of every element, then reduce. */
function naive(tree: Tree, ord: 1 | 2 | typeof Infinity): number {
  const xs = allValues(tree);
  if (ord === 1) return xs.reduce((s, x) => s + Math.abs(x), 0);
  if (ord === 2) return Math.sqrt(xs.reduce((s, x) => s + x * x, 0));
  return xs.reduce((m, x) => (Number.isNaN(m) || Number.isNaN(x) ? NaN : Math.max(m, Math.abs(x))), 0);
}

const ords = [1, 2, Infinity] as const;

describe('globalNorm', () => {
  it('is the 1-, 2- and inf-norm of all elements in flatten order, for any tree and dtype', () => {
    fc.assert(
      fc.property(skeleton(), fc.constantFrom('float32' as const, 'float64' as const), fc.integer(), fc.constantFrom(...ords), (s, dtype, seed, ord) => {
        const tree = build(s, dtype, seededFill(seed, 3));
        // Same element order and the same f64 accumulation: bit-identical.
        expect(Object.is(globalNorm(tree, { ord }), naive(tree, ord))).toBe(true);
      }),
      { seed: 20240601, numRuns: 300 },
    );
  });

  it('defaults to the 2-norm', () => {
    const tree = { a: new Float64Array([3]), b: { shape: [2, 1], data: new Float64Array([0, -4]) } };
    expect(globalNorm(tree)).toBe(5);
    expect(globalNorm(tree, { ord: 2 })).toBe(5);
    expect(globalNorm(tree, { ord: 1 })).toBe(7);
    expect(globalNorm(tree, { ord: Infinity })).toBe(4);
  });

  it('accumulates float32 leaves in float64 (no float32 rounding of the running sum)', () => {
    // 1 + 2^-30 is not a float32, so a float32 accumulator would lose the small terms.
    const tree = { a: new Float32Array([1]), b: new Float32Array(Array.from({ length: 4 }, () => 2 ** -15)) };
    expect(globalNorm(tree, { ord: 2 })).toBe(Math.sqrt(1 + 4 * 2 ** -30));
    expect(globalNorm(tree, { ord: 1 })).toBe(1 + 4 * 2 ** -15);
    let f32 = Math.fround(0);
    for (const x of allValues(tree)) f32 = Math.fround(f32 + Math.fround(x * x));
    expect(Math.sqrt(f32)).not.toBe(globalNorm(tree));
  });

  it('visits leaves in flatten order whatever the key order of the object', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), { minLength: 3, maxLength: 3 }), (xs) => {
        const [x, y, z] = xs as [number, number, number];
        const t1 = { c: new Float64Array([z]), a: new Float64Array([x]), b: new Float64Array([y]) };
        const t2 = { a: new Float64Array([x]), b: new Float64Array([y]), c: new Float64Array([z]) };
        for (const ord of ords) expect(Object.is(globalNorm(t1, { ord }), globalNorm(t2, { ord }))).toBe(true);
        // flatten order is a, b, c: the sum is ((x² + y²) + z²).
        expect(globalNorm(t1)).toBe(Math.sqrt(x * x + y * y + z * z));
      }),
      { seed: 7, numRuns: 100 },
    );
  });

  it('is 0 for a tree without elements, and for zeros', () => {
    for (const ord of ords) {
      expect(globalNorm({}, { ord })).toBe(0);
      expect(globalNorm({ a: new Float32Array(0), b: [tensor(new Float64Array(0), [0, 3])] }, { ord })).toBe(0);
      expect(globalNorm({ a: new Float64Array(5) }, { ord })).toBe(0);
    }
  });

  it('propagates NaN (also for the inf-norm, wherever the NaN sits) and Infinity', () => {
    for (const ord of ords) {
      expect(globalNorm({ a: new Float64Array([1, NaN, 5]) }, { ord })).toBeNaN();
      expect(globalNorm({ a: new Float64Array([NaN]), b: new Float64Array([7]) }, { ord })).toBeNaN();
      expect(globalNorm({ a: new Float64Array([7]), b: new Float32Array([NaN]) }, { ord })).toBeNaN();
      expect(globalNorm({ a: new Float64Array([1, -Infinity]) }, { ord })).toBe(Infinity);
    }
  });

  it('is homogeneous: ‖c·x‖ = |c|·‖x‖ (exactly, for a power-of-two c)', () => {
    fc.assert(
      fc.property(skeleton(), fc.integer(), fc.integer({ min: -8, max: 8 }), fc.boolean(), fc.constantFrom(...ords), (s, seed, k, neg, ord) => {
        const c = (neg ? -1 : 1) * 2 ** k;
        const x = build(s, 'float64', seededFill(seed));
        const cx = build(s, 'float64', (l, i) => c * seededFill(seed)(l, i));
        expect(globalNorm(cx, { ord })).toBe(Math.abs(c) * globalNorm(x, { ord }));
      }),
      { seed: 99, numRuns: 200 },
    );
  });

  it('agrees with the norm clipByGlobalNorm clips by', () => {
    fc.assert(
      fc.property(skeleton(), fc.integer(), fc.constantFrom(2 as const, Infinity), (s, seed, ord) => {
        const grads = build(s, 'float64', seededFill(seed, 5));
        const n = globalNorm(grads, { ord });
        fc.pre(n > 0);
        const maxNorm = n / 2;
        const clip = clipByGlobalNorm(maxNorm, { normType: ord });
        const [out] = clip.update(grads, clip.init(grads));
        const coef = maxNorm / n;
        const got = flatten(out).leaves.flatMap((l) => Array.from(l.data));
        const want = allValues(grads).map((g) => g * coef);
        expect(got).toEqual(want);
      }),
      { seed: 3, numRuns: 100 },
    );
  });

  it('rejects an unknown ord or option, and a value that is not a tree', () => {
    expect(() => globalNorm({ a: new Float64Array(1) }, { ord: 3 as 2 })).toThrow(HyperparameterError);
    expect(() => globalNorm({ a: new Float64Array(1) }, { ord: 3 as 2 })).toThrow(/globalNorm: ord must be 1, 2 or Infinity, got 3/);
    expect(() => globalNorm({ a: new Float64Array(1) }, { ord: '2' as unknown as 2 })).toThrow(HyperparameterError);
    expect(() => globalNorm({ a: new Float64Array(1) }, { p: 2 } as never)).toThrow(/globalNorm: p must be one of the options ord/);
    expect(() => globalNorm({ a: [1, 2] as unknown as Float64Array })).toThrow(InvalidTreeError);
  });
});
