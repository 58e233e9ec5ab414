/**
 * The closure backend: the same loop IR run through closures built from the op table's `eval`,
 * for pages whose Content-Security-Policy forbids `new Function`. Slower, same numbers: each
 * operation is the op table's `eval`, each fold the reduction table's `step`, each `fround` is
 * `Math.fround`, and every value is an f64 in a register, exactly as in the generated code.
 *
 * @module
 */
import { OPS } from '../kernel/ops.js';
import { REDUCTIONS } from '../kernel/reductions.js';
import type { FloatArray } from '../tree/leaf.js';
import type { PassFn } from './emitJs.js';
import type { Accumulator, LExpr, LStmt, LoopPass } from './lower.js';
import { SEGMENT_STRIDE } from './plan.js';

type Thunk = () => number;
type Action = () => void;

interface CompiledVariant {
  readonly prelude: readonly Action[];
  readonly body: readonly Action[];
  readonly leafAccs: readonly Accumulator[];
}

const EMPTY = new Float64Array(0);
const NO_BUFFERS: readonly FloatArray[] = [];

/** Builds the pass function of a loop pass out of closures. */
export function closurePass(pass: LoopPass): PassFn {
  const regs: number[] = new Array<number>(pass.regs.length).fill(0);
  const accs: number[] = new Array<number>(pass.accCount).fill(0);
  // Per-call bindings, set on entry.
  let bufs: readonly FloatArray[] = NO_BUFFERS;
  let scalars: Float64Array = EMPTY;
  let leafScalars: Float64Array = EMPTY;
  let i = 0;
  let leaf = 0;

  const buf = (index: number): FloatArray => bufs[index] as FloatArray;

  const expr = (e: LExpr): Thunk => {
    switch (e.tag) {
      case 'num': {
        const v = e.value;
        return () => v;
      }
      case 'reg': {
        const r = e.reg;
        return () => regs[r] as number;
      }
      case 'fround': {
        const a = expr(e.arg);
        return () => Math.fround(a());
      }
      case 'op': {
        const f = OPS[e.op].eval;
        const [a, b, c] = e.args.map(expr);
        if (a === undefined) throw new Error(`closure: ${e.op} has no operands`);
        if (b === undefined) return () => f(a(), 0, 0);
        if (c === undefined) return () => f(a(), b(), 0);
        return () => f(a(), b(), c());
      }
      default: {
        const never: never = e;
        return never;
      }
    }
  };

  const stmt = (s: LStmt): Action => {
    switch (s.tag) {
      case 'scalar': {
        const { reg, index } = s;
        return () => {
          regs[reg] = scalars[index] as number;
        };
      }
      case 'leafScalar': {
        const { reg, index } = s;
        const stride = pass.leafScalarStride;
        return () => {
          regs[reg] = leafScalars[leaf * stride + index] as number;
        };
      }
      case 'load': {
        const { reg, buffer } = s;
        return () => {
          regs[reg] = buf(buffer)[i] as number;
        };
      }
      case 'let': {
        const { reg } = s;
        const value = expr(s.value);
        return () => {
          regs[reg] = value();
        };
      }
      case 'store': {
        const { buffer } = s;
        const value = expr(s.value);
        return () => {
          buf(buffer)[i] = value();
        };
      }
      case 'fold': {
        const { acc } = s;
        const step = REDUCTIONS[s.kind].step;
        const value = expr(s.value);
        return () => {
          accs[acc] = step(accs[acc] as number, value());
        };
      }
      default: {
        const never: never = s;
        return never;
      }
    }
  };

  const run = (actions: readonly Action[]): void => {
    for (let j = 0; j < actions.length; j++) (actions[j] as Action)();
  };

  const prelude = pass.prelude.map(stmt);
  const variants: CompiledVariant[] = [];
  for (const v of pass.variants) variants[v.id] = { prelude: v.prelude.map(stmt), body: v.body.map(stmt), leafAccs: v.leafAccs };
  const globalAccs = pass.globalAccs;
  const leafStride = pass.leafReductionStride;

  return (seg, s, red, ls, lred, b) => {
    bufs = b;
    scalars = s;
    leafScalars = ls;
    run(prelude);
    for (let j = 0; j < globalAccs.length; j++) {
      const a = globalAccs[j] as Accumulator;
      accs[a.acc] = REDUCTIONS[a.kind].init;
    }
    for (let k = 0; k < seg.length; k += SEGMENT_STRIDE) {
      const lo = seg[k] as number;
      const hi = seg[k + 1] as number;
      const v = variants[seg[k + 2] as number];
      if (v === undefined) throw new Error('closure: unknown segment variant');
      leaf = seg[k + 3] as number;
      run(v.prelude);
      for (let j = 0; j < v.leafAccs.length; j++) {
        const a = v.leafAccs[j] as Accumulator;
        accs[a.acc] = REDUCTIONS[a.kind].init;
      }
      for (i = lo; i < hi; i++) run(v.body);
      for (let j = 0; j < v.leafAccs.length; j++) {
        const a = v.leafAccs[j] as Accumulator;
        lred[leaf * leafStride + a.index] = accs[a.acc] as number;
      }
    }
    for (let j = 0; j < globalAccs.length; j++) {
      const a = globalAccs[j] as Accumulator;
      red[a.index] = accs[a.acc] as number;
    }
    bufs = NO_BUFFERS;
  };
}
