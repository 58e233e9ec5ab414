/**
 * Every op of the op table through the wasm backend, on edge values (±0, NaN, ±Infinity,
 * subnormals, 1e308, values float32 rounds), through `compile(..., { backend: 'wasm' })`:
 *
 * - float64 leaves (f64x2 lanes and the f64 tail): exactly `OPS[op].eval`, as the JavaScript
 *   backend: NaN propagation of max/min, signed zeros (min(-0, 0) = -0, max(-0, 0) = 0, sign(-0) =
 *   -0), comparisons with NaN false, `select` on NaN true;
 * - float32 leaves (f32x4 lanes and the f32 tail): `Math.fround(OPS[op].eval(...))` of the
 *   float32 operands, i.e. the same value the reference stores for ONE operation (IEEE float32
 *   +, −, ×, ÷, √ are correctly rounded, and rounding the float64 result of float32 operands
 *   gives the same float32).
 *
 * Both the vector path (one long leaf) and the scalar tail (leaves shorter than a vector, kept
 * apart by leaves of the other dtype) are checked. Also the reductions on edge values.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/compile/index.js';
import { defineTransform } from '../../src/kernel/define.js';
import * as d from '../../src/kernel/dsl.js';
import type { Expr, Op } from '../../src/kernel/expr.js';
import { OPS, OP_NAMES } from '../../src/kernel/ops.js';
import { WASM_LOWERING } from '../../src/compile/wasm/emit.js';
import { REDUCTIONS, type ReductionKind } from '../../src/kernel/reductions.js';
import type { Dtype, FloatArray } from '../../src/tree/leaf.js';
import type { Tree } from '../../src/tree/tree.js';
import { fillValues } from './trees.js';

const EDGE = [
  0, -0, NaN, Infinity, -Infinity,
  5e-324, -5e-324, 2.2250738585072014e-308, -2.225073858507201e-308,
  1e308, -1e308, 1.7976931348623157e308,
  0.1, 16777217, 1 + 2 ** -24, 3.4028235677973366e38, 1.401298464324817e-45,
  1, -1, 0.5, 2, -2.5, 3, 1e-8,
];
const CONDITIONS = [0, -0, NaN, 1, -1, Infinity, 5e-324];

/** Operand tuples of an op: every pair of edge values, and for select conditions × pairs. */
function tuples(op: Op): number[][] {
  const arity = OPS[op].arity;
  if (arity === 1) return EDGE.map((x) => [x, 0, 0]);
  if (arity === 2) return EDGE.flatMap((x) => EDGE.map((y) => [x, y, 0]));
  return CONDITIONS.flatMap((c) => EDGE.flatMap((x) => EDGE.map((y) => [c, x, y])));
}

const make = (dtype: Dtype, n: number): FloatArray => (dtype === 'float32' ? new Float32Array(n) : new Float64Array(n));
const other = (dtype: Dtype): Dtype => (dtype === 'float32' ? 'float64' : 'float32');

/** Three trees (operands a, b, c) holding the tuples: one long leaf, or short leaves kept apart. */
function operandTrees(rows: readonly number[][], dtype: Dtype, layout: 'vector' | 'tail'): { readonly trees: Tree[]; readonly read: (t: Tree) => number[] } {
  if (layout === 'vector') {
    const trees = [0, 1, 2].map((k) => [Object.assign(make(dtype, rows.length), {}).map((_, i) => rows[i]?.[k] ?? 0)] as Tree);
    return { trees, read: (t) => Array.from((t as FloatArray[])[0] as FloatArray) };
  }
  const per = dtype === 'float32' ? 3 : 1; // shorter than a vector: every element goes through the tail
  const trees = [0, 1, 2].map((k) => {
    const leaves: FloatArray[] = [];
    for (let at = 0; at < rows.length; at += per) {
      const chunk = rows.slice(at, at + per);
      leaves.push(make(dtype, chunk.length).map((_, i) => chunk[i]?.[k] ?? 0));
      leaves.push(make(other(dtype), 1).fill(0.5)); // a separator of the other dtype: a segment of its own
    }
    return leaves as Tree;
  });
  return { trees, read: (t) => (t as FloatArray[]).filter((_, i) => i % 2 === 0).flatMap((l) => Array.from(l)) };
}

/** A stage whose update is `op(g, p, m)` (m a slot, so all three operands are per element). */
function opStage(op: Op): ReturnType<typeof defineTransform<'m'>> {
  return defineTransform<'m'>({
    name: 'opUnderTest',
    options: { op },
    slots: { m: 0 },
    scalars: () => ({}),
    body: (s) => ({ update: { tag: 'op', op, args: [d.g, d.p, s.m].slice(0, OPS[op].arity) } as Expr, next: { m: s.m } }),
  });
}

describe('wasm: every op on edge values', () => {
  for (const op of OP_NAMES) {
    for (const dtype of ['float64', 'float32'] as const) {
      for (const layout of ['vector', 'tail'] as const) {
        it(`${op}, ${dtype}, ${layout}`, () => {
          const rows = tuples(op);
          const { trees, read } = operandTrees(rows, dtype, layout);
          const [a, b, c] = trees as [Tree, Tree, Tree];
          const tx = opStage(op);
          const compiled = compile(tx, b, { backend: 'wasm' });
          expect(compiled.backend).toBe('wasm');
          const state = { count: 0, m: c };
          const [out] = compiled.update(a, state, b);
          const got = read(out);
          const xs = read(a);
          const ys = read(b);
          const zs = read(c);
          expect(got.length).toBe(rows.length);
          let checked = 0;
          got.forEach((v, i) => {
            const x = xs[i] as number;
            const y = ys[i] as number;
            const z = zs[i] as number;
            const exact = OPS[op].eval(x, y, z);
            const want = dtype === 'float32' ? Math.fround(exact) : exact;
            if (!Object.is(v, want)) expect.fail(`${op}(${String(x)}, ${String(y)}, ${String(z)}) in ${dtype}: wasm ${String(v)}, expected ${String(want)}`);
            checked++;
          });
          expect(checked).toBe(rows.length);
        });
      }
    }
  }
});

describe('wasm: reductions on edge values equal the sequential fold (maxAbs, allFinite exactly)', () => {
  for (const kind of ['maxAbs', 'allFinite', 'sumSquares'] as const satisfies readonly ReductionKind[]) {
    for (const dtype of ['float64', 'float32'] as const) {
      it(`${kind}, ${dtype}`, () => {
        // Windows of the edge list (so some sums stay finite), in every lane position.
        for (let start = 0; start < EDGE.length; start++) {
          for (const len of [1, 3, 5, 8, 13, EDGE.length]) {
            const values = Array.from({ length: len }, (_, i) => EDGE[(start + i) % EDGE.length] as number);
            const data = make(dtype, values.length).map((_, i) => values[i] as number);
            let seen = NaN;
            const probe = defineTransform({
              name: 'reductionProbe',
              options: {},
              reductions: [{ name: 'r', kind, of: d.g, scope: 'global' }],
              scalars: ({ reductions }) => {
                seen = reductions.r ?? NaN;
                return { one: 1 };
              },
              body: () => ({ update: d.mul(d.g, d.scalar('one')), next: {} }),
            });
            const c = compile(probe, [data] as Tree, { backend: 'wasm' });
            c.update([data] as Tree, c.copyState());
            let want: number = REDUCTIONS[kind].init;
            for (const x of data) want = REDUCTIONS[kind].step(want, x);
            if (kind === 'sumSquares') {
              // Order differs: relative error of a sum of non-negative terms, at most 2(n+4)·2⁻⁵³.
              if (!Number.isFinite(want)) expect(Object.is(seen, want), `${String(values)}`).toBe(true);
              else expect(Math.abs(seen - want)).toBeLessThanOrEqual(2 * (len + 4) * 2 ** -53 * want);
            } else if (!Object.is(seen, want)) {
              expect.fail(`${kind} of ${String(values)} in ${dtype}: wasm ${String(seen)}, sequential ${String(want)}`);
            }
          }
        }
      });
    }
  }
});

describe('wasm: sumSquares of random data within the stated reordering bound', () => {
  it('|wasm − sequential| ≤ (2n + 8)·2⁻⁵³·sum, any length and dtype', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5000 }), fc.constantFrom<Dtype>('float32', 'float64'), fc.integer({ min: 1, max: 1e6 }), (n, dtype, seed) => {
        const data = make(dtype, n);
        fillValues(data, seed, false);
        let seen = NaN;
        const probe = defineTransform({
          name: 'normProbe',
          options: {},
          reductions: [{ name: 'r', kind: 'sumSquares', of: d.g, scope: 'global' }],
          scalars: ({ reductions }) => {
            seen = reductions.r ?? NaN;
            return {};
          },
          body: () => ({ update: d.g, next: {} }),
        });
        const c = compile(probe, [data] as Tree, { backend: 'wasm' });
        c.update([data] as Tree, c.copyState());
        let want = 0;
        for (const x of data) want += x * x;
        return Math.abs(seen - want) <= (2 * n + 8) * 2 ** -53 * want;
      }),
      { seed: 77, numRuns: 200 },
    );
  });
});


describe('wasm: the lowering table', () => {
  it('covers the op table; exactly tanh, exp, log and pow call imported Math functions', () => {
    expect(Object.keys(WASM_LOWERING).sort()).toEqual([...OP_NAMES].sort());
    expect(OP_NAMES.filter((o) => WASM_LOWERING[o] === 'imported').sort()).toEqual(['exp', 'log', 'pow', 'tanh']);
  });
});
