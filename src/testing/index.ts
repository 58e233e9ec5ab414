/**
 * Test helpers for gradfuse users (the `gradfuse/testing` entry point): a vitest snapshot
 * serializer for typed arrays. The default export is the serializer, so the module can be
 * listed in vitest's `snapshotSerializers`.
 *
 * @module gradfuse/testing
 */
export type { FloatArraySnapshotSerializer } from './serializer.js';
export { floatArraySerializer, formatFloatArray, shortestFloat32, shortestFloat64 } from './serializer.js';
export { default } from './serializer.js';
