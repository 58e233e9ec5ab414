/**
 * The op table's two meanings agree exactly: for every op in OPS and every reduction in
 * REDUCTIONS, `eval` (what the interpreter and the closure backend run) equals the emitted
 * JavaScript compiled with `new Function` (what the js backend runs), compared with Object.is on
 * edge values: ±0, NaN, ±Infinity, subnormals, 1e308, values that float32 rounds.
 */
import { describe, expect, it } from 'vitest';
import { Name, js, num } from '../../src/compile/code.js';
import type { Op } from '../../src/kernel/expr.js';
import { OPS, OP_NAMES } from '../../src/kernel/ops.js';
import { REDUCTIONS, type ReductionKind } from '../../src/kernel/reductions.js';

const EDGE = [
  0, -0, NaN, Infinity, -Infinity,
  5e-324, -5e-324, 2.2250738585072014e-308, -2.225073858507201e-308,
  1e308, -1e308, 1.7976931348623157e308,
  0.1, 16777217, 1 + 2 ** -24, 3.4028235677973366e38, 1.401298464324817e-45,
  1, -1, 0.5, 2, -2.5, 3, 1e-8,
];

const A = new Name('a');
const B = new Name('b');
const C = new Name('c');

function compiled(op: Op): (...x: number[]) => number {
  const body = js`return ${OPS[op].emit(A, B, C)};`;
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the test compiles what the compiler emits
  return new Function('a', 'b', 'c', body.text) as (...x: number[]) => number;
}

function* tuples(arity: number): Generator<number[]> {
  if (arity === 0) {
    yield [];
    return;
  }
  for (const rest of tuples(arity - 1)) for (const x of EDGE) yield [...rest, x];
}

describe('OPS: eval == emitted JavaScript, exactly', () => {
  for (const op of OP_NAMES) {
    it(op, () => {
      const spec = OPS[op];
      const f = compiled(op);
      let checked = 0;
      for (const args of tuples(spec.arity)) {
        const [x = 0, y = 0, z = 0] = args;
        const want = spec.eval(x, y, z);
        const got = f(...args);
        if (!Object.is(want, got)) expect.fail(`${op}(${args.map(String).join(', ')}): eval ${String(want)}, emitted ${String(got)}`);
        checked++;
      }
      expect(checked).toBe(EDGE.length ** spec.arity);
    });
  }
});

describe('REDUCTIONS: step == emitted step, exactly', () => {
  for (const kind of Object.keys(REDUCTIONS) as ReductionKind[]) {
    it(kind, () => {
      const spec = REDUCTIONS[kind];
      // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the test compiles what the compiler emits
      const f = new Function('a', 'b', js`return ${spec.emitStep(A, B)};`.text) as (acc: number, x: number) => number;
      for (const acc of [spec.init, ...EDGE]) {
        for (const x of EDGE) {
          const want = spec.step(acc, x);
          const got = f(acc, x);
          if (!Object.is(want, got)) expect.fail(`${kind}(${String(acc)}, ${String(x)}): step ${String(want)}, emitted ${String(got)}`);
        }
      }
      // A whole fold, element after element, agrees too.
      let a: number = spec.init;
      let b: number = spec.init;
      for (const x of EDGE) {
        a = spec.step(a, x);
        b = f(b, x);
      }
      expect(Object.is(a, b)).toBe(true);
    });
  }
});

describe('num(): literals read back exactly', () => {
  it('every edge value, through new Function', () => {
    for (const v of EDGE) {
      // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the test compiles what the compiler emits
      const back = (new Function(js`return ${num(v)};`.text) as () => number)();
      expect(Object.is(back, v), `${String(v)} printed as ${num(v).text}`).toBe(true);
    }
  });

  it('a negative literal after a minus stays a subtraction', () => {
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the test compiles what the compiler emits
    const f = new Function('a', js`return ${A} - ${-1} - ${-0};`.text) as (a: number) => number;
    expect(f(1)).toBe(2);
  });
});
