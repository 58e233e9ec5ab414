/**
 * The registry covers the public API: every transformation, optimizer and combinator that
 * src/index.ts exports is an op (so adding one without a spec fails here), every schedule it
 * exports is a schedule the spec format knows, and every op is a public constructor.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import * as gradfuse from '../../src/index.js';
import { SPEC_SCHEDULE_NAMES } from '../../src/spec/schedules.js';
import { decodeSpec } from '../../src/spec/fromSpec.js';
import { OPS, OP_NAMES } from '../../src/spec/registry.js';
import { toSpec } from '../../src/spec/spec.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const index = readFileSync(`${root}src/index.ts`, 'utf8');

/** The value names src/index.ts re-exports from the modules under `dir` (type exports left out). */
function exportsFrom(dir: string): string[] {
  const re = new RegExp(`export \\{([^}]*)\\} from '\\./${dir}/[^']+';`, 'g');
  return [...index.matchAll(re)].flatMap((m) => (m[1] ?? '').split(',').map((s) => s.trim()).filter((s) => s !== ''));
}

describe('the op registry', () => {
  const constructors = [...exportsFrom('transforms'), ...exportsFrom('optimizers'), ...exportsFrom('combine')];

  it('found the constructors src/index.ts exports', () => {
    expect(constructors).toEqual(expect.arrayContaining(['adamw', 'sgd', 'scaleByAdam', 'clipByGlobalNorm', 'chain', 'injectHyperparams', 'zeroNans']));
    expect(constructors.length).toBeGreaterThanOrEqual(OP_NAMES.length);
  });

  it.each(constructors)('%s is an op of the registry, or a schedule the spec format knows', (name) => {
    expect([...OP_NAMES, ...SPEC_SCHEDULE_NAMES]).toContain(name);
  });

  it.each(exportsFrom('schedules').filter((n) => n !== 'scheduleFromSpec' && n !== 'SCHEDULE_NAMES'))('schedule %s is known to the spec format', (name) => {
    expect(SPEC_SCHEDULE_NAMES).toContain(name);
  });

  it.each([...OP_NAMES])('%s is a public constructor, and its example builds a transformation of that op', (op) => {
    expect(typeof (gradfuse as Record<string, unknown>)[op]).toBe('function');
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
