/**
 * The wasm backend's in-place step allocates nothing per step (as the js backend's, see
 * inPlace.test.ts). First in a file of its own: code shapes left by other tests would make V8's
 * generic paths box numbers in the engine, for every backend alike.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { GradientTransformation } from '../../src/base.js';
import { chain } from '../../src/combine/chain.js';
import { compile } from '../../src/compile/index.js';
import { defineTransform } from '../../src/kernel/define.js';
import * as d from '../../src/kernel/dsl.js';
import { adamw } from '../../src/optimizers/adam.js';
import { warmupCosineDecay } from '../../src/schedules/warmup.js';
import { clipByGlobalNorm } from '../../src/transforms/clipping.js';
import { type Tree, flatten } from '../../src/tree/tree.js';
import { copyLeaves, fillValues, gradsLike } from './trees.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const params = (): Tree => {
  const w = new Float32Array(4 * 7);
  const b = new Float64Array(5);
  fillValues(w, 1, false);
  fillValues(b, 2, false);
  return { w: { shape: [4, 7], data: w }, b, c: new Float32Array(3) };
};

describe('no allocation per in-place step', () => {
  /** Momentum and a norm gate whose scalars() return one record made once (no allocation of their own). */
  function noAllocChain(): GradientTransformation<unknown> {
    const gate = { coef: 1 };
    const mom = { decay: 0, lr: -1 };
    return chain(
      defineTransform({
        name: 'noAllocClip',
        options: {},
        reductions: [{ name: 'ss', kind: 'sumSquares', of: d.g, scope: 'global' }],
        scalars: ({ reductions }) => {
          gate.coef = (reductions.ss ?? 0) < 1e6 ? 1 : 0;
          return gate;
        },
        body: () => ({ update: d.mul(d.g, d.scalar('coef')), next: {} }),
      }),
      defineTransform<'m'>({
        name: 'noAllocMomentum',
        options: {},
        slots: { m: 0 },
        scalars: () => mom,
        body: (s) => {
          const m = d.add(d.mul(d.scalar('decay'), s.m), d.g);
          return { update: d.mul(m, d.scalar('lr')), next: { m } };
        },
      }),
    ) as GradientTransformation<unknown>;
  }

  it('5e5 steps (a reduce pass and a store pass each) allocate nothing: heap flat, no scavenge', async () => {
    const c = compile(noAllocChain(), params(), { backend: 'wasm' });
    expect(c.backend).toBe('wasm');
    expect(c.passCount).toBe(2);
    flatten(c.grads).leaves.forEach((l, j) => {
      for (let i = 0; i < l.data.length; i++) l.data[i] = ((i + j) % 5) - 2;
    });
    for (let i = 0; i < 20_000; i++) c.step();
    // One allocation per step would be 6 MB and scavenges in every attempt; up to three
    // attempts, because a busy machine (the runner's own messages) can add one collection to a
    // single window.
    const attempts: { gcRuns: number; grown: number }[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      gc();
      let gcRuns = 0;
      const obs = new PerformanceObserver((list) => {
        gcRuns += list.getEntries().length;
      });
      obs.observe({ entryTypes: ['gc'] });
      const before = process.memoryUsage().heapUsed;
      for (let i = 0; i < 500_000; i++) c.step();
      const after = process.memoryUsage().heapUsed;
      await new Promise((resolve) => setTimeout(resolve, 20));
      obs.disconnect();
      attempts.push({ gcRuns, grown: after - before });
      if (gcRuns <= 1 && after - before < 1024 * 1024) break;
    }
    const last = attempts[attempts.length - 1];
    expect(last?.gcRuns, JSON.stringify(attempts)).toBeLessThanOrEqual(1);
    expect(last?.grown, JSON.stringify(attempts)).toBeLessThan(1024 * 1024);
  });

  it('a real chain (clip + adamw + warmupCosineDecay): heap growth over 1e5 steps stays bounded', () => {
    const lr = warmupCosineDecay({ initValue: 0, peakValue: 1e-3, warmupSteps: 10, decaySteps: 1000, endValue: 1e-5 });
    const c = compile(chain(clipByGlobalNorm(1), adamw({ learningRate: lr })), params(), { backend: 'wasm' });
    copyLeaves(c.grads, gradsLike(c.grads, 5, false));
    for (let i = 0; i < 10_000; i++) c.step();
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 100_000; i++) c.step();
    gc();
    // The stages' scalars() return a small record per step; it is garbage at once.
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(512 * 1024);
  });
});
