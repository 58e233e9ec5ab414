/**
 * SM3: per-axis accumulators (hand-computed values for a vector, a matrix and a 0-d leaf, β₂ < 1),
 * the optimizer (optax's doctest, convergence on a parabola and Rosenbrock), purity,
 * validation, snapshots, and compiled (host + fused learning rate) == reference.
 */
import { describe, expect, it } from 'vitest';
import { compile, wasmSimdAvailable } from '../../src/compile/index.js';
import { HyperparameterError, StateMismatchError } from '../../src/errors.js';
import { sm3 } from '../../src/optimizers/sm3.js';
import { scaleBySm3 } from '../../src/transforms/sm3.js';
import type { FloatArray, Tensor } from '../../src/tree/leaf.js';
import type { Tree } from '../../src/tree/tree.js';
import { compiledDifference } from '../combine/compileCheck.js';
import { doctest, expectConverges } from '../helpers/convergence.js';
import { arr, close, expectPureUpdate, expectSnapshotResumes, expectSpecRebuilds, expectWasmNearReference, mixedGrads, mixedParams, t64 } from './adaptiveSupport.js';

const mu = (s: unknown, key: string): number[][] => ((s as { mu: Record<string, FloatArray[]> }).mu[key] as FloatArray[]).map((v) => Array.from(v));

describe('scaleBySm3: values', () => {
  it('a vector: Adagrad with momentum (β₂ = 1: a = g² + v)', () => {
    const tx = scaleBySm3({ b1: 0.5, eps: 0 });
    const g1 = { b: Float64Array.from([3, -4, 0]) };
    const [u1, s1] = tx.update(g1, tx.init(g1));
    // a = g², up = g/|g| (0 where a = 0), ν = 0.5·up
    expect(Array.from(u1.b)).toEqual([0.5, -0.5, 0]);
    expect(mu(s1, 'b')).toEqual([[9, 16, 0]]);
    const [u2, s2] = tx.update({ b: Float64Array.from([4, 3, 0]) }, s1);
    // a = [25, 25, 0]; up = [0.8, 0.6, 0]; ν = 0.5·ν + 0.5·up
    close(Array.from(u2.b), [0.25 + 0.4, -0.25 + 0.3, 0]);
    expect(mu(s2, 'b')).toEqual([[25, 25, 0]]);
  });

  it('a 2×3 matrix: the min of the row and column accumulators, then their maxima', () => {
    const tx = scaleBySm3({ b1: 0, eps: 0 });
    const p = { w: t64([2, 3], [0, 0, 0, 0, 0, 0]) };
    const s0 = tx.init(p);
    expect(mu(s0, 'w')).toEqual([[0, 0], [0, 0, 0]]);
    // step 1: a = g² (min of zeros); rows: max over columns; columns: max over rows
    const g1 = [1, -2, 3, 0.5, 4, -1];
    const [u1, s1] = tx.update({ w: t64([2, 3], g1) }, s0);
    close(arr(u1.w), g1.map((x) => x / Math.abs(x)));
    expect(mu(s1, 'w')).toEqual([[9, 16], [1, 16, 9]]);
    // step 2: a_ij = g² + min(row_i, col_j)
    const g2 = [1, 1, 1, 2, 2, 2];
    const [u2, s2] = tx.update({ w: t64([2, 3], g2) }, s1);
    const rows = [9, 16];
    const cols = [1, 16, 9];
    const a = [0, 1].flatMap((i) => [0, 1, 2].map((j) => (g2[i * 3 + j] as number) ** 2 + Math.min(rows[i] as number, cols[j] as number)));
    close(arr(u2.w), a.map((x, k) => (g2[k] as number) / Math.sqrt(x)));
    expect(mu(s2, 'w')).toEqual([[Math.max(...a.slice(0, 3)), Math.max(...a.slice(3))], [0, 1, 2].map((j) => Math.max(a[j] as number, a[3 + j] as number))]);
  });

  it('a 2×2×3 leaf (any rank): min over three accumulators, maxima over the other two axes', () => {
    const tx = scaleBySm3({ b1: 0, eps: 0 });
    const g1 = Array.from({ length: 12 }, (_, i) => ((i * 5) % 7) - 3);
    const g2 = Array.from({ length: 12 }, (_, i) => ((i * 3) % 5) - 2 + 0.5);
    const [, s1] = tx.update({ x: t64([2, 2, 3], g1) }, tx.init({ x: t64([2, 2, 3], new Array(12).fill(0)) }));
    const [u2, s2] = tx.update({ x: t64([2, 2, 3], g2) }, s1);
    // Written out with nested loops: v_i after step 1 are the maxima of g1².
    const at = (a: number, b: number, c: number): number => a * 6 + b * 3 + c;
    const v = [[0, 1].map((a) => Math.max(...[0, 1].flatMap((b) => [0, 1, 2].map((c) => (g1[at(a, b, c)] as number) ** 2)))), [0, 1].map((b) => Math.max(...[0, 1].flatMap((a) => [0, 1, 2].map((c) => (g1[at(a, b, c)] as number) ** 2)))), [0, 1, 2].map((c) => Math.max(...[0, 1].flatMap((a) => [0, 1].map((b) => (g1[at(a, b, c)] as number) ** 2))))];
    expect(mu(s1, 'x')).toEqual(v);
    const want: number[] = [];
    for (let a = 0; a < 2; a++) for (let b = 0; b < 2; b++) for (let c = 0; c < 3; c++) {
      const x = g2[at(a, b, c)] as number;
      const acc = x * x + Math.min((v[0] as number[])[a] as number, (v[1] as number[])[b] as number, (v[2] as number[])[c] as number);
      want.push(acc > 0 ? x / Math.sqrt(acc) : 0);
    }
    close(arr(u2.x), want);
    expect(mu(s2, 'x').map((r) => r.length)).toEqual([2, 2, 3]);
  });

  it('the rank-2 fast path equals the general path (a trailing axis of length 1 changes nothing)', () => {
    const tx = scaleBySm3({ b1: 0.5 });
    const data = (k: number): number[] => Array.from({ length: 12 }, (_, i) => Math.sin(k * 17 + i * 3));
    let s2 = tx.init({ w: t64([3, 4], data(0)) });
    let s3 = tx.init({ w: t64([3, 4, 1], data(0)) });
    for (let k = 1; k <= 4; k++) {
      const [u2, n2] = tx.update({ w: t64([3, 4], data(k)) }, s2);
      const [u3, n3] = tx.update({ w: t64([3, 4, 1], data(k)) }, s3);
      expect(arr(u3.w)).toEqual(arr(u2.w));
      expect(mu(n3, 'w').slice(0, 2)).toEqual(mu(n2, 'w'));
      s2 = n2;
      s3 = n3;
    }
  });

  it('β₂ < 1 weights the new square by 1 − β₂; a 0-d leaf is one axis of length 1', () => {
    const tx = scaleBySm3({ b1: 0, b2: 0.5, eps: 0 });
    const g = { s: t64([], [2]) };
    const [u1, s1] = tx.update(g, tx.init(g));
    // a = 0.5·4 + 0.5·0 = 2
    close(arr(u1.s), [2 / Math.sqrt(2)]);
    expect(mu(s1, 's')).toEqual([[2]]);
    const [u2] = tx.update(g, s1);
    // a = 0.5·4 + 0.5·2 = 3
    close(arr(u2.s), [2 / Math.sqrt(3)]);
  });

  it('eps is added under the root; float32 leaves keep float32 state', () => {
    const tx = scaleBySm3({ b1: 0, eps: 1 });
    const g = { b: Float32Array.from([1]) };
    const [u, s] = tx.update(g, tx.init(g));
    expect(Array.from(u.b)).toEqual([Math.fround(1 / Math.sqrt(2))]);
    expect(u.b).toBeInstanceOf(Float32Array);
    expect((s.mu as { b: FloatArray[] }).b[0]).toBeInstanceOf(Float32Array);
  });
});

describe('sm3', () => {
  it("optax's doctest: 5 steps on Σx² from [1, 2, 3] at learning rate 0.003", () => {
    expect(doctest(sm3({ learningRate: 0.003 }))).toEqual(['1.40e+1', '1.40e+1', '1.40e+1', '1.40e+1', '1.40e+1']);
  });

  it('converges on a parabola and on Rosenbrock', () => {
    expectConverges(sm3({ learningRate: 1 }), 'parabola', 3000, { tolerance: 1e-2 });
    expectConverges(sm3({ learningRate: 0.1 }), 'rosenbrock', 10000);
  });

  it('is pure: inputs untouched, the old state still usable', () => {
    const opt = sm3({ learningRate: 0.1 });
    const p = { w: t64([2, 2], [1, 2, 3, 4]) };
    const g = { w: t64([2, 2], [0.5, -1, 2, 0.25]) };
    const { result: r1 } = expectPureUpdate(opt, p, g);
    expect((r1[1][0].nu as { w: Tensor }).w.data).not.toBe(r1[0].w.data);
  });

  it('validates its options and its state', () => {
    expect(() => sm3({ learningRate: 0.1, momentum: 2 })).toThrow(/sm3: momentum/);
    expect(() => sm3({ learningRate: -1 })).toThrow(/learningRate/);
    expect(() => sm3({ learningRate: 1, b2: 0.5 } as never)).toThrow(HyperparameterError);
    expect(() => scaleBySm3({ b2: 1.5 })).toThrow(/scaleBySm3: b2/);
    expect(() => scaleBySm3({ eps: -1 })).toThrow(/eps/);
    const tx = scaleBySm3();
    const g = { w: t64([2, 3], [1, 2, 3, 4, 5, 6]) };
    const s = tx.init(g);
    expect(() => tx.update(g, { ...s, mu: { w: [new Float64Array(2)] } })).toThrow(StateMismatchError);
    expect(() => tx.update(g, { ...s, nu: { w: t64([2], [0, 0]) } })).toThrow(/nu/);
  });

  it('carries specs with the defaults', () => {
    expect(sm3({ learningRate: 0.1 }).spec).toEqual({ op: 'sm3', learningRate: 0.1, momentum: 0.9 });
    expect(scaleBySm3().spec).toEqual({ op: 'scaleBySm3', b1: 0.9, b2: 1, eps: 1e-8 });
  });

  it('its spec rebuilds it', () => {
    expectSpecRebuilds(sm3, { learningRate: 0.2, momentum: 0.5 }, 'sm3');
    expectSpecRebuilds(scaleBySm3, { b2: 0.9 });
  });

  it('its state survives a snapshot and resumes the same', () => {
    const opt = sm3({ learningRate: 0.1 });
    const p = { w: t64([2, 3], [1, 2, 3, 4, 5, 6]), s: t64([], [1]) };
    const g = { w: t64([2, 3], [1, -1, 2, -2, 3, -3]), s: t64([], [0.5]) };
    expectSnapshotResumes(opt, p, g);
  });
});

describe('compile(sm3(...)) == reference', () => {
  const params = mixedParams;
  const grads = (k: number): Tree => mixedGrads(k, 0);

  it('the scaling on the host, the learning rate fused; bit for bit on js and closure', () => {
    const opt = sm3({ learningRate: 0.05 });
    expect(compile(opt, params()).segments.map((s) => s.kind)).toEqual(['host', 'fused']);
    expect(compiledDifference(opt, params(), [grads(1), grads(2), grads(3)])).toBeUndefined();
  });

  it.runIf(wasmSimdAvailable())('wasm within a tolerance of the reference', () => {
    expectWasmNearReference(sm3({ learningRate: 0.05 }), params, grads, 1e-6);
  });
});
