/**
 * The WebAssembly emitter: one loop-IR pass → one wasm function over the module's memory.
 *
 * The function takes one argument, the address of its **control block** (`u32` words: the
 * segment table's address and length, the addresses of `s`, `red`, `ls`, `lred`, then one
 * address per buffer of the pass). Its shape follows the JavaScript backend's:
 *
 * - the **prelude** (per-step scalars and the invariants hoisted from them) runs once, in f64
 *   scalar instructions: the same numbers as the JavaScript backend computes;
 * - per segment, the variant's **segment prelude** (per-leaf scalars) runs in f64 too;
 * - the element loop runs in **lanes**: `f32x4` for a float32 variant, `f64x2` for a float64
 *   variant, {@link unrollOf} vectors per iteration, then single vectors up to
 *   `lo + ⌊(hi − lo)/W⌋·W`, then a **scalar tail** (`f32` / `f64` instructions) over the rest.
 *   A per-step value enters the lanes once per call (or segment), rounded to float32 for a
 *   float32 variant and splatted;
 * - every per-element operation of a float32 variant is a float32 operation: its result is
 *   `Math.fround(OPS[op].eval(...))` of its float32 operands (IEEE float32 add, sub, mul, div,
 *   sqrt are correctly rounded; min/max/abs/neg/comparisons/select are exact; tanh, exp, log
 *   and pow call the imported JavaScript `Math` functions lane by lane, in f64, and round);
 *   a float64 variant computes exactly what the JavaScript backend computes;
 * - reductions fold in lanes (see `foldInto`); `maxAbs` and `allFinite` give the sequential
 *   result exactly, `sumSquares` sums in another order (float64 lane partials per unrolled copy
 *   and a scalar tail, each square exact in float64).
 *
 * Where the time goes (clip + AdamW, float32, measured in bench/floors.ts): the store pass is
 * bound by the divider (one `f32x4.sqrt` and one `f32x4.div` per vector cost more than its
 * loads, stores and eleven multiplications and additions together), the norm pass by the
 * float64 widening (two `f64x2.promote_low_f32x4`, two multiplications, two additions per
 * vector), both in cache; beyond the cache, by memory bandwidth.
 *
 * @module
 */
import type { Op } from '../../kernel/expr.js';
import { REDUCTIONS, type ReductionKind } from '../../kernel/reductions.js';
import type { Dtype } from '../../tree/leaf.js';
import { CompileError } from '../error.js';
import type { Accumulator, BufferRef, LExpr, LStmt, LoopPass, LoopVariant } from '../lower.js';
import type { FuncDef, FuncType, Local } from './encoder.js';
import { type Instr, type OpName, type ValType, block, br, call, f32, f64, get, i32, lane, mem, op, set, tee, v128 } from './instr.js';

// ---------------------------------------------------------------------------------------------
// layout constants shared with the runtime
// ---------------------------------------------------------------------------------------------

/** Byte offsets in a control block. */
export const CTL = {
  seg: 0,
  segLength: 4,
  s: 8,
  red: 12,
  ls: 16,
  lred: 20,
  /** The first buffer address; buffer `j` is at `buffers + 4j`. */
  buffers: 24,
} as const;

/** Bytes of a pass's control block. */
export const controlBytes = (pass: LoopPass): number => CTL.buffers + 4 * pass.buffers.length;

/** Lanes per vector, per dtype. */
export const LANES: Readonly<Record<Dtype, number>> = { float32: 4, float64: 2 };
const SHIFT: Readonly<Record<Dtype, number>> = { float32: 2, float64: 3 };
const BYTES: Readonly<Record<Dtype, number>> = { float32: 4, float64: 8 };

/** The imported JavaScript functions (module `math`), called for ops without a wasm instruction. */
export type MathImport = 'tanh' | 'exp' | 'log' | 'pow';

/** The signatures of the math imports. */
export const MATH_IMPORTS: Readonly<Record<MathImport, FuncType>> = {
  tanh: { params: ['f64'], results: ['f64'] },
  exp: { params: ['f64'], results: ['f64'] },
  log: { params: ['f64'], results: ['f64'] },
  pow: { params: ['f64', 'f64'], results: ['f64'] },
};

/** Assigns function indices to math imports on first use. */
export interface ImportTable {
  index(name: MathImport): number;
}

// ---------------------------------------------------------------------------------------------
// a function under construction
// ---------------------------------------------------------------------------------------------

const LOCAL_NAME = /^[A-Za-z0-9_$.]+$/;

class Fn {
  readonly locals: Local[] = [];
  readonly body: Instr[] = [];
  private readonly taken = new Set<string>();

  constructor(readonly params: readonly Local[]) {
    for (const p of params) this.taken.add(p.name);
  }

  /** A new local; its name gets a numeric suffix if taken. */
  local(type: ValType, name: string): number {
    if (!LOCAL_NAME.test(name)) throw new Error(`wasm: bad local name ${JSON.stringify(name)}`);
    let n = name;
    for (let k = 1; this.taken.has(n); k++) n = `${name}.${String(k)}`;
    this.taken.add(n);
    this.locals.push({ type, name: n });
    return this.params.length + this.locals.length - 1;
  }

  emit(...ins: readonly Instr[]): void {
    for (const i of ins) this.body.push(i);
  }
}

// ---------------------------------------------------------------------------------------------
// shapes: how a value is held
// ---------------------------------------------------------------------------------------------

/** Scalar f64 (preludes, float64 tails), scalar f32 (float32 tails), or a vector of a dtype. */
interface Shape {
  readonly vec: boolean;
  readonly dtype: Dtype;
}

const F64_SCALAR: Shape = { vec: false, dtype: 'float64' };

type Prefix = 'f32' | 'f64' | 'f32x4' | 'f64x2';
const prefixOf = (s: Shape): Prefix => (s.vec ? (s.dtype === 'float32' ? 'f32x4' : 'f64x2') : s.dtype === 'float32' ? 'f32' : 'f64');
const valtypeOf = (s: Shape): ValType => (s.vec ? 'v128' : s.dtype === 'float32' ? 'f32' : 'f64');
const opName = (s: Shape, suffix: string): OpName => `${prefixOf(s)}.${suffix}` as OpName;

/** A constant of a shape (rounded to float32 for float32 shapes). */
function constant(s: Shape, value: number): Instr {
  if (!s.vec) return s.dtype === 'float32' ? f32(value) : f64(value);
  return s.dtype === 'float32' ? v128('f32x4', [value, value, value, value]) : v128('f64x2', [value, value]);
}

/** Turns a comparison result (an i32 0/1, or a lane mask) into 1.0 / +0.0. */
function maskToNumber(fn: Fn, s: Shape): void {
  if (s.vec) fn.emit(constant(s, 1), op('v128.and'));
  else fn.emit(op(s.dtype === 'float32' ? 'f32.convert_i32_u' : 'f64.convert_i32_u'));
}

/** Chooses between the two values below a condition (scalar `select`, lane `bitselect`). */
function choose(fn: Fn, s: Shape): void {
  fn.emit(op(s.vec ? 'v128.bitselect' : 'select'));
}

// ---------------------------------------------------------------------------------------------
// expressions
// ---------------------------------------------------------------------------------------------

/** Where a register lives in a given shape. */
type RegEnv = (reg: number) => number;

interface ExprContext {
  readonly fn: Fn;
  readonly imports: ImportTable;
  readonly regs: RegEnv;
}

/**
 * How each op of the op table runs in wasm: one instruction, synthesized from lane masks and
 * selects, or a call to the imported JavaScript `Math` function lane by lane (correct, slow).
 * A new op in the table is a type error here until it has a lowering.
 */
export const WASM_LOWERING = {
  neg: 'instruction',
  abs: 'instruction',
  sqrt: 'instruction',
  add: 'instruction',
  sub: 'instruction',
  mul: 'instruction',
  div: 'instruction',
  max: 'instruction',
  min: 'instruction',
  sign: 'synthesized',
  isNaN: 'synthesized',
  isFinite: 'synthesized',
  lt: 'synthesized',
  le: 'synthesized',
  gt: 'synthesized',
  ge: 'synthesized',
  eq: 'synthesized',
  select: 'synthesized',
  tanh: 'imported',
  exp: 'imported',
  log: 'imported',
  pow: 'imported',
} as const satisfies Record<Op, 'instruction' | 'synthesized' | 'imported'>;

const COMPARE: Partial<Record<Op, string>> = { lt: 'lt', le: 'le', gt: 'gt', ge: 'ge', eq: 'eq' };
const DIRECT_UNARY: Partial<Record<Op, string>> = { neg: 'neg', abs: 'abs', sqrt: 'sqrt' };
const DIRECT_BINARY: Partial<Record<Op, string>> = { add: 'add', sub: 'sub', mul: 'mul', div: 'div', max: 'max', min: 'min' };
const IMPORTED: Partial<Record<Op, MathImport>> = { tanh: 'tanh', exp: 'exp', log: 'log', pow: 'pow' };

/** Calls a math import on values of shape `s` held in `args` locals (lane by lane for vectors). */
function callImport(ctx: ExprContext, s: Shape, name: MathImport, args: readonly number[]): void {
  const fn = ctx.fn;
  const index = ctx.imports.index(name);
  const f32s = s.dtype === 'float32';
  if (!s.vec) {
    for (const a of args) fn.emit(get(a), ...(f32s ? [op('f64.promote_f32')] : []));
    fn.emit(call(index), ...(f32s ? [op('f32.demote_f64')] : []));
    return;
  }
  const extract = f32s ? 'f32x4.extract_lane' : 'f64x2.extract_lane';
  const replace = f32s ? 'f32x4.replace_lane' : 'f64x2.replace_lane';
  fn.emit(get(args[0] as number));
  for (let l = 0; l < LANES[s.dtype]; l++) {
    for (const a of args) fn.emit(get(a), lane(extract, l), ...(f32s ? [op('f64.promote_f32')] : []));
    fn.emit(call(index), ...(f32s ? [op('f32.demote_f64')] : []), lane(replace, l));
  }
}

/** Emits an expression: its value, in shape `s`, is left on the stack. */
function emitExpr(ctx: ExprContext, e: LExpr, s: Shape): void {
  const fn = ctx.fn;
  switch (e.tag) {
    case 'num':
      fn.emit(constant(s, e.value));
      return;
    case 'reg':
      fn.emit(get(ctx.regs(e.reg)));
      return;
    case 'fround':
      emitExpr(ctx, e.arg, s);
      // A float32 shape holds float32 values already; in f64 (a hoisted value), round like Math.fround.
      if (s.dtype === 'float64' && !s.vec) fn.emit(op('f32.demote_f64'), op('f64.promote_f32'));
      else if (s.dtype === 'float64') throw new Error('wasm: fround in a float64 lane');
      return;
    case 'op':
      emitOp(ctx, e.op, e.args, s);
      return;
    default: {
      const never: never = e;
      throw new Error(`wasm: unknown expression ${String(never)}`);
    }
  }
}

function operand(args: readonly LExpr[], i: number): LExpr {
  const a = args[i];
  if (a === undefined) throw new Error(`wasm: missing operand ${String(i)}`);
  return a;
}

/** Emits an operand into a fresh temporary local and returns the local. */
function toTemp(ctx: ExprContext, e: LExpr, s: Shape): number {
  const t = ctx.fn.local(valtypeOf(s), s.vec ? 'tmp_v' : 'tmp');
  emitExpr(ctx, e, s);
  ctx.fn.emit(set(t));
  return t;
}

function emitOp(ctx: ExprContext, o: Op, args: readonly LExpr[], s: Shape): void {
  const fn = ctx.fn;
  const unary = DIRECT_UNARY[o];
  if (unary !== undefined) {
    emitExpr(ctx, operand(args, 0), s);
    fn.emit(op(opName(s, unary) as never));
    return;
  }
  const binary = DIRECT_BINARY[o];
  if (binary !== undefined) {
    emitExpr(ctx, operand(args, 0), s);
    emitExpr(ctx, operand(args, 1), s);
    fn.emit(op(opName(s, binary) as never));
    return;
  }
  const cmp = COMPARE[o];
  if (cmp !== undefined) {
    emitExpr(ctx, operand(args, 0), s);
    emitExpr(ctx, operand(args, 1), s);
    fn.emit(op(opName(s, cmp) as never));
    maskToNumber(fn, s);
    return;
  }
  const imported = IMPORTED[o];
  if (imported !== undefined) {
    const temps = args.map((a) => toTemp(ctx, a, s));
    callImport(ctx, s, imported, temps);
    return;
  }
  switch (o) {
    case 'isNaN': {
      // x !== x
      const t = toTemp(ctx, operand(args, 0), s);
      fn.emit(get(t), get(t), op(opName(s, 'ne') as never));
      maskToNumber(fn, s);
      return;
    }
    case 'isFinite': {
      // x - x === 0
      const t = toTemp(ctx, operand(args, 0), s);
      fn.emit(get(t), get(t), op(opName(s, 'sub') as never), constant(s, 0), op(opName(s, 'eq') as never));
      maskToNumber(fn, s);
      return;
    }
    case 'select': {
      // c !== 0 ? a : b (both sides are evaluated: expressions have no effects)
      emitExpr(ctx, operand(args, 1), s);
      emitExpr(ctx, operand(args, 2), s);
      emitExpr(ctx, operand(args, 0), s);
      fn.emit(constant(s, 0), op(opName(s, 'ne') as never));
      choose(fn, s);
      return;
    }
    case 'sign': {
      // x > 0 ? 1 : (x < 0 ? -1 : x): keeps ±0 and NaN, as Math.sign
      const t = toTemp(ctx, operand(args, 0), s);
      fn.emit(constant(s, 1), constant(s, -1), get(t), get(t), constant(s, 0), op(opName(s, 'lt') as never));
      choose(fn, s);
      fn.emit(get(t), constant(s, 0), op(opName(s, 'gt') as never));
      choose(fn, s);
      return;
    }
    default:
      throw new CompileError('backend', `the wasm backend has no lowering for op ${JSON.stringify(o)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// accumulators
// ---------------------------------------------------------------------------------------------

/**
 * Vectors per iteration of a pass's main element loop: 4 in a reduce pass (a light body whose
 * sums would otherwise wait on the latency of each addition), 2 in a store pass. Each copy has
 * its own accumulator partials, so a reduction runs as that many independent chains. (A store
 * pass unrolled 1, 2 or 4 times measured the same: it waits on the divider.)
 */
export const unrollOf = (pass: LoopPass): number => (pass.mode === 'reduce' ? 4 : 2);

/** The locals of one accumulator: vector partials per unrolled copy, and a scalar (tail) partial. */
interface AccLocals {
  readonly kind: ReductionKind;
  /** Per copy. sumSquares: f64x2 of elements 0,1 (mod 4 within a vector); maxAbs: f32x4 maxima; allFinite: the lane mask. */
  readonly a: readonly number[];
  /** Per copy. sumSquares: f64x2 of elements 2,3 (mod 4; float32 only); maxAbs: f64x2 maxima; allFinite: unused. */
  readonly b: readonly number[];
  /** The scalar partial (f64), starting at the reduction's `init`. */
  readonly t: number;
}

function declareAcc(fn: Fn, acc: Accumulator, unroll: number): AccLocals {
  const stem = `acc${String(acc.acc)}`;
  const copies = Array.from({ length: unroll }, (_, u) => u);
  return {
    kind: acc.kind,
    a: copies.map((u) => fn.local('v128', `${stem}_a${String(u)}`)),
    b: copies.map((u) => fn.local('v128', `${stem}_b${String(u)}`)),
    t: fn.local('f64', `${stem}_t`),
  };
}

function resetAcc(fn: Fn, a: AccLocals): void {
  for (let u = 0; u < a.a.length; u++) {
    switch (a.kind) {
      case 'sumSquares':
        fn.emit(v128('f64x2', [0, 0]), set(a.a[u] as number), v128('f64x2', [0, 0]), set(a.b[u] as number));
        break;
      case 'maxAbs':
        fn.emit(v128('f32x4', [0, 0, 0, 0]), set(a.a[u] as number), v128('f64x2', [0, 0]), set(a.b[u] as number));
        break;
      case 'allFinite':
        fn.emit(v128('i32x4', [-1, -1, -1, -1]), set(a.a[u] as number));
        break;
      default: {
        const never: never = a.kind;
        throw new Error(`wasm: unknown reduction ${String(never)}`);
      }
    }
  }
  fn.emit(f64(REDUCTIONS[a.kind].init), set(a.t));
}

/** Shuffle lanes: bytes 8..15 (the upper two f32 lanes) to the bottom. */
const HIGH_HALF = [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15];

/**
 * One fold step of value `e` (shape `s`, unrolled copy `u`) into an accumulator.
 *
 * - sumSquares: a float32 vector's lanes 0,1 are widened to f64 and their squares added to
 *   `a[u]`, lanes 2,3 to `b[u]`; a float64 vector's squares go to `a[u]`; a tail element's
 *   square to `t`. Each square is exact in f64 (as in the reference); the sums are in another
 *   order than the reference's.
 * - maxAbs: float32 vectors fold into `a[u]` (f32x4.max of |x|), float64 vectors into `b[u]`,
 *   tail elements into `t`: max is exact, so the result is the sequential one.
 * - allFinite: the lane mask `a[u]` keeps the lanes where `x − x == 0`; the tail updates `t`.
 */
function foldInto(ctx: ExprContext, acc: AccLocals, u: number, e: LExpr, s: Shape): void {
  const fn = ctx.fn;
  const f32s = s.dtype === 'float32';
  const a = acc.a[u] as number;
  const b = acc.b[u] as number;
  switch (acc.kind) {
    case 'sumSquares': {
      if (!s.vec) {
        const p = fn.local('f64', 'sq');
        fn.emit(get(acc.t));
        emitExpr(ctx, e, s);
        if (f32s) fn.emit(op('f64.promote_f32'));
        fn.emit(tee(p), get(p), op('f64.mul'), op('f64.add'), set(acc.t));
        return;
      }
      if (!f32s) {
        const t = fn.local('v128', 'sq_v');
        fn.emit(get(a));
        emitExpr(ctx, e, s);
        fn.emit(tee(t), get(t), op('f64x2.mul'), op('f64x2.add'), set(a));
        return;
      }
      const x = toTemp(ctx, e, s);
      const p = fn.local('v128', 'sq_v');
      fn.emit(get(a), get(x), op('f64x2.promote_low_f32x4'), tee(p), get(p), op('f64x2.mul'), op('f64x2.add'), set(a));
      fn.emit(get(b), get(x), get(x), { op: 'i8x16.shuffle', lanes: HIGH_HALF }, op('f64x2.promote_low_f32x4'), tee(p), get(p), op('f64x2.mul'), op('f64x2.add'), set(b));
      return;
    }
    case 'maxAbs': {
      if (!s.vec) {
        fn.emit(get(acc.t));
        emitExpr(ctx, e, s);
        if (f32s) fn.emit(op('f64.promote_f32'));
        fn.emit(op('f64.abs'), op('f64.max'), set(acc.t));
        return;
      }
      const target = f32s ? a : b;
      fn.emit(get(target));
      emitExpr(ctx, e, s);
      fn.emit(op(f32s ? 'f32x4.abs' : 'f64x2.abs'), op(f32s ? 'f32x4.max' : 'f64x2.max'), set(target));
      return;
    }
    case 'allFinite': {
      const x = toTemp(ctx, e, s);
      if (!s.vec) {
        // t = (x - x == 0) ? t : 0
        fn.emit(get(acc.t), f64(0), get(x), get(x), op(opName(s, 'sub') as never), constant(s, 0), op(opName(s, 'eq') as never), op('select'), set(acc.t));
        return;
      }
      fn.emit(get(a), get(x), get(x), op(opName(s, 'sub') as never), constant(s, 0), op(opName(s, 'eq') as never), op('v128.and'), set(a));
      return;
    }
    default: {
      const never: never = acc.kind;
      throw new Error(`wasm: unknown reduction ${String(never)}`);
    }
  }
}

/** Pushes `xs[0] ⊕ xs[1] ⊕ ...` (left to right) of v128 locals. */
function foldLocals(fn: Fn, xs: readonly number[], combine: OpName): void {
  xs.forEach((x, i) => {
    fn.emit(get(x));
    if (i > 0) fn.emit(op(combine as 'v128.and'));
  });
}

/**
 * Leaves the accumulator's result (f64) on the stack:
 * - sumSquares: `A = a[0] + a[1] + ...`, `B = b[0] + b[1] + ...` (lane-wise, left to right),
 *   `v = A + B`, result `(v[0] + v[1]) + t`;
 * - maxAbs: the max of `t` and every lane of every partial;
 * - allFinite: `t` if every lane of every mask is set, else 0.
 */
function combineAcc(fn: Fn, a: AccLocals): void {
  switch (a.kind) {
    case 'sumSquares': {
      const v = fn.local('v128', 'sum_v');
      foldLocals(fn, a.a, 'f64x2.add');
      foldLocals(fn, a.b, 'f64x2.add');
      fn.emit(op('f64x2.add'), tee(v), lane('f64x2.extract_lane', 0), get(v), lane('f64x2.extract_lane', 1), op('f64.add'), get(a.t), op('f64.add'));
      return;
    }
    case 'maxAbs':
      fn.emit(get(a.t));
      for (const x of a.a) for (let l = 0; l < 4; l++) fn.emit(get(x), lane('f32x4.extract_lane', l), op('f64.promote_f32'), op('f64.max'));
      for (const x of a.b) for (let l = 0; l < 2; l++) fn.emit(get(x), lane('f64x2.extract_lane', l), op('f64.max'));
      return;
    case 'allFinite':
      fn.emit(get(a.t), f64(0));
      foldLocals(fn, a.a, 'v128.and');
      fn.emit(op('i32x4.all_true'), op('select'));
      return;
    default: {
      const never: never = a.kind;
      throw new Error(`wasm: unknown reduction ${String(never)}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// registers
// ---------------------------------------------------------------------------------------------

/** The registers an expression reads. */
function regsOf(e: LExpr, out: Set<number>): void {
  if (e.tag === 'reg') out.add(e.reg);
  else if (e.tag === 'op') e.args.forEach((a) => regsOf(a, out));
  else if (e.tag === 'fround') regsOf(e.arg, out);
}

function regsOfStmts(stmts: readonly LStmt[]): Set<number> {
  const out = new Set<number>();
  for (const s of stmts) if (s.tag === 'let' || s.tag === 'store' || s.tag === 'fold') regsOf(s.value, out);
  return out;
}

function defines(s: LStmt): number | undefined {
  return s.tag === 'scalar' || s.tag === 'leafScalar' || s.tag === 'load' || s.tag === 'let' ? s.reg : undefined;
}

/** A readable local name for a register, from its hint. */
function regLabel(pass: LoopPass, reg: number): string {
  const h = pass.regs[reg];
  switch (h?.kind) {
    case 'scalar':
      return `s${String(h.index)}`;
    case 'leafScalar':
      return `l${String(h.index)}`;
    case 'g':
      return 'g';
    case 'p':
      return 'p';
    case 'slot':
      return /^[A-Za-z][A-Za-z0-9]*$/.test(h.slot) ? `${h.slot}$${String(h.stage)}` : `slot$${String(h.stage)}`;
    case 'u':
      return `u${String(h.stage)}`;
    default:
      return `t${String(reg)}`;
  }
}

function bufferLabel(ref: BufferRef): string {
  const d = ref.dtype === 'float32' ? 'f32' : 'f64';
  if (ref.role !== 'slot') return `${ref.role}_${d}`;
  return /^[A-Za-z][A-Za-z0-9]*$/.test(ref.slot) ? `${ref.slot}$${String(ref.stage)}_${d}` : `slot$${String(ref.stage)}_${d}`;
}

// ---------------------------------------------------------------------------------------------
// the pass function
// ---------------------------------------------------------------------------------------------

interface PassLocals {
  readonly seg: number;
  readonly segEnd: number;
  readonly s: number;
  readonly red: number;
  readonly ls: number;
  readonly lred: number;
  readonly lo: number;
  readonly hi: number;
  readonly variant: number;
  readonly leaf: number;
  readonly lsLeaf: number;
  readonly lredLeaf: number;
  readonly off: number;
  readonly uend: number;
  readonly vend: number;
  readonly end: number;
  /** Base address of each buffer (from the control block). */
  readonly buffers: readonly number[];
  /** Address of each buffer's current element (per iteration). */
  readonly addrs: readonly number[];
}

/** A float64 register's value entering lanes of `dtype` (splat) or a float32 tail (demote). */
function entering(fn: Fn, from: number, s: Shape, name: string): number {
  const local = fn.local(valtypeOf(s), s.vec ? `${name}_v` : `${name}_f32`);
  fn.emit(get(from));
  if (s.dtype === 'float32') fn.emit(op('f32.demote_f64'));
  if (s.vec) fn.emit(op(s.dtype === 'float32' ? 'f32x4.splat' : 'f64x2.splat'));
  fn.emit(set(local));
  return local;
}

/** Statements of a prelude (f64): scalar / per-leaf scalar loads and hoisted lets. */
function emitPrelude(fn: Fn, pass: LoopPass, stmts: readonly LStmt[], f64Regs: Map<number, number>, L: PassLocals, imports: ImportTable): void {
  const ctx: ExprContext = { fn, imports, regs: (r) => localOf(f64Regs, r) };
  for (const st of stmts) {
    switch (st.tag) {
      case 'scalar':
      case 'leafScalar': {
        const local = fn.local('f64', regLabel(pass, st.reg));
        fn.emit(get(st.tag === 'scalar' ? L.s : L.lsLeaf), mem('f64.load', 8 * st.index, 3), set(local));
        f64Regs.set(st.reg, local);
        break;
      }
      case 'let': {
        const local = fn.local('f64', regLabel(pass, st.reg));
        emitExpr(ctx, st.value, F64_SCALAR);
        fn.emit(set(local));
        f64Regs.set(st.reg, local);
        break;
      }
      default:
        throw new Error(`wasm: a ${st.tag} statement in a prelude`);
    }
  }
}

function localOf<K extends number | string>(map: ReadonlyMap<K, number>, key: K): number {
  const l = map.get(key);
  if (l === undefined) throw new Error(`wasm: register ${String(key)} has no local`);
  return l;
}

/**
 * Emits one element loop body (a vector copy or the scalar tail) of a variant. Buffer `j` of
 * the element is at `addrs[j] + memOffset`.
 */
function emitBody(
  fn: Fn,
  pass: LoopPass,
  v: LoopVariant,
  s: Shape,
  outer: ReadonlyMap<number, number>,
  addrs: readonly number[],
  memOffset: number,
  copy: number,
  accs: ReadonlyMap<number, AccLocals>,
  imports: ImportTable,
): void {
  const own = new Map<number, number>();
  const regs: RegEnv = (r) => own.get(r) ?? localOf(outer, r);
  const ctx: ExprContext = { fn, imports, regs };
  // The addresses are aligned to the element size (segments start at any element).
  const align = SHIFT[v.dtype];
  const load: OpName = s.vec ? 'v128.load' : v.dtype === 'float32' ? 'f32.load' : 'f64.load';
  const store: OpName = s.vec ? 'v128.store' : v.dtype === 'float32' ? 'f32.store' : 'f64.store';
  const suffix = s.vec ? `_v${String(copy)}` : '';
  for (const st of v.body) {
    switch (st.tag) {
      case 'load': {
        const local = fn.local(valtypeOf(s), `${regLabel(pass, st.reg)}${suffix}`);
        fn.emit(get(addrs[st.buffer] as number), mem(load as 'v128.load', memOffset, align), set(local));
        own.set(st.reg, local);
        break;
      }
      case 'let': {
        const local = fn.local(valtypeOf(s), `${regLabel(pass, st.reg)}${suffix}`);
        emitExpr(ctx, st.value, s);
        fn.emit(set(local));
        own.set(st.reg, local);
        break;
      }
      case 'store':
        fn.emit(get(addrs[st.buffer] as number));
        emitExpr(ctx, st.value, s);
        fn.emit(mem(store as 'v128.store', memOffset, align));
        break;
      case 'fold': {
        const acc = accs.get(st.acc);
        if (acc === undefined) throw new Error(`wasm: accumulator ${String(st.acc)} has no locals`);
        foldInto(ctx, acc, copy, st.value, s);
        break;
      }
      default:
        throw new Error(`wasm: a ${st.tag} statement in a loop body`);
    }
  }
}

/** The buffers a variant's body loads or stores. */
function buffersOf(v: LoopVariant): number[] {
  const out = new Set<number>();
  for (const st of v.body) if (st.tag === 'load' || st.tag === 'store') out.add(st.buffer);
  return [...out].sort((a, b) => a - b);
}

/** The registers defined outside a variant's loop body (in `defined`) that the body reads. */
function outerRegsRead(v: LoopVariant, defined: ReadonlySet<number>): number[] {
  const read = regsOfStmts(v.body);
  return [...read].filter((r) => defined.has(r)).sort((a, b) => a - b);
}

function emitVariant(fn: Fn, pass: LoopPass, v: LoopVariant, L: PassLocals, passF64: ReadonlyMap<number, number>, passEntering: ReadonlyMap<string, number>, globalAccs: ReadonlyMap<number, AccLocals>, imports: ImportTable): void {
  const d = v.dtype;
  const vec: Shape = { vec: true, dtype: d };
  const tail: Shape = { vec: false, dtype: d };
  // per-leaf tables
  if (pass.leafGranular) {
    fn.emit(get(L.ls), get(L.leaf), i32(8 * pass.leafScalarStride), op('i32.mul'), op('i32.add'), set(L.lsLeaf));
    fn.emit(get(L.lred), get(L.leaf), i32(8 * pass.leafReductionStride), op('i32.mul'), op('i32.add'), set(L.lredLeaf));
  }
  // segment prelude (f64), then the values entering the lanes and the tail
  const f64Regs = new Map(passF64);
  emitPrelude(fn, pass, v.prelude, f64Regs, L, imports);
  const segDefined = new Set<number>();
  for (const st of v.prelude) {
    const r = defines(st);
    if (r !== undefined) segDefined.add(r);
  }
  const vecRegs = new Map<number, number>();
  const tailRegs = new Map<number, number>();
  const passDefined = new Set(passF64.keys());
  for (const r of outerRegsRead(v, new Set([...passDefined, ...segDefined]))) {
    if (segDefined.has(r)) {
      const from = localOf(f64Regs, r);
      vecRegs.set(r, entering(fn, from, vec, regLabel(pass, r)));
      tailRegs.set(r, d === 'float32' ? entering(fn, from, tail, regLabel(pass, r)) : from);
    } else {
      vecRegs.set(r, localOf(passEntering, `${d}:v:${String(r)}`));
      tailRegs.set(r, d === 'float32' ? localOf(passEntering, `${d}:s:${String(r)}`) : localOf(passF64, r));
    }
  }
  // accumulators: the pass's global ones and this variant's per-leaf ones
  const accs = new Map(globalAccs);
  const leafAccs = v.leafAccs.map((a) => {
    const locals = declareAcc(fn, a, unrollOf(pass));
    accs.set(a.acc, locals);
    resetAcc(fn, locals);
    return { a, locals };
  });
  // Element ranges, in bytes: [off, uend) `unroll` vectors at a time, [uend, vend) one vector at
  // a time, [vend, end) the scalar tail. Each iteration first computes each buffer's address.
  const sh = SHIFT[d];
  const W = LANES[d];
  const used = buffersOf(v);
  const addresses = (): void => {
    for (const j of used) fn.emit(get(L.buffers[j] as number), get(L.off), op('i32.add'), set(L.addrs[j] as number));
  };
  const boundary = (elements: number, local: number): void => {
    fn.emit(get(L.lo), get(L.hi), get(L.lo), op('i32.sub'), i32(-elements), op('i32.and'), op('i32.add'), i32(sh), op('i32.shl'), set(local));
  };
  fn.emit(get(L.lo), i32(sh), op('i32.shl'), set(L.off));
  fn.emit(get(L.hi), i32(sh), op('i32.shl'), set(L.end));
  const unroll = unrollOf(pass);
  boundary(unroll * W, L.uend);
  boundary(W, L.vend);
  const loop = (label: string, limit: number, step: number, emitCopies: () => void): void => {
    fn.emit(get(L.off), get(limit), op('i32.lt_u'), block('if', label), block('loop', `${label}Loop`));
    addresses();
    emitCopies();
    fn.emit(get(L.off), i32(step), op('i32.add'), tee(L.off), get(limit), op('i32.lt_u'), br('br_if', 0), op('end'), op('end'));
  };
  loop('unrolled', L.uend, 16 * unroll, () => {
    for (let u = 0; u < unroll; u++) emitBody(fn, pass, v, vec, vecRegs, L.addrs, 16 * u, u, accs, imports);
  });
  loop('vector', L.vend, 16, () => emitBody(fn, pass, v, vec, vecRegs, L.addrs, 0, 0, accs, imports));
  loop('tail', L.end, BYTES[d], () => emitBody(fn, pass, v, tail, tailRegs, L.addrs, 0, 0, accs, imports));
  // per-leaf results
  for (const { a, locals } of leafAccs) {
    fn.emit(get(L.lredLeaf));
    combineAcc(fn, locals);
    fn.emit(mem('f64.store', 8 * a.index, 3));
  }
}

/** Human-readable lines describing a pass (identifiers only). */
export function describePass(pass: LoopPass, passCount: number): string[] {
  const label = (l: string | undefined): string => l ?? '(unnamed)';
  const what =
    pass.mode === 'reduce'
      ? `folds the reductions of ${label(pass.stageLabels[pass.reduceStage ?? 0])}; stores nothing`
      : pass.mode === 'inPlace'
        ? 'stores: slots and params in place'
        : 'stores: slots and the outgoing updates (pure update)';
  return [
    `${pass.name} (pass ${String(pass.index + 1)} of ${String(passCount)}): ${what}`,
    `stages: ${pass.stageLabels.map(label).join(' > ')}`,
    `control block (u32): seg, segLength, s, red, ls, lred, then ${pass.buffers.map(bufferLabel).join(', ') || 'no buffers'}`,
  ];
}

/** Emits the wasm function of one pass. */
export function emitPassFunction(pass: LoopPass, imports: ImportTable, passCount: number): FuncDef {
  const fn = new Fn([{ type: 'i32', name: 'ctl' }]);
  const ctl = 0;
  const L: PassLocals = {
    seg: fn.local('i32', 'seg'),
    segEnd: fn.local('i32', 'segEnd'),
    s: fn.local('i32', 's'),
    red: fn.local('i32', 'red'),
    ls: fn.local('i32', 'ls'),
    lred: fn.local('i32', 'lred'),
    lo: fn.local('i32', 'lo'),
    hi: fn.local('i32', 'hi'),
    variant: fn.local('i32', 'variant'),
    leaf: fn.local('i32', 'leaf'),
    lsLeaf: fn.local('i32', 'lsLeaf'),
    lredLeaf: fn.local('i32', 'lredLeaf'),
    off: fn.local('i32', 'off'),
    uend: fn.local('i32', 'uend'),
    vend: fn.local('i32', 'vend'),
    end: fn.local('i32', 'end'),
    buffers: pass.buffers.map((ref) => fn.local('i32', bufferLabel(ref))),
    addrs: pass.buffers.map((ref) => fn.local('i32', `${bufferLabel(ref)}_at`)),
  };
  // the control block
  fn.emit(get(ctl), mem('i32.load', CTL.seg, 2), set(L.seg));
  fn.emit(get(L.seg), get(ctl), mem('i32.load', CTL.segLength, 2), i32(2), op('i32.shl'), op('i32.add'), set(L.segEnd));
  fn.emit(get(ctl), mem('i32.load', CTL.s, 2), set(L.s));
  fn.emit(get(ctl), mem('i32.load', CTL.red, 2), set(L.red));
  fn.emit(get(ctl), mem('i32.load', CTL.ls, 2), set(L.ls));
  fn.emit(get(ctl), mem('i32.load', CTL.lred, 2), set(L.lred));
  L.buffers.forEach((b, j) => fn.emit(get(ctl), mem('i32.load', CTL.buffers + 4 * j, 2), set(b)));

  // the prelude (f64), then the values entering each dtype's lanes and tails
  const passF64 = new Map<number, number>();
  emitPrelude(fn, pass, pass.prelude, passF64, L, imports);
  const passEntering = new Map<string, number>();
  for (const d of ['float32', 'float64'] as const) {
    const used = new Set<number>();
    for (const v of pass.variants) if (v.dtype === d) for (const r of outerRegsRead(v, new Set(passF64.keys()))) used.add(r);
    for (const r of [...used].sort((a, b) => a - b)) {
      const from = localOf(passF64, r);
      passEntering.set(`${d}:v:${String(r)}`, entering(fn, from, { vec: true, dtype: d }, `${regLabel(pass, r)}_${d === 'float32' ? 'f32' : 'f64'}`));
      if (d === 'float32') passEntering.set(`${d}:s:${String(r)}`, entering(fn, from, { vec: false, dtype: d }, regLabel(pass, r)));
    }
  }

  // global accumulators
  const globalAccs = new Map<number, AccLocals>();
  for (const a of pass.globalAccs) {
    const locals = declareAcc(fn, a, unrollOf(pass));
    globalAccs.set(a.acc, locals);
    resetAcc(fn, locals);
  }

  // the segment loop
  if (pass.variants.length > 0) {
    fn.emit(get(L.seg), get(L.segEnd), op('i32.lt_u'), block('if', 'any'), block('loop', 'segments'));
    fn.emit(get(L.seg), mem('i32.load', 0, 2), set(L.lo));
    fn.emit(get(L.seg), mem('i32.load', 4, 2), set(L.hi));
    fn.emit(get(L.seg), mem('i32.load', 8, 2), set(L.variant));
    fn.emit(get(L.seg), mem('i32.load', 12, 2), set(L.leaf));
    for (const v of pass.variants) {
      const guarded = pass.variants.length > 1;
      if (guarded) fn.emit(get(L.variant), i32(v.id), op('i32.eq'), block('if', `variant${String(v.id)}`));
      emitVariant(fn, pass, v, L, passF64, passEntering, globalAccs, imports);
      if (guarded) fn.emit(op('end'));
    }
    fn.emit(get(L.seg), i32(16), op('i32.add'), tee(L.seg), get(L.segEnd), op('i32.lt_u'), br('br_if', 0), op('end'), op('end'));
  }

  // global results
  for (const a of pass.globalAccs) {
    fn.emit(get(L.red));
    combineAcc(fn, globalAccs.get(a.acc) as AccLocals);
    fn.emit(mem('f64.store', 8 * a.index, 3));
  }

  return { id: pass.name, export: pass.name, params: fn.params, results: [], locals: fn.locals, body: fn.body, comment: describePass(pass, passCount) };
}
