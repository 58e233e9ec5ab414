/**
 * The wasm backend against the reference interpreter, within the STATED BOUND: random chains of
 * every registry row × random trees (1 to 20 leaves, sizes 0 to 1000, float32 / float64 / mixed,
 * nested, masks) × 1 to 5 steps × the pure `update` and the in-place `step`, on the updates, the
 * params and every state slot.
 *
 * Each step starts both from the reference's state and params, so each comparison is one step's
 * error. The bound of every output element comes from the running error analysis in
 * `wasm/errorBound.ts` (its rules are the stated bound, see docs/compiler.md); the analysis
 * recomputes the reference's own numbers on the way, which must equal the interpreter's bit for
 * bit. Elements whose bound is 0 (all of a float64 chain without reductions) must be equal bit
 * for bit; elements the analysis cannot bound (a comparison that may flip, float32 overflow) are
 * counted, and must stay rare.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { GradientTransformation } from '../../src/base.js';
import { compile } from '../../src/compile/index.js';
import type { Dtype, FloatArray } from '../../src/tree/leaf.js';
import { type Tree, flatten } from '../../src/tree/tree.js';
import { applyUpdates } from '../../src/update.js';
import { type Bounded, analyzeStep, ulps } from './wasm/errorBound.js';
import { type Built, REGISTRY, chainArb } from './registry.js';
import { type TreeRecipe, buildTree, copyLeaves, fillValues, firstDifference, gradsLike, treeArb } from './trees.js';

interface Stats {
  checked: number;
  exactRequired: number;
  unbounded: number;
  maxUlps: Record<Dtype, number>;
}
const fresh = (): Stats => ({ checked: 0, exactRequired: 0, unbounded: 0, maxUlps: { float32: 0, float64: 0 } });
/**
 * Separately for ordinary data, for data with special values (NaN, ±Infinity, extremes), and for
 * chains with the test-only `testAllOps` stage (pow of |tanh|, log, exp, sign, comparisons: the
 * analysis often cannot bound its sensitivity).
 */
const allStats = { ordinary: fresh(), specials: fresh(), allOps: fresh() };
let stats: Stats = allStats.ordinary;

const leavesOf = (t: unknown): FloatArray[] => flatten(t as Tree).leaves.map((l) => l.data);

/** Per-slot leaves of a state, in the order the analysis lists them. */
function slotLeaves(tx: GradientTransformation<unknown>, state: unknown): FloatArray[][][] {
  const sts = tx.fusable?.toStageStates(state) ?? [];
  return sts.map((st, k) => (tx.fusable?.stages[k]?.slots ?? []).map((s) => leavesOf(st.slots[s.name])));
}

/** The reference values the analysis recomputed equal the interpreter's, bit for bit. */
function sameAsReference(what: string, got: readonly FloatArray[], bounds: readonly Bounded[]): string | undefined {
  return firstDifference(
    got.map((l) => Array.from(l)),
    bounds.map((b) => Array.from(b.r)),
    `analysis vs interpreter, ${what}`,
  );
}

/** Every element of `got` within its bound of the reference value. */
function within(what: string, got: readonly FloatArray[], bounds: readonly Bounded[], dtypes: readonly Dtype[]): string | undefined {
  for (let i = 0; i < got.length; i++) {
    const w = got[i] as FloatArray;
    const b = bounds[i] as Bounded;
    const d = dtypes[i] as Dtype;
    for (let k = 0; k < w.length; k++) {
      const x = w[k] as number;
      const R = b.r[k] as number;
      const e = b.e[k] as number;
      if (!(e < Infinity)) {
        stats.unbounded++;
        continue;
      }
      stats.checked++;
      if (e === 0) {
        stats.exactRequired++;
        if (!Object.is(x, R)) return `${what}[${String(i)}][${String(k)}]: wasm ${String(x)}, reference ${String(R)}, bound 0 (${d})`;
        continue;
      }
      const err = Math.abs(x - R);
      if (!(err <= e * (1 + 2 ** -40))) return `${what}[${String(i)}][${String(k)}]: wasm ${String(x)}, reference ${String(R)}, |diff| ${String(err)} > bound ${String(e)} (${d})`;
      stats.maxUlps[d] = Math.max(stats.maxUlps[d], ulps(x, R, d));
    }
  }
  return undefined;
}

interface Case {
  readonly built: Built;
  readonly tree: TreeRecipe;
  readonly steps: number;
  readonly specials: boolean;
}

function compare(c: Case): string | undefined {
  stats = JSON.stringify(c.built.spec).includes('testAllOps') ? allStats.allOps : c.specials ? allStats.specials : allStats.ordinary;
  const params0 = buildTree(c.tree, (data, i) => fillValues(data, c.tree.leaves[i]?.seed ?? 1, false));
  const tx = c.built.tx;
  const pure = compile(tx, params0, { backend: 'wasm' });
  const inPlace = compile(tx, params0, { backend: 'wasm' });
  let refParams = params0;
  let refState = tx.init(params0);
  for (let step = 0; step < c.steps; step++) {
    const grads = gradsLike(params0, 1 + step * 31 + (c.tree.shapeSeed % 1000), c.specials);
    const [refU, refS] = tx.update(grads, refState, refParams);
    const nextParams = applyUpdates(refParams, refU);
    const bounds = analyzeStep(tx, grads, refState, refParams);
    const at = (s: string): string => `step ${String(step)}, ${s}`;
    const refSlots = slotLeaves(tx, refS);
    const self =
      sameAsReference(at('updates'), leavesOf(refU), bounds.updates) ??
      sameAsReference(at('params'), leavesOf(nextParams), bounds.params) ??
      refSlots.map((perSlot, k) => perSlot.map((ls, j) => sameAsReference(at(`stage ${String(k)} slot ${String(j)}`), ls, Object.values(bounds.slots[k] ?? {})[j] ?? [])).find((x) => x !== undefined)).find((x) => x !== undefined);
    if (self !== undefined) return self;
    const slotsWithin = (label: string, state: unknown): string | undefined =>
      slotLeaves(tx, state)
        .map((perSlot, k) => perSlot.map((ls, j) => within(at(`${label} stage ${String(k)} slot ${String(j)}`), ls, Object.values(bounds.slots[k] ?? {})[j] ?? [], bounds.dtypes)).find((x) => x !== undefined))
        .find((x) => x !== undefined);
    // pure
    const [u, s] = pure.update(grads, refState, refParams);
    const dp = within(at('pure updates'), leavesOf(u), bounds.updates, bounds.dtypes) ?? slotsWithin('pure', s);
    if (dp !== undefined) return dp;
    // in place, from the same state and params
    inPlace.setState(refState);
    copyLeaves(inPlace.params as Tree, refParams);
    copyLeaves(inPlace.grads as Tree, grads);
    inPlace.step();
    const di = within(at('in-place params'), leavesOf(inPlace.params), bounds.params, bounds.dtypes) ?? slotsWithin('in place', inPlace.state);
    if (di !== undefined) return di;
    refParams = nextParams;
    refState = refS;
  }
  return undefined;
}

function check(c: Case): boolean {
  const diff = compare(c);
  if (diff !== undefined) {
    throw new Error(`wasm outside the stated bound: ${diff}\nchain: ${JSON.stringify(c.built.spec)}\ntree: ${JSON.stringify(c.tree)}\nsteps: ${String(c.steps)}, specials: ${String(c.specials)}`);
  }
  return true;
}

const caseArb = (chain: fc.Arbitrary<Built>): fc.Arbitrary<Case> =>
  fc.record({ built: chain, tree: treeArb(20), steps: fc.integer({ min: 1, max: 5 }), specials: fc.boolean() });

afterAll(() => {
  for (const [name, st] of Object.entries(allStats)) {
    console.log(
      `wasm vs reference, ${name} data: ${String(st.checked)} elements checked (${String(st.exactRequired)} bit for bit), ${String(st.unbounded)} unbounded (skipped); ` +
        `largest error seen: ${String(st.maxUlps.float32)} float32 ulps, ${String(st.maxUlps.float64)} float64 ulps`,
    );
  }
});

describe('wasm backend == reference interpreter within the stated bound', () => {
  it('random chains × random trees × steps (pure and in place)', () => {
    fc.assert(fc.property(caseArb(chainArb(4)), check), { seed: 20240611, numRuns: 100 });
  });

  for (const row of REGISTRY) {
    it(`${row.name} alone`, () => {
      fc.assert(fc.property(caseArb(row.arb), check), { seed: 7 + row.name.length, numRuns: 10 });
    });
  }

  it('on ordinary data nearly every element is bounded', () => {
    // What stays unbounded: comparisons or signs that may flip, float32 overflow, and degenerate
    // hyperparameters the arbitraries produce (decay 1e-34, eps 1e-300: float32 holds them as 0).
    const st = allStats.ordinary;
    expect(st.checked).toBeGreaterThan(100_000);
    expect(st.unbounded / (st.checked + st.unbounded)).toBeLessThan(0.05);
    expect(allStats.specials.checked).toBeGreaterThan(100_000);
  });
});
