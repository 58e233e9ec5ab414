/**
 * Corrupt, foreign and mismatched snapshots always give a typed SnapshotError: never a
 * TypeError or RangeError from deep inside, never a hang, never a silently wrong state.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { GradientTransformation } from '../../src/base.js';
import { chain } from '../../src/combine/chain.js';
import { injectHyperparams } from '../../src/combine/injectHyperparams.js';
import { adamw } from '../../src/optimizers/adam.js';
import { sgd } from '../../src/optimizers/sgd.js';
import { warmupCosineDecay } from '../../src/schedules/warmup.js';
import { binaryChecksum, loadStateBinary, saveStateBinary } from '../../src/state/binary.js';
import { SnapshotError } from '../../src/state/error.js';
import { loadState, saveState } from '../../src/state/snapshot.js';
import { toSpec } from '../../src/spec/spec.js';
import { clipByGlobalNorm } from '../../src/transforms/clipping.js';
import { isFloatArray, isTensor } from '../../src/tree/leaf.js';
import type { Tree } from '../../src/tree/tree.js';
import { ALL } from '../helpers/registry.js';
import { firstDifference, gradsAt, modelParams, train } from './helpers.js';

interface Case {
  readonly name: string;
  readonly optimizer: GradientTransformation<unknown>;
  readonly params: ReturnType<typeof modelParams>;
  readonly state: unknown;
}

const schedule = warmupCosineDecay({ initValue: 0, peakValue: 0.1, warmupSteps: 2, decaySteps: 10 });
const CASES: readonly Case[] = (
  [
    ['clip + adamw(warmupCosineDecay), float32', chain(clipByGlobalNorm(1), adamw({ learningRate: schedule })), 'float32'],
    ['injectHyperparams(adamw), float64', injectHyperparams(adamw)({ learningRate: schedule, weightDecay: 1e-2 }), 'float64'],
    ['sgd(momentum), float64', sgd({ learningRate: 0.1, momentum: 0.9 }), 'float64'],
  ] as const
).map(([name, optimizer, dtype]) => {
  const o = optimizer as GradientTransformation<unknown>;
  const start = modelParams(dtype);
  const run = train(o, start, o.init(start), 0, 3, true);
  return { name, optimizer: o, params: run.params, state: run.state };
});

/** What a load did: a SnapshotError, or a state. Anything else is thrown on (and fails the test). */
function attempt(f: () => unknown): { readonly error: SnapshotError } | { readonly state: unknown } {
  try {
    return { state: f() };
  } catch (e) {
    if (e instanceof SnapshotError) return { error: e };
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// JSON mutations

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every place in a JSON value: its container and key. */
function places(root: Json): { readonly parent: Json[] | Record<string, Json>; readonly key: string | number }[] {
  const out: { parent: Json[] | Record<string, Json>; key: string | number }[] = [];
  const walk = (v: Json): void => {
    if (Array.isArray(v)) v.forEach((c, i) => { out.push({ parent: v, key: i }); walk(c); });
    else if (v !== null && typeof v === 'object') for (const k of Object.keys(v)) { out.push({ parent: v, key: k }); walk(v[k] as Json); }
  };
  walk(root);
  return out;
}

const REPLACEMENTS: readonly unknown[] = [
  null, true, false, 'x', '', 'NaN', 'Infinity', '-0', 'float16', 'float64', 'float32', 'tensor', 'array',
  [], [1, 2], {}, { leaf: 'array' }, 0, 1, -1, 2, 3, 1.5, -2.5, 0.1, 1e308, -1e308, 2 ** 53, 2 ** 31, 1e-320, NaN, Infinity, -Infinity, -0,
];

const mutation = fc.record({
  kind: fc.constantFrom('delete', 'replace', 'number', 'grow', 'shrink', 'extraKey', 'version', 'dtype'),
  target: fc.nat(),
  value: fc.constantFrom(...REPLACEMENTS),
});

function mutate(root: Record<string, Json>, m: { kind: string; target: number; value: unknown }): void {
  const all = places(root);
  const pick = <T>(xs: readonly T[]): T | undefined => (xs.length === 0 ? undefined : xs[m.target % xs.length]);
  const set = (p: { parent: Json[] | Record<string, Json>; key: string | number }, v: unknown): void => {
    (p.parent as Record<string | number, unknown>)[p.key] = v;
  };
  switch (m.kind) {
    case 'delete': {
      const p = pick(all);
      if (p === undefined) return;
      if (Array.isArray(p.parent)) p.parent.splice(p.key as number, 1);
      else delete p.parent[p.key as string];
      return;
    }
    case 'replace': {
      const p = pick(all);
      if (p !== undefined) set(p, structuredClone(m.value));
      return;
    }
    case 'number': {
      const p = pick(all.filter((q) => typeof (q.parent as Record<string | number, unknown>)[q.key] === 'number'));
      if (p === undefined) return;
      const x = (p.parent as Record<string | number, number>)[p.key] as number;
      const options = [x + 1, -x - 1, x * 1e300, NaN, x / 3, Math.round(x) + 2 ** 40, -0.5];
      set(p, options[m.target % options.length]);
      return;
    }
    case 'grow':
    case 'shrink': {
      const arrays = all.map((q) => (q.parent as Record<string | number, unknown>)[q.key]).filter((v): v is Json[] => Array.isArray(v) && v.length > 0);
      const a = pick(arrays);
      if (a === undefined) return;
      if (m.kind === 'grow') a.push(a[0] as Json);
      else a.pop();
      return;
    }
    case 'extraKey': {
      const objects = [root, ...all.map((q) => (q.parent as Record<string | number, unknown>)[q.key]).filter((v): v is Record<string, Json> => v !== null && typeof v === 'object' && !Array.isArray(v))];
      const o = pick(objects);
      if (o !== undefined) o[['extra', 'count', 'mu', 'data', 'leaf', '__proto__'][m.target % 6] as string] = m.value as Json;
      return;
    }
    case 'version':
      root.version = m.value as Json;
      return;
    default: {
      const p = pick(all.filter((q) => q.key === 'dtype' || q.key === 'leaf'));
      if (p !== undefined) set(p, m.value);
    }
  }
}

describe.each(CASES)('JSON snapshot of $name', ({ optimizer, params, state }) => {
  const text = JSON.stringify(saveState(state, optimizer));

  it('random mutations (deleted keys, wrong types, huge/negative/NaN numbers, dtypes, lengths, versions): a SnapshotError or the very same state', () => {
    let refused = 0;
    let runs = 0;
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (ms) => {
        const snapshot = JSON.parse(text) as Record<string, Json>;
        for (const m of ms) mutate(snapshot, m);
        const copy = structuredClone(snapshot);
        const result = attempt(() => loadState(snapshot, optimizer, params));
        runs++;
        if ('error' in result) refused++;
        else expect(firstDifference(result.state, state)).toBeUndefined();
        expect(snapshot).toEqual(copy);
      }),
      { seed: 7001, numRuns: 400 },
    );
    expect(refused / runs).toBeGreaterThan(0.8);
  });

  it('without the checksum: a SnapshotError, or a well-formed state the optimizer can step from', () => {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (ms) => {
        const snapshot = JSON.parse(text) as Record<string, Json>;
        for (const m of ms) mutate(snapshot, m);
        const result = attempt(() => loadState(snapshot, optimizer, params, { verifyChecksum: false }));
        if ('state' in result) {
          expect(() => optimizer.update(gradsAt(params, 9), result.state, params)).not.toThrow();
          expect(JSON.stringify(saveState(result.state))).toBeTypeOf('string');
        }
      }),
      { seed: 7002, numRuns: 400 },
    );
  });

  it('wrong versions', () => {
    for (const version of [0, 2, 1.5, -1, '1', null, NaN, 1e300]) {
      const snapshot = { ...(JSON.parse(text) as Record<string, unknown>), version };
      const r = attempt(() => loadState(snapshot, optimizer, params));
      expect('error' in r && r.error.path).toBe('version');
    }
    const { version: _v, ...missing } = JSON.parse(text) as Record<string, unknown>;
    const r = attempt(() => loadState(missing, optimizer, params));
    expect('error' in r && [r.error.reason, r.error.path]).toEqual(['format', 'version']);
  });

  it('values that are not snapshots at all', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect('error' in attempt(() => loadState(value, optimizer, params))).toBe(true);
      }),
      { seed: 7003, numRuns: 200 },
    );
    for (const v of [undefined, () => 1, Symbol('s'), new Map(), new Uint8Array(8)]) expect('error' in attempt(() => loadState(v, optimizer, params))).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// binary corruption

describe.each(CASES)('binary snapshot of $name', ({ optimizer, params, state }) => {
  const bytes = saveStateBinary(state, optimizer);

  it('loads as saved', () => {
    expect(firstDifference(loadStateBinary(bytes, optimizer, params), state)).toBeUndefined();
  });

  it('truncated anywhere, or with bytes appended: truncated', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: bytes.length - 1 }), (n) => {
        const r = attempt(() => loadStateBinary(bytes.slice(0, n), optimizer, params));
        expect('error' in r && r.error.reason).toBe('truncated');
      }),
      { seed: 7101, numRuns: 200 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 16 }), (extra) => {
        const longer = new Uint8Array(bytes.length + extra.length);
        longer.set(bytes);
        longer.set(extra, bytes.length);
        const r = attempt(() => loadStateBinary(longer, optimizer, params));
        expect('error' in r && r.error.reason).toBe('truncated');
      }),
      { seed: 7102, numRuns: 50 },
    );
  });

  it('random byte flips: always refused', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ at: fc.nat({ max: bytes.length - 1 }), xor: fc.integer({ min: 1, max: 255 }) }), { minLength: 1, maxLength: 4 }), (flips) => {
        const garbled = bytes.slice();
        for (const f of flips) garbled[f.at] = (garbled[f.at] as number) ^ f.xor;
        if (garbled.every((b, i) => b === bytes[i])) return; // two flips that cancel
        const r = attempt(() => loadStateBinary(garbled, optimizer, params));
        expect('error' in r).toBe(true);
      }),
      { seed: 7103, numRuns: 500 },
    );
  });

  it('byte flips with the CRC-32 forged to match: a SnapshotError or a well-formed state', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ at: fc.nat({ max: bytes.length - 1 }), xor: fc.integer({ min: 1, max: 255 }) }), { minLength: 1, maxLength: 4 }), (flips) => {
        const garbled = bytes.slice();
        for (const f of flips) if (f.at < 12 || f.at >= 16) garbled[f.at] = (garbled[f.at] as number) ^ f.xor;
        new DataView(garbled.buffer).setUint32(12, binaryChecksum(garbled), true);
        const r = attempt(() => loadStateBinary(garbled, optimizer, params));
        if ('state' in r) expect(() => optimizer.update(gradsAt(params, 9), r.state, params)).not.toThrow();
      }),
      { seed: 7104, numRuns: 500 },
    );
  });

  it('a header version from the future, in the fixed header or (with the CRC forged) in the JSON header', () => {
    const future = bytes.slice();
    new DataView(future.buffer).setUint32(4, 2, true);
    const r = attempt(() => loadStateBinary(future, optimizer, params));
    expect('error' in r && [r.error.reason, r.error.path]).toEqual(['version', 'version']);
    const text = new TextDecoder().decode(bytes);
    const at = text.indexOf('"version":1');
    const inner = bytes.slice();
    inner[at + '"version":'.length] = '2'.charCodeAt(0);
    new DataView(inner.buffer).setUint32(12, binaryChecksum(inner), true);
    const r2 = attempt(() => loadStateBinary(inner, optimizer, params));
    expect('error' in r2 && [r2.error.reason, r2.error.path]).toEqual(['version', 'header.version']);
  });

  it('random bytes, with or without the magic: refused', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (random, magic) => {
        const b = random.slice();
        if (magic && b.length >= 8) b.set([0x47, 0x46, 0x53, 0x54, 1, 0, 0, 0]);
        expect('error' in attempt(() => loadStateBinary(b, optimizer, params))).toBe(true);
      }),
      { seed: 7105, numRuns: 300 },
    );
    expect('error' in attempt(() => loadStateBinary([1, 2, 3] as unknown as Uint8Array, optimizer, params))).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// mismatched snapshots

const describable = (tx: GradientTransformation<unknown>): boolean => {
  try {
    toSpec(tx);
    return true;
  } catch {
    return false;
  }
};

/** The structure of a state: leaves as dtype/form/shape, numbers as `n`. */
function signature(value: unknown): string {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'number') return 'n';
    if (isFloatArray(v)) return `${v instanceof Float32Array ? 'f32' : 'f64'}[${String(v.length)}]`;
    if (isTensor(v)) return `tensor ${v.data instanceof Float32Array ? 'f32' : 'f64'}[${v.shape.join(',')}]`;
    if (Array.isArray(v)) return v.map(walk);
    if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.keys(v).sort().map((k) => [k, walk((v as Record<string, unknown>)[k])]));
    return typeof v;
  };
  return JSON.stringify(walk(value));
}

describe('mismatched snapshots', () => {
  const params = modelParams('float32');
  const saved = ALL.map((row) => {
    const o = row.make();
    const run = train(o, params, o.init(params), 0, 2);
    return { row, state: run.state, json: JSON.stringify(saveState(run.state, o)), bytes: saveStateBinary(run.state, o), params: run.params };
  });

  it("another optimizer's snapshot: refused whenever the snapshot names its optimizer or the structures differ", () => {
    let refused = 0;
    let undetectable = 0;
    for (const a of saved) {
      for (const b of ALL) {
        if (b === a.row) continue;
        const target = b.make();
        // Refused for sure when both name their optimizer (they differ: no two rows are the
        // same) or the structures differ; a plain function in the target matches any value.
        const bothDescribed = (JSON.parse(a.json) as { spec?: unknown }).spec !== undefined && describable(target);
        const detectable = bothDescribed || signature(a.state) !== signature(target.init(a.params));
        const fromJson = attempt(() => loadState(JSON.parse(a.json) as unknown, target, a.params));
        const fromBytes = attempt(() => loadStateBinary(a.bytes, target, a.params));
        if (detectable) {
          expect('error' in fromJson, `${a.row.name} into ${b.name} (JSON)`).toBe(true);
          expect('error' in fromBytes, `${a.row.name} into ${b.name} (binary)`).toBe(true);
          refused++;
        } else {
          undetectable++;
        }
      }
    }
    // Not asserted: a snapshot without a spec (its optimizer holds a plain function) loaded
    // into an optimizer of the same state structure, or a snapshot loaded into an optimizer
    // with a plain function where the snapshot's spec matches everywhere else.
    expect(refused).toBeGreaterThan(ALL.length * (ALL.length - 1) * 0.85);
    expect(undetectable).toBeLessThan(ALL.length * 3);
  });

  it("another params tree's snapshot: refused whenever the state's structure depends on the params", () => {
    const others: readonly Tree[] = [
      modelParams('float64'),
      { ...params, scale: Float32Array.of(2) },
      { ...params, layers: params.layers.slice(0, 1) },
      { ...params, extra: Float32Array.of(1) },
    ];
    let refused = 0;
    for (const a of saved) {
      for (const other of others) {
        const target = a.row.make();
        const fromJson = attempt(() => loadState(JSON.parse(a.json) as unknown, target, other));
        const fromBytes = attempt(() => loadStateBinary(a.bytes, target, other));
        const differs = signature(a.state) !== signature(target.init(other));
        expect('error' in fromJson).toBe(differs);
        expect('error' in fromBytes).toBe(differs);
        if (differs) {
          refused++;
          if ('error' in fromJson) expect(fromJson.error.reason).toBe('structure');
        }
      }
    }
    expect(refused).toBeGreaterThan(50);
  });
});
