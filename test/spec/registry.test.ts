/**
 * The registry covers the public API: every transformation, optimizer and combinator that
 * src/index.ts exports is an op (so adding one without a spec fails here), an alias of one
 * (`partition`), or one of the registry's listed helpers and constants that build no
 * transformation (`maskByPath`, `labelsByPath`, `scheduleFreeEvalParams`, ...); every schedule it exports is a schedule the spec format
 * knows, and every op is a public constructor.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import * as gradfuse from '../../src/index.js';
import { SPEC_SCHEDULE_NAMES } from '../../src/spec/schedules.js';
import { decodeSpec } from '../../src/spec/fromSpec.js';
import { NOT_OPS, OPS, OP_ALIASES, OP_NAMES } from '../../src/spec/registry.js';
import { toSpec } from '../../src/spec/spec.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const index = readFileSync(`${root}src/index.ts`, 'utf8');

/** The value names src/index.ts re-exports from the modules under `dir` (type exports left out; `a as b` is `b`). */
function exportsFrom(dir: string): string[] {
  const re = new RegExp(`export \\{([^}]*)\\} from '\\./${dir}/[^']+';`, 'g');
  return [...index.matchAll(re)].flatMap((m) =>
    (m[1] ?? '')
      .split(',')
      .map((s) => s.trim().split(/\s+as\s+/).pop() ?? '')
      .filter((s) => s !== ''),
  );
}

const api = gradfuse as Record<string, unknown>;
/** The name src/index.ts exports an op's constructor under. */
const publicName = (op: string): string => OPS[op]?.constructorName ?? op;

describe('the op registry', () => {
  const constructors = [...exportsFrom('transforms'), ...exportsFrom('optimizers'), ...exportsFrom('combine')];

  it('found the constructors src/index.ts exports', () => {
    expect(constructors).toEqual(expect.arrayContaining(['adamw', 'sgd', 'scaleByAdam', 'clipByGlobalNorm', 'chain', 'injectHyperparams', 'zeroNans']));
    expect(constructors.length).toBeGreaterThanOrEqual(OP_NAMES.length);
  });

  it.each(constructors)('%s is an op of the registry, an alias of one, a listed helper, or a schedule the spec format knows', (name) => {
    expect([...OP_NAMES.map(publicName), ...Object.keys(OP_ALIASES), ...Object.keys(NOT_OPS), ...SPEC_SCHEDULE_NAMES]).toContain(name);
  });

  it.each(Object.entries(OP_ALIASES))('the alias %s is the constructor of op %s, and its spec names that op', (alias, op) => {
    expect(OP_NAMES).toContain(op);
    expect(api[alias]).toBe(api[publicName(op)]);
    const built = decodeSpec({ op, ...OPS[op]?.example });
    expect(E.isRight(built)).toBe(true);
  });

  it.each(Object.keys(NOT_OPS))('the helper %s is exported, is no op, and is listed with its reason', (name) => {
    expect(OP_NAMES).not.toContain(name);
    expect(api[name]).toBeDefined();
    expect(NOT_OPS[name]?.length).toBeGreaterThan(10);
  });

  it.each(['maskByPath', 'labelsByPath'])('the helper %s builds a function (no transformation)', (name) => {
    expect(Object.keys(NOT_OPS)).toContain(name);
    const helper = api[name] as (f: () => unknown) => unknown;
    const made = helper(() => true);
    expect(typeof made).toBe('function');
    expect(made).not.toHaveProperty('init');
  });

  it('scheduleFreeEvalParams, orthogonalizeViaNewtonSchulz and DEFAULT_NS_COEFFS build no transformation', () => {
    const params = { w: Float64Array.of(1, 2) };
    const opt = gradfuse.scheduleFreeSgd({ learningRate: 0.1 });
    const evalParams = gradfuse.scheduleFreeEvalParams(opt.init(params), params);
    expect(evalParams).not.toHaveProperty('init');
    expect(Array.from(evalParams.w)).toEqual([1, 2]);
    const o = gradfuse.orthogonalizeViaNewtonSchulz([1, 0, 0, 1], 2, 2, [gradfuse.DEFAULT_NS_COEFFS]);
    expect(o).toBeInstanceOf(Float64Array);
    expect(gradfuse.DEFAULT_NS_COEFFS).toHaveLength(3);
  });

  it('an op exported under another name does not shadow a different public value of its own name', () => {
    for (const op of OP_NAMES.filter((o) => publicName(o) !== o)) {
      expect(typeof api[publicName(op)]).toBe('function');
      // `flatten` is the tree utility: it is not the combinator.
      expect(api[op]).not.toBe(api[publicName(op)]);
    }
  });

  it.each(exportsFrom('schedules').filter((n) => n !== 'scheduleFromSpec' && n !== 'SCHEDULE_NAMES'))('schedule %s is known to the spec format', (name) => {
    expect(SPEC_SCHEDULE_NAMES).toContain(name);
  });

  it.each([...OP_NAMES])('%s is a public constructor, and its example builds a transformation of that op', (op) => {
    expect(typeof api[publicName(op)]).toBe('function');
    const entry = OPS[op];
    if (entry === undefined) throw new Error(op);
    expect(entry.op).toBe(op);
    const built = decodeSpec({ op, ...entry.example });
    if (E.isLeft(built)) throw new Error(built.left.map((e) => e.message).join('\n'));
    expect(toSpec(built.right).op).toBe(op);
  });

  it('is a null-prototype table: inherited names are no ops', () => {
    expect(OPS.toString).toBeUndefined();
    expect(OPS.__proto__).toBeUndefined();
  });
});
