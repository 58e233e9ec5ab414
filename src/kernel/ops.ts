/**
 * THE op table: arity, meaning (`eval`), JavaScript rendering (`emit`) and printing of every
 * operation of the IR, in one record each. The interpreter and the closure backend call `eval`;
 * the JavaScript backend emits `emit`; a test checks on edge values (±0, NaN, ±Infinity,
 * subnormals) that the two agree exactly.
 *
 * @module
 */
import { type Code, js } from '../compile/code.js';
import type { Op } from './expr.js';

/** One operation's semantics and renderings. */
export interface OpSpec {
  readonly arity: 1 | 2 | 3;
  /**
   * The meaning, on float64 numbers. Fixed arity (operands past the op's arity are ignored;
   * pass 0), so that calling it allocates nothing.
   */
  readonly eval: (a: number, b: number, c: number) => number;
  /** The same meaning as a JavaScript expression over the argument expressions. */
  readonly emit: (...args: Code[]) => Code;
  /** Math-like text for `printKernel`. */
  readonly print: (...args: string[]) => string;
}

const a0 = (args: readonly Code[], i: number): Code => {
  const c = args[i];
  if (c === undefined) throw new Error(`codegen: missing operand ${String(i)}`);
  return c;
};
const s0 = (args: readonly string[], i: number): string => args[i] ?? '?';

function unary(evalFn: (a: number) => number, emit: (a: Code) => Code, print: (a: string) => string): OpSpec {
  return {
    arity: 1,
    eval: (a) => evalFn(a),
    emit: (...c) => emit(a0(c, 0)),
    print: (...s) => print(s0(s, 0)),
  };
}
function binary(
  evalFn: (a: number, b: number) => number,
  emit: (a: Code, b: Code) => Code,
  print: (a: string, b: string) => string,
): OpSpec {
  return {
    arity: 2,
    eval: (a, b) => evalFn(a, b),
    emit: (...c) => emit(a0(c, 0), a0(c, 1)),
    print: (...s) => print(s0(s, 0), s0(s, 1)),
  };
}

/** The op table. A missing op is a type error (`satisfies Record<Op, OpSpec>`). */
export const OPS = {
  neg: unary((a) => -a, (a) => js`(-${a})`, (a) => `-${a}`),
  abs: unary(Math.abs, (a) => js`Math.abs(${a})`, (a) => `|${a}|`),
  sqrt: unary(Math.sqrt, (a) => js`Math.sqrt(${a})`, (a) => `sqrt(${a})`),
  sign: unary(Math.sign, (a) => js`Math.sign(${a})`, (a) => `sign(${a})`),
  tanh: unary(Math.tanh, (a) => js`Math.tanh(${a})`, (a) => `tanh(${a})`),
  exp: unary(Math.exp, (a) => js`Math.exp(${a})`, (a) => `exp(${a})`),
  log: unary(Math.log, (a) => js`Math.log(${a})`, (a) => `log(${a})`),
  isNaN: unary((a) => (a !== a ? 1 : 0), (a) => js`(${a} !== ${a} ? 1 : 0)`, (a) => `isnan(${a})`),
  isFinite: unary((a) => (a - a === 0 ? 1 : 0), (a) => js`(${a} - ${a} === 0 ? 1 : 0)`, (a) => `isfinite(${a})`),
  add: binary((a, b) => a + b, (a, b) => js`(${a} + ${b})`, (a, b) => `(${a} + ${b})`),
  sub: binary((a, b) => a - b, (a, b) => js`(${a} - ${b})`, (a, b) => `(${a} - ${b})`),
  mul: binary((a, b) => a * b, (a, b) => js`(${a} * ${b})`, (a, b) => `${a}·${b}`),
  div: binary((a, b) => a / b, (a, b) => js`(${a} / ${b})`, (a, b) => `${a}/${b}`),
  max: binary(Math.max, (a, b) => js`Math.max(${a}, ${b})`, (a, b) => `max(${a}, ${b})`),
  min: binary(Math.min, (a, b) => js`Math.min(${a}, ${b})`, (a, b) => `min(${a}, ${b})`),
  pow: binary(Math.pow, (a, b) => js`Math.pow(${a}, ${b})`, (a, b) => `${a}^${b}`),
  lt: binary((a, b) => (a < b ? 1 : 0), (a, b) => js`(${a} < ${b} ? 1 : 0)`, (a, b) => `[${a} < ${b}]`),
  le: binary((a, b) => (a <= b ? 1 : 0), (a, b) => js`(${a} <= ${b} ? 1 : 0)`, (a, b) => `[${a} <= ${b}]`),
  gt: binary((a, b) => (a > b ? 1 : 0), (a, b) => js`(${a} > ${b} ? 1 : 0)`, (a, b) => `[${a} > ${b}]`),
  ge: binary((a, b) => (a >= b ? 1 : 0), (a, b) => js`(${a} >= ${b} ? 1 : 0)`, (a, b) => `[${a} >= ${b}]`),
  eq: binary((a, b) => (a === b ? 1 : 0), (a, b) => js`(${a} === ${b} ? 1 : 0)`, (a, b) => `[${a} = ${b}]`),
  select: {
    arity: 3,
    eval: (c, a, b) => (c !== 0 ? a : b),
    emit: (...c) => js`(${a0(c, 0)} !== 0 ? ${a0(c, 1)} : ${a0(c, 2)})`,
    print: (...s) => `(${s0(s, 0)} ? ${s0(s, 1)} : ${s0(s, 2)})`,
  },
} as const satisfies Record<Op, OpSpec>;

/** Every op name, for tests that iterate the table. */
export const OP_NAMES = Object.keys(OPS) as Op[];
