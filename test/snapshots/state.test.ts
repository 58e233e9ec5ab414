/**
 * Checked-in snapshots: every registry row's state after 3 steps on a fixed small tree, printed
 * with the typed-array serializer, and the exact bytes of the snapshot formats (version 1).
 * A change here is a change of numbers or of the format: review it, and bump the snapshot
 * version for a format change.
 *
 * Written locally with `npx vitest run test/snapshots -u`; CI never writes snapshots.
 */
import { describe, expect, it } from 'vitest';
import { chain } from '../../src/combine/chain.js';
import { warmupCosineDecay } from '../../src/schedules/warmup.js';
import { saveStateBinary } from '../../src/state/binary.js';
import { saveState } from '../../src/state/snapshot.js';
import { floatArraySerializer } from '../../src/testing/serializer.js';
import { scaleByAdam } from '../../src/transforms/adam.js';
import { clipByGlobalNorm } from '../../src/transforms/clipping.js';
import { addDecayedWeights } from '../../src/transforms/decay.js';
import { scaleByLearningRate } from '../../src/transforms/scale.js';
import { applyUpdates } from '../../src/update.js';
import { ALL } from '../helpers/registry.js';

expect.addSnapshotSerializer(floatArraySerializer);

/** A fixed small tree: a float32 tensor, a float32 bias, a float64 layer list. */
const params = () => ({
  dense: { w: { shape: [2, 2], data: Float32Array.of(0.5, -1, 1.5, 0.25) }, b: Float32Array.of(0.1, -0.2) },
  head: [Float64Array.of(1, -2, 3)],
});
type Params = ReturnType<typeof params>;

/** Deterministic gradients of step k, of mixed sign and scale. */
const grads = (k: number): Params => ({
  dense: { w: { shape: [2, 2], data: Float32Array.of(0.3 - k, 1.2 * k, -0.7, 2 ** -k) }, b: Float32Array.of(k % 2 === 0 ? 1 : -1, 0.05 * (k + 1)) },
  head: [Float64Array.of(-0.5 + 0.25 * k, 3 / (k + 1), 1e-3 * (k - 1))],
});

describe('state after 3 steps', () => {
  it.each(ALL)('$name', (row) => {
    const optimizer = row.make();
    let p = params();
    let state = optimizer.init(p);
    for (let k = 0; k < 3; k++) {
      const [u, next] = optimizer.update(grads(k), state, p);
      p = applyUpdates(p, u);
      state = next;
    }
    expect(state).toMatchSnapshot();
  });
});

describe('format, version 1', () => {
  // adamw spelled out as transformations, so the recorded spec is the members' own.
  const optimizer = chain(
    clipByGlobalNorm(1),
    scaleByAdam(),
    addDecayedWeights({ weightDecay: 1e-2 }),
    scaleByLearningRate(warmupCosineDecay({ initValue: 0, peakValue: 0.1, warmupSteps: 2, decaySteps: 10 })),
  );
  const small = { w: Float32Array.of(0.5, -0), b: { shape: [1], data: Float64Array.of(2) } };
  const [, state] = optimizer.update({ w: Float32Array.of(0.3, -0.4), b: { shape: [1], data: Float64Array.of(0.1) } }, optimizer.init(small), small);
  // The values JSON cannot hold, and a float32 subnormal, written into this (our own) state.
  const moments = state[1] as unknown as { mu: { w: Float32Array }; nu: { w: Float32Array } };
  moments.mu.w.set([NaN, -0]);
  moments.nu.w.set([Infinity, 1e-40]);

  it('JSON', () => {
    expect(JSON.stringify(saveState(state, optimizer), null, 1)).toMatchSnapshot();
  });

  it('binary', () => {
    const bytes = saveStateBinary(state, optimizer);
    const lines: string[] = [];
    for (let i = 0; i < bytes.length; i += 16) {
      const row = bytes.subarray(i, i + 16);
      const ascii = Array.from(row, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
      lines.push(`${i.toString(16).padStart(6, '0')}  ${Array.from(row, (b) => b.toString(16).padStart(2, '0')).join(' ').padEnd(47)}  ${ascii}`);
    }
    expect(lines.join('\n')).toMatchSnapshot();
  });
});
