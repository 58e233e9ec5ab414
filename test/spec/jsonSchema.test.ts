/**
 * The JSON Schema and the docs table are generated from the codecs and checked in: a test
 * fails when either is stale. The schema accepts every spec gradfuse writes, rejects what the
 * decoder rejects for its shape, and is never stricter than the decoder.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { decodeSpec } from '../../src/spec/fromSpec.js';
import { SPEC_SCHEMA_ID, opDefaults, specJsonSchema, specJsonSchemaText, specOpsMarkdown } from '../../src/spec/jsonSchema.js';
import { OPS, OP_NAMES } from '../../src/spec/registry.js';
import { toSpec } from '../../src/spec/spec.js';
import { pipeline } from './arbitraries.js';
import { problem } from './helpers.js';
import { validate } from './miniSchema.js';
import { mutate, mutation } from './mutate.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const schema = specJsonSchema();

describe('schema/gradfuse-spec.schema.json', () => {
  it('is the schema generated from the codecs (run `npx tsx scripts/jsonSchema.ts` after changing them)', () => {
    expect(readFileSync(`${root}schema/${SPEC_SCHEMA_ID}`, 'utf8')).toBe(specJsonSchemaText());
  });

  it('is draft 2020-12, a oneOf over every op keyed by its op constant, with descriptions', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.$ref).toBe('#/$defs/TransformSpec');
    const defs = schema.$defs as Record<string, Record<string, unknown>>;
    expect(Object.keys(defs).sort()).toEqual(['LabelTree', 'MaskTree', 'ScheduleSpec', 'TransformSpec']);
    const members = defs.TransformSpec?.oneOf as readonly Record<string, unknown>[];
    expect(members.map((m) => (m.properties as Record<string, { const: string } | undefined>).op?.const)).toEqual([...OP_NAMES]);
    for (const def of Object.values(defs)) expect(typeof def.description).toBe('string');
    for (const m of members) {
      expect(m.additionalProperties).toBe(false);
      expect(m.required).toContain('op');
      expect(typeof m.description).toBe('string');
    }
    const adamw = members.find((m) => m.title === 'adamw') as { properties: Record<string, Record<string, unknown>>; required: string[] };
    expect(adamw.required).toEqual(['op', 'learningRate']);
    expect(adamw.properties.b2).toEqual({ type: 'number', default: 0.999 });
    expect(adamw.properties.learningRate?.oneOf).toEqual([{ type: 'number' }, { $ref: '#/$defs/ScheduleSpec' }]);
    expect(adamw.properties.mask).toEqual({ $ref: '#/$defs/MaskTree' });
    const clip = members.find((m) => m.title === 'clipByGlobalNorm') as { properties: Record<string, Record<string, unknown>> };
    expect(clip.properties.normType).toMatchObject({ enum: [2, 'inf'], default: 2 });
  });

  it('its defaults are those the constructors fill in', () => {
    expect(opDefaults('adamw')).toStrictEqual({ b1: 0.9, b2: 0.999, eps: 1e-8, epsRoot: 0, nesterov: false, weightDecay: 1e-4 });
    expect(opDefaults('adadelta')).toStrictEqual({ learningRate: 1, rho: 0.9, eps: 1e-6, weightDecay: 0 });
    expect(opDefaults('chain')).toStrictEqual({});
    expect(opDefaults('multiSteps')).toStrictEqual({ useGradMean: true });
    expect(opDefaults('lookahead')).toStrictEqual({ resetState: false });
    expect(opDefaults('lars')).toStrictEqual({ weightDecay: 0, weightDecayMask: true, trustCoefficient: 0.001, eps: 0, trustRatioMask: true, momentum: 0.9, nesterov: false });
    expect(opDefaults('lamb')).toStrictEqual({ b1: 0.9, b2: 0.999, eps: 1e-6, epsRoot: 0, weightDecay: 0 });
  });

  it('accepts hand-written examples and rejects bad shapes', () => {
    const ok = [
      { op: 'adamw', learningRate: { schedule: 'warmupCosineDecay', options: { initValue: 0, peakValue: 1, warmupSteps: 1, decaySteps: 10 } }, mask: { w: true, b: [false] } },
      { op: 'chain', transforms: [{ op: 'clipByGlobalNorm', maxNorm: 1, normType: 'inf' }, { op: 'injectHyperparams', transform: { op: 'sgd', learningRate: 0.1 } }] },
      { op: 'sgd', learningRate: { schedule: 'joinSchedules', options: { schedules: [{ schedule: 'adagradLrDecay', options: {} }], boundaries: [] } } },
      {
        op: 'multiTransform',
        transforms: { decay: { op: 'adamw', learningRate: 1e-3 }, 'no decay': { op: 'masked', transform: { op: 'adam', learningRate: 1e-3 }, mask: [true] } },
        paramLabels: { w: 'decay', b: ['no decay'] },
      },
      { op: 'multiSteps', transform: { op: 'lookahead', transform: { op: 'lamb', learningRate: 1e-3 }, syncPeriod: 5, slowStepSize: 0.5 }, everyK: 4 },
    ];
    for (const s of ok) expect(validate(schema, s)).toEqual([]);
    const bad: readonly [unknown, string][] = [
      [{ op: 'adamx' }, '$: 0 of oneOf match'],
      [{ op: 'adam', learningRate: 0.1, b3: 1 }, '$: 0 of oneOf match'],
      [{ op: 'adam', learningRate: '0.1' }, '$: 0 of oneOf match'],
      [{ op: 'adam' }, '$: 0 of oneOf match'],
      [{ op: 'clipByGlobalNorm', maxNorm: 1, normType: 3 }, '$: 0 of oneOf match'],
      [{ op: 'sgd', learningRate: { schedule: 'nope', options: {} } }, '$: 0 of oneOf match'],
      [{ op: 'sgd', learningRate: { schedule: 'joinSchedules', options: {} } }, '$: 0 of oneOf match'],
      [{ op: 'adamw', learningRate: 1, mask: { w: 1 } }, '$: 0 of oneOf match'],
      [{ op: 'masked', transform: { op: 'identity' }, mask: '<function>' }, '$: 0 of oneOf match'],
      [{ op: 'multiTransform', transforms: { a: { op: 'sgd' } }, paramLabels: 'a' }, '$: 0 of oneOf match'],
      [{ op: 'multiTransform', transforms: { a: { op: 'sgd', learningRate: 1 } }, paramLabels: { w: true } }, '$: 0 of oneOf match'],
      [{ op: 'applyIfFinite', transform: { op: 'sgd', learningRate: 1 } }, '$: 0 of oneOf match'],
    ];
    for (const [s, error] of bad) {
      expect(validate(schema, s)).toContain(error);
      expect(E.isLeft(decodeSpec(s))).toBe(true);
    }
  });

  it('accepts every spec gradfuse writes, minimal and filled (property)', () => {
    fc.assert(
      fc.property(
        problem.chain((p) => pipeline(p.params)),
        (c) => {
          expect(validate(schema, c.spec)).toEqual([]);
          expect(validate(schema, JSON.parse(JSON.stringify(toSpec(c.make()))))).toEqual([]);
        },
      ),
      { seed: 77, numRuns: 150 },
    );
  });

  it('is never stricter than the decoder, and rejects only what the decoder rejects (property)', () => {
    let rejected = 0;
    fc.assert(
      fc.property(
        problem.chain((p) => fc.record({ c: pipeline(p.params), pick: fc.nat(), m: mutation })),
        ({ c, pick, m }) => {
          const mutated = mutate(c.spec, pick, m);
          const schemaOk = validate(schema, mutated.json).length === 0;
          const decoded = decodeSpec(mutated.json);
          if (!schemaOk) {
            rejected++;
            expect(E.isLeft(decoded), mutated.description).toBe(true);
          }
          if (E.isRight(decoded)) expect(schemaOk, mutated.description).toBe(true);
        },
      ),
      { seed: 78, numRuns: 400 },
    );
    expect(rejected).toBeGreaterThan(100);
  });
});

describe('docs/spec.md', () => {
  const doc = readFileSync(`${root}docs/spec.md`, 'utf8');

  it('holds the ops table generated from the registry (run `npx tsx scripts/jsonSchema.ts`)', () => {
    const table = /<!-- ops:start -->\n([\s\S]*?)\n<!-- ops:end -->/.exec(doc)?.[1];
    expect(table).toBe(specOpsMarkdown());
  });

  it('lists every op', () => {
    for (const op of OP_NAMES) expect(doc).toContain(`| \`${op}\` | ${(OPS[op] as { category: string }).category} |`);
  });
});
