/**
 * Optimizer state snapshots: JSON and binary, versioned, validated against the optimizer.
 *
 * @module
 */
export type { EncodedLeaf, EncodedLeafHead, EncodedNumber, EncodedState, EncodedTree, LeafForm, SpecialNumber } from './codec.js';
export { SNAPSHOT_FORMAT, SNAPSHOT_VERSION } from './envelope.js';
export type { SnapshotErrorReason } from './error.js';
export { SnapshotError } from './error.js';
export type { LoadStateOptions, SnapshotErrors, StateSnapshot } from './snapshot.js';
export { decodeState, loadState, saveState } from './snapshot.js';
export { BINARY_MAGIC, decodeStateBinary, loadStateBinary, saveStateBinary } from './binary.js';
