/**
 * scaleByPolyak: the step min((f - f*)/(‖g‖² + ε), γ_max) by hand on small trees, the
 * 'sps+' variant, the zero-step guard, dtypes, purity, spec, validation.
 */
import { describe, expect, it } from 'vitest';
import { ExtraArgError } from '../../src/errors.js';
import { HyperparameterError } from '../../src/errors.js';
import { toSpec } from '../../src/spec/spec.js';
import { type ScaleByPolyakOptions, scaleByPolyak } from '../../src/transforms/polyak.js';
import { allValues, copyTree, sameBits } from '../helpers/arbitraries.js';

const f64 = (...xs: number[]): Float64Array => Float64Array.from(xs);

/** One update of `scaleByPolyak(options)` on `{ a: [3, 4] }` (‖g‖² = 25) with the loss `value`. */
function step(value: number, options: ScaleByPolyakOptions = {}): number[] {
  const tx = scaleByPolyak(options);
  const g = { a: f64(3, 4) };
  const [u] = tx.update(g, tx.init(g), undefined, { value });
  return allValues(u);
}

describe('scaleByPolyak', () => {
  it('scales by (f - f*)/‖g‖² when that is below maxLearningRate', () => {
    expect(step(10)).toEqual([3 * (10 / 25), 4 * (10 / 25)]);
    expect(step(10, { fMin: 5 })).toEqual([3 * (5 / 25), 4 * (5 / 25)]);
    expect(step(10, { eps: 5 })).toEqual([3 * (10 / 30), 4 * (10 / 30)]);
  });

  it('caps the step at maxLearningRate', () => {
    expect(step(100)).toEqual([3, 4]);
    expect(step(100, { maxLearningRate: 2 })).toEqual([6, 8]);
    expect(step(100, { maxLearningRate: 8 })).toEqual([3 * 4, 4 * 4]);
  });

  it("'sps' takes a negative step below fMin, 'sps+' takes none", () => {
    expect(step(0, { fMin: 5 })).toEqual([3 * (-5 / 25), 4 * (-5 / 25)]);
    expect(step(0, { fMin: 5, variant: 'sps+' })).toEqual([0, 0]);
    expect(step(10, { fMin: 5, variant: 'sps+' })).toEqual(step(10, { fMin: 5 }));
  });

  it('takes no step when ‖g‖² + ε is at most float64\'s epsilon (no NaN at a zero gradient)', () => {
    const tx = scaleByPolyak();
    const zero = { a: f64(0, 0) };
    expect(allValues(tx.update(zero, {}, undefined, { value: 3 })[0])).toEqual([0, 0]);
    const tiny = { a: f64(1e-9) }; // ‖g‖² = 1e-18 < 2^-52
    expect(allValues(tx.update(tiny, {}, undefined, { value: 3 })[0])).toEqual([0]);
    // with eps the denominator is large enough: the step is f/(‖g‖² + ε), capped at 1
    const withEps = scaleByPolyak({ eps: 10 });
    expect(allValues(withEps.update(tiny, {}, undefined, { value: 3 })[0])).toEqual([1e-9 * (3 / (1e-18 + 10))]);
  });

  it('uses the global squared norm over every leaf (float64 sum), rounding only the output to each leaf\'s dtype', () => {
    const tx = scaleByPolyak({ maxLearningRate: 100 });
    const g = { w: Float32Array.of(0.1, -0.2), b: { shape: [1, 1], data: f64(0.3) } };
    const sq = Math.fround(0.1) ** 2 + Math.fround(-0.2) ** 2 + 0.3 ** 2;
    const gamma = 2 / sq;
    const [u] = tx.update(g, tx.init(g), undefined, { value: 2 });
    expect(u.w).toBeInstanceOf(Float32Array);
    expect(Array.from(u.w)).toEqual([Math.fround(gamma * Math.fround(0.1)), Math.fround(gamma * Math.fround(-0.2))]);
    expect(u.b.shape).toEqual([1, 1]);
    expect(Array.from(u.b.data)).toEqual([gamma * 0.3]);
  });

  it('propagates a NaN loss (as optax does)', () => {
    expect(step(NaN).every(Number.isNaN)).toBe(true);
    expect(step(NaN, { variant: 'sps+' }).every(Number.isNaN)).toBe(true);
  });

  it('needs the value: ExtraArgError naming it', () => {
    const tx = scaleByPolyak();
    const g = { a: f64(1) };
    expect(() => tx.update(g, {})).toThrow(ExtraArgError);
    expect(() => tx.update(g, {}, g, {})).toThrow(/scaleByPolyak: update needs extra\.value/);
  });

  it('is pure: inputs untouched, fresh outputs, empty state', () => {
    const tx = scaleByPolyak();
    const g = { a: f64(1, -2), b: Float32Array.of(0.5) };
    const before = copyTree(g);
    const state = tx.init(g);
    expect(state).toEqual({});
    const [u, next] = tx.update(g, state, g, { value: 1 });
    expect(sameBits(g, before)).toBe(true);
    expect(u.a).not.toBe(g.a);
    expect(u.b).not.toBe(g.b);
    expect(next).toEqual({});
    expect(tx.fusable).toBeUndefined();
  });

  it('has a spec with optax\'s defaults', () => {
    expect(toSpec(scaleByPolyak())).toEqual({ op: 'scaleByPolyak', fMin: 0, maxLearningRate: 1, eps: 0, variant: 'sps' });
    expect(toSpec(scaleByPolyak({ fMin: -1, variant: 'sps+' }))).toEqual({ op: 'scaleByPolyak', fMin: -1, maxLearningRate: 1, eps: 0, variant: 'sps+' });
  });

  const bad: readonly (readonly [ScaleByPolyakOptions, string])[] = [
    [{ fMin: NaN }, 'fMin'],
    [{ fMin: -Infinity }, 'fMin'],
    [{ maxLearningRate: 0 }, 'maxLearningRate'],
    [{ maxLearningRate: Infinity }, 'maxLearningRate'],
    [{ eps: -1e-8 }, 'eps'],
    [{ variant: 'sps-' as 'sps' }, 'variant'],
    [{ fStar: 0 } as ScaleByPolyakOptions, 'fStar'],
  ];
  it.each(bad)('rejects %o naming %s', (options, parameter) => {
    expect(() => scaleByPolyak(options)).toThrow(HyperparameterError);
    try {
      scaleByPolyak(options);
    } catch (e) {
      expect((e as HyperparameterError).owner).toBe('scaleByPolyak');
      expect((e as HyperparameterError).parameter).toBe(parameter);
    }
  });
});
