/**
 * A spec describes its transformation completely: `fromSpec(toSpec(o))` runs bit for bit as
 * `o` (through JSON text), `toSpec(fromSpec(toSpec(o)))` is `toSpec(o)`, and a spec written by
 * hand with the defaults left out reads back to the filled form. Random pipelines cover every
 * op of the registry, nested chains and combinators, injected hyperparameters, every schedule
 * constructor, masks and label trees.
 */
import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { decodeSpec, fromSpec, parseSpec } from '../../src/spec/fromSpec.js';
import { OPS, OP_NAMES, TransformRecord, TransformSpecCodec } from '../../src/spec/registry.js';
import { type JsonValue, type TransformSpec, toSpec } from '../../src/spec/spec.js';
import { type Case, MATRIX_OPS, leafOps, pipeline } from './arbitraries.js';
import { type Problem, matrixProblem, problem, sameDeep, trajectory } from './helpers.js';

const viaJson = (spec: TransformSpec): unknown => JSON.parse(JSON.stringify(spec));

/** Every check of one case; returns nothing, fails through `expect`. */
function roundTrip(c: Case, p: Problem): void {
  const o = c.make();
  const spec = toSpec(o);
  const back = fromSpec(viaJson(spec));
  const again = toSpec(back);
  expect(again).toStrictEqual(spec);
  expect(toSpec(parseSpec(again))).toStrictEqual(spec);
  const expected = trajectory(o, p);
  const actual = trajectory(back, p);
  expect(sameDeep(actual, expected), `trajectory of ${JSON.stringify(spec)}`).toBe(true);
  // The spec as written, defaults left out, reads back to the filled form.
  expect(toSpec(parseSpec(c.spec))).toStrictEqual(spec);
}

/**
 * What a filled spec holds under `key` of `op` for the value `v` a user wrote: `v` itself, or,
 * for a key holding transformations (a combinator's inner spec), their filled specs.
 */
function asWritten(op: string, key: string, v: JsonValue): unknown {
  const entry = OPS[op];
  if (entry === undefined) throw new Error(op);
  const codec = entry.codec.required[key] ?? entry.codec.optional[key];
  if (codec === TransformSpecCodec) return toSpec(parseSpec(v));
  if (codec === TransformRecord) return Object.fromEntries(Object.entries(v as Readonly<Record<string, JsonValue>>).map(([k, m]) => [k, toSpec(parseSpec(m))]));
  return v;
}

/** The keys a filled spec of `op` always holds. */
function alwaysRecorded(op: string): string[] {
  const entry = OPS[op];
  if (entry === undefined) throw new Error(op);
  return entry.codec.keys.filter((k) => !(entry.conditional ?? []).includes(k));
}

describe('round trip', () => {
  it('the generators cover every op of the registry', () => {
    const p = fc.sample(problem, { seed: 1, numRuns: 1 })[0] as Problem;
    expect([...Object.keys(leafOps(p.params)), 'chain', 'injectHyperparams'].sort()).toEqual([...OP_NAMES].sort());
  });

  const ops = OP_NAMES.filter((op) => op !== 'chain' && op !== 'injectHyperparams');
  it.each(ops)('%s: random options round-trip bit for bit, and its spec records every option', (op) => {
    fc.assert(
      fc.property(
        // The ops of matrices on params of 2-D leaves only (elsewhere their generators mask them to the matrices).
        (MATRIX_OPS.includes(op) ? matrixProblem : problem).chain((p) => (leafOps(p.params)[op] as fc.Arbitrary<Case>).map((c) => ({ p, c }))),
        ({ p, c }) => {
          roundTrip(c, p);
          const spec = toSpec(c.make());
          expect(spec.op).toBe(op);
          for (const key of alwaysRecorded(op)) expect(Object.hasOwn(spec, key), `${op} records ${key}`).toBe(true);
          // Whatever the user wrote is kept as written.
          // (Two spellings are normalised: clipByGlobalNorm's normType, and scaleByTrustRatio's
          // `mask: true`, which is no mask and is left out.)
          for (const [k, v] of Object.entries(c.spec)) {
            if (op === 'clipByGlobalNorm' && k === 'normType') continue;
            if (op === 'scaleByTrustRatio' && k === 'mask' && v === true) expect(Object.hasOwn(spec, 'mask')).toBe(false);
            else expect(spec[k]).toStrictEqual(asWritten(op, k, v));
          }
        },
      ),
      { seed: 0x5bec + ops.indexOf(op), numRuns: 40 },
    );
  });

  it('random pipelines (nested chains, injected hyperparameters, schedules, masks) round-trip bit for bit', () => {
    fc.assert(
      fc.property(
        problem.chain((p) => pipeline(p.params).map((c) => ({ p, c }))),
        ({ p, c }) => {
          roundTrip(c, p);
        },
      ),
      { seed: 20240611, numRuns: 300 },
    );
  });

  it('decodeSpec agrees with parseSpec and fromSpec', () => {
    const spec = { op: 'adamw', learningRate: 1e-3 };
    const decoded = decodeSpec(spec);
    expect(E.isRight(decoded)).toBe(true);
    if (E.isRight(decoded)) expect(toSpec(decoded.right)).toStrictEqual(toSpec(parseSpec(spec)));
    expect(fromSpec).toBe(parseSpec);
  });

  it('a minimal spec reads back to the filled form', () => {
    expect(toSpec(parseSpec({ op: 'adamw', learningRate: 1e-3 }))).toStrictEqual({
      op: 'adamw',
      learningRate: 1e-3,
      b1: 0.9,
      b2: 0.999,
      eps: 1e-8,
      epsRoot: 0,
      nesterov: false,
      weightDecay: 1e-4,
    });
    expect(toSpec(parseSpec({ op: 'sgd', learningRate: 0.1 }))).toStrictEqual({
      op: 'sgd',
      learningRate: 0.1,
      momentum: 0,
      nesterov: false,
      dampening: 0,
      weightDecay: 0,
    });
    expect(toSpec(parseSpec({ op: 'clipByGlobalNorm', maxNorm: 1, normType: 'inf' }))).toStrictEqual({ op: 'clipByGlobalNorm', maxNorm: 1, eps: 0, normType: 'inf' });
    expect(toSpec(parseSpec({ op: 'nadam', learningRate: 1e-3, form: 'momentumDecay' }))).toMatchObject({ form: 'momentumDecay', momentumDecay: 0.004, doubleCountMu: false });
    expect(toSpec(parseSpec({ op: 'injectHyperparams', transform: { op: 'adam', learningRate: 1e-3 }, staticArgs: ['b1'] }))).toStrictEqual({
      op: 'injectHyperparams',
      transform: { op: 'adam', learningRate: 1e-3, b1: 0.9, b2: 0.999, eps: 1e-8, epsRoot: 0, nesterov: false },
      staticArgs: ['b1'],
    });
  });

  it('an optimizer reads back as one op, not as the chain it expands to', () => {
    const spec = toSpec(parseSpec({ op: 'chain', transforms: [{ op: 'clip', maxDelta: 1 }, { op: 'lion', learningRate: 1e-4 }] }));
    expect((spec.transforms as readonly TransformSpec[]).map((s) => s.op)).toEqual(['clip', 'lion']);
  });
});
