import { describe, expect, it } from 'vitest';
import type { GradientTransformation } from '../../src/base.js';
import { applyIfFinite } from '../../src/combine/applyIfFinite.js';
import { chain } from '../../src/combine/chain.js';
import { flatten } from '../../src/combine/flatten.js';
import { masked } from '../../src/combine/masked.js';
import { HyperparameterError } from '../../src/errors.js';
import { adam } from '../../src/optimizers/adam.js';
import { toSpec } from '../../src/spec/spec.js';
import { clipByBlockRms } from '../../src/transforms/blockClipping.js';
import { scale } from '../../src/transforms/scale.js';
import { scaleByTrustRatio } from '../../src/transforms/trustRatio.js';
import { type Tree, flatten as flattenTree } from '../../src/tree/tree.js';
import { applyUpdates } from '../../src/update.js';
import { allValues, copyTree, sameBits } from '../helpers/arbitraries.js';
import { gradsLike } from '../compile/trees.js';
import { testTrustRatio } from '../compile/registry.js';
import { compiledDifference } from './compileCheck.js';
import fc from 'fast-check';
import { assertCompiledMatches, registryInner } from './compileCheck.js';

const f64 = (...xs: number[]): Float64Array => Float64Array.from(xs);

/** One float64 leaf holding every leaf of the tree, in flatten order. */
const concat = (t: Tree, keep: (i: number) => boolean = () => true): { v: Float64Array } => ({ v: Float64Array.from(flattenTree(t).leaves.filter((_, i) => keep(i)).flatMap((l) => Array.from(l.data))) });

describe('flatten', () => {
  const params = { w: f64(1, -2, 3, 0.5), b: f64(0.25, -1), t: { shape: [2, 2], data: f64(1, 2, 3, 4) } };

  it('runs the inner as on one concatenated leaf: per-leaf reductions (a trust ratio) become global, bit for bit', () => {
    const tx = flatten(testTrustRatio(1e-3));
    const ref = testTrustRatio(1e-3);
    let p: typeof params = params;
    let s = tx.init(p);
    let pv = concat(params);
    let sv = ref.init(pv);
    for (let k = 0; k < 4; k++) {
      const g = gradsLike(p, 200 + k, false);
      const [u, ns] = tx.update(g, s, p);
      const [uv, nsv] = ref.update(concat(g), sv, pv);
      expect(allValues(u)).toEqual(allValues(uv));
      p = applyUpdates(p, u);
      pv = applyUpdates(pv, uv);
      s = ns;
      sv = nsv;
      expect(allValues((s as { acc: Tree }).acc)).toEqual(allValues((sv as { acc: Tree }).acc));
    }
    // ... and it differs from the per-leaf trust ratio
    const perLeaf = testTrustRatio(1e-3);
    const g = gradsLike(params, 1, false);
    expect(sameBits(perLeaf.update(g, perLeaf.init(params), params)[0], tx.update(g, tx.init(params), params)[0])).toBe(false);
  });

  it('LAMB\'s trust ratio and block-RMS clipping become global: equal to the concatenated leaf, bit for bit', () => {
    for (const make of [() => scaleByTrustRatio({ eps: 1e-6 }), () => clipByBlockRms(0.1)]) {
      const tx = flatten(make());
      const ref = make();
      const g = gradsLike(params, 17, false);
      const [u] = tx.update(g, tx.init(params), params);
      const pv = concat(params);
      const [uv] = ref.update(concat(g), ref.init(pv), pv);
      expect(allValues(u)).toEqual(allValues(uv));
      expect(sameBits(u, make().update(g, ref.init(params), params)[0])).toBe(false);
    }
  });

  it('masks inside still name the params\' leaves: the global reductions cover the masked-in leaves only', () => {
    const tx = flatten(masked(testTrustRatio(0), { w: true, b: false, t: true }));
    const ref = testTrustRatio(0);
    const g = gradsLike(params, 5, false);
    const [u] = tx.update(g, tx.init(params), params);
    const keep = (i: number): boolean => i !== 0; // flatten order b, t, w
    const pv = concat(params, keep);
    const [uv] = ref.update(concat(g, keep), ref.init(pv), pv);
    expect(allValues(u).slice(2)).toEqual(allValues(uv));
    expect(allValues(u).slice(0, 2)).toEqual(allValues(g).slice(0, 2));
  });

  it('changes nothing for a transformation without per-leaf reductions', () => {
    const plain = adam({ learningRate: 0.1 });
    const tx = flatten(plain);
    const g = gradsLike(params, 3, false);
    expect(sameBits(tx.update(g, tx.init(params), params)[0], plain.update(g, plain.init(params), params)[0])).toBe(true);
    expect(tx.fusable?.stages.every((st, i) => st === plain.fusable?.stages[i])).toBe(true);
  });

  it('needs a fusable inner, is pure, has a spec, compiles bit for bit', () => {
    expect(() => flatten(applyIfFinite(scale(1), { maxConsecutiveErrors: 0 }))).toThrow(HyperparameterError);
    expect(() => flatten(applyIfFinite(scale(1), { maxConsecutiveErrors: 0 }))).toThrow(/applyIfFinite\(flatten\(x\)\)/);
    expect(toSpec(flatten(scale(2)))).toEqual({ op: 'flatten', transform: toSpec(scale(2)) });
    const tx = flatten(testTrustRatio(1e-3));
    const g = gradsLike(params, 9, false);
    const gc = copyTree(g);
    const pc = copyTree(params);
    const s0 = tx.init(params);
    const before = structuredClone(s0);
    tx.update(g, s0, params);
    expect(sameBits(g, gc) && sameBits(params, pc)).toBe(true);
    expect(s0).toEqual(before);
    const mixed = { w: Float32Array.from([1, -2, 3]), b: f64(0.25, -1), t: { shape: [2, 2], data: Float32Array.from([1, 2, 3, 4]) } };
    const grads = Array.from({ length: 4 }, (_, i) => gradsLike(mixed, 300 + i, false));
    const cases: GradientTransformation<unknown>[] = [flatten(testTrustRatio(1e-3)), chain(scale(2), flatten(chain(testTrustRatio(0), testTrustRatio(1e-2)))), flatten(masked(testTrustRatio(0), { w: true, b: false, t: true }))];
    for (const c of cases) expect(compiledDifference(c, mixed, grads)).toBeUndefined();
  });
});

describe('flatten: compiled == reference over random trees', () => {
  it('flatten(registry row) × random trees × steps (specials included)', () => {
    const arb = registryInner.map((inner) => ({ tx: flatten(inner.tx) as GradientTransformation<unknown>, spec: { flatten: inner.spec } }));
    assertCompiledMatches(arb, 7811, 60);
  });
});
