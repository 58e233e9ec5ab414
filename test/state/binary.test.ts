/**
 * The binary form: its layout (magic, version, lengths, CRC-32, JSON header, aligned
 * little-endian leaves), determinism, the big-endian code path, and round trips.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { GradientTransformation } from '../../src/base.js';
import { chain } from '../../src/combine/chain.js';
import { adamw } from '../../src/optimizers/adam.js';
import { scaleByAdam } from '../../src/transforms/adam.js';
import { addDecayedWeights } from '../../src/transforms/decay.js';
import { scaleByLearningRate } from '../../src/transforms/scale.js';
import {
  BINARY_HEADER_BYTES,
  BINARY_MAGIC,
  HOST_LITTLE_ENDIAN,
  binaryChecksum,
  decodeStateBinary,
  loadStateBinary,
  readLeafData,
  saveStateBinary,
  writeLeafData,
} from '../../src/state/binary.js';
import { crc32 } from '../../src/state/crc32.js';
import { SnapshotError } from '../../src/state/error.js';
import { saveState } from '../../src/state/snapshot.js';
import type { Dtype } from '../../src/tree/leaf.js';
import { type Tree, cloneTree } from '../../src/tree/tree.js';
import { build, skeleton } from '../helpers/arbitraries.js';
import { firstDifference, modelParams, train } from './helpers.js';

const holder: GradientTransformation<Tree> = {
  init: (params) => cloneTree(params as Tree),
  update: (updates, state) => [updates, state],
};

const adamState = () => {
  const optimizer = adamw({ learningRate: 1e-3, weightDecay: 1e-2 });
  const params = modelParams('float32');
  const run = train(optimizer, params, optimizer.init(params), 0, 3);
  return { optimizer, params: run.params, state: run.state };
};

interface HeaderLeaf {
  readonly leaf: string;
  readonly dtype: Dtype;
  readonly shape: readonly number[];
  readonly offset: number;
}

/** Reads the fixed header and the JSON header back, independently of the loader. */
function parse(bytes: Uint8Array) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(8, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(24, 24 + headerLength))) as Record<string, unknown>;
  const leaves: HeaderLeaf[] = [];
  const collect = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(collect);
    else if (typeof v === 'object' && v !== null) {
      if ('offset' in v) leaves.push(v as HeaderLeaf);
      else for (const k of Object.keys(v).sort()) collect((v as Record<string, unknown>)[k]);
    }
  };
  collect(header.state);
  return {
    magic: Array.from(bytes.subarray(0, 4)),
    version: view.getUint32(4, true),
    headerLength,
    crc: view.getUint32(12, true),
    total: Number(view.getBigUint64(16, true)),
    header,
    leaves,
    dataStart: Math.ceil((24 + headerLength) / 8) * 8,
  };
}

describe('layout', () => {
  const { optimizer, state } = adamState();
  const bytes = saveStateBinary(state, optimizer);
  const p = parse(bytes);

  it('fixed header: magic GFST, version 1, lengths, CRC-32 of all but its own four bytes', () => {
    expect(String.fromCharCode(...p.magic)).toBe('GFST');
    expect(Array.from(BINARY_MAGIC)).toEqual(p.magic);
    expect(p.version).toBe(1);
    expect(p.total).toBe(bytes.length);
    expect(BINARY_HEADER_BYTES).toBe(24);
    const zeroed = bytes.slice();
    zeroed.fill(0, 12, 16);
    const viaWhole = crc32(new Uint8Array([...zeroed.subarray(0, 12), ...zeroed.subarray(16)]));
    expect(p.crc).toBe(viaWhole);
    expect(binaryChecksum(bytes)).toBe(p.crc);
  });

  it('the JSON header is the JSON snapshot with offsets for data, and no checksum', () => {
    const snapshot = saveState(state, optimizer);
    expect(Object.keys(p.header)).toEqual(['format', 'version', 'spec', 'state']);
    expect(p.header.spec).toEqual(snapshot.spec);
    const strip = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(strip) : typeof v === 'object' && v !== null ? Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'data' && k !== 'offset').map(([k, x]) => [k, strip(x)])) : v;
    expect(strip(p.header.state)).toEqual(strip(snapshot.state));
  });

  it('leaves in order, each 8-byte aligned, little-endian, zero padded, filling the data section', () => {
    expect(p.dataStart % 8).toBe(0);
    const flat: { data: Float32Array }[] = [];
    const collect = (v: unknown): void => {
      if (v instanceof Float32Array) flat.push({ data: v });
      else if (Array.isArray(v)) v.forEach(collect);
      else if (typeof v === 'object' && v !== null) for (const k of Object.keys(v).sort()) collect((v as Record<string, unknown>)[k]);
    };
    collect(state);
    expect(flat.length).toBe(10); // mu and nu of five params leaves
    expect(p.leaves).toHaveLength(flat.length);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let expectedOffset = 0;
    p.leaves.forEach((leaf, i) => {
      const data = flat[i]?.data as Float32Array;
      expect(leaf.offset).toBe(expectedOffset);
      expect(leaf.offset % 8).toBe(0);
      for (let k = 0; k < data.length; k++) expect(Object.is(view.getFloat32(p.dataStart + leaf.offset + 4 * k, true), data[k])).toBe(true);
      const end = leaf.offset + 4 * data.length;
      expectedOffset = Math.ceil(end / 8) * 8;
      expect(Array.from(bytes.subarray(p.dataStart + end, p.dataStart + expectedOffset)).every((b) => b === 0)).toBe(true);
    });
    expect(p.dataStart + expectedOffset).toBe(bytes.length);
  });

  it('is deterministic', () => {
    expect(Array.from(saveStateBinary(state, optimizer))).toEqual(Array.from(bytes));
  });
});

describe('round trip', () => {
  const arbitraryState = fc
    .record({ s: skeleton(6, 12), dtype: fc.constantFrom<Dtype>('float32', 'float64'), values: fc.array(fc.double(), { minLength: 1, maxLength: 64 }), floats: fc.array(fc.float(), { minLength: 1, maxLength: 64 }) })
    .map(({ s, dtype, values, floats }) => build(s, dtype, (leaf, i) => (dtype === 'float32' ? (floats[(leaf * 31 + i) % floats.length] as number) : (values[(leaf * 31 + i) % values.length] as number))));

  it('any tree comes back bit for bit, also from a view at an odd byte offset (a Node Buffer)', () => {
    fc.assert(
      fc.property(arbitraryState, fc.integer({ min: 0, max: 7 }), (tree, shift) => {
        const bytes = saveStateBinary(tree);
        expect(firstDifference(loadStateBinary(bytes, holder, tree), tree)).toBeUndefined();
        const padded = new Uint8Array(bytes.length + shift);
        padded.set(bytes, shift);
        expect(firstDifference(loadStateBinary(padded.subarray(shift), holder, tree), tree)).toBeUndefined();
        const buffer = Buffer.from(padded.buffer, shift, bytes.length);
        expect(firstDifference(loadStateBinary(buffer, holder, tree), tree)).toBeUndefined();
      }),
      { seed: 5501, numRuns: 150 },
    );
  });

  it('the state shares no memory with the bytes', () => {
    const { optimizer, params, state } = adamState();
    const bytes = saveStateBinary(state, optimizer);
    const loaded = loadStateBinary(bytes, optimizer, params);
    bytes.fill(0xff, parse(bytes).dataStart);
    expect(firstDifference(loaded, state)).toBeUndefined();
  });

  it('refuses another optimizer through the spec in the header', () => {
    const params = modelParams('float32');
    const optimizer = chain(scaleByAdam(), addDecayedWeights({ weightDecay: 1e-2 }), scaleByLearningRate(1e-3));
    const other = chain(scaleByAdam(), addDecayedWeights({ weightDecay: 1e-3 }), scaleByLearningRate(1e-3));
    try {
      loadStateBinary(saveStateBinary(optimizer.init(params), optimizer), other, params);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(SnapshotError);
      expect((e as SnapshotError).path).toBe('header.spec.transforms[1].weightDecay');
    }
  });

  it('structure errors name the path inside the header', () => {
    const { optimizer, params, state } = adamState();
    const result = decodeStateBinary(saveStateBinary(state, optimizer), optimizer, modelParams('float64'));
    expect(result._tag === 'Left' ? result.left[0].path : '').toBe('header.state[0].mu.dense1.b.dtype');
  });
});

describe('byte order', () => {
  it(`this host is ${HOST_LITTLE_ENDIAN ? 'little' : 'big'}-endian; the DataView path writes and reads the same bytes as the copy path`, () => {
    fc.assert(
      fc.property(fc.oneof(fc.float32Array({ maxLength: 40 }), fc.float64Array({ maxLength: 40 })), fc.integer({ min: 0, max: 3 }), (data, slot) => {
        const start = slot * 8;
        const a = new Uint8Array(start + data.byteLength + 8);
        const b = new Uint8Array(start + data.byteLength + 8);
        writeLeafData(a, start, data, true);
        writeLeafData(b, start, data, false);
        if (HOST_LITTLE_ENDIAN) expect(Array.from(a)).toEqual(Array.from(b));
        const dtype: Dtype = data instanceof Float32Array ? 'float32' : 'float64';
        for (const host of [true, false]) {
          const back = readLeafData(b, start, dtype, data.length, host);
          expect(back.constructor).toBe(data.constructor);
          expect(Array.from(back).every((x, i) => Object.is(x, data[i]))).toBe(true);
        }
      }),
      { seed: 6601, numRuns: 200 },
    );
  });

  it('little-endian IEEE 754 on the wire: 1.5 as float32 is 00 00 c0 3f', () => {
    const out = new Uint8Array(4);
    writeLeafData(out, 0, Float32Array.of(1.5), false);
    expect(Array.from(out)).toEqual([0x00, 0x00, 0xc0, 0x3f]);
  });
});
