/**
 * The emitted WebAssembly computes EXACTLY its documented numeric model (test/compile/wasm/
 * laneModel.ts): per-element float32 operations for float32 leaves, the JavaScript backend's
 * float64 numbers for float64 leaves, and reductions folded lane by lane in the stated order.
 *
 * Random chains of every registry row × random trees (dtypes, sizes 0 to 1000 so every vector /
 * unrolled / tail split occurs, masks) × random per-step scalars, per-leaf scalars and buffer
 * contents (with NaN, ±Infinity, ±0, subnormals): every pass function (reduce passes, the in-place
 * store pass, the pure store pass), every output buffer and reduction, bit for bit.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PassSet } from '../../src/compile/cache.js';
import type { PassFn } from '../../src/compile/emitJs.js';
import { type LoopPass, lowerPlan } from '../../src/compile/lower.js';
import { type Plan, planKernel, segmentTable } from '../../src/compile/plan.js';
import { type TreeLayout, layoutOf } from '../../src/compile/storage.js';
import { buildKernel } from '../../src/compile/wasm/module.js';
import { WasmRunner, compileKernel, hostLayout, requireWasm } from '../../src/compile/wasm/runtime.js';
import type { FloatArray } from '../../src/tree/leaf.js';
import { resolveMask } from '../../src/tree/mask.js';
import type { Tree } from '../../src/tree/tree.js';
import { modelPass } from './wasm/laneModel.js';
import { type Built, REGISTRY, chainArb } from './registry.js';
import { type TreeRecipe, buildTree, fillValues, firstDifference, treeArb } from './trees.js';

interface Setup {
  readonly plan: Plan;
  readonly layout: TreeLayout;
  readonly loops: PassSet<LoopPass>;
  readonly segments: { readonly reduce: readonly Int32Array[]; readonly store: Int32Array };
  readonly wasm: PassSet<PassFn>;
}

function setup(built: Built, recipe: TreeRecipe): Setup {
  const params: Tree = buildTree(recipe, (data, i) => fillValues(data, recipe.leaves[i]?.seed ?? 1, false));
  const stages = built.tx.fusable?.stages ?? [];
  const layout = layoutOf(params);
  const actives = stages.map((st) => (st.mask === undefined ? layout.leaves.map(() => true) : resolveMask(st.mask, params, st.name)));
  const plan = planKernel(stages, layout.leaves, actives);
  const loops = lowerPlan(plan);
  const segments = {
    reduce: plan.passes.filter((p) => p.kind === 'reduce').map((p) => segmentTable(p, layout)),
    store: segmentTable(plan.passes[plan.passes.length - 1] as Plan['passes'][number], layout),
  };
  const api = requireWasm();
  const kernel = compileKernel(api, buildKernel(loops, plan.hash, plan.passes.length, false));
  const sizes = { scalarCount: plan.scalarCount, reductionCount: plan.reductionCount, leafCount: plan.leafCount, leafScalarStride: plan.leafScalarStride, leafReductionStride: plan.leafReductionStride };
  const runner = new WasmRunner(api, kernel, undefined, 0, hostLayout(sizes, segments, loops), segments, loops, layout);
  return { plan, layout, loops, segments, wasm: runner.fns };
}

/** Runs one pass through the wasm and the model on identical inputs; the first difference. */
function comparePass(su: Setup, pass: LoopPass, wasm: PassFn, seg: Int32Array, seed: number, specials: boolean): string | undefined {
  const s = new Float64Array(su.plan.scalarCount);
  const ls = new Float64Array(su.plan.leafCount * su.plan.leafScalarStride);
  fillValues(s, seed, specials);
  fillValues(ls, seed + 1, specials);
  const buffers = pass.buffers.map((ref, j) => {
    const data = ref.dtype === 'float32' ? new Float32Array(su.layout.size.float32) : new Float64Array(su.layout.size.float64);
    fillValues(data, seed + 17 * (j + 2), specials);
    return data;
  });
  const copy = (xs: readonly FloatArray[]): FloatArray[] => xs.map((x) => x.slice());
  const bw = copy(buffers);
  const bm = copy(buffers);
  const red = [new Float64Array(su.plan.reductionCount), new Float64Array(su.plan.reductionCount)] as const;
  const lred = [new Float64Array(su.plan.leafCount * su.plan.leafReductionStride), new Float64Array(su.plan.leafCount * su.plan.leafReductionStride)] as const;
  wasm(seg, s, red[0], ls, lred[0], bw);
  modelPass(pass)(seg, s, red[1], ls, lred[1], bm);
  return firstDifference({ buffers: bw, red: red[0], lred: lred[0] }, { buffers: bm, red: red[1], lred: lred[1] }, pass.name);
}

interface Case {
  readonly built: Built;
  readonly tree: TreeRecipe;
  readonly seed: number;
  readonly specials: boolean;
}

function check(c: Case): boolean {
  const su = setup(c.built, c.tree);
  const runs: [LoopPass, PassFn, Int32Array][] = [
    ...su.loops.reduce.map((p, j): [LoopPass, PassFn, Int32Array] => [p, su.wasm.reduce[j] as PassFn, su.segments.reduce[j] as Int32Array]),
    [su.loops.inPlace, su.wasm.inPlace, su.segments.store],
    [su.loops.pure, su.wasm.pure, su.segments.store],
  ];
  for (const [pass, fn, seg] of runs) {
    const d = comparePass(su, pass, fn, seg, c.seed, c.specials);
    if (d !== undefined) throw new Error(`wasm != lane model: ${d}\nchain: ${JSON.stringify(c.built.spec)}\ntree: ${JSON.stringify(c.tree)}\nseed ${String(c.seed)}, specials ${String(c.specials)}`);
  }
  return true;
}

const caseArb = (chain: fc.Arbitrary<Built>): fc.Arbitrary<Case> =>
  fc.record({ built: chain, tree: treeArb(12), seed: fc.integer({ min: 1, max: 0x7fffffff }), specials: fc.boolean() });

describe('emitted wasm == its lane model, bit for bit', () => {
  it('random chains × trees × scalars × data, every pass function', () => {
    fc.assert(fc.property(caseArb(chainArb(4)), check), { seed: 5150, numRuns: 80 });
  });

  for (const row of REGISTRY) {
    it(`${row.name} alone`, () => {
      fc.assert(fc.property(caseArb(row.arb), check), { seed: 31 + row.name.length, numRuns: 6 });
    });
  }

  it('a reduction over segments whose lengths hit every split (unrolled, single vectors, tail)', () => {
    // Every length 0..40 in both dtypes: the model's lane bookkeeping is exercised exhaustively.
    const lengths = Array.from({ length: 41 }, (_, n) => n);
    for (const dtype of ['float32', 'float64'] as const) {
      const tree: TreeRecipe = { leaves: lengths.map((n, i) => ({ dtype, size: n, tensor: false, seed: 100 + i })), shapeSeed: 7 };
      const clip = REGISTRY.find((r) => r.name === 'clipByGlobalNorm');
      expect(clip).toBeDefined();
      fc.assert(fc.property(clip?.arb ?? fc.constant(undefined as never), fc.integer({ min: 1, max: 1000 }), (built, seed) => check({ built, tree, seed, specials: false })), { seed: 99, numRuns: 3 });
    }
  });
});
