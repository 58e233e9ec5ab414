/**
 * A vitest snapshot serializer for typed arrays: each array on one line, in full, with numbers
 * people can read and that still pin every bit.
 *
 * ```
 * Float32Array(4) [0.1, 0.33333334, -2.5, -0]
 * Float64Array(3) [0.1, 0.30000000000000004, NaN]
 * ```
 *
 * A `Float32Array` element is printed as the shortest decimal that reads back as the same
 * float32 (`Math.fround(Number(text)) === x`), a `Float64Array` element as the shortest that
 * reads back as the same float64 (`String(x)`); `-0`, `NaN`, `Infinity` and `-Infinity` are
 * written out. vitest's default prints one element per line, float32 values by their long
 * float64 expansion (`0.10000000149011612`).
 *
 * Register it in a test file with `expect.addSnapshotSerializer(floatArraySerializer)`, or for
 * every test in `vitest.config.ts`: `test: { snapshotSerializers: ['gradfuse/testing'] }` (the
 * module's default export is the serializer).
 *
 * @module
 */

/**
 * The shortest decimal string that reads back as the float32 value `Math.fround(x)`:
 * `shortestFloat32(0.1) === '0.1'`, `shortestFloat32(1 / 3) === '0.33333334'`. Among the
 * shortest, the one nearest the value. Written as JavaScript writes numbers (`1e-8`,
 * `3.4e+38`); `-0`, `NaN`, `Infinity`, `-Infinity` as such.
 * @category Testing
 */
export function shortestFloat32(x: number): string {
  const v = Math.fround(x);
  if (Number.isNaN(v)) return 'NaN';
  if (Object.is(v, -0)) return '-0';
  if (v === 0 || !Number.isFinite(v)) return String(v);
  const sign = v < 0 ? '-' : '';
  const a = Math.abs(v);
  // For p significant digits, the p-digit decimals nearest `a` are the correctly rounded one
  // (toExponential) and its two neighbours; a neighbour can round-trip where the nearest does
  // not when `a` is a power of two (the float32 gap below it is half the gap above).
  for (let p = 1; p <= 9; p++) {
    const [mantissa = '', exponent = '0'] = a.toExponential(p - 1).split('e');
    const digits = Number(mantissa.replace('.', ''));
    const scale = Number(exponent) - (p - 1);
    let best: number | undefined;
    for (const d of [digits, digits - 1, digits + 1]) {
      const candidate = Number(`${String(d)}e${String(scale)}`);
      if (Math.fround(candidate) !== a) continue;
      if (best === undefined || Math.abs(candidate - a) < Math.abs(best - a)) best = candidate;
    }
    if (best !== undefined) return sign + String(best);
  }
  return sign + String(a); // not reached: 9 significant digits always round-trip a float32
}

/**
 * The shortest decimal that reads back as the float64 `x` (`String(x)`, with `-0` kept).
 * @category Testing
 */
export function shortestFloat64(x: number): string {
  return Object.is(x, -0) ? '-0' : String(x);
}

/**
 * One line: `Float32Array(3) [0.1, 0.33333334, -2.5]`, every element, in full.
 * @category Testing
 */
export function formatFloatArray(array: Float32Array | Float64Array): string {
  const f32 = array instanceof Float32Array;
  const items = Array.from(array, f32 ? shortestFloat32 : shortestFloat64);
  return `${f32 ? 'Float32Array' : 'Float64Array'}(${String(array.length)}) [${items.join(', ')}]`;
}

/**
 * The shape of a vitest snapshot serializer (`SnapshotSerializer`, pretty-format's plugin),
 * written out so that this module needs nothing from vitest at run time or for its types.
 * @category Testing
 */
export interface FloatArraySnapshotSerializer {
  test(value: unknown): boolean;
  serialize(value: unknown): string;
}

/**
 * Prints `Float32Array` and `Float64Array` values with {@link formatFloatArray}.
 * @category Testing
 */
export const floatArraySerializer: FloatArraySnapshotSerializer = {
  test: (value) => value instanceof Float32Array || value instanceof Float64Array,
  serialize: (value) => {
    if (value instanceof Float32Array || value instanceof Float64Array) return formatFloatArray(value);
    throw new TypeError('floatArraySerializer: expected a Float32Array or a Float64Array');
  },
};

export default floatArraySerializer;
