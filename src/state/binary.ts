/**
 * The binary snapshot form: a small fixed header, a JSON header describing the state, and the
 * leaves' raw little-endian IEEE 754 data, each 8-byte aligned.
 *
 * ```
 * offset  size  field
 *      0     4  magic "GFST" (0x47 0x46 0x53 0x54)
 *      4     4  version, u32 little-endian (1)
 *      8     4  H, the JSON header's length in bytes, u32 LE
 *     12     4  CRC-32 of every byte of the file except these four, u32 LE
 *     16     8  total length of the file in bytes, u64 LE
 *     24     H  JSON header, UTF-8: { format, version, spec?, state }, leaves written as
 *               { leaf, dtype, shape, offset } (offset from the data section's start)
 *        0..7  zero bytes, up to D = 24 + H rounded up to a multiple of 8
 *      D        data section: the leaves in encoding order (records by sorted key, arrays by
 *               index, depth first), each at an offset that is a multiple of 8, each followed
 *               by zero bytes up to the next multiple of 8; it ends at the total length
 * ```
 *
 * Headers are read and written through a `DataView`, explicitly little-endian; leaf data is
 * copied as bytes on a little-endian host and element by element through a `DataView` on a
 * big-endian one, so the bytes are the same everywhere. Everything that comes back is a fresh
 * array (the input may sit at any byte offset, e.g. a Node `Buffer`).
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import * as t from 'io-ts';
import type { GradientTransformation } from '../base.js';
import type { Dtype, FloatArray } from '../tree/leaf.js';
import type { TreeLike } from '../tree/tree.js';
import { type EncodedLeafHead, type LeafReader, Problems, decodeTree, describeJson, encodeTree } from './codec.js';
import { crc32Update, hex32 } from './crc32.js';
import { SNAPSHOT_FORMAT, SNAPSHOT_VERSION, checkSpec, decodeEnvelope, present, snapshotSpec } from './envelope.js';
import { SnapshotError } from './error.js';
import type { SnapshotErrors } from './snapshot.js';

/** The first four bytes of a binary snapshot: `GFST`. */
export const BINARY_MAGIC: Uint8Array = Uint8Array.of(0x47, 0x46, 0x53, 0x54);

/** The fixed header's length in bytes. */
export const BINARY_HEADER_BYTES = 24;

/** True on a little-endian host (every current JavaScript engine in practice). */
export const HOST_LITTLE_ENDIAN: boolean = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

const align8 = (n: number): number => Math.ceil(n / 8) * 8;
const bytesPer = (dtype: Dtype): number => (dtype === 'float32' ? 4 : 8);

/**
 * Writes a leaf's elements little-endian at `start` of `out`: a byte copy on a little-endian
 * host, a `DataView` per element otherwise (`littleEndianHost` is a parameter for testing).
 */
export function writeLeafData(out: Uint8Array, start: number, data: FloatArray, littleEndianHost: boolean = HOST_LITTLE_ENDIAN): void {
  if (littleEndianHost) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), start);
    return;
  }
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  if (data instanceof Float32Array) for (let i = 0; i < data.length; i++) view.setFloat32(start + 4 * i, data[i] as number, true);
  else for (let i = 0; i < data.length; i++) view.setFloat64(start + 8 * i, data[i] as number, true);
}

/** Reads `size` little-endian elements at `start` into a fresh array (see {@link writeLeafData}). */
export function readLeafData(bytes: Uint8Array, start: number, dtype: Dtype, size: number, littleEndianHost: boolean = HOST_LITTLE_ENDIAN): FloatArray {
  const n = size * bytesPer(dtype);
  if (littleEndianHost) {
    // A fresh, aligned buffer (not `bytes.slice`: a Node Buffer's slice is a view).
    const copy = new Uint8Array(n);
    copy.set(bytes.subarray(start, start + n));
    return dtype === 'float32' ? new Float32Array(copy.buffer, 0, size) : new Float64Array(copy.buffer, 0, size);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dtype === 'float32') {
    const out = new Float32Array(size);
    for (let i = 0; i < size; i++) out[i] = view.getFloat32(start + 4 * i, true);
    return out;
  }
  const out = new Float64Array(size);
  for (let i = 0; i < size; i++) out[i] = view.getFloat64(start + 8 * i, true);
  return out;
}

/** The CRC-32 of a binary snapshot, skipping the four bytes that hold it. */
export function binaryChecksum(bytes: Uint8Array): number {
  return crc32Update(crc32Update(0, bytes.subarray(0, 12)), bytes.subarray(16));
}

/**
 * Writes an optimizer state in the binary form: the same content as {@link saveState}'s JSON
 * (spec included when the optimizer can be described), with the leaves as raw bytes.
 * Deterministic: the same state gives the same bytes. Throws a {@link SnapshotError}
 * (`unsupported`) naming the path of a value a snapshot cannot hold.
 * @category State
 */
export function saveStateBinary<S>(state: S, optimizer?: GradientTransformation<S>): Uint8Array {
  const leaves: { readonly data: FloatArray; readonly offset: number }[] = [];
  let end = 0;
  const encoded = encodeTree(state, (data, head: EncodedLeafHead) => {
    const offset = end;
    leaves.push({ data, offset });
    end = align8(offset + data.byteLength);
    return { ...head, offset };
  });
  const spec = optimizer === undefined ? undefined : snapshotSpec(optimizer as GradientTransformation<unknown>);
  const header = { format: SNAPSHOT_FORMAT, version: SNAPSHOT_VERSION, ...(spec === undefined ? {} : { spec }), state: encoded };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const dataStart = align8(BINARY_HEADER_BYTES + json.length);
  const total = dataStart + end;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(BINARY_MAGIC, 0);
  view.setUint32(4, SNAPSHOT_VERSION, true);
  view.setUint32(8, json.length, true);
  view.setBigUint64(16, BigInt(total), true);
  out.set(json, BINARY_HEADER_BYTES);
  for (const leaf of leaves) writeLeafData(out, dataStart + leaf.offset, leaf.data);
  view.setUint32(12, binaryChecksum(out), true);
  return out;
}

const FIELDS = { required: { state: present }, optional: { spec: t.UnknownRecord } };

const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');

const fail = (reason: SnapshotError['reason'], path: string, expected: string, actual: string): E.Either<SnapshotErrors, never> =>
  E.left([new SnapshotError(reason, path, expected, actual)]);

const allZero = (bytes: Uint8Array, from: number, to: number): boolean => {
  for (let i = from; i < to; i++) if (bytes[i] !== 0) return false;
  return true;
};

/**
 * Reads a binary snapshot back into a state for `optimizer` and `params`, with every check of
 * {@link decodeState} (the CRC-32 stands in for the JSON checksum) plus the layout: magic,
 * version, total length, header bounds, leaf offsets in order and aligned, zero padding.
 * Returns the errors or a state built from fresh arrays; nothing passed in is changed.
 * @category State
 */
export function decodeStateBinary<S, P extends TreeLike<P>>(bytes: Uint8Array, optimizer: GradientTransformation<S>, params: P): E.Either<SnapshotErrors, S> {
  if (!((bytes as unknown) instanceof Uint8Array)) return fail('format', '', 'a Uint8Array holding a binary state snapshot', describeJson(bytes));
  if (bytes.length < BINARY_HEADER_BYTES) {
    return fail('truncated', 'bytes', `at least ${String(BINARY_HEADER_BYTES)} bytes (the fixed header)`, `${String(bytes.length)} bytes`);
  }
  if (!BINARY_MAGIC.every((b, i) => bytes[i] === b)) {
    return fail('format', 'magic', `the bytes 47 46 53 54 ("GFST", a gradfuse binary state snapshot)`, hex(bytes.subarray(0, 4)));
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(4, true);
  if (version !== SNAPSHOT_VERSION) {
    return fail('version', 'version', `version ${String(SNAPSHOT_VERSION)}, the version this gradfuse reads`, `version ${String(version)}${version > SNAPSHOT_VERSION ? ' (written by a newer gradfuse?)' : ''}`);
  }
  const total = view.getBigUint64(16, true);
  if (total !== BigInt(bytes.length)) {
    const actual = `${String(bytes.length)} bytes`;
    return total > BigInt(bytes.length)
      ? fail('truncated', 'bytes', `${String(total)} bytes, as the header says`, `${actual} (truncated)`)
      : fail('truncated', 'bytes', `${String(total)} bytes, as the header says`, `${actual} (trailing bytes)`);
  }
  const stored = view.getUint32(12, true);
  const actualCrc = binaryChecksum(bytes);
  if (stored !== actualCrc) {
    return fail('checksum', 'checksum', `content whose CRC-32 is ${hex32(stored)}, as the header says`, `content whose CRC-32 is ${hex32(actualCrc)} (changed after it was written)`);
  }
  const headerLength = view.getUint32(8, true);
  const dataStart = align8(BINARY_HEADER_BYTES + headerLength);
  if (dataStart > bytes.length) {
    return fail('format', 'headerLength', `a JSON header length of at most ${String(bytes.length - BINARY_HEADER_BYTES)} bytes`, String(headerLength));
  }
  if (!allZero(bytes, BINARY_HEADER_BYTES + headerLength, dataStart)) {
    return fail('format', 'header', 'zero padding after the JSON header', 'non-zero bytes');
  }
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(BINARY_HEADER_BYTES, BINARY_HEADER_BYTES + headerLength)));
  } catch (e) {
    return fail('format', 'header', 'a UTF-8 JSON header', e instanceof Error ? e.message : 'unreadable bytes');
  }
  const dataBytes = bytes.length - dataStart;

  return pipe(
    decodeEnvelope(header, FIELDS, ['header']),
    E.mapLeft((errors) => errors as unknown as SnapshotErrors),
    E.chain((envelope): E.Either<SnapshotErrors, S> => {
      const specError = checkSpec(envelope.spec, optimizer as GradientTransformation<unknown>, ['header']);
      if (specError !== undefined) return E.left([specError]);
      let next = 0;
      const read: LeafReader = (encoded, expected, segments, problems) => {
        const offset = encoded.offset;
        const n = expected.size * bytesPer(expected.dtype);
        if (typeof offset !== 'number' || offset !== next) {
          problems.add('structure', [...segments, 'offset'], `offset ${String(next)} (leaves are laid out in order, each 8-byte aligned)`, describeJson(offset));
          if (typeof offset === 'number' && Number.isSafeInteger(offset) && offset >= 0) next = align8(offset + n);
          return undefined;
        }
        if (offset + n > dataBytes) {
          problems.add('truncated', [...segments, 'offset'], `${String(n)} bytes of data at offset ${String(offset)}`, `a data section of ${String(dataBytes)} bytes`);
          return undefined;
        }
        next = align8(offset + n);
        if (!allZero(bytes, dataStart + offset + n, dataStart + Math.min(next, dataBytes))) {
          problems.add('format', [...segments, 'offset'], 'zero padding after the leaf', 'non-zero bytes');
          return undefined;
        }
        return readLeafData(bytes, dataStart + offset, expected.dtype, expected.size);
      };
      const problems = new Problems();
      const decoded = decodeTree(optimizer.init(params), envelope.state, 'offset', read, problems);
      if (!decoded.ok) return E.left(problems.errors.map((e) => new SnapshotError(e.reason, `header.${e.path}`, e.expected, e.actual)) as unknown as SnapshotErrors);
      if (next !== dataBytes) {
        return fail('format', 'bytes', `a data section of ${String(next)} bytes (the leaves the header lists)`, `${String(dataBytes)} bytes`);
      }
      return E.right(decoded.value as S);
    }),
  );
}

/**
 * {@link decodeStateBinary}, throwing its first {@link SnapshotError}.
 * @category State
 */
export function loadStateBinary<S, P extends TreeLike<P>>(bytes: Uint8Array, optimizer: GradientTransformation<S>, params: P): S {
  return pipe(
    decodeStateBinary(bytes, optimizer, params),
    E.getOrElse((errors): S => {
      throw errors[0];
    }),
  );
}
