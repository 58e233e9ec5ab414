/**
 * The typed error of every snapshot failure: what was expected, what came, and where.
 *
 * @module
 */
import { GradfuseError } from '../errors.js';

/**
 * Why a snapshot was refused:
 *
 * - `format`: not a gradfuse state snapshot (wrong `format`, a missing or extra field, a field
 *   of the wrong type, bytes that are not the binary form);
 * - `version`: a snapshot version this gradfuse does not read;
 * - `truncated`: the binary form is shorter (or longer) than its header says;
 * - `checksum`: the content was changed after it was written (CRC-32 mismatch);
 * - `spec`: the snapshot was written for a different optimizer (hyperparameters or members);
 * - `structure`: the state does not fit the optimizer's state for these params (nesting,
 *   keys, array lengths, leaf forms, dtypes, shapes, counts, numbers);
 * - `unsupported`: `saveState` was handed a value a snapshot cannot hold.
 * @category State
 */
export type SnapshotErrorReason = 'format' | 'version' | 'truncated' | 'checksum' | 'spec' | 'structure' | 'unsupported';

/**
 * A snapshot cannot be written or read back. `path` names the place, e.g.
 * `state[1].mu.dense1.w`, `state[0].count`, `spec.transforms[1].b1`, `version`.
 *
 * Loading never changes anything on failure: the state is built from fresh arrays, and the
 * caller's snapshot, optimizer and params are not touched.
 * @category State
 */
export class SnapshotError extends GradfuseError {
  readonly _tag = 'SnapshotError' as const;
  constructor(
    /** What kind of failure this is. */
    readonly reason: SnapshotErrorReason,
    /** Where: a JSON path into the snapshot (`state[1].mu.w.data[3]`); `''` for the whole. */
    readonly path: string,
    /** What was expected there. */
    readonly expected: string,
    /** What came. */
    readonly actual: string,
  ) {
    super(`${reason === 'unsupported' ? 'cannot save state' : 'invalid snapshot'} (${reason}): at ${path === '' ? '<root>' : path}: expected ${expected}, got ${actual}`);
    this.name = 'SnapshotError';
  }
}
