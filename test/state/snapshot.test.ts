/**
 * The JSON snapshot: its exact encoding, determinism, JSON compatibility, the spec check, the
 * structure check and its paths, and that loading builds fresh arrays and changes nothing.
 */
import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import type { GradientTransformation } from '../../src/base.js';
import { chain } from '../../src/combine/chain.js';
import { injectHyperparams } from '../../src/combine/injectHyperparams.js';
import { GradfuseError } from '../../src/errors.js';
import { adam, adamw } from '../../src/optimizers/adam.js';
import { sgd } from '../../src/optimizers/sgd.js';
import { warmupCosineDecay } from '../../src/schedules/warmup.js';
import { toSpec } from '../../src/spec/spec.js';
import { decodeNumber, encodeNumber } from '../../src/state/codec.js';
import { crc32 } from '../../src/state/crc32.js';
import { SnapshotError } from '../../src/state/error.js';
import { SNAPSHOT_FORMAT, SNAPSHOT_VERSION, canonicalChecksum } from '../../src/state/envelope.js';
import { type StateSnapshot, decodeState, loadState, saveState } from '../../src/state/snapshot.js';
import { scaleByAdam, scaleByAdamax } from '../../src/transforms/adam.js';
import { clipByGlobalNorm } from '../../src/transforms/clipping.js';
import { identity } from '../../src/transforms/identity.js';
import { scaleByLearningRate } from '../../src/transforms/scale.js';
import type { Dtype } from '../../src/tree/leaf.js';
import { type Tree, cloneTree } from '../../src/tree/tree.js';
import { build, skeleton } from '../helpers/arbitraries.js';
import { firstDifference, modelParams, train } from './helpers.js';

/** A transformation whose state is a copy of the params: any tree can be its state. */
const holder: GradientTransformation<Tree> = {
  init: (params) => cloneTree(params as Tree),
  update: (updates, state) => [updates, state],
};

/** Parses JSON text of a value, typed loosely for edits. */
const json = (value: unknown): Record<string, unknown> => JSON.parse(JSON.stringify(value)) as Record<string, unknown>;

/** The thrown error of `f`, which must be a SnapshotError. */
function snapshotError(f: () => unknown): SnapshotError {
  try {
    f();
  } catch (e) {
    if (e instanceof SnapshotError) return e;
    throw new Error(`expected a SnapshotError, got ${String(e)}`);
  }
  throw new Error('expected a SnapshotError, nothing was thrown');
}

const adamState = () => {
  const optimizer = adamw({ learningRate: 1e-3, weightDecay: 1e-2 });
  const params = modelParams('float32');
  const run = train(optimizer, params, optimizer.init(params), 0, 3);
  return { optimizer, params: run.params, state: run.state };
};

describe('numbers', () => {
  it('spells out what JSON cannot hold, and nothing else', () => {
    expect([NaN, Infinity, -Infinity, -0, 0, 1.5, -2, 5e-324].map(encodeNumber)).toEqual(['NaN', 'Infinity', '-Infinity', '-0', 0, 1.5, -2, 5e-324]);
    for (const x of [NaN, Infinity, -Infinity, -0, 0, 1.5, 5e-324, -1.7976931348623157e308]) expect(Object.is(decodeNumber(encodeNumber(x)), x)).toBe(true);
  });

  it('refuses raw non-finite and -0 numbers and other strings', () => {
    for (const v of [NaN, Infinity, -Infinity, -0, 'nan', 'inf', '1', null, true, [], {}]) expect(decodeNumber(v)).toBeUndefined();
  });
});

describe('saveState', () => {
  it('writes the documented envelope, fields in order, keys sorted, leaves described', () => {
    const optimizer = sgd({ learningRate: 0.1, momentum: 0.9 });
    const params = { w: Float32Array.from([0.5, -0]), b: { shape: [1, 1], data: Float64Array.from([NaN]) } };
    const [, state] = optimizer.update({ w: Float32Array.from([0.1, Infinity]), b: { shape: [1, 1], data: Float64Array.from([2]) } }, optimizer.init(params), params);
    const snapshot = saveState(state, optimizer);
    expect(Object.keys(snapshot)).toEqual(['format', 'version', 'checksum', 'spec', 'state']);
    expect(snapshot.format).toBe('gradfuse-state');
    expect(snapshot.version).toBe(1);
    expect(snapshot.checksum).toMatch(/^crc32:[0-9a-f]{8}$/);
    expect(snapshot.spec).toEqual(toSpec(optimizer));
    expect(snapshot.state).toEqual([
      { count: 1 },
      {
        count: 1,
        trace: {
          b: { leaf: 'tensor', dtype: 'float64', shape: [1, 1], data: [2] },
          w: { leaf: 'array', dtype: 'float32', shape: [2], data: [Math.fround(0.1), 'Infinity'] },
        },
      },
      { count: 1 },
    ]);
    const trace = (snapshot.state as readonly Record<string, Record<string, unknown>>[])[1]?.trace;
    expect(Object.keys(trace ?? {})).toEqual(['b', 'w']);
    expect(Object.keys(trace?.w as object)).toEqual(['leaf', 'dtype', 'shape', 'data']);
  });

  it('is deterministic: same state, same text, whatever the key insertion order', () => {
    const a = { count: 2, mu: { w: Float64Array.from([1, 2]), b: Float64Array.from([3]) } };
    const b = { mu: { b: Float64Array.from([3]), w: Float64Array.from([1, 2]) }, count: 2 };
    expect(JSON.stringify(saveState(a))).toBe(JSON.stringify(saveState(b)));
    const { optimizer, state } = adamState();
    expect(JSON.stringify(saveState(state, optimizer))).toBe(JSON.stringify(saveState(state, optimizer)));
  });

  it('is JSON: stringify then parse gives the same value', () => {
    const { optimizer, state } = adamState();
    const snapshot = saveState(state, optimizer);
    expect(json(snapshot)).toEqual(snapshot);
  });

  it('checksums the canonical JSON of everything but the checksum', () => {
    const { optimizer, state } = adamState();
    const { checksum, ...body } = saveState(state, optimizer);
    expect(checksum).toBe(canonicalChecksum(body));
    expect(canonicalChecksum({ b: [1, 'NaN'], a: { d: true, c: null } })).toBe(`crc32:${crc32(new TextEncoder().encode('{"a":{"c":null,"d":true},"b":[1,"NaN"]}')).toString(16).padStart(8, '0')}`);
  });

  it('records the spec only when the optimizer can be described', () => {
    const described = adam({ learningRate: 1e-3 });
    const state = described.init(modelParams('float64'));
    expect(saveState(state, described).spec).toEqual(toSpec(described));
    const plain = adam({ learningRate: (count: number) => 1e-3 / (1 + count) });
    expect('spec' in saveState(plain.init(modelParams('float64')), plain)).toBe(false);
    expect('spec' in saveState(state)).toBe(false);
  });

  it('names the path of what it cannot hold', () => {
    expect(snapshotError(() => saveState([{ count: 1 }, { count: 1, f: () => 1 }])).path).toBe('state[1].f');
    expect(snapshotError(() => saveState({ count: 1.5 })).path).toBe('state.count');
    expect(snapshotError(() => saveState({ count: -1 })).reason).toBe('unsupported');
    expect(snapshotError(() => saveState({ mu: { w: { shape: [2, 2], data: new Float32Array(3) } } })).path).toBe('state.mu.w.shape');
    expect(snapshotError(() => saveState({ s: 'text' })).path).toBe('state.s');
    expect(snapshotError(() => saveState({ x: new Int32Array(2) })).path).toBe('state.x');
    const cyclic: Record<string, unknown> = { count: 0 };
    cyclic.self = cyclic;
    expect(snapshotError(() => saveState(cyclic)).path).toBe('state.self');
  });
});

describe('round trip', () => {
  const arbitraryState = fc
    .record({ s: skeleton(6, 12), dtype: fc.constantFrom<Dtype>('float32', 'float64'), values: fc.array(fc.double(), { minLength: 1, maxLength: 64 }), floats: fc.array(fc.float(), { minLength: 1, maxLength: 64 }) })
    .map(({ s, dtype, values, floats }) => build(s, dtype, (leaf, i) => (dtype === 'float32' ? (floats[(leaf * 31 + i) % floats.length] as number) : (values[(leaf * 31 + i) % values.length] as number))));

  it('any tree of float32/float64 values (NaN, ±Infinity, -0, subnormals) comes back bit for bit through JSON text', () => {
    fc.assert(
      fc.property(arbitraryState, (tree) => {
        const loaded = loadState(JSON.parse(JSON.stringify(saveState(tree))) as unknown, holder, tree);
        expect(firstDifference(loaded, tree)).toBeUndefined();
      }),
      { seed: 4401, numRuns: 200 },
    );
  });

  it('wrapper states: counts, hyperparameter numbers (Infinity too) and nested states', () => {
    const optimizer = injectHyperparams(adamw)({ learningRate: warmupCosineDecay({ initValue: 0, peakValue: 0.1, warmupSteps: 2, decaySteps: 10 }), weightDecay: 1e-2 });
    const params = modelParams('float32');
    const run = train(optimizer, params, optimizer.init(params), 0, 3);
    expect(Object.keys(run.state.hyperparams)).toEqual(expect.arrayContaining(['learningRate', 'weightDecay']));
    const state = { ...run.state, hyperparams: { ...run.state.hyperparams, weightDecay: -0 } };
    const loaded = loadState(json(saveState(state, optimizer)), optimizer, run.params);
    expect(firstDifference(loaded, state)).toBeUndefined();
    const withInfinity = { ...state, hyperparams: { ...state.hyperparams, weightDecay: Infinity, learningRate: NaN } };
    expect(firstDifference(loadState(json(saveState(withInfinity, optimizer)), optimizer, run.params), withInfinity)).toBeUndefined();
  });

  it('keeps leaf forms, and builds fresh arrays that share nothing', () => {
    const { optimizer, params, state } = adamState();
    const snapshot = json(saveState(state, optimizer));
    const a = loadState(snapshot, optimizer, params);
    const b = loadState(snapshot, optimizer, params);
    expect(firstDifference(a, state)).toBeUndefined();
    type Dense = { readonly dense1: { readonly w: unknown; readonly b: Float32Array } };
    const dense = (s: typeof state): Dense['dense1'] => (s[0].mu as unknown as Dense).dense1;
    expect(dense(a).w).toEqual({ shape: [2, 3], data: expect.any(Float32Array) as unknown });
    expect(dense(a).b).toBeInstanceOf(Float32Array);
    expect(dense(a).b).not.toBe(dense(b).b);
    expect(dense(a).b).not.toBe(dense(state).b);
    expect(dense(a).b.buffer).not.toBe(dense(b).b.buffer);
  });

  it('an empty state and a stateless chain', () => {
    const optimizer = chain(clipByGlobalNorm(1));
    expect(loadState(json(saveState(optimizer.init({}), optimizer)), optimizer, {})).toEqual([{ count: 0 }]);
  });
});

describe('loadState refuses, naming the place', () => {
  const { optimizer, params, state } = adamState();
  const good = (): Record<string, unknown> => json(saveState(state, optimizer));
  const stateOf = (s: Record<string, unknown>) => s.state as Record<string, Record<string, Record<string, Record<string, unknown>>>>[];

  it('a wrong version, with a clear message', () => {
    const e = snapshotError(() => loadState({ ...good(), version: 2 }, optimizer, params));
    expect(e).toBeInstanceOf(GradfuseError);
    expect(e._tag).toBe('SnapshotError');
    expect([e.reason, e.path]).toEqual(['version', 'version']);
    expect(e.message).toContain('version 1');
    expect(e.message).toContain('version 2 (written by a newer gradfuse?)');
  });

  it('something that is not a snapshot', () => {
    for (const v of [null, 42, 'x', [], new Uint8Array(4), { format: 'other', version: 1 }, { version: 1 }]) {
      expect(snapshotError(() => loadState(v, optimizer, params)).reason).toBe('format');
    }
    expect(snapshotError(() => loadState({ ...good(), extra: 1 }, optimizer, params)).path).toBe('extra');
    const { state: _s, ...noState } = good();
    expect(snapshotError(() => loadState(noState, optimizer, params)).path).toBe('state');
    expect(snapshotError(() => loadState({ ...good(), checksum: 7 }, optimizer, params)).path).toBe('checksum');
  });

  it('another optimizer: the first differing spec path', () => {
    const e = snapshotError(() => loadState(good(), adamw({ learningRate: 1e-2, weightDecay: 1e-2 }), params));
    expect(e.reason).toBe('spec');
    expect(e.path).toMatch(/\.learningRate$/);
    expect([e.expected, e.actual]).toEqual(['the number 0.01', 'the number 0.001']);
    // Chains of transformations, whose specs list their members:
    const adamChain = (lr: number, b1 = 0.9) => chain(scaleByAdam({ b1 }), scaleByLearningRate(lr));
    const p = modelParams('float64');
    const snapshot = json(saveState(adamChain(1e-3).init(p), adamChain(1e-3)));
    expect(snapshotError(() => loadState(snapshot, adamChain(1e-2), p)).path).toBe('spec.transforms[1].learningRate');
    expect(snapshotError(() => loadState(snapshot, adamChain(1e-3, 0.8), p)).path).toBe('spec.transforms[0].b1');
    const shorter = snapshotError(() => loadState(snapshot, chain(scaleByAdam()), p));
    expect([shorter.path, shorter.expected, shorter.actual]).toEqual(['spec.transforms', 'an array of length 1', 'an array of length 2']);
    expect(snapshotError(() => loadState(snapshot, chain(scaleByAdam(), scaleByLearningRate(1e-3), identity()), p)).path).toBe('spec.transforms');
    expect(snapshotError(() => loadState(snapshot, chain(scaleByAdamax(), scaleByLearningRate(1e-3)), p)).path).toBe('spec.transforms[0].op');
    expect(firstDifference(loadState(snapshot, adamChain(1e-3), p), adamChain(1e-3).init(p))).toBeUndefined();
  });

  it('a plain function in the optimizer matches any recorded value there', () => {
    const scheduled = adamw({ learningRate: () => 1e-3, weightDecay: 1e-2 });
    expect(firstDifference(loadState(good(), scheduled, params), state)).toBeUndefined();
  });

  it('other params: the first path where the state parts from them', () => {
    const other = { ...params, dense1: { ...params.dense1, w: { shape: [3, 2], data: params.dense1.w.data } } };
    const e = snapshotError(() => loadState(good(), optimizer, other));
    expect([e.reason, e.path]).toEqual(['structure', 'state[0].mu.dense1.w.shape']);
    expect(e.expected).toBe('shape [3, 2]');
    expect(e.actual).toBe('shape [2, 3]');
    expect(snapshotError(() => loadState(good(), optimizer, modelParams('float64'))).path).toBe('state[0].mu.dense1.b.dtype');
    const { scale: _scale, ...fewer } = params;
    expect(snapshotError(() => loadState(good(), optimizer, fewer)).path).toBe('state[0].mu.scale');
  });

  it('structure errors, each at its path', () => {
    const cases: [string, (s: Record<string, unknown>) => void, string][] = [
      ['negative count', (s) => { (stateOf(s)[0] as Record<string, unknown>).count = -1; }, 'state[0].count'],
      ['fractional count', (s) => { (stateOf(s)[1] as Record<string, unknown>).count = 2.5; }, 'state[1].count'],
      ['count as NaN', (s) => { (stateOf(s)[1] as Record<string, unknown>).count = 'NaN'; }, 'state[1].count'],
      ['missing slot', (s) => { delete stateOf(s)[0]?.nu; }, 'state[0].nu'],
      ['extra key', (s) => { (stateOf(s)[2] as Record<string, unknown>).extra = 1; }, 'state[2].extra'],
      ['wrong dtype string', (s) => { (stateOf(s)[0]?.mu?.dense1?.b as Record<string, unknown>).dtype = 'float16'; }, 'state[0].mu.dense1.b.dtype'],
      ['tensor written as bare array', (s) => { (stateOf(s)[0]?.mu?.dense1?.w as Record<string, unknown>).leaf = 'array'; }, 'state[0].mu.dense1.w.leaf'],
      ['short data', (s) => { ((stateOf(s)[0]?.mu?.dense1?.b as Record<string, unknown>).data as unknown[]).pop(); }, 'state[0].mu.dense1.b.data'],
      ['raw NaN in data', (s) => { ((stateOf(s)[0]?.nu?.dense1?.b as Record<string, unknown>).data as unknown[])[1] = NaN; }, 'state[0].nu.dense1.b.data[1]'],
      ['string in data', (s) => { ((stateOf(s)[0]?.nu?.dense1?.b as Record<string, unknown>).data as unknown[])[2] = '1'; }, 'state[0].nu.dense1.b.data[2]'],
      ['not a float32 value', (s) => { ((stateOf(s)[0]?.nu?.dense1?.b as Record<string, unknown>).data as unknown[])[0] = 0.1; }, 'state[0].nu.dense1.b.data[0]'],
      ['chain of the wrong length', (s) => { (s.state as unknown[]).pop(); }, 'state'],
      ['leaf replaced by a number', (s) => { (stateOf(s)[0]?.mu as Record<string, unknown>).scale = 3; }, 'state[0].mu.scale'],
    ];
    for (const [name, edit, path] of cases) {
      const s = good();
      edit(s);
      const e = snapshotError(() => loadState(s, optimizer, params, { verifyChecksum: false }));
      expect([name, e.reason, e.path]).toEqual([name, 'structure', path]);
    }
  });

  it('an edit that keeps the structure: the checksum', () => {
    const s = good();
    (stateOf(s)[0] as Record<string, unknown>).count = 7;
    const e = snapshotError(() => loadState(s, optimizer, params));
    expect([e.reason, e.path]).toEqual(['checksum', 'checksum']);
    const edited = loadState(s, optimizer, params, { verifyChecksum: false });
    expect(edited[0].count).toBe(7);
  });

  it('decodeState collects the errors, the throwing loadState gives the first', () => {
    const s = good();
    delete stateOf(s)[0]?.nu;
    (stateOf(s)[1] as Record<string, unknown>).count = -3;
    const result = decodeState(s, optimizer, params);
    expect(E.isLeft(result)).toBe(true);
    if (E.isLeft(result)) {
      expect(result.left.map((e) => e.path)).toEqual(['state[0].nu', 'state[1].count']);
      expect(snapshotError(() => loadState(s, optimizer, params)).path).toBe(result.left[0].path);
    }
    expect(E.isRight(decodeState(good(), optimizer, params))).toBe(true);
  });

  it('a failed load changes nothing it was given', () => {
    const s = good();
    delete stateOf(s)[0]?.nu;
    const before = structuredClone(s);
    const paramsBefore = structuredClone(params);
    snapshotError(() => loadState(s, optimizer, params));
    expect(s).toEqual(before);
    expect(firstDifference(params, paramsBefore)).toBeUndefined();
  });
});

describe('types', () => {
  it('a snapshot is a StateSnapshot of version 1', () => {
    const snapshot: StateSnapshot = saveState({ count: 0 });
    expect([snapshot.format, snapshot.version]).toEqual([SNAPSHOT_FORMAT, SNAPSHOT_VERSION]);
  });
});
