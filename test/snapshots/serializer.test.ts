/**
 * The typed-array snapshot serializer: shortest round-trip decimals (float32 and float64), the
 * one-line format, and its use as a vitest serializer.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SnapshotSerializer } from 'vitest';
import defaultSerializer, { floatArraySerializer, formatFloatArray, shortestFloat32, shortestFloat64 } from '../../src/testing/serializer.js';
import * as testing from '../../src/testing/index.js';

/** The float32 a decimal reads back as, the way JavaScript reads one into a Float32Array. */
const readF32 = (text: string): number => Math.fround(Number(text));

/** Significant digits of a decimal string (`-1.25e-7` has 3). */
function digits(text: string): number {
  const mantissa = (text.replace(/^-/, '').split('e')[0] ?? '').replace('.', '').replace(/^0+/, '');
  return mantissa.replace(/0+$/, '').length;
}

/**
 * True when some decimal with `n` significant digits reads back as `v`: every such decimal
 * within five units of the n-digit grid around `v` is tried (a round-tripping one must be
 * within one unit: the float32 interval that reads back as `v` is narrower than the grid, or a
 * shorter decimal would exist), built from integers so no rounding hides a candidate.
 */
function someDecimalOfLength(v: number, n: number): boolean {
  const a = Math.abs(v);
  const exponent = Math.floor(Math.log10(a));
  for (const e of [exponent - 1, exponent, exponent + 1]) {
    const scale = e - (n - 1);
    const centre = Math.round(a / 10 ** scale);
    for (let d = centre - 5; d <= centre + 5; d++) {
      if (d <= 0 || String(d).length > n) continue;
      if (Math.fround(Number(`${String(d)}e${String(scale)}`)) === a) return true;
    }
  }
  return false;
}

describe('shortestFloat32', () => {
  it('examples', () => {
    expect([0.1, 1 / 3, -2.5, 1e-8, 3.4e38, 1, 0, 100, 16777216, 0.30000001192092896].map(shortestFloat32)).toEqual([
      '0.1', '0.33333334', '-2.5', '1e-8', '3.4e+38', '1', '0', '100', '16777216', '0.3',
    ]);
    expect([NaN, Infinity, -Infinity, -0].map(shortestFloat32)).toEqual(['NaN', 'Infinity', '-Infinity', '-0']);
    expect(shortestFloat32(2 ** -149)).toBe('1e-45'); // the smallest subnormal
    expect(shortestFloat32(3.4028234663852886e38)).toBe('3.4028235e+38'); // the largest float32
    expect(shortestFloat32(1.1754942106924411e-38)).toBe('1.1754942e-38'); // the largest subnormal
  });

  it('at powers of two, where the nearest decimal fails but a neighbour reads back', () => {
    // The gap below 2^k is half the gap above, so the correctly rounded 8-digit decimal can
    // fall outside while the next one up reads back: toPrecision alone would give 9 digits.
    expect(shortestFloat32(2 ** -96)).toBe('1.2621775e-29');
    expect(Math.fround(Number((2 ** -96).toPrecision(8)))).not.toBe(Math.fround(2 ** -96));
    expect(shortestFloat32(2 ** 87)).toBe('1.5474251e+26');
    expect(shortestFloat32(2 ** 90)).toBe('1.2379401e+27');
  });

  it('reads back as the same float32, for every float32 (subnormals, extremes, NaN, ±Infinity, -0)', () => {
    fc.assert(
      fc.property(fc.float(), (x) => {
        expect(Object.is(readF32(shortestFloat32(x)), x)).toBe(true);
      }),
      { seed: 3301, numRuns: 20000 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 0x7f7fffff }), fc.boolean(), (bits, negative) => {
        const x = new Float32Array(Uint32Array.of((bits | (negative ? 0x80000000 : 0)) >>> 0).buffer)[0] as number;
        expect(Object.is(readF32(shortestFloat32(x)), x)).toBe(true);
      }),
      { seed: 3302, numRuns: 20000 },
    );
  });

  it('is the shortest: no decimal with one digit fewer reads back', () => {
    fc.assert(
      fc.property(fc.float({ noNaN: true, noDefaultInfinity: true }).filter((x) => x !== 0 && Number.isFinite(x)), (x) => {
        const n = digits(shortestFloat32(x));
        expect(n).toBeLessThanOrEqual(9);
        if (n > 1) expect(someDecimalOfLength(x, n - 1)).toBe(false);
      }),
      { seed: 3303, numRuns: 5000 },
    );
  });

  it('rounds a float64 argument to float32 first', () => {
    expect(shortestFloat32(0.1)).toBe(shortestFloat32(Math.fround(0.1)));
  });
});

describe('shortestFloat64', () => {
  it('reads back as the same float64, -0 and NaN included', () => {
    fc.assert(
      fc.property(fc.double(), (x) => {
        expect(Object.is(Number(shortestFloat64(x)), x)).toBe(true);
      }),
      { seed: 3304, numRuns: 5000 },
    );
    expect([0.1, 0.1 + 0.2, -0, 5e-324].map(shortestFloat64)).toEqual(['0.1', '0.30000000000000004', '-0', '5e-324']);
  });
});

describe('formatFloatArray and the serializer', () => {
  it('one line, every element', () => {
    expect(formatFloatArray(Float32Array.of(0.1, 1 / 3, -2.5, 1e-8, 3.4e38, NaN, -0, Infinity))).toBe(
      'Float32Array(8) [0.1, 0.33333334, -2.5, 1e-8, 3.4e+38, NaN, -0, Infinity]',
    );
    expect(formatFloatArray(Float64Array.of(0.1, 1 / 3, -0))).toBe('Float64Array(3) [0.1, 0.3333333333333333, -0]');
    expect(formatFloatArray(new Float32Array(0))).toBe('Float32Array(0) []');
    const long = formatFloatArray(Float32Array.from({ length: 300 }, (_, i) => i / 7));
    expect(long.split('\n')).toHaveLength(1);
    expect(long.split(', ')).toHaveLength(300);
  });

  it('a vitest SnapshotSerializer, also as the default export of the module and of src/testing', () => {
    const typed: SnapshotSerializer = floatArraySerializer;
    expect(typed).toBe(defaultSerializer);
    expect(testing.default).toBe(floatArraySerializer);
    expect(floatArraySerializer.test(new Float32Array(1))).toBe(true);
    expect(floatArraySerializer.test(new Float64Array(1))).toBe(true);
    expect(floatArraySerializer.test(new Int32Array(1))).toBe(false);
    expect(floatArraySerializer.test([0.1])).toBe(false);
  });

  it('prints typed arrays inside snapshots', () => {
    expect.addSnapshotSerializer(floatArraySerializer);
    expect({ w: { shape: [2], data: Float32Array.of(0.1, -0) }, b: Float64Array.of(NaN, 1 / 3) }).toMatchInlineSnapshot(`
      {
        "b": Float64Array(2) [NaN, 0.3333333333333333],
        "w": {
          "data": Float32Array(2) [0.1, -0],
          "shape": [
            2,
          ],
        },
      }
    `);
  });
});
