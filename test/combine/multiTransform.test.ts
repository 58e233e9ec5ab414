import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { GradientTransformation } from '../../src/base.js';
import { chain } from '../../src/combine/chain.js';
import { type LabelTree, labelsByPath, multiTransform, partition } from '../../src/combine/multiTransform.js';
import type { MaskTree } from '../../src/tree/mask.js';
import { compile } from '../../src/compile/index.js';
import { HyperparameterError, TreeMismatchError } from '../../src/errors.js';
import { adam, adamw } from '../../src/optimizers/adam.js';
import { sgd } from '../../src/optimizers/sgd.js';
import { SpecError, toSpec } from '../../src/spec/spec.js';
import { clipByGlobalNorm } from '../../src/transforms/clipping.js';
import { setToZero } from '../../src/transforms/identity.js';
import { scale } from '../../src/transforms/scale.js';
import { type Tree, flatten } from '../../src/tree/tree.js';
import { applyUpdates } from '../../src/update.js';
import { allValues, copyTree, sameBits } from '../helpers/arbitraries.js';
import { gradsLike } from '../compile/trees.js';
import { compiledDifference } from './compileCheck.js';
import { assertCompiledMatches, registryInner } from './compileCheck.js';
import { seededMask } from '../compile/registry.js';

const f64 = (...xs: number[]): Float64Array => Float64Array.from(xs);
const f32 = (...xs: number[]): Float32Array => Float32Array.from(xs);

/** A two-layer model: matrices as tensors, biases and a norm scale as vectors. */
const model = () => ({
  dense1: { w: { shape: [2, 3], data: f32(0.1, -0.2, 0.3, 0.4, -0.5, 0.6) }, b: f32(0.01, -0.02) },
  norm: { scale: f32(1, 1) },
  dense2: { w: { shape: [1, 2], data: f32(0.7, -0.8) }, b: f32(0.03) },
});
const matricesOnly = (t: ReturnType<typeof model>) => ({ dense1: { w: t.dense1.w }, dense2: { w: t.dense2.w } });
const vectorsOnly = (t: ReturnType<typeof model>) => ({ dense1: { b: t.dense1.b }, dense2: { b: t.dense2.b }, norm: { scale: t.norm.scale } });

describe('multiTransform: parameter groups', () => {
  it('AdamW with decay on the matrices, Adam on biases and norms: each group equals its optimizer run alone, bit for bit', () => {
    const decay = () => adamw({ learningRate: 1e-2, weightDecay: 0.1 });
    const noDecay = () => adam({ learningRate: 1e-2 });
    const opt = multiTransform({
      transforms: { decay: decay(), noDecay: noDecay() },
      paramLabels: labelsByPath((_path, leaf) => (leaf.shape.length > 1 ? 'decay' : 'noDecay')),
    });
    let params = model();
    let state = opt.init(params);
    let pm = matricesOnly(params);
    let pv = vectorsOnly(params);
    const om = decay();
    const ov = noDecay();
    let sm = om.init(pm);
    let sv = ov.init(pv);
    for (let k = 0; k < 4; k++) {
      const g = gradsLike(params, 100 + k, false);
      const [u, s] = opt.update(g, state, params);
      params = applyUpdates(params, u);
      state = s;
      const [um, nsm] = om.update(matricesOnly(g), sm, pm);
      const [uv, nsv] = ov.update(vectorsOnly(g), sv, pv);
      pm = applyUpdates(pm, um);
      pv = applyUpdates(pv, uv);
      sm = nsm;
      sv = nsv;
      expect(sameBits(matricesOnly(params), pm)).toBe(true);
      expect(sameBits(vectorsOnly(params), pv)).toBe(true);
    }
    expect(Object.keys(state.innerStates)).toEqual(['decay', 'noDecay']);
    expect(state.innerStates.decay.inner).toBeDefined();
  });

  it('optax\'s example: adam on "w", sgd on "b", labels by key', () => {
    const params = { linear_1: { w: new Float64Array(30), b: new Float64Array(5) }, linear_2: { w: new Float64Array(6), b: new Float64Array(1) } };
    const grads = copyTree(params);
    for (const l of flatten(grads).leaves) l.data.fill(1);
    const tx = multiTransform({ transforms: { w: adam({ learningRate: 1 }), b: sgd({ learningRate: 1 }) }, paramLabels: labelsByPath((path) => (path.endsWith('.w') ? 'w' : 'b')) });
    const [u] = tx.update(grads, tx.init(params), params);
    expect(Array.from(u.linear_1.b)).toEqual(new Array<number>(5).fill(-1));
    expect(Array.from(u.linear_2.b)).toEqual([-1]);
    // Adam's first step with g = 1: -1/(1 + 1e-8)
    for (const x of [...u.linear_1.w, ...u.linear_2.w]) expect(x).toBe(-1 / (1 + 1e-8));
  });

  it('a label tree, with a prefix covering a subtree; each group\'s reductions see only its leaves', () => {
    const params = { enc: { a: f64(0, 0), b: f64(0) }, head: f64(0, 0) };
    const grads = { enc: { a: f64(30, 40), b: f64(0) }, head: f64(3, 4) };
    const tx = multiTransform({ transforms: { enc: clipByGlobalNorm(1), head: chain(clipByGlobalNorm(10), scale(2)) }, paramLabels: { enc: 'enc', head: 'head' } });
    const [u] = tx.update(grads, tx.init(params));
    expect(Array.from(u.enc.a)).toEqual([0.6, 0.8]);
    expect(Array.from(u.enc.b)).toEqual([0]);
    expect(Array.from(u.head)).toEqual([6, 8]);
  });

  it('partition is the same function', () => {
    expect(partition).toBe(multiTransform);
  });
});

describe('multiTransform: labels', () => {
  const params = { dense1: { w: f64(1, 2), b: f64(3) }, out: f64(4) };

  it('a label with no transformation fails at init, naming the label and the leaf', () => {
    const tx = multiTransform({ transforms: { decay: scale(1), noDecay: scale(2) }, paramLabels: { dense1: { w: 'decay', b: 'bias' }, out: 'noDecay' } });
    expect(() => tx.init(params)).toThrow(HyperparameterError);
    expect(() => tx.init(params)).toThrow(/multiTransform: paramLabels at dense1\.b must be one of the labels with a transformation \("decay", "noDecay"\), got "bias"/);
    // ... and when compiled, and at update with a state from elsewhere
    expect(() => compile(tx, params)).toThrow(/dense1\.b/);
    const good = multiTransform({ transforms: { decay: scale(1), noDecay: scale(2) }, paramLabels: 'decay' });
    expect(() => tx.update(params, good.init(params) as never, params)).toThrow(/"bias"/);
  });

  it('a label function is called with the params; a bad return value is reported', () => {
    const seen: Tree[] = [];
    const tx = multiTransform({
      transforms: { a: scale(-1), b: scale(10) },
      paramLabels: (p) => {
        seen.push(p);
        return { dense1: 'a', out: 'b' };
      },
    });
    const [u] = tx.update(params, tx.init(params), params);
    expect(allValues(u)).toEqual([-3, -1, -2, 40]);
    expect(seen[0]).toBe(params);
    const bad = multiTransform({ transforms: { a: scale(1) }, paramLabels: () => ({ dense1: 1, out: 'a' }) as never });
    expect(() => bad.init(params)).toThrow(/paramLabels must be a tree of strings/);
  });

  it('a label tree that does not fit the params names the path', () => {
    const tx = multiTransform({ transforms: { a: scale(1) }, paramLabels: { dense1: { w: 'a' }, out: 'a' } });
    expect(() => tx.init(params)).toThrow(TreeMismatchError);
    expect(() => tx.init(params)).toThrow(/dense1\.b/);
  });

  it('rejects bad options when built', () => {
    expect(() => multiTransform({ transforms: { a: scale(1) }, paramLabels: 3 as never })).toThrow(HyperparameterError);
    expect(() => multiTransform({ transforms: { a: 1 as never }, paramLabels: 'a' })).toThrow(/transforms\.a must be a gradient transformation/);
    expect(() => multiTransform({ transforms: {}, paramLabels: 'a', extra: 1 } as never)).toThrow(/extra/);
  });
});

describe('multiTransform: purity, spec, compile', () => {
  it('never mutates its inputs and returns fresh arrays', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10000 }), fc.boolean(), (seed, swap) => {
        const params = model();
        const tx = multiTransform({ transforms: { x: adamw({ learningRate: 0.1, weightDecay: 0.1 }), y: sgd({ learningRate: 0.1, momentum: 0.5 }) }, paramLabels: { dense1: swap ? 'x' : 'y', dense2: 'x', norm: 'y' } });
        const pCopy = copyTree(params as Tree);
        let state = tx.init(params);
        for (let k = 0; k < 3; k++) {
          const g = gradsLike(params, seed + k, false);
          const gCopy = copyTree(g as Tree);
          const before = structuredClone(state);
          const [u, next] = tx.update(g, state, params);
          expect(sameBits(g as Tree, gCopy)).toBe(true);
          expect(sameBits(params as Tree, pCopy)).toBe(true);
          expect(state).toEqual(before);
          const inLeaves = flatten(g).leaves;
          flatten(u).leaves.forEach((l, i) => expect(l.data).not.toBe(inLeaves[i]?.data));
          state = next;
        }
      }),
      { seed: 7202, numRuns: 20 },
    );
  });

  it('carries a spec: { op: multiTransform, transforms, paramLabels }', () => {
    const tx = multiTransform({ transforms: { a: scale(2), b: setToZero() }, paramLabels: { w: 'a', b: 'b' } });
    expect(toSpec(tx)).toEqual({ op: 'multiTransform', transforms: { a: toSpec(scale(2)), b: toSpec(setToZero()) }, paramLabels: { w: 'a', b: 'b' } });
    const fn = multiTransform({ transforms: { a: scale(2) }, paramLabels: () => 'a' });
    expect(() => toSpec(fn)).toThrow(SpecError);
    expect(() => toSpec(fn)).toThrow(/\$\.paramLabels/);
  });

  const cases: readonly (readonly [string, () => GradientTransformation<unknown>])[] = [
    ['adamw / adam groups by shape', () => multiTransform({ transforms: { decay: adamw({ learningRate: 0.01, weightDecay: 0.1 }), noDecay: adam({ learningRate: 0.01 }) }, paramLabels: labelsByPath((_p, l) => (l.shape.length > 1 ? 'decay' : 'noDecay')) })],
    ['clip+sgd / frozen, label tree', () => multiTransform({ transforms: { train: chain(clipByGlobalNorm(0.1), sgd({ learningRate: 0.1, momentum: 0.9 })), frozen: setToZero() }, paramLabels: { dense1: 'train', dense2: { w: 'train', b: 'frozen' }, norm: 'frozen' } })],
  ];
  it.each(cases)('compile(%s) equals update, bit for bit, js and closure, pure and in place', (_, make) => {
    const params = model() as unknown as Tree;
    const grads = Array.from({ length: 4 }, (_, i) => gradsLike(params, 40 + i, false));
    const tx = make();
    expect(tx.fusable).toBeDefined();
    expect(compiledDifference(tx, params, grads)).toBeUndefined();
  });
});

describe('multiTransform: compiled == reference over random trees', () => {
  it('two registry rows, random labels × random trees × steps (specials included)', () => {
    const arb = fc.record({ a: registryInner, b: registryInner, seed: fc.integer({ min: 0, max: 0x7fffffff }) }).map(({ a, b, seed }) => {
      const m = seededMask(seed);
      const labels = (p: Tree) => maskToLabels(m(p));
      return { tx: multiTransform({ transforms: { a: a.tx, b: b.tx }, paramLabels: labels }) as GradientTransformation<unknown>, spec: { multiTransform: [a.spec, b.spec, seed] } };
    });
    assertCompiledMatches(arb, 7211, 60);
  });
});

/** 'a' where the mask is true, 'b' elsewhere. */
function maskToLabels(m: MaskTree): LabelTree {
  if (typeof m === 'boolean') return m ? 'a' : 'b';
  if (Array.isArray(m)) return (m as readonly MaskTree[]).map(maskToLabels);
  const out: Record<string, LabelTree> = {};
  for (const [k, v] of Object.entries(m as Record<string, MaskTree>)) Object.defineProperty(out, k, { value: maskToLabels(v), enumerable: true });
  return out;
}
