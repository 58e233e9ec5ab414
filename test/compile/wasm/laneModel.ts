/**
 * The numeric model of the wasm backend, written from its documented rules (src/compile/wasm/
 * emit.ts), element by element in plain JavaScript, over the same loop IR:
 *
 * - preludes (per-step scalars, hoisted invariants, per-leaf scalars) compute in float64 with the
 *   op table's `eval`, exactly as the JavaScript backend;
 * - a float64 variant computes every element with `eval` (the JavaScript backend's numbers);
 * - a float32 variant computes every element in float32: each operation is
 *   `Math.fround(eval(...))` of float32 operands, each prelude value and constant enters as
 *   `Math.fround(value)`, `fround` nodes are no-ops;
 * - reductions: `sumSquares` adds each square (exact in float64) into its lane partial: in a
 *   segment of n elements, element k is in vector q = ⌊k/W⌋; vectors q < ⌊n/(U·W)⌋·U are unrolled
 *   copy q mod U (U = 4 in a reduce pass, 2 in a store pass), the next full vectors copy 0, the
 *   rest (k ≥ ⌊n/W⌋·W) the scalar tail. A float32
 *   vector's lanes 0,1 go to partial a[copy], lanes 2,3 to b[copy]; a float64 vector's lanes to
 *   a[copy]. The result is `(v0 + v1) + t` with `v = (a[0] + a[1] + ...) + (b[0] + b[1] + ...)`.
 *   `maxAbs` and `allFinite` are order-free (the sequential results).
 *
 * A test runs this model and the emitted wasm on the same inputs and demands bit equality.
 */
import type { PassFn } from '../../../src/compile/emitJs.js';
import type { Accumulator, LExpr, LStmt, LoopPass, LoopVariant } from '../../../src/compile/lower.js';
import { SEGMENT_STRIDE } from '../../../src/compile/plan.js';
import { LANES, unrollOf } from '../../../src/compile/wasm/emit.js';
import { OPS } from '../../../src/kernel/ops.js';
import { REDUCTIONS, type ReductionKind } from '../../../src/kernel/reductions.js';
import type { Dtype, FloatArray } from '../../../src/tree/leaf.js';

interface AccState {
  readonly kind: ReductionKind;
  /** Per copy: sumSquares 2 f64 lanes (a) and 2 (b); maxAbs 4 f32 lanes (a) and 2 f64 lanes (b); allFinite 4 flags (a). */
  readonly a: number[][];
  readonly b: number[][];
  t: number;
}

function freshAcc(kind: ReductionKind, unroll: number): AccState {
  const a = Array.from({ length: unroll }, () => (kind === 'allFinite' ? [1, 1, 1, 1] : [0, 0, 0, 0]));
  const b = Array.from({ length: unroll }, () => [0, 0]);
  return { kind, a, b, t: REDUCTIONS[kind].init };
}

function combine(acc: AccState): number {
  switch (acc.kind) {
    case 'sumSquares': {
      const A = [0, 1].map((l) => acc.a.map((x) => x[l] as number).reduce((s, x, i) => (i === 0 ? x : s + x)));
      const B = [0, 1].map((l) => acc.b.map((x) => x[l] as number).reduce((s, x, i) => (i === 0 ? x : s + x)));
      const v0 = (A[0] as number) + (B[0] as number);
      const v1 = (A[1] as number) + (B[1] as number);
      return v0 + v1 + acc.t;
    }
    case 'maxAbs': {
      let m = acc.t;
      for (const x of acc.a) for (const y of x) m = Math.max(m, y);
      for (const x of acc.b) for (const y of x) m = Math.max(m, y);
      return m;
    }
    case 'allFinite':
      return acc.a.every((x) => x.every((f) => f === 1)) ? acc.t : 0;
    default: {
      const never: never = acc.kind;
      return never;
    }
  }
}

/** Where an element's fold goes: a vector lane of an unrolled copy, or the tail. */
interface Slot {
  readonly vector: boolean;
  readonly copy: number;
  readonly lane: number;
}

function fold(acc: AccState, x: number, at: Slot, dtype: Dtype): void {
  if (!at.vector) {
    acc.t = REDUCTIONS[acc.kind].step(acc.t, x);
    return;
  }
  const a = acc.a[at.copy] as number[];
  const b = acc.b[at.copy] as number[];
  switch (acc.kind) {
    case 'sumSquares':
      if (dtype === 'float32' && at.lane >= 2) b[at.lane - 2] = (b[at.lane - 2] as number) + x * x;
      else a[at.lane] = (a[at.lane] as number) + x * x;
      return;
    case 'maxAbs':
      if (dtype === 'float32') a[at.lane] = Math.max(a[at.lane] as number, Math.abs(x));
      else b[at.lane] = Math.max(b[at.lane] as number, Math.abs(x));
      return;
    case 'allFinite':
      if (!(x - x === 0)) a[at.lane] = 0;
      return;
    default: {
      const never: never = acc.kind;
      throw new Error(String(never));
    }
  }
}

/** The model of one pass, as a pass function. */
export function modelPass(pass: LoopPass): PassFn {
  const U = unrollOf(pass);
  return (seg, s, red, ls, lred, b) => {
    const f64Regs = new Map<number, number>();
    let leaf = 0;
    const evalF64 = (e: LExpr): number => {
      switch (e.tag) {
        case 'num':
          return e.value;
        case 'reg': {
          const v = f64Regs.get(e.reg);
          if (v === undefined) throw new Error(`model: register ${String(e.reg)} unset`);
          return v;
        }
        case 'fround':
          return Math.fround(evalF64(e.arg));
        case 'op': {
          const [x = 0, y = 0, z = 0] = e.args.map(evalF64);
          return OPS[e.op].eval(x, y, z);
        }
        default: {
          const never: never = e;
          return never;
        }
      }
    };
    const prelude = (stmts: readonly LStmt[]): void => {
      for (const st of stmts) {
        if (st.tag === 'scalar') f64Regs.set(st.reg, s[st.index] as number);
        else if (st.tag === 'leafScalar') f64Regs.set(st.reg, ls[leaf * pass.leafScalarStride + st.index] as number);
        else if (st.tag === 'let') f64Regs.set(st.reg, evalF64(st.value));
        else throw new Error(`model: ${st.tag} in a prelude`);
      }
    };
    prelude(pass.prelude);
    const accs = new Map<number, AccState>(pass.globalAccs.map((a) => [a.acc, freshAcc(a.kind, U)]));
    for (let k = 0; k < seg.length; k += SEGMENT_STRIDE) {
      const lo = seg[k] as number;
      const hi = seg[k + 1] as number;
      const v = pass.variants.find((x) => x.id === seg[k + 2]) as LoopVariant;
      leaf = seg[k + 3] as number;
      prelude(v.prelude);
      const leafAccs: Accumulator[] = [...v.leafAccs];
      for (const a of leafAccs) accs.set(a.acc, freshAcc(a.kind, U));
      const f32 = v.dtype === 'float32';
      const round = (x: number): number => (f32 ? Math.fround(x) : x);
      const W = LANES[v.dtype];
      const n = hi - lo;
      const unrolled = Math.floor(n / (U * W)) * U;
      const vectors = Math.floor(n / W);
      for (let e = 0; e < n; e++) {
        const i = lo + e;
        const q = Math.floor(e / W);
        const at: Slot = q < vectors ? { vector: true, copy: q < unrolled ? q % U : 0, lane: e % W } : { vector: false, copy: 0, lane: 0 };
        const regs = new Map<number, number>();
        const value = (x: LExpr): number => {
          switch (x.tag) {
            case 'num':
              return round(x.value);
            case 'reg': {
              const own = regs.get(x.reg);
              if (own !== undefined) return own;
              return round(f64Regs.get(x.reg) as number);
            }
            case 'fround':
              return f32 ? value(x.arg) : Math.fround(value(x.arg));
            case 'op': {
              const [p = 0, r = 0, t = 0] = x.args.map(value);
              return round(OPS[x.op].eval(p, r, t));
            }
            default: {
              const never: never = x;
              return never;
            }
          }
        };
        for (const st of v.body) {
          switch (st.tag) {
            case 'load':
              regs.set(st.reg, (b[st.buffer] as FloatArray)[i] as number);
              break;
            case 'let':
              regs.set(st.reg, value(st.value));
              break;
            case 'store':
              (b[st.buffer] as FloatArray)[i] = value(st.value);
              break;
            case 'fold':
              fold(accs.get(st.acc) as AccState, value(st.value), at, v.dtype);
              break;
            default:
              throw new Error(`model: ${st.tag} in a body`);
          }
        }
      }
      for (const a of leafAccs) lred[leaf * pass.leafReductionStride + a.index] = combine(accs.get(a.acc) as AccState);
    }
    for (const a of pass.globalAccs) red[a.index] = combine(accs.get(a.acc) as AccState);
  };
}
