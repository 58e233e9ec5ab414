/**
 * Shared by the tests of the adaptive scalers and optimizers (RMSprop, Adagrad, Adadelta, Lion,
 * AdaBelief, Yogi, ...): dtype cases, a runner over one leaf, and an element-wise closeness check.
 * The expected values in the tests come from plain float64 JavaScript written from each
 * formula, never from the kernels.
 *
 * Also the checks that the tests of the optimizers with per-axis state over tensors (adafactor,
 * SM3) share: tensor builders, purity, spec round trip, snapshots, and the wasm backend against
 * the reference on a mixed tree.
 */
import { expect } from 'vitest';
import type { GradientTransformation } from '../../src/base.js';
import { HyperparameterError, MissingParamsError } from '../../src/errors.js';
import { compile } from '../../src/compile/index.js';
import { loadState, saveState } from '../../src/state/index.js';
import type { FloatArray, Tensor } from '../../src/tree/leaf.js';
import type { Tree } from '../../src/tree/tree.js';
import { applyUpdates } from '../../src/update.js';
import { copyLeaves, firstDifference } from '../compile/trees.js';

export interface DtypeCase {
  readonly name: 'float32' | 'float64';
  readonly make: (values: readonly number[]) => FloatArray;
  /** The rounding of a store into this dtype. */
  readonly round: (x: number) => number;
  /**
   * Relative tolerance against a float64 reference that rounds its stores the same way. In
   * float64 only the operation order differs (a few ulps); in float32 that can flip the
   * rounding of a stored state by one ulp (1.2e-7), which the next steps carry along.
   */
  readonly rtol: number;
}

export const DTYPES: readonly DtypeCase[] = [
  { name: 'float64', make: (v) => Float64Array.from(v), round: (x) => x, rtol: 1e-14 },
  { name: 'float32', make: (v) => Float32Array.from(v), round: Math.fround, rtol: 1e-6 },
];

/** Gradients for three steps: mixed signs, a zero, small and large magnitudes. */
export const GRADS: readonly (readonly number[])[] = [
  [1, -2, 0, 0.5, 3e-3, -40],
  [0.5, 4, 0, -1, -7e-3, 25],
  [-3, 0.25, 2, 1e-4, 10, -0.125],
];

/** Gradients for three steps over a tree of two leaves (`a` of 3, `b` of 2): mixed signs, a zero, a tiny value. */
export const TREE_GRADS: readonly { readonly a: readonly number[]; readonly b: readonly number[] }[] = [
  { a: [0.3, -1, 0], b: [2, 4] },
  { a: [-2, 0.5, 1], b: [-0.5, 1e-3] },
  { a: [0.1, 3, -4], b: [7, -7] },
];

/** `|a - b| <= rtol·|b|` element-wise (so an expected 0 must be exactly 0); NaN matches NaN. */
export function expectClose(actual: ArrayLike<number>, expected: readonly number[], rtol: number, what = ''): void {
  expect(actual.length, `${what} length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i] as number;
    const b = expected[i] as number;
    if (Number.isNaN(b)) {
      expect(a, `${what}[${String(i)}]`).toBeNaN();
      continue;
    }
    const ok = a === b || Math.abs(a - b) <= rtol * Math.abs(b);
    expect(ok, `${what}[${String(i)}]: got ${String(a)}, expected ${String(b)} (rtol ${String(rtol)})`).toBe(true);
  }
}

/**
 * The compiled checks' inputs: each of GRADS split into a float32 leaf `a` (its first 3 values)
 * and a float64 leaf `b` (the rest), and params of the same form.
 */
export function mixedDtypeInputs(): { readonly params: { a: Float32Array; b: Float64Array }; readonly grads: { a: Float32Array; b: Float64Array }[] } {
  const params = { a: Float32Array.from([1, -2, 3]), b: Float64Array.from([0.5, 0, -1]) };
  const grads = GRADS.map((g) => ({ a: Float32Array.from(g.slice(0, 3)), b: Float64Array.from(g.slice(3)) }));
  return { params, grads };
}

/** Each case's options make `make` throw a HyperparameterError whose message matches the case's pattern. */
export function expectRejects(make: (options: never) => unknown, cases: readonly (readonly [Record<string, unknown>, RegExp])[]): void {
  for (const [options, message] of cases) {
    expect(() => make(options as never)).toThrow(HyperparameterError);
    expect(() => make(options as never)).toThrow(message);
  }
}

/**
 * Decoupled weight decay behind a mask, on zero gradients over two one-element leaves `a`, `b`:
 * `plain` (learning rate 0.1, no decay) needs no params and gives -0; `decayed` (learning rate 1,
 * decay 0.5, mask `{ a: true, b: false }`) needs params and gives -0.5·4 = -2 on `a` only.
 */
export function expectMaskedDecay(plain: GradientTransformation<unknown>, decayed: GradientTransformation<unknown>): void {
  const g = { a: Float64Array.from([0]), b: Float64Array.from([0]) };
  expect(plain.update(g, plain.init(g))[0].a[0]).toBe(-0);
  expect(() => decayed.update(g, decayed.init(g))).toThrow(MissingParamsError);
  const params = { a: Float64Array.from([4]), b: Float64Array.from([4]) };
  const [u] = decayed.update(g, decayed.init(params), params);
  expect(u.a[0]).toBe(-2);
  expect(u.b[0]).toBe(-0);
}

/** The leaf `w` of a tree `{ w }`. */
export function leafW(tree: Tree): FloatArray {
  return (tree as { readonly w: FloatArray }).w;
}

/** Runs `tx` on one leaf `{ w }` over `grads`, returning each step's updates and state. */
export function runSteps<S>(
  tx: GradientTransformation<S>,
  grads: readonly (readonly number[])[],
  dtype: DtypeCase,
): { readonly updates: FloatArray[]; readonly states: S[] } {
  const first = grads[0] ?? [];
  const params = { w: dtype.make(first.map(() => 0)) };
  let state = tx.init(params);
  const updates: FloatArray[] = [];
  const states: S[] = [];
  for (const g of grads) {
    const [u, next] = tx.update({ w: dtype.make(g) }, state, params);
    updates.push(u.w);
    states.push(next);
    state = next;
  }
  return { updates, states };
}

/**
 * A `runSteps` run against a reference, step by step: the update within `dt.rtol` of `ref[k].u`,
 * and each state field named in `fields` (a tree `{ w }`) within `dt.rtol` of `ref[k][field]`.
 */
export function expectStepsMatch(
  run: { readonly updates: readonly FloatArray[]; readonly states: readonly unknown[] },
  ref: readonly { readonly u: readonly number[] }[],
  dt: DtypeCase,
  fields: readonly string[],
): void {
  run.updates.forEach((u, k) => {
    const r = ref[k] as unknown as Record<string, readonly number[]>;
    const state = run.states[k] as Record<string, Tree | undefined> | undefined;
    expectClose(u, r.u as readonly number[], dt.rtol, `update ${String(k + 1)}`);
    for (const field of fields) expectClose(leafW(state?.[field] ?? {}), r[field] as readonly number[], dt.rtol, `${field} ${String(k + 1)}`);
  });
}

// ---------------------------------------------------------------------------------------------
// optimizers with per-axis state over tensors (adafactor, SM3)
// ---------------------------------------------------------------------------------------------

/** A float64 tensor leaf. */
export const t64 = (shape: number[], values: number[]): Tensor<Float64Array> => ({ shape, data: Float64Array.from(values) });

/** The values of a leaf (a tensor's data or a flat array) as numbers. */
export const arr = (x: unknown): number[] => Array.from((x as { data?: FloatArray }).data ?? (x as FloatArray));

/** `|got - want| <= rel·max(1, |want|)` element-wise, with equal lengths. */
export const close = (got: readonly number[], want: readonly number[], rel = 1e-12): void => {
  expect(got.length).toBe(want.length);
  got.forEach((v, i) => expect(Math.abs(v - (want[i] as number))).toBeLessThanOrEqual(rel * Math.max(1, Math.abs(want[i] as number))));
};

/**
 * Purity: two updates from the same state leave params, grads and state untouched and agree bit
 * for bit; the first result, and the state it started from, for the caller's own checks.
 */
export function expectPureUpdate<P extends Tree, S>(opt: GradientTransformation<S>, p: P, g: P): { readonly s0: S; readonly result: readonly [P, S] } {
  const s0 = opt.init(p);
  const before = structuredClone({ p, g, s0 });
  const r1 = opt.update(g, s0, p);
  const r2 = opt.update(g, s0, p);
  expect(firstDifference({ p, g, s0 }, before)).toBeUndefined();
  expect(firstDifference(r1, r2)).toBeUndefined();
  return { s0, result: r1 };
}

/**
 * The spec rebuilds it: `make` given the spec's options (the spec less `op`) records the same
 * spec as `make(options)`; with `op`, the spec's op is checked too.
 */
export function expectSpecRebuilds<O>(make: (options: O) => { readonly spec?: unknown }, options: O, op?: string): void {
  const { op: got, ...rest } = make(options).spec as { op: string };
  if (op !== undefined) expect(got).toBe(op);
  expect(make(rest as O).spec).toEqual(make(options).spec);
}

/** A state after one step survives saveState → JSON → loadState and resumes the same. */
export function expectSnapshotResumes<P extends Tree, S>(opt: GradientTransformation<S>, p: P, g: P): void {
  const [, s1] = opt.update(g, opt.init(p), p);
  const loaded = loadState(JSON.parse(JSON.stringify(saveState(s1))), opt, p);
  expect(firstDifference(loaded, s1)).toBeUndefined();
  expect(firstDifference(opt.update(g, loaded, p), opt.update(g, s1, p))).toBeUndefined();
}

/** Params for the compiled checks: a float32 3×4 matrix `w`, a float64 2×2×3 tensor `k`, a float32 vector `b`. */
export const mixedParams = (): Tree => ({
  w: { shape: [3, 4], data: Float32Array.from({ length: 12 }, (_, i) => Math.sin(i + 1)) },
  k: { shape: [2, 2, 3], data: Float64Array.from({ length: 12 }, (_, i) => Math.cos(i)) },
  b: Float32Array.from([0.5, -0.25, 0]),
});

/** Gradients like `mixedParams` for step `k`; `bLast` is the last element of `b`. */
export const mixedGrads = (k: number, bLast: number): Tree => ({
  w: { shape: [3, 4], data: Float32Array.from({ length: 12 }, (_, i) => Math.sin(k * 13 + i * 3)) },
  k: { shape: [2, 2, 3], data: Float64Array.from({ length: 12 }, (_, i) => Math.cos(k * 7 + i * 5)) },
  b: Float32Array.from([k, -1, bLast]),
});

/** Three steps of `opt` compiled for wasm end within `rel` (see `close`) of the reference's params. */
export function expectWasmNearReference(opt: GradientTransformation<unknown>, params: () => Tree, grads: (k: number) => Tree, rel: number): void {
  const c = compile(opt, params(), { backend: 'wasm' });
  let rp = params();
  let rs = opt.init(rp);
  for (let k = 0; k < 3; k++) {
    const [u, s] = opt.update(grads(k), rs, rp);
    rp = applyUpdates(rp, u);
    rs = s;
    copyLeaves(c.grads, grads(k));
    c.step();
  }
  const flat = (t: unknown): number[] => [arr((t as { w: unknown }).w), arr((t as { k: unknown }).k), arr((t as { b: unknown }).b)].flat();
  close(flat(c.params), flat(rp), rel);
}
