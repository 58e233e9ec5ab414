/**
 * The first transformations, on hand-computed values (several from optax's and jax-js's own
 * tests) and on bad options.
 */
import { describe, expect, it } from 'vitest';
import { HyperparameterError, MissingParamsError } from '../../src/errors.js';
import { clip, clipByGlobalNorm } from '../../src/transforms/clipping.js';
import { addDecayedWeights } from '../../src/transforms/decay.js';
import { trace } from '../../src/transforms/momentum.js';
import { scale, scaleByLearningRate, scaleBySchedule } from '../../src/transforms/scale.js';
import { identity, setToZero } from '../../src/transforms/identity.js';
import type { GradientTransformation } from '../../src/base.js';
import type { Tree } from '../../src/tree/tree.js';

const f64 = (...x: number[]): Float64Array => Float64Array.from(x);

/** Runs `tx` over a sequence of gradients for a one-leaf tree and returns each update. */
function run<S>(tx: GradientTransformation<S>, grads: number[][], params: number[] = grads[0]?.map(() => 0) ?? []): number[][] {
  const p = { x: f64(...params) };
  let state = tx.init(p);
  return grads.map((g) => {
    const [u, next] = tx.update({ x: f64(...g) } as typeof p, state, p);
    state = next;
    return Array.from(u.x);
  });
}

const close = (a: number[][], b: number[][]): void => {
  expect(a.length).toBe(b.length);
  a.forEach((row, i) => row.forEach((v, j) => { expect(v).toBeCloseTo(b[i]?.[j] ?? NaN, 12); }));
};

describe('scale, scaleByLearningRate, scaleBySchedule', () => {
  it('scale multiplies', () => {
    expect(run(scale(-2), [[1, -3]])).toEqual([[-2, 6]]);
  });
  it('scaleByLearningRate flips the sign and evaluates a schedule at the pre-increment count', () => {
    const seen: number[] = [];
    const lr = (c: number): number => { seen.push(c); return 0.5 ** c; };
    expect(run(scaleByLearningRate(lr), [[1], [1], [1]])).toEqual([[-1], [-0.5], [-0.25]]);
    expect(seen).toEqual([0, 1, 2]);
    expect(run(scaleByLearningRate(0.1, { flipSign: false }), [[2]])).toEqual([[0.2]]);
  });
  it('scaleBySchedule follows 0.9^k (jax-js test)', () => {
    close(run(scaleBySchedule((c) => 0.9 ** c), [[1], [1], [1]]), [[1], [0.9], [0.81]]);
  });
  it('rejects a negative or non-finite learning rate when built, and a bad schedule value when stepped', () => {
    expect(() => scaleByLearningRate(-1)).toThrow(HyperparameterError);
    expect(() => scaleByLearningRate(Number.NaN)).toThrow(/scaleByLearningRate: learningRate must be a finite number >= 0 or a schedule, got NaN/);
    expect(() => scaleByLearningRate('0.1' as never)).toThrow(HyperparameterError);
    const tx = scaleByLearningRate((c) => (c > 0 ? Number.POSITIVE_INFINITY : 0.1));
    const p = { x: f64(1) };
    const [, s1] = tx.update(p, tx.init(p));
    expect(() => tx.update(p, s1)).toThrow(/learningRate \(schedule at count 1\) must be a finite number >= 0, got Infinity/);
  });
});

describe('identity and setToZero', () => {
  it('pass through and zero', () => {
    expect(run(identity(), [[1, -2]])).toEqual([[1, -2]]);
    expect(run(setToZero(), [[1, Number.NaN]])).toEqual([[0, 0]]);
  });
});

describe('clip', () => {
  it('clips element-wise and keeps NaN', () => {
    const [u] = run(clip(0.5), [[-1, 0.2, 3, Number.NaN]]);
    expect(u?.slice(0, 3)).toEqual([-0.5, 0.2, 0.5]);
    expect(u?.[3]).toBeNaN();
  });
  it('rejects a negative maxDelta', () => {
    expect(() => clip(-1)).toThrow(/clip: maxDelta must be a finite number >= 0, got -1/);
  });
});

describe('clipByGlobalNorm', () => {
  const tree = (): Tree => ({ a: f64(3, 0), b: { shape: [1], data: f64(4) } });
  const values = (t: Tree): number[] => {
    const r = t as { a: Float64Array; b: { data: Float64Array } };
    return [...r.a, ...r.b.data];
  };
  it('leaves updates below the threshold unchanged (optax)', () => {
    const tx = clipByGlobalNorm(10);
    const [u] = tx.update(tree(), tx.init(tree()));
    expect(values(u)).toEqual([3, 0, 4]);
  });
  it('scales to the max norm above it, over all leaves', () => {
    const tx = clipByGlobalNorm(1);
    const [u] = tx.update(tree(), tx.init(tree()));
    close([values(u)], [[0.6, 0, 0.8]]);
  });
  it('with eps 1e-6 divides by norm + eps, as PyTorch does', () => {
    const tx = clipByGlobalNorm(5, { eps: 1e-6 });
    const [u] = tx.update(tree(), tx.init(tree()));
    const coef = 5 / (5 + 1e-6);
    expect(values(u)).toEqual([3 * coef, 0, 4 * coef]);
  });
  it('the infinity norm uses max |g|', () => {
    const tx = clipByGlobalNorm(2, { normType: Infinity });
    const [u] = tx.update(tree(), tx.init(tree()));
    expect(values(u)).toEqual([1.5, 0, 2]);
  });
  it('all-zero updates stay zero (no 0/0)', () => {
    const tx = clipByGlobalNorm(1);
    const z = { a: f64(0, 0) };
    expect(Array.from(tx.update(z, tx.init(z))[0].a)).toEqual([0, 0]);
  });
  it('rejects maxNorm <= 0 and unknown norm types', () => {
    expect(() => clipByGlobalNorm(0)).toThrow(/maxNorm must be a finite number > 0, got 0/);
    expect(() => clipByGlobalNorm(1, { normType: 3 as 2 })).toThrow(/normType must be 2 or Infinity/);
    expect(() => clipByGlobalNorm(1, { epsilon: 1 } as never)).toThrow(/clipByGlobalNorm: epsilon must be one of the options eps, normType/);
  });
});

describe('addDecayedWeights', () => {
  it('adds λp (jax-js test: λ = 0.01, p = [10, 20, 30], g = [0.01, 0.02, 0.03] -> [0.11, 0.22, 0.33])', () => {
    close(run(addDecayedWeights({ weightDecay: 0.01 }), [[0.01, 0.02, 0.03]], [10, 20, 30]), [[0.11, 0.22, 0.33]]);
  });
  it('masked-out leaves pass through unchanged', () => {
    const tx = addDecayedWeights({ weightDecay: 0.5, mask: { w: true, b: false } });
    const params = { w: f64(2), b: f64(2) };
    const [u] = tx.update({ w: f64(1), b: f64(1) }, tx.init(params), params);
    expect(u).toEqual({ w: f64(2), b: f64(1) });
  });
  it('a mask function sees the params', () => {
    const tx = addDecayedWeights({ weightDecay: 1, mask: (p) => Object.fromEntries(Object.keys(p as object).map((k) => [k, k !== 'b'])) });
    const params = { w: f64(2), b: f64(2) };
    expect(tx.update({ w: f64(0), b: f64(0) }, tx.init(params), params)[0]).toEqual({ w: f64(2), b: f64(0) });
  });
  it('needs params', () => {
    const tx = addDecayedWeights({ weightDecay: 0.1 });
    expect(() => tx.update({ w: f64(1) }, tx.init({ w: f64(1) }))).toThrow(MissingParamsError);
  });
  it('rejects a negative decay', () => {
    expect(() => addDecayedWeights({ weightDecay: -0.1 })).toThrow(/weightDecay must be a finite number >= 0 or a schedule, got -0.1/);
  });
});

describe('trace', () => {
  it('accumulates momentum (jax-js test values)', () => {
    close(run(trace({ decay: 0.9 }), [[0.1, 0.2, 0.3], [0.1, 0.2, 0.3]]), [[0.1, 0.2, 0.3], [0.19, 0.38, 0.57]]);
  });
  it('nesterov emits g + μ·tr on the first step', () => {
    close(run(trace({ decay: 0.9, nesterov: true }), [[0.1, 0.2, 0.3]]), [[0.19, 0.38, 0.57]]);
  });
  it('dampening is skipped on the first step, as in PyTorch', () => {
    close(run(trace({ decay: 0.5, dampening: 0.2 }), [[1], [1]]), [[1], [0.5 + 0.8]]);
  });
  it('takes a momentum schedule', () => {
    close(run(trace({ decay: (c) => (c === 0 ? 0 : 0.5) }), [[1], [1]]), [[1], [1.5]]);
  });
  it('rejects a decay outside [0, 1]', () => {
    expect(() => trace({ decay: 1.5 })).toThrow(/trace: decay must be a number in \[0, 1\] or a schedule, got 1.5/);
  });
});
