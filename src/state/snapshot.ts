/**
 * Optimizer state as a versioned, validated JSON snapshot.
 *
 * ```ts
 * const snapshot = saveState(state, optimizer);            // plain JSON data
 * writeFileSync('ckpt.json', JSON.stringify(snapshot));
 * // ... later, in another process:
 * const restored = loadState(JSON.parse(readFileSync('ckpt.json', 'utf8')), optimizer, params);
 * ```
 *
 * A snapshot is `{ format: 'gradfuse-state', version: 1, checksum, spec?, state }`. `state`
 * encodes the optimizer state exactly: numbers (NaN, ±Infinity and -0 as the strings `"NaN"`,
 * `"Infinity"`, `"-Infinity"`, `"-0"`), booleans, arrays, records with sorted keys, and leaves
 * `{ leaf: 'array' | 'tensor', dtype, shape, data }` whose `data` holds every element exactly
 * (a float32 element as the float64 number equal to it). See `docs/state.md`.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import type { ReadonlyNonEmptyArray } from 'fp-ts/lib/ReadonlyNonEmptyArray.js';
import * as t from 'io-ts';
import type { GradientTransformation } from '../base.js';
import type { TransformSpec } from '../spec/spec.js';
import type { TreeLike } from '../tree/tree.js';
import { type EncodedState, Problems, decodeTree, encodeNumber, encodeTree, readJsonLeaf } from './codec.js';
import { SNAPSHOT_FORMAT, SNAPSHOT_VERSION, canonicalChecksum, checkSpec, decodeEnvelope, present, snapshotSpec } from './envelope.js';
import { SnapshotError } from './error.js';

/**
 * A JSON state snapshot, as {@link saveState} writes it (fields in this order).
 * @category State
 */
export interface StateSnapshot {
  readonly format: typeof SNAPSHOT_FORMAT;
  readonly version: typeof SNAPSHOT_VERSION;
  /**
   * `crc32:` and 8 hex digits: the CRC-32 of the canonical JSON (keys sorted, no whitespace) of
   * the snapshot without this field. Catches any edit, including one that keeps the state
   * well-formed (a count, a number in a slot).
   */
  readonly checksum: string;
  /** The optimizer's spec (`toSpec`), keys sorted; absent when it could not be described. */
  readonly spec?: TransformSpec;
  /** The encoded state. */
  readonly state: EncodedState;
}

/**
 * Options of {@link loadState} and {@link decodeState}.
 * @category State
 */
export interface LoadStateOptions {
  /**
   * Check the `checksum` (default `true`). Turn off only to read a snapshot you edited or
   * produced yourself; every structural check still applies.
   */
  readonly verifyChecksum?: boolean;
}

/** The errors of a failed decode, the most telling first. */
export type SnapshotErrors = ReadonlyNonEmptyArray<SnapshotError>;

/**
 * Writes an optimizer state as a deterministic, JSON-compatible snapshot:
 * `JSON.parse(JSON.stringify(saveState(s, opt)))` loads back bit for bit. With an optimizer
 * that gradfuse can describe, its spec is recorded, and {@link loadState} refuses to load the
 * snapshot into a different one. Throws a {@link SnapshotError} (`unsupported`) naming the path
 * of a value a snapshot cannot hold.
 * @category State
 */
export function saveState<S>(state: S, optimizer?: GradientTransformation<S>): StateSnapshot {
  const encoded = encodeTree(state, (data, head) => ({ ...head, data: Array.from(data, encodeNumber) }));
  const spec = optimizer === undefined ? undefined : snapshotSpec(optimizer as GradientTransformation<unknown>);
  const body = { format: SNAPSHOT_FORMAT, version: SNAPSHOT_VERSION, ...(spec === undefined ? {} : { spec }), state: encoded } as const;
  return { format: SNAPSHOT_FORMAT, version: SNAPSHOT_VERSION, checksum: canonicalChecksum(body), ...(spec === undefined ? {} : { spec }), state: encoded };
}

const FIELDS = {
  required: { checksum: t.string, state: present },
  optional: { spec: t.UnknownRecord },
};

const nonEmpty = (errors: readonly SnapshotError[]): SnapshotErrors => errors as unknown as SnapshotErrors;

/**
 * Reads a JSON snapshot back into a state for `optimizer` and `params`, validating everything
 * against `optimizer.init(params)`: format and version, the spec (when both the snapshot and
 * the optimizer have one: the first differing path is reported), the structure (nesting, keys,
 * array lengths, leaf forms, dtypes, shapes; counts are non-negative integers; numbers where
 * numbers belong; float32 data exactly representable), and the checksum. Returns the errors,
 * the most telling first, or a state built from fresh arrays. Nothing passed in is changed.
 * @category State
 */
export function decodeState<S, P extends TreeLike<P>>(
  snapshot: unknown,
  optimizer: GradientTransformation<S>,
  params: P,
  options: LoadStateOptions = {},
): E.Either<SnapshotErrors, S> {
  return pipe(
    decodeEnvelope(snapshot, FIELDS),
    E.mapLeft(nonEmpty),
    E.chain((envelope): E.Either<SnapshotErrors, S> => {
      const specError = checkSpec(envelope.spec, optimizer as GradientTransformation<unknown>, []);
      if (specError !== undefined) return E.left([specError]);
      const problems = new Problems();
      const decoded = decodeTree(optimizer.init(params), envelope.state, 'data', readJsonLeaf, problems);
      if (!decoded.ok) return E.left(nonEmpty(problems.errors));
      if (options.verifyChecksum !== false) {
        const { checksum, ...body } = envelope;
        const actual = canonicalChecksum(body);
        if (actual !== checksum) {
          return E.left([new SnapshotError('checksum', 'checksum', `content whose checksum is ${JSON.stringify(checksum)}`, `content whose checksum is "${actual}" (changed after it was written)`)]);
        }
      }
      return E.right(decoded.value as S);
    }),
  );
}

/**
 * {@link decodeState}, throwing its first {@link SnapshotError}.
 * @category State
 */
export function loadState<S, P extends TreeLike<P>>(snapshot: unknown, optimizer: GradientTransformation<S>, params: P, options: LoadStateOptions = {}): S {
  return pipe(
    decodeState(snapshot, optimizer, params, options),
    E.getOrElse((errors): S => {
      throw errors[0];
    }),
  );
}
