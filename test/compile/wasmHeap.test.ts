/**
 * The wasm backend's in-place step allocates nothing per step (as the js backend's, see
 * inPlace.test.ts). First in a file of its own: code shapes left by other tests would make V8's
 * generic paths box numbers in the engine, for every backend alike.
 */
import { describe, expect, it } from 'vitest';
import { chain } from '../../src/combine/chain.js';
import { compile } from '../../src/compile/index.js';
import { adamw } from '../../src/optimizers/adam.js';
import { warmupCosineDecay } from '../../src/schedules/warmup.js';
import { clipByGlobalNorm } from '../../src/transforms/clipping.js';
import type { Tree } from '../../src/tree/tree.js';
import { expectNoAllocation, heapGrowth, integerGrads, noAllocChain } from './heap.js';
import { copyLeaves, fillValues, gradsLike } from './trees.js';

const params = (): Tree => {
  const w = new Float32Array(4 * 7);
  const b = new Float64Array(5);
  fillValues(w, 1, false);
  fillValues(b, 2, false);
  return { w: { shape: [4, 7], data: w }, b, c: new Float32Array(3) };
};

describe('no allocation per in-place step', () => {
  it('5e5 steps (a reduce pass and a store pass each) allocate nothing: heap flat, no scavenge', async () => {
    const c = compile(noAllocChain(), params(), { backend: 'wasm' });
    expect(c.backend).toBe('wasm');
    expect(c.passCount).toBe(2);
    integerGrads(c.grads);
    await expectNoAllocation(() => c.step());
  });

  it('a real chain (clip + adamw + warmupCosineDecay): heap growth over 1e5 steps stays bounded', () => {
    const lr = warmupCosineDecay({ initValue: 0, peakValue: 1e-3, warmupSteps: 10, decaySteps: 1000, endValue: 1e-5 });
    const c = compile(chain(clipByGlobalNorm(1), adamw({ learningRate: lr })), params(), { backend: 'wasm' });
    copyLeaves(c.grads, gradsLike(c.grads, 5, false));
    // The stages' scalars() return a small record per step; it is garbage at once.
    expect(heapGrowth(() => c.step(), 10_000, 100_000)).toBeLessThan(512 * 1024);
  });
});
