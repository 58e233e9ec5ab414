/**
 * Mixed chains: members without a kernel definition run on the host between fused segments.
 * Random (nested) chains mixing fusable registry rows with host members == the reference
 * interpreter, bit for bit on the exact backends and within a tolerance on wasm; atomic steps;
 * state in and out; what fused.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { GradientTransformation, UpdateExtras } from '../../src/base.js';
import { applyIfFinite } from '../../src/combine/applyIfFinite.js';
import { chain } from '../../src/combine/chain.js';
import { masked } from '../../src/combine/masked.js';
import { type Backend, CompileError, compile, wasmMemoryAllocator, wasmSimdAvailable } from '../../src/compile/index.js';
import { StateMismatchError } from '../../src/errors.js';
import { scaleByAdam } from '../../src/transforms/adam.js';
import { clipByGlobalNorm } from '../../src/transforms/clipping.js';
import { trace } from '../../src/transforms/momentum.js';
import { scale } from '../../src/transforms/scale.js';
import { scaleByFactoredRms } from '../../src/transforms/adafactor.js';
import { scaleBySm3 } from '../../src/transforms/sm3.js';
import type { FloatArray } from '../../src/tree/leaf.js';
import { type Tree, flatten, mapTree, zipTrees } from '../../src/tree/tree.js';
import { applyUpdates } from '../../src/update.js';
import { type Built, REGISTRY } from './registry.js';
import { type Same, type TrajectoryCase, expectSameTrajectories } from './trajectory.js';
import { copyLeaves, firstDifference, gradsLike, treeArb } from './trees.js';

type AnyTx = GradientTransformation<unknown>;

const EXACT: readonly Backend[] = ['js', 'closure'];

// ---------------------------------------------------------------------------------------------
// host members
// ---------------------------------------------------------------------------------------------

interface HostTraceState {
  readonly count: number;
  readonly m: Tree;
}

/** Momentum written by hand (no kernel definition): `m ← decay·m + g`, `u = m + count·1e-3`. */
function hostTrace(decay: number): GradientTransformation<HostTraceState> {
  const tx: GradientTransformation<HostTraceState> = {
    init: (params) => ({ count: 0, m: mapTree(params as Tree, (d) => (d instanceof Float32Array ? new Float32Array(d.length) : new Float64Array(d.length))) }),
    update: (updates, state) => {
      const m = zipTrees(state.m, [updates as Tree], (a, [g]) => {
        const out = a instanceof Float32Array ? new Float32Array(a.length) : new Float64Array(a.length);
        for (let i = 0; i < a.length; i++) out[i] = decay * (a[i] as number) + ((g as FloatArray)[i] as number);
        return out;
      });
      const shift = state.count * 1e-3;
      const u = mapTree(m, (d) => d.map((x) => x + shift));
      return [u as typeof updates, { count: state.count + 1, m }];
    },
  };
  return { ...tx, spec: { op: 'hostTrace' } as never };
}

/** Throws on its `failOn`-th update (counting from 0), else passes the updates through (copied). */
function failing(failOn: number): GradientTransformation<{ readonly n: number }> {
  return {
    init: () => ({ n: 0 }),
    update: (updates, state) => {
      if (state.n === failOn) throw new Error('host member failed');
      return [mapTree(updates, (d) => d.slice()), { n: state.n + 1 }];
    },
  };
}

const built = (tx: AnyTx, spec: unknown): Built => ({ tx, spec });

const fusableArb: fc.Arbitrary<Built> = fc.oneof(...REGISTRY.map((r) => r.arb));

const hostArb: fc.Arbitrary<Built> = fc.oneof(
  fc.tuple(fusableArb, fc.integer({ min: 0, max: 2 })).map(([b, k]) => built(applyIfFinite(b.tx, { maxConsecutiveErrors: k }), { applyIfFinite: b.spec, k })),
  fc.double({ min: 0, max: 0.99, noNaN: true }).map((dc) => built(hostTrace(dc) as AnyTx, { hostTrace: dc })),
  fc.tuple(fusableArb, fc.boolean()).map(([b, on]) => built(masked(applyIfFinite(b.tx, { maxConsecutiveErrors: 1 }), on) as AnyTx, { maskedApplyIfFinite: b.spec, on })),
  fc.integer({ min: 1, max: 4 }).map((min) => built(scaleByFactoredRms({ minDimSizeToFactor: min }) as AnyTx, { scaleByFactoredRms: min })),
  fc.double({ min: 0, max: 1, noNaN: true }).map((b1) => built(scaleBySm3({ b1 }) as AnyTx, { scaleBySm3: b1 })),
);

/** A chain of fusable and host members, possibly nested. */
const mixedArb: fc.Arbitrary<Built> = fc
  .array(
    fc.oneof(
      { weight: 3, arbitrary: fusableArb },
      { weight: 2, arbitrary: hostArb },
      { weight: 1, arbitrary: fc.array(fc.oneof(fusableArb, hostArb), { minLength: 1, maxLength: 3 }).map((ps) => built(chain(...ps.map((p) => p.tx)) as AnyTx, { chain: ps.map((p) => p.spec) })) },
    ),
    { minLength: 1, maxLength: 5 },
  )
  .filter((ps) => ps.some((p) => p.tx.fusable === undefined))
  .map((ps) => built(chain(...ps.map((p) => p.tx)) as AnyTx, { chain: ps.map((p) => p.spec) }));

// ---------------------------------------------------------------------------------------------
// compiled == reference
// ---------------------------------------------------------------------------------------------

const caseArb = (specials: fc.Arbitrary<boolean>): fc.Arbitrary<TrajectoryCase> => fc.record({ built: mixedArb, tree: treeArb(6), steps: fc.integer({ min: 1, max: 3 }), specials });

const check = (backends: readonly Backend[], same: Same) => expectSameTrajectories({ backends, same, requireHost: true });

/** Numbers within a relative tolerance (NaN with NaN, infinities equal). */
function close(a: unknown, b: unknown, path: string): string | undefined {
  if (typeof a === 'number' && typeof b === 'number') {
    if (Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b))) return undefined;
    return Math.abs(a - b) <= 1e-3 * Math.max(1, Math.abs(a), Math.abs(b)) ? undefined : `${path}: ${String(a)} vs ${String(b)}`;
  }
  if (ArrayBuffer.isView(a) && ArrayBuffer.isView(b)) {
    const x = a as FloatArray;
    const y = b as FloatArray;
    if (x.length !== y.length || x.constructor !== y.constructor) return `${path}: arrays differ in kind or length`;
    for (let i = 0; i < x.length; i++) {
      const d = close(x[i], y[i], `${path}[${String(i)}]`);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    if (ka.join('\0') !== kb.join('\0')) return `${path}: keys ${ka.join(',')} vs ${kb.join(',')}`;
    for (const k of ka) {
      const d = close((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  return Object.is(a, b) ? undefined : `${path}: ${String(a)} vs ${String(b)}`;
}

describe('mixed chains: compiled == reference', () => {
  it('random nested chains of fusable and host members × trees × steps, js and closure, bit for bit', () => {
    fc.assert(fc.property(caseArb(fc.boolean()), check(EXACT, firstDifference)), { seed: 20261124, numRuns: 50 });
  });

  it.runIf(wasmSimdAvailable())('the same on wasm, within a tolerance (SIMD lanes reorder reductions)', () => {
    // Ordinary data only: a gate on a reduction (finite, a norm) near its threshold may flip.
    const tame = fc.record({
      built: fc.tuple(fc.double({ min: 0, max: 0.9, noNaN: true }), fc.integer({ min: 0, max: 1 })).map(([dc, k]) =>
        built(chain(clipByGlobalNorm(1), hostTrace(dc), applyIfFinite(scaleByAdam(), { maxConsecutiveErrors: k }), scale(-0.1), chain(trace({ decay: dc }), hostTrace(0.5)), scaleByFactoredRms({ minDimSizeToFactor: 2 }), scale(0.01), scaleBySm3()) as AnyTx, { dc, k }),
      ),
      tree: treeArb(6),
      steps: fc.integer({ min: 1, max: 3 }),
      specials: fc.constant(false),
    });
    fc.assert(fc.property(tame, check(['wasm'], close)), { seed: 11, numRuns: 8 });
  });
});

// ---------------------------------------------------------------------------------------------
// what fused, atomic steps, state
// ---------------------------------------------------------------------------------------------

const params = (): Tree => ({ w: { shape: [2, 3], data: new Float32Array([1, -2, 3, 0.5, 0, -1]) }, b: new Float64Array([0.25, -4]) });
const ALL: readonly Backend[] = wasmSimdAvailable() ? ['js', 'closure', 'wasm'] : ['js', 'closure'];

describe('segments', () => {
  it('nested chains flatten; maximal fusable runs fuse; host members are listed and marked in the source', () => {
    const tx = chain(clipByGlobalNorm(1), chain(scaleByAdam(), hostTrace(0.5), scale(2)), chain(scale(-1), trace({ decay: 0.9 })), applyIfFinite(scale(1), { maxConsecutiveErrors: 0 }));
    for (const backend of ALL) {
      const c = compile(tx, params(), { backend });
      expect(c.segments.map((s) => [s.kind, s.members])).toEqual([
        ['fused', [0, 1]],
        ['host', [2]],
        ['fused', [3, 4, 5]],
        ['host', [6]],
      ]);
      expect(c.segments[1]?.names).toEqual(['hostTrace']);
      const fused = c.segments[2];
      expect(fused?.kind === 'fused' ? fused.stages : []).toEqual(['scale', 'scale', 'trace']);
      expect(c.source).toMatch(/segment 1: host: chain member 2 \(hostTrace\)/);
      expect(c.source).toMatch(/segment 3: host: chain member 6 \(applyIfFinite\)/);
      expect(c.passCount).toBe(2 + 1 + 1 + 1);
    }
  });

  it('a fully fusable chain is one fused segment; a lone host member compiles too', () => {
    const c = compile(chain(scaleByAdam(), scale(-0.1)), params());
    expect(c.segments).toEqual([{ kind: 'fused', members: [0, 1], names: ['scaleByAdam', 'scale'], stages: ['scaleByAdam', 'scale'], passCount: 1, hash: c.hash }]);
    const h = compile(hostTrace(0.5), params());
    expect(h.segments).toEqual([{ kind: 'host', members: [0], names: ['hostTrace'] }]);
    (h.grads as { b: Float64Array }).b.set([1, 2]);
    h.step();
    expect(Array.from((h.params as { b: Float64Array }).b)).toEqual([1.25, -2]);
  });

  it('requireFusable: true keeps the strict behaviour (a CompileError naming the member)', () => {
    const tx = chain(scale(1), hostTrace(0.5));
    expect(() => compile(tx, params(), { requireFusable: true })).toThrow(CompileError);
    expect(() => compile(tx, params(), { requireFusable: true })).toThrow(/member 1 of the chain is not fusable/);
    expect(() => compile(tx, params(), { requireFusable: 'yes' as never })).toThrow(/requireFusable/);
    expect(compile(chain(scale(1), scale(2)), params(), { requireFusable: true }).segments).toHaveLength(1);
  });
});

describe('atomic steps', () => {
  for (const backend of ALL) {
    it(`${backend}: a host member that throws leaves params and every state buffer as they were`, () => {
      // Fused runs before and after the failing member; the one before has state (a backup).
      const tx = chain(scaleByAdam(), hostTrace(0.9), failing(2), trace({ decay: 0.5 }), scale(-0.1));
      const ref = chain(scaleByAdam(), hostTrace(0.9), failing(99), trace({ decay: 0.5 }), scale(-0.1));
      const c = compile(tx, params(), { backend });
      const grads = gradsLike(params(), 3, false);
      copyLeaves(c.grads as Tree, grads);
      c.step();
      c.step();
      const before = { params: structuredClone(c.params), state: c.copyState() };
      expect(() => {
        c.step();
      }).toThrow('host member failed');
      expect(firstDifference(c.params, before.params)).toBeUndefined();
      expect(firstDifference(c.copyState(), before.state)).toBeUndefined();
      // The pure path throws too and changes nothing it was given.
      const st = c.copyState();
      expect(() => c.update(grads, st, c.params)).toThrow('host member failed');
      expect(firstDifference(st, before.state)).toBeUndefined();
      // Set the failing member past its failure: the run continues as the reference does.
      const s = c.copyState() as unknown as unknown[];
      c.setState([s[0], s[1], { n: 3 }, s[3], s[4]] as never);
      c.step();
      const [u] = ref.update(grads, [s[0], s[1], { n: 3 }, s[3], s[4]] as never, before.params);
      if (backend !== 'wasm') expect(firstDifference(c.params, applyUpdates(before.params, u))).toBeUndefined();
      else expect(close(c.params, applyUpdates(before.params, u), 'params')).toBeUndefined();
    });
  }
});

describe('state', () => {
  const tx = chain(scaleByAdam(), chain(hostTrace(0.5), scale(-0.1)));

  it('state is the transformation’s own; copyState is deep; setState is checked before it writes', () => {
    for (const backend of ALL) {
      const c = compile(tx, params(), { backend });
      copyLeaves(c.grads as Tree, gradsLike(params(), 5, false));
      c.step();
      const copy = c.copyState();
      const live = c.state;
      expect(firstDifference(live, copy)).toBeUndefined();
      const host = (copy as unknown as [unknown, [HostTraceState, unknown]])[1][0];
      expect(host.count).toBe(1);
      // a deep copy: changing it changes nothing compiled
      (host.m as unknown as { b: Float64Array }).b[0] = 123;
      expect(firstDifference(c.state, copy)).toBeDefined();
      const good = c.copyState();
      expect(() => {
        c.setState([good[0], [good[1][0]]] as never);
      }).toThrow(StateMismatchError);
      expect(() => {
        c.setState([{ ...good[0], count: -1 }, good[1]] as never);
      }).toThrow(StateMismatchError);
      expect(firstDifference(c.copyState(), good)).toBeUndefined();
    }
  });

  it('resumes bit for bit: compiled state → reference, and reference state → compiled', () => {
    const p0 = params();
    const g = (k: number): Tree => gradsLike(p0, k, false);
    // reference for 4 steps
    let rp = p0;
    let rs = tx.init(p0);
    const refAt: { p: Tree; s: unknown }[] = [];
    for (let k = 0; k < 4; k++) {
      const [u, s] = tx.update(g(k) as never, rs, rp as never);
      rp = applyUpdates(rp, u as Tree);
      rs = s;
      refAt.push({ p: rp, s: rs });
    }
    for (const backend of EXACT) {
      const c = compile(tx, p0, { backend });
      for (let k = 0; k < 2; k++) {
        copyLeaves(c.grads as Tree, g(k));
        c.step();
      }
      expect(firstDifference(c.copyState(), refAt[1]?.s)).toBeUndefined();
      // a fresh compile from the reference's state after 2 steps continues like the reference
      const d = compile(tx, refAt[1]?.p as Tree, { backend, state: refAt[1]?.s as never });
      for (let k = 2; k < 4; k++) {
        copyLeaves(d.grads as Tree, g(k));
        d.step();
      }
      expect(firstDifference(d.params, refAt[3]?.p)).toBeUndefined();
      expect(firstDifference(d.copyState(), refAt[3]?.s)).toBeUndefined();
    }
  });

  it('the pure update takes the compiled views as input and leaves them alone', () => {
    const c = compile(tx, params());
    copyLeaves(c.grads as Tree, gradsLike(params(), 9, false));
    const g0 = structuredClone(flatten(c.grads as Tree).leaves.map((l) => Array.from(l.data)));
    const s0 = c.copyState();
    const [u, s] = c.update(c.grads, c.state, c.params);
    const [ru, rs] = tx.update(c.grads as never, s0, c.params as never);
    expect(firstDifference(u, ru)).toBeUndefined();
    expect(firstDifference(s, rs)).toBeUndefined();
    expect(flatten(c.grads as Tree).leaves.map((l) => Array.from(l.data))).toEqual(g0);
    expect(firstDifference(c.copyState(), s0)).toBeUndefined();
  });
});

describe('extra arguments and memory', () => {
  /** Scales by the loss value handed in `extra` (like a Polyak step). */
  const byValue: GradientTransformation<null> = {
    init: () => null,
    update: (updates, state, _params, extra?: UpdateExtras) => {
      const v = extra?.value;
      if (typeof v !== 'number') throw new Error('needs { value }');
      return [mapTree(updates as Tree, (d) => d.map((x) => x * v)) as typeof updates, state];
    },
  };

  it('step(extra) and update(..., extra) hand extra arguments to the host members', () => {
    const tx = chain(scale(2), byValue, scale(-1));
    for (const backend of ALL) {
      const c = compile(tx, params(), { backend });
      copyLeaves(c.grads as Tree, gradsLike(params(), 4, false));
      const before = c.copyState();
      const p0 = structuredClone(c.params);
      expect(() => {
        c.step();
      }).toThrow('needs { value }');
      expect(firstDifference(c.params, p0)).toBeUndefined();
      c.step({ value: 0.5 });
      const g = c.grads as { b: Float64Array };
      expect(Array.from((c.params as { b: Float64Array }).b)).toEqual(Array.from((p0 as { b: Float64Array }).b, (x, i) => x - (g.b[i] as number)));
      const [u] = c.update(c.grads, before, c.params, { value: 3 });
      expect(Array.from((u as { b: Float64Array }).b)).toEqual(Array.from(g.b, (x) => -6 * x));
    }
  });

  it.runIf(wasmSimdAvailable())('wasm: a shared WebAssembly.Memory that grows after compile is followed', () => {
    const tx = chain(scaleByAdam(), hostTrace(0.5), trace({ decay: 0.5 }), scale(-0.1));
    const memory = wasmMemoryAllocator();
    const c = compile(tx, params(), { backend: 'wasm', memory });
    const ref = compile(tx, params(), { backend: 'js' });
    const run = (): void => {
      for (const x of [c, ref]) {
        copyLeaves(x.grads as Tree, gradsLike(params(), 2, false));
        x.step();
      }
    };
    run();
    // Another optimizer in the same memory grows it (its buffer is replaced).
    const buffer = memory.memory.buffer;
    const big = { w: new Float32Array(1 << 18) };
    const other = compile(chain(scaleByAdam(), hostTrace(0.1)), big, { backend: 'wasm', memory });
    other.step();
    expect(memory.memory.buffer).not.toBe(buffer);
    run();
    expect(close(c.params, ref.params, 'params')).toBeUndefined();
    expect(close(c.copyState(), ref.copyState(), 'state')).toBeUndefined();
  });
});
