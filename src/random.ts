/**
 * A seeded, counter-based random number generator: Threefry-2x32 with 20 rounds (Salmon et
 * al., "Parallel Random Numbers: As Easy as 1, 2, 3", SC 2011; the generator behind JAX's
 * default PRNG).
 *
 * Counter-based means there is no hidden generator state: the bits at a position are a pure
 * function of a key and a counter, `threefry2x32(key, counter)`. A transformation that draws
 * noise keeps only numbers in its state (a key and a step count), so a snapshot of it is plain
 * data and a run resumed from a snapshot draws exactly the numbers the uninterrupted run
 * would have.
 *
 * @module
 */
import type { FloatArray } from './tree/leaf.js';

/** The Threefry-2x32 rotation constants (Random123's `R_32x2`). */
const ROTATIONS = [13, 15, 26, 6, 17, 29, 16, 24] as const;
/** Threefry's key-schedule parity constant for 32-bit words. */
const PARITY = 0x1bd11bda;

const rotl = (x: number, r: number): number => ((x << r) | (x >>> (32 - r))) >>> 0;

/**
 * Threefry-2x32-20: encrypts the counter `(c0, c1)` under the key `(k0, k1)` (all unsigned
 * 32-bit integers) and returns two unsigned 32-bit words. Matches Random123's known-answer
 * vectors (and `jax.random.threefry_2x32`).
 * @category Random
 */
export function threefry2x32(k0: number, k1: number, c0: number, c1: number): readonly [number, number] {
  const ks = [k0 >>> 0, k1 >>> 0, (PARITY ^ k0 ^ k1) >>> 0] as const;
  let x0 = ((c0 >>> 0) + ks[0]) >>> 0;
  let x1 = ((c1 >>> 0) + ks[1]) >>> 0;
  for (let r = 0; r < 20; r++) {
    x0 = (x0 + x1) >>> 0;
    x1 = rotl(x1, ROTATIONS[r % 8] as number);
    x1 = (x1 ^ x0) >>> 0;
    if (r % 4 === 3) {
      const i = (r + 1) / 4;
      x0 = (x0 + (ks[i % 3] as number)) >>> 0;
      x1 = (x1 + (ks[(i + 1) % 3] as number) + i) >>> 0;
    }
  }
  return [x0, x1];
}

/** 2³². */
const TWO_32 = 4294967296;

/** True for a seed the generator accepts: an integer in [0, 2⁵³). */
export function isSeed(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** The key words of a seed: `(low 32 bits, high bits)`. */
export function seedKey(seed: number): readonly [number, number] {
  return [seed % TWO_32 >>> 0, Math.floor(seed / TWO_32) >>> 0];
}

/**
 * Fills `out` with standard normal draws for the elements `offset, offset + 1, …` of stream
 * `stream` under `seed`.
 *
 * Element `j` of a stream is one half of a Box–Muller pair drawn from the block
 * `threefry2x32(seedKey(seed), (⌊j/2⌋, stream))`: with the two words `a`, `b`,
 *
 * ```text
 * u₁ = (a + 1)/2³² ∈ (0, 1],  u₂ = b/2³² ∈ [0, 1)
 * n_{2k}   = √(-2 ln u₁) · cos(2π u₂)
 * n_{2k+1} = √(-2 ln u₁) · sin(2π u₂)
 * ```
 *
 * so a value depends only on `(seed, stream, j)`, never on how the draws are split into calls.
 * The numbers are computed in float64 and rounded on store into a `Float32Array`. Streams are
 * taken modulo 2³², and an element index must be below 2³³.
 * @category Random
 */
export function fillNormal(out: FloatArray | number[], seed: number, stream: number, offset = 0): void {
  const [k0, k1] = seedKey(seed);
  const c1 = stream % TWO_32 >>> 0;
  const n = out.length;
  let i = 0;
  while (i < n) {
    const j = offset + i;
    const block = Math.floor(j / 2);
    const [a, b] = threefry2x32(k0, k1, block % TWO_32 >>> 0, c1);
    const radius = Math.sqrt(-2 * Math.log((a + 1) / TWO_32));
    const angle = 2 * Math.PI * (b / TWO_32);
    if (j % 2 === 0) {
      out[i] = radius * Math.cos(angle);
      if (i + 1 < n) out[i + 1] = radius * Math.sin(angle);
      i += 2;
    } else {
      out[i] = radius * Math.sin(angle);
      i += 1;
    }
  }
}
