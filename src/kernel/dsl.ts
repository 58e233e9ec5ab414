/**
 * Builders for kernel bodies: `g`, `p`, `slot('mu')`, `scalar('b1')` and the operations.
 * Numbers given as operands become structural constants; hyperparameters must come in through
 * `scalar`, so that a new value never changes the generated code.
 *
 * @module
 */
import type { Expr, Op } from './expr.js';

/** An operand: an expression or a structural constant. */
export type Operand = Expr | number;

const lift = (x: Operand): Expr => (typeof x === 'number' ? { tag: 'const', value: x } : x);
const op = (name: Op, ...args: readonly Operand[]): Expr => ({ tag: 'op', op: name, args: args.map(lift) });

/** The incoming update of the element. */
export const g: Expr = { tag: 'update' };
/** The parameter of the element. */
export const p: Expr = { tag: 'param' };
/** A structural constant. */
export const constant = (value: number): Expr => ({ tag: 'const', value });
/** The value of a state slot before this step. */
export const slot = (name: string): Expr => ({ tag: 'slot', name });
/** A per-step scalar computed by the transformation's `scalars`. */
export const scalar = (name: string): Expr => ({ tag: 'scalar', name });

export const neg = (a: Operand): Expr => op('neg', a);
export const abs = (a: Operand): Expr => op('abs', a);
export const sqrt = (a: Operand): Expr => op('sqrt', a);
export const sign = (a: Operand): Expr => op('sign', a);
export const tanh = (a: Operand): Expr => op('tanh', a);
export const exp = (a: Operand): Expr => op('exp', a);
export const log = (a: Operand): Expr => op('log', a);
export const isNaN = (a: Operand): Expr => op('isNaN', a);
export const isFinite = (a: Operand): Expr => op('isFinite', a);
export const add = (a: Operand, b: Operand): Expr => op('add', a, b);
export const sub = (a: Operand, b: Operand): Expr => op('sub', a, b);
export const mul = (a: Operand, b: Operand): Expr => op('mul', a, b);
export const div = (a: Operand, b: Operand): Expr => op('div', a, b);
export const max = (a: Operand, b: Operand): Expr => op('max', a, b);
export const min = (a: Operand, b: Operand): Expr => op('min', a, b);
export const pow = (a: Operand, b: Operand): Expr => op('pow', a, b);
export const lt = (a: Operand, b: Operand): Expr => op('lt', a, b);
export const le = (a: Operand, b: Operand): Expr => op('le', a, b);
export const gt = (a: Operand, b: Operand): Expr => op('gt', a, b);
export const ge = (a: Operand, b: Operand): Expr => op('ge', a, b);
export const eq = (a: Operand, b: Operand): Expr => op('eq', a, b);
/** `a` where `cond !== 0`, else `b`. */
export const select = (cond: Operand, a: Operand, b: Operand): Expr => op('select', cond, a, b);
/** `min(max(x, lo), hi)`. */
export const clamp = (x: Operand, lo: Operand, hi: Operand): Expr => min(max(x, lo), hi);
/** The square `x·x` (one node reused, so it is computed once). */
export const square = (x: Operand): Expr => {
  const e = lift(x);
  return mul(e, e);
};
/** The exponential moving average `decay·m + (1 - decay)·x` with both factors as scalars. */
export const ema = (m: Operand, x: Operand, decay: Operand, oneMinusDecay: Operand): Expr => add(mul(decay, m), mul(oneMinusDecay, x));
