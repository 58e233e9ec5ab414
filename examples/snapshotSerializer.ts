import { defineConfig } from 'vitest/config';
import { formatFloatArray } from '../src/testing/index.js';

// vitest.config.ts: snapshots print every typed array on one line, float32 values shortest.
export default defineConfig({ test: { snapshotSerializers: ['gradfuse/testing'] } });

// What a snapshot then shows for a leaf (vitest's default: one element per line,
// 0.10000000149011612 for the float32 0.1):
console.log(formatFloatArray(Float32Array.of(0.1, 1 / 3, -0, NaN, 1e-8))); // Float32Array(5) [0.1, 0.33333334, -0, NaN, 1e-8]
