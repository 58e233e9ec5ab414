import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { GradientTransformation } from '../../src/base.js';
import { applyIfFinite } from '../../src/combine/applyIfFinite.js';
import { chain } from '../../src/combine/chain.js';
import { maskByPath, masked } from '../../src/combine/masked.js';
import { compile } from '../../src/compile/index.js';
import { HyperparameterError, TreeMismatchError } from '../../src/errors.js';
import { adam, adamw } from '../../src/optimizers/adam.js';
import { sgd } from '../../src/optimizers/sgd.js';
import { SpecError, toSpec } from '../../src/spec/spec.js';
import { scaleByAdam } from '../../src/transforms/adam.js';
import { clipByGlobalNorm } from '../../src/transforms/clipping.js';
import { addDecayedWeights } from '../../src/transforms/decay.js';
import { trace } from '../../src/transforms/momentum.js';
import { scale } from '../../src/transforms/scale.js';
import { type Tree, flatten } from '../../src/tree/tree.js';
import { applyUpdates } from '../../src/update.js';
import { allValues, copyTree, sameBits } from '../helpers/arbitraries.js';
import { gradsLike } from '../compile/trees.js';
import { compiledDifference } from './compileCheck.js';
import { assertCompiledMatches, registryInner } from './compileCheck.js';
import { seededMask } from '../compile/registry.js';

const f64 = (...xs: number[]): Float64Array => Float64Array.from(xs);

/** optax's _masking_test params: {'a': 1., 'b': [2., 3.], 'c': {'d': 4., 'e': (5., 6.)}}. */
const optaxParams = () => ({ a: f64(1), b: [f64(2), f64(3)], c: { d: f64(4), e: [f64(5), f64(6)] } });
const optaxMask = { a: true, b: [false, true], c: { d: true, e: [false, true] } };
/** sgd(1) as optax builds it, and a stateful one (momentum buffer with decay 0). */
const builders: readonly (readonly [string, () => GradientTransformation<unknown>])[] = [
  ['sgd', () => sgd({ learningRate: 1 })],
  ['stateful sgd', () => chain(trace({ decay: 0 }), scale(-1))],
];

describe('masked: optax _masking_test cases', () => {
  describe.each(builders)('%s', (_, build) => {
    it.each([false, true])('negates where the mask is true and passes the rest UNCHANGED (mask as function: %s)', (useFn) => {
      const params = optaxParams();
      const input = { a: f64(0.1), b: [f64(0.2), f64(0.3)], c: { d: f64(0.4), e: [f64(0.5), f64(0.6)] } };
      const tx = masked(build(), useFn ? () => optaxMask : optaxMask);
      let state = tx.init(params);
      const [u1, s1] = tx.update(input, state, params);
      expect(allValues(u1)).toEqual([-0.1, 0.2, -0.3, -0.4, 0.5, -0.6]);
      state = s1;
      // repeated, without params
      const [u2] = tx.update(u1, state);
      expect(allValues(u2)).toEqual([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]);
    });

    it('a prefix mask covers whole subtrees', () => {
      const mask = { a: true, b: false, c: { d: false, e: true } };
      const params = { a: f64(1), b: { f: f64(2) }, c: { d: f64(3), e: [[f64(4), f64(5)], f64(6)] } };
      const input = { a: f64(0.1), b: { f: f64(0.2) }, c: { d: f64(0.3), e: [[f64(0.4), f64(0.5)], f64(0.6)] } };
      const tx = masked(build(), mask);
      const [u] = tx.update(input, tx.init(params), params);
      expect(allValues(u)).toEqual([-0.1, 0.2, 0.3, -0.4, -0.5, -0.6]);
    });
  });

  it('passes params to the inner transformation (add_decayed_weights), repeatedly', () => {
    const wd = 0.1;
    let params: Tree = optaxParams();
    const input = { a: f64(0.1), b: [f64(0.2), f64(0.3)], c: { d: f64(0.4), e: [f64(0.5), f64(0.6)] } };
    const tx = masked(addDecayedWeights({ weightDecay: wd }), optaxMask);
    const state = tx.init(params);
    const maskLeaves = [true, false, true, true, false, true];
    const expected = (u: Tree, p: Tree): number[] => allValues(u).map((x, i) => (maskLeaves[i] === true ? x + wd * (allValues(p)[i] as number) : x));
    const [u1] = tx.update(input, state, params);
    expect(allValues(u1)).toEqual(expected(input, params));
    params = applyUpdates(params, u1);
    const [u2] = tx.update(u1, state, params);
    expect(allValues(u2)).toEqual(expected(u1, params));
  });

  it('a mask function of the params (ndim > 1) via maskByPath', () => {
    const params = { a: { shape: [1, 2], data: f64(1, 1) }, b: [{ shape: [1], data: f64(1) }, { shape: [1, 2, 3], data: f64(1, 1, 1, 1, 1, 1) }] };
    const tx = masked(addDecayedWeights({ weightDecay: 0.1 }), maskByPath((_path, leaf) => leaf.shape.length > 1));
    const grads = copyTree(params);
    for (const l of flatten(grads).leaves) l.data.fill(2);
    const [u] = tx.update(grads, tx.init(params), params);
    expect(Array.from(u.a.data)).toEqual([2.1, 2.1]);
    expect(Array.from(u.b[0]?.data ?? [])).toEqual([2]);
    expect(Array.from(u.b[1]?.data ?? [])).toEqual(new Array<number>(6).fill(2.1));
  });

  it('nested masks intersect (optax issue #271)', () => {
    const params = {
      linear_1: { w: { shape: [1, 1], data: f64(0) }, b: f64(0) },
      linear_2: { w: { shape: [1, 2], data: f64(0, 0) }, b: f64(0, 0) },
      linear_3: { w: { shape: [2, 3], data: new Float64Array(6) }, b: f64(0, 0, 0) },
    };
    const inner = masked(sgd({ learningRate: 1 }), { linear_1: true, linear_2: false, linear_3: true });
    const tx = masked(inner, maskByPath((_p, leaf) => leaf.shape.length > 1));
    const ones = copyTree(params);
    for (const l of flatten(ones).leaves) l.data.fill(1);
    const [u] = tx.update(ones, tx.init(params), params);
    // flatten order: linear_1.b, linear_1.w, linear_2.b, linear_2.w, linear_3.b, linear_3.w
    expect(allValues(u)).toEqual([1, -1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1, -1]);
    expect(tx.fusable?.stages.every((s) => s.mask !== undefined)).toBe(true);
  });

  it.each([true, false])('a mask that does not fit the params fails at init (extra key in mask: %s)', (extraInMask) => {
    const mask = { a: true, b: [false, true], c: { d: true, e: [false, true], ...(extraInMask ? { extra: true } : {}) } };
    const params = { a: f64(1), b: [f64(2), f64(3)], c: { d: f64(4), e: [f64(5), f64(6)], ...(extraInMask ? {} : { extra: f64(7) }) } };
    expect(() => masked(sgd({ learningRate: 1 }), mask).init(params)).toThrow(TreeMismatchError);
    expect(() => masked(sgd({ learningRate: 1 }), () => mask).init(params)).toThrow(/c\.extra/);
  });

  it('an empty tree works', () => {
    const tx = masked(sgd({ learningRate: 1 }), {});
    const [u] = tx.update({}, tx.init({}));
    expect(u).toEqual({});
  });
});

describe('masked: semantics', () => {
  it('masked-out leaves are NOT zeroed and their slots keep their initial values', () => {
    const params = { w: f64(1, 2), b: f64(3) };
    const tx = masked(scaleByAdam(), { w: true, b: false });
    let state = tx.init(params);
    for (let k = 0; k < 3; k++) {
      const [u, s] = tx.update({ w: f64(0.5, -0.5), b: f64(7) }, state, params);
      expect(Array.from(u.b)).toEqual([7]);
      expect(u.w[0]).toBeCloseTo(1, 6);
      state = s;
    }
    const mu = state.inner.mu as { w: Float64Array; b: Float64Array };
    const nu = state.inner.nu as { w: Float64Array; b: Float64Array };
    expect(Array.from(mu.b)).toEqual([0]);
    expect(Array.from(nu.b)).toEqual([0]);
    expect(mu.w[0]).not.toBe(0);
    expect(state.inner.count).toBe(3);
  });

  it('the inner reductions see only the masked-in leaves (global-norm clip)', () => {
    const tx = masked(clipByGlobalNorm(1), { w: true, huge: false });
    const [u] = tx.update({ w: f64(3, 4), huge: f64(1e6) }, tx.init({ w: f64(0, 0), huge: f64(0) }));
    expect(Array.from(u.w)).toEqual([0.6000000000000001, 0.8]);
    expect(Array.from(u.huge)).toEqual([1e6]);
  });

  it('a stage mask of the inner is intersected with the wrapper\'s (adamw with its own decay mask)', () => {
    const params = { w: f64(1), b: f64(1), e: f64(1) };
    const grads = { w: f64(0), b: f64(0), e: f64(0) };
    // decay only on w (adamw mask); adamw only on w and b (masked); e passes through
    const tx = masked(adamw({ learningRate: 1, weightDecay: 0.5, mask: { w: true, b: false, e: true } }), { w: true, b: true, e: false });
    const [u] = tx.update(grads, tx.init(params), params);
    expect(Array.from(u.w)).toEqual([-0.5]);
    expect(Array.from(u.b)).toEqual([-0]); // -lr·0: adam on b, without decay
    expect(Array.from(u.e)).toEqual([0]); // passed through
  });

  it('a non-fusable inner keeps state only for the masked-in leaves, and sees only them', () => {
    const params = { a: [f64(1), [f64(1, 1), f64(1, 1, 1)]], b: { c: f64(1, 1, 1, 1), d: f64(1) } };
    const inner = applyIfFinite(trace({ decay: 0.5 }), { maxConsecutiveErrors: 0 });
    const tx = masked(inner, { a: [true, [true, false]], b: false });
    expect(tx.fusable).toBeUndefined();
    const state = tx.init(params);
    const traceTree = state.inner.inner.trace as { a: [Float64Array, [Float64Array, object]]; b: object };
    expect(traceTree.a[0]).toEqual(f64(0));
    expect(traceTree.a[1][0]).toEqual(f64(0, 0));
    expect(flatten(traceTree.a[1][1] as Tree).leaves).toHaveLength(0);
    expect(flatten(traceTree.b as Tree).leaves).toHaveLength(0);
    // A NaN in a masked-out leaf does not make the inner skip.
    const grads = { a: [f64(2), [f64(2, 2), f64(NaN, 0, 0)]], b: { c: f64(9, 9, 9, 9), d: f64(NaN) } };
    const [u, s] = tx.update(grads, state, params);
    expect(s.inner.lastFinite).toBe(true);
    expect(allValues(u).slice(0, 3)).toEqual([2, 2, 2]);
    expect(allValues(u).slice(3, 6)).toEqual([NaN, 0, 0]);
    expect(allValues(u).slice(6)).toEqual([9, 9, 9, 9, NaN]);
  });

  it('maskByPath reads paths as printed (`b`, `dense.b`, `layers[1].w`) and checks the result', () => {
    const params = { b: f64(1), dense: { b: f64(1), w: f64(1) }, layers: [{ w: f64(1) }, { w: f64(1) }] };
    const seen: string[] = [];
    const m = maskByPath((path) => {
      seen.push(path);
      return !/(^|\.)b$/.test(path);
    });
    const tx = masked(scale(-1), m);
    const [u] = tx.update(params, tx.init(params));
    expect(seen).toContain('layers[1].w');
    expect(allValues(u)).toEqual([1, 1, -1, -1, -1]);
    const bad = masked(scale(-1), maskByPath(() => 1 as unknown as boolean));
    expect(() => bad.update(params, bad.init(params))).toThrow(HyperparameterError);
    expect(() => bad.update(params, bad.init(params))).toThrow(/predicate \(at b\)/);
  });

  it('rejects a mask that is not a tree of booleans or a function, and an inner that is not a transformation', () => {
    expect(() => masked(scale(1), { a: 1 } as never)).toThrow(HyperparameterError);
    expect(() => masked({} as never, true)).toThrow(/masked: inner must be a gradient transformation/);
  });
});

describe('masked: purity, spec, compile', () => {
  it('never mutates its inputs and returns fresh arrays (fusable and non-fusable inner)', () => {
    const inners = [() => adamw({ learningRate: 0.1, weightDecay: 0.1 }), () => applyIfFinite(sgd({ learningRate: 0.1, momentum: 0.9 }), { maxConsecutiveErrors: 1 })];
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 20 }), fc.integer({ min: 1, max: 1000 }), fc.constantFrom(0, 1), (maskBits, seed, which) => {
        const params = { a: Float32Array.from([1, 2, 3]), b: [f64(4), f64(5, 6)], c: { shape: [2, 2], data: Float32Array.from([1, 2, 3, 4]) } };
        const tx = masked((inners[which] as () => GradientTransformation<unknown>)(), maskByPath((path) => ((maskBits >> path.length) & 1) === 1));
        const pCopy = copyTree(params);
        let state = tx.init(params);
        for (let k = 0; k < 3; k++) {
          const g = gradsLike(params, seed + k, false);
          const gCopy = copyTree(g);
          const before = structuredClone(state);
          const [u, next] = tx.update(g, state, params);
          expect(sameBits(g, gCopy)).toBe(true);
          expect(sameBits(params, pCopy)).toBe(true);
          expect(state).toEqual(before);
          const inLeaves = flatten(g).leaves;
          flatten(u).leaves.forEach((l, i) => {
            expect(l.data).not.toBe(inLeaves[i]?.data);
            expect(l.data.constructor).toBe(inLeaves[i]?.data.constructor);
          });
          state = next;
        }
      }),
      { seed: 7101, numRuns: 30 },
    );
  });

  it('carries a spec: { op: masked, transform, mask }; a function mask is reported by toSpec', () => {
    const tx = masked(scaleByAdam(), { w: true, b: false });
    expect(toSpec(tx)).toEqual({ op: 'masked', transform: toSpec(scaleByAdam()), mask: { w: true, b: false } });
    expect(() => toSpec(masked(scaleByAdam(), () => true))).toThrow(SpecError);
    expect(() => toSpec(masked(scaleByAdam(), () => true))).toThrow(/\$\.mask/);
  });

  const params = { w: Float32Array.from([1, -2, 3, 0.5]), b: f64(0.25, -1), emb: [{ shape: [2, 2], data: Float32Array.from([1, 2, 3, 4]) }, f64(7)] };
  const grads = Array.from({ length: 5 }, (_, i) => gradsLike(params, 11 + i, false));
  const cases: readonly (readonly [string, () => GradientTransformation<unknown>])[] = [
    ['masked(adam, tree)', () => masked(adam({ learningRate: 0.1 }), { w: true, b: false, emb: true })],
    ['masked(clip+adamw with its own mask, function)', () => masked(chain(clipByGlobalNorm(0.5), adamw({ learningRate: 0.1, weightDecay: 0.1, mask: { w: false, b: true, emb: true } })), maskByPath((p) => p !== 'emb[1]'))],
    ['masked(masked(sgd momentum))', () => masked(masked(sgd({ learningRate: 0.1, momentum: 0.9 }), { w: true, b: true, emb: false }), { w: true, b: false, emb: true })],
  ];
  it.each(cases)('compile(%s) equals update, bit for bit, js and closure, pure and in place', (_, make) => {
    expect(compiledDifference(make(), params, grads)).toBeUndefined();
  });

  it('the compile check fails when the compiled stages differ from update (control)', () => {
    const real = masked(adam({ learningRate: 0.1 }), { w: true, b: false, emb: true });
    const other = masked(adam({ learningRate: 0.1 }), { w: true, b: true, emb: true });
    const liar = { ...real, fusable: other.fusable } as GradientTransformation<unknown>;
    expect(compiledDifference(liar, params, grads)).toMatch(/updates|state/);
  });

  it('compiles a non-fusable inner? only as a host segment: requireFusable makes it a CompileError', () => {
    const tx = masked(applyIfFinite(scale(1), { maxConsecutiveErrors: 0 }), true);
    expect(() => compile(tx, params, { requireFusable: true })).toThrow(/not fusable/);
    expect(compile(tx, params).segments.map((s) => s.kind)).toEqual(['host']);
  });
});

describe('masked: compiled == reference over random trees', () => {
  it('masked(any registry row, random mask) × random trees × steps (specials included)', () => {
    const arb = fc.record({ inner: registryInner, mask: fc.integer({ min: 0, max: 0x7fffffff }) }).map(({ inner, mask }) => ({ tx: masked(inner.tx, seededMask(mask)) as GradientTransformation<unknown>, spec: { masked: [inner.spec, mask] } }));
    assertCompiledMatches(arb, 7111, 80);
  });
});
