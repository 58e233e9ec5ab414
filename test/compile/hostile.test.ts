/**
 * Hostile input: tree keys, option values, schedule functions and hand-made kernels crafted to
 * break out of a string, a comment or an expression. Nothing executes, and no user text
 * appears in `compiled.source`.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GradientTransformation } from '../../src/base.js';
import { chain } from '../../src/combine/chain.js';
import { CompileError, compile } from '../../src/compile/index.js';
import { HyperparameterError } from '../../src/errors.js';
import { fromStage } from '../../src/kernel/define.js';
import * as d from '../../src/kernel/dsl.js';
import type { Expr } from '../../src/kernel/expr.js';
import type { Stage } from '../../src/kernel/stage.js';
import { adamw } from '../../src/optimizers/adam.js';
import { clipByGlobalNorm } from '../../src/transforms/clipping.js';
import { scaleByLearningRate } from '../../src/transforms/scale.js';
import { isLeaf } from '../../src/tree/leaf.js';
import type { MaskTree } from '../../src/tree/mask.js';
import { type Tree, flatten } from '../../src/tree/tree.js';
import { applyUpdates } from '../../src/update.js';
import { copyLeaves, fillValues, firstDifference, gradsLike } from './trees.js';

declare global {
  // eslint-disable-next-line no-var -- a global the payloads try to set
  var __gradfusePwned: boolean | undefined;
}

const PAYLOAD = 'globalThis.__gradfusePwned=true';
const HOSTILE_KEYS = [
  `"]);${PAYLOAD};//`,
  `'];${PAYLOAD};//`,
  `\`;${PAYLOAD};//`,
  `*/${PAYLOAD};/*`,
  `\n${PAYLOAD};\n`,
  `\u2028${PAYLOAD}\u2029`,
  `\${${PAYLOAD}}`,
  '</script><script>alert(1)</script>',
  'constructor',
  'toString',
  'valueOf',
  'hasOwnProperty',
];

/** A record with the key as an own property (also for `__proto__`). */
function rec(entries: readonly (readonly [string, Tree])[]): Tree {
  const out: Record<string, Tree> = {};
  for (const [k, v] of entries) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  return out;
}

function hostileParams(withProto: boolean): Tree {
  const leaves = HOSTILE_KEYS.map((k, i): readonly [string, Tree] => {
    const data = i % 2 === 0 ? new Float32Array(3 + i) : new Float64Array(2 + i);
    fillValues(data, 40 + i, false);
    return [k, i % 3 === 0 ? { shape: [data.length], data } : data];
  });
  return rec([...leaves, ...(withProto ? [['__proto__', new Float32Array([1, 2])] as const] : []), ['nested', [rec([[HOSTILE_KEYS[0] as string, new Float64Array([3])]])]]]);
}

/** Identifiers in the code part (comments removed) of a generated source. */
function codeIdentifiers(source: string): Set<string> {
  const code = source
    .split('\n')
    .map((line) => line.replace(/\/\/.*$/, ''))
    .join('\n');
  return new Set(code.match(/[A-Za-z_$][A-Za-z0-9_$]*/g) ?? []);
}

/** What generated code may name: fixed names, role-prefixed names, slot-derived names, Math. */
const ALLOWED = /^(use|strict|function|return|const|let|for|switch|case|break|Math|fround|sqrt|abs|sign|tanh|exp|log|max|min|pow|NaN|Infinity|length|seg|s|red|ls|lred|b|i|k|lo|hi|leaf|pass\d+(Pure)?|[sglptu]\d+|acc\d+|(g|p|out)_f(32|64)|[A-Za-z][A-Za-z0-9]*\$\d+(\$\d+)?(_f(32|64))?)$/;

function expectClean(source: string, needles: readonly string[]): void {
  for (const needle of needles) expect(source.includes(needle), `source contains ${JSON.stringify(needle)}`).toBe(false);
  for (const id of codeIdentifiers(source)) expect(ALLOWED.test(id), `unexpected identifier ${id} in generated code`).toBe(true);
}

beforeEach(() => {
  globalThis.__gradfusePwned = false;
});
afterEach(() => {
  expect(globalThis.__gradfusePwned).toBe(false);
  globalThis.__gradfusePwned = undefined;
});

describe('hostile tree keys', () => {
  for (const backend of ['js', 'closure'] as const) {
    it(`${backend}: compile and step; keys never reach the source; numbers equal the reference`, () => {
      const tx = chain(clipByGlobalNorm(1), adamw({ learningRate: 0.01, mask: maskAll }));
      const params = hostileParams(false);
      const c = compile(tx, params, { backend });
      expectClean(c.source, [PAYLOAD, 'script', 'constructor', 'toString', 'valueOf', 'hasOwnProperty', 'nested', '\u2028']);
      const grads = gradsLike(params, 3, false);
      copyLeaves(c.grads, grads);
      c.step();
      const [u, s] = tx.update(grads, tx.init(params), params);
      expect(firstDifference(c.params, applyUpdates(params, u))).toBeUndefined();
      expect(firstDifference(c.state, s)).toBeUndefined();
      const [cu] = c.update(grads, tx.init(params), params);
      expect(firstDifference(cu, u)).toBeUndefined();
    });
  }

  it('a `__proto__` key stays an own key of the views and of the output updates', () => {
    // A stateless chain: the interpreter's own init/unflatten would turn a `__proto__` key of a
    // state tree into a prototype (reported), so only compiled storage and outputs are checked.
    const params = hostileParams(true);
    const tx = chain(clipByGlobalNorm(1), scaleByLearningRate(0.1));
    const c = compile(tx, params);
    expect(Object.prototype.hasOwnProperty.call(c.params, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(c.params)).toBe(Object.prototype);
    expect(flatten(c.grads).leaves.length).toBe(flatten(params).leaves.length);
    const grads = gradsLike(params, 4, false);
    const [u] = c.update(grads, c.copyState(), c.params);
    expect(Object.prototype.hasOwnProperty.call(u, '__proto__')).toBe(true);
    expect(flatten(u).leaves.length).toBe(flatten(params).leaves.length);
    expectClean(c.source, ['__proto__']);
  });
});

/** A mask of `true` shaped like the params, with the hostile keys as own keys. */
function maskAll(p: Tree): MaskTree {
  const walk = (n: Tree): MaskTree => {
    if (isLeaf(n)) return true;
    if (Array.isArray(n)) return (n as readonly Tree[]).map(walk);
    const out: Record<string, MaskTree> = {};
    for (const k of Object.keys(n)) Object.defineProperty(out, k, { value: walk((n as Record<string, Tree>)[k] as Tree), enumerable: true });
    return out;
  };
  return walk(p);
}

describe('hostile option values and schedules', () => {
  it('strings where numbers belong are rejected when the transformation is built', () => {
    expect(() => adamw({ learningRate: `1);${PAYLOAD};//` as unknown as number })).toThrow(HyperparameterError);
    expect(() => clipByGlobalNorm(`1}${PAYLOAD}` as unknown as number)).toThrow(HyperparameterError);
  });

  it('a schedule returning code-like text throws at the step, before anything is written', () => {
    const evil = Object.assign(() => `0);${PAYLOAD};(` as unknown as number, {
      spec: { schedule: `*/${PAYLOAD}/*`, options: { x: PAYLOAD } },
      toString: () => PAYLOAD,
    });
    const params = hostileParams(false);
    const c = compile(chain(clipByGlobalNorm(1), scaleByLearningRate(evil)), params);
    expectClean(c.source, [PAYLOAD]);
    const before = structuredClone(c.params);
    copyLeaves(c.grads, gradsLike(params, 5, false));
    expect(() => c.step()).toThrow(HyperparameterError);
    expect(firstDifference(c.params, before)).toBeUndefined();
  });

  it('a schedule value is never code: a new value reuses the source', () => {
    const a = compile(scaleByLearningRate(() => 0.5), hostileParams(false));
    const b = compile(scaleByLearningRate(() => 1e-300), hostileParams(false));
    expect(b.source).toBe(a.source);
    expect(b.cacheHit).toBe(true);
  });
});

describe('hostile kernels (hand-made stages that bypass defineTransform)', () => {
  const base: Stage = {
    name: 'ok',
    options: {},
    slots: [],
    reductions: [],
    scalars: () => ({ k: 2 }),
    update: d.mul(d.g, d.scalar('k')),
    next: {},
  };
  const asTx = (stage: Stage): GradientTransformation<unknown> => fromStage(stage) as GradientTransformation<unknown>;
  const params = (): Tree => ({ w: new Float32Array([1, 2, 3]) });

  it('a stage name that is not an identifier is printed as (unnamed)', () => {
    const c = compile(asTx({ ...base, name: `x */\n${PAYLOAD};\n/*` }), params());
    expectClean(c.source, [PAYLOAD]);
    expect(c.source).toContain('// stages: (unnamed)');
  });

  it('a scalar name is never printed unless it is an identifier, and never as code', () => {
    const name = `"]);${PAYLOAD};//`;
    const stage: Stage = { ...base, scalars: () => ({ [name]: 3 }), update: d.mul(d.g, d.scalar(name)) };
    const c = compile(asTx(stage), params());
    expectClean(c.source, [PAYLOAD]);
    copyLeaves(c.grads, { w: new Float32Array([1, 1, 1]) } as Tree);
    c.step();
    expect(Array.from((c.params as { w: Float32Array }).w)).toEqual([4, 5, 6]);
  });

  it('a slot name outside the slot-name pattern is a CompileError', () => {
    const slot = `m;${PAYLOAD}`;
    const s: Expr = d.slot(slot);
    const stage: Stage = { ...base, slots: [{ name: slot, init: 0 }], update: d.add(s, d.g), next: { [slot]: d.add(s, d.g) } };
    expect(() => compile(asTx(stage), params())).toThrow(CompileError);
  });

  it('a constant that is not a number, an unknown op or node: CompileError, nothing emitted', () => {
    const notNumber = { tag: 'const', value: `1;${PAYLOAD}` } as unknown as Expr;
    expect(() => compile(asTx({ ...base, update: d.mul(d.g, notNumber) }), params())).toThrow(CompileError);
    const badOp = { tag: 'op', op: `add(${PAYLOAD})`, args: [d.g, d.g] } as unknown as Expr;
    expect(() => compile(asTx({ ...base, update: badOp }), params())).toThrow(CompileError);
    const badTag = { tag: PAYLOAD } as unknown as Expr;
    expect(() => compile(asTx({ ...base, update: badTag }), params())).toThrow(CompileError);
    const slotRead = { ...base, reductions: [{ name: 'r', kind: 'sumSquares' as const, of: d.slot('m'), scope: 'global' as const }] };
    expect(() => compile(asTx(slotRead), params())).toThrow(CompileError);
  });

  it('scalars() giving text instead of a number: CompileError at the step, nothing written', () => {
    const stage: Stage = { ...base, scalars: () => ({ k: `2);${PAYLOAD};(` as unknown as number }) };
    const c = compile(asTx(stage), params());
    copyLeaves(c.grads, { w: new Float32Array([1, 1, 1]) } as Tree);
    expect(() => c.step()).toThrow(CompileError);
    expect(Array.from((c.params as { w: Float32Array }).w)).toEqual([1, 2, 3]);
  });
});
