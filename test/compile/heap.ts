/**
 * Heap measurements for the no-allocation tests of the in-place step (every backend), and the
 * stages they use: kernels whose own `scalars()` allocate nothing (one record, made once,
 * holding small integers: a double in a record is boxed whenever generic code reads it, which
 * would be the stage's allocation, not the compiler's).
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { expect } from 'vitest';
import type { GradientTransformation } from '../../src/base.js';
import { chain } from '../../src/combine/chain.js';
import { defineTransform } from '../../src/kernel/define.js';
import * as d from '../../src/kernel/dsl.js';
import { type Tree, flatten } from '../../src/tree/tree.js';

setFlagsFromString('--expose-gc');
/** A full garbage collection. */
export const gc = runInNewContext('gc') as () => void;

/** Momentum with integer scalars. */
export function noAllocMomentum(): GradientTransformation<unknown> {
  const record = { decay: 0, lr: -1 };
  return defineTransform<'m'>({
    name: 'noAllocMomentum',
    options: {},
    slots: { m: 0 },
    scalars: () => record,
    body: (s) => {
      const m = d.add(d.mul(d.scalar('decay'), s.m), d.g);
      return { update: d.mul(m, d.scalar('lr')), next: { m } };
    },
  });
}

/** A global-norm gate (a reduce pass): passes the updates while Σg² stays below a bound. */
export function noAllocClip(): GradientTransformation<unknown> {
  const record = { coef: 1 };
  return defineTransform({
    name: 'noAllocClip',
    options: {},
    reductions: [{ name: 'ss', kind: 'sumSquares', of: d.g, scope: 'global' }],
    scalars: ({ reductions }) => {
      record.coef = (reductions.ss ?? 0) < 1e6 ? 1 : 0;
      return record;
    },
    body: () => ({ update: d.mul(d.g, d.scalar('coef')), next: {} }),
  });
}

/** Both: a reduce pass and a store pass per step. */
export const noAllocChain = (): GradientTransformation<unknown> => chain(noAllocClip(), noAllocMomentum()) as GradientTransformation<unknown>;

/** Integer gradients (so Σg² is an integer too). */
export function integerGrads(tree: Tree): void {
  flatten(tree).leaves.forEach((l, j) => {
    for (let i = 0; i < l.data.length; i++) l.data[i] = ((i + j) % 5) - 2;
  });
}

/**
 * Asserts that 5e5 calls of `step` (after a warm-up) allocate nothing: at most one collection
 * and under 1 MB of growth. The smallest heap object is 12 bytes: one per step would be 6 MB and
 * force scavenges, in every attempt; what remains (tens of KB: the optimizing compiler's
 * bookkeeping) does not grow with the number of steps. Up to three attempts, because a busy
 * machine (the test runner's own messages, a late recompilation) can add one collection to a
 * single window.
 */
export async function expectNoAllocation(step: () => void, warmup = 20_000): Promise<void> {
  for (let i = 0; i < warmup; i++) step();
  const attempts: { gcRuns: number; grown: number }[] = [];
  for (let attempt = 0; attempt < 3; attempt++) {
    gc();
    let gcRuns = 0;
    const obs = new PerformanceObserver((list) => {
      gcRuns += list.getEntries().length;
    });
    obs.observe({ entryTypes: ['gc'] });
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 500_000; i++) step();
    const after = process.memoryUsage().heapUsed;
    await new Promise((resolve) => setTimeout(resolve, 20));
    obs.disconnect();
    attempts.push({ gcRuns, grown: after - before });
    if (gcRuns <= 1 && after - before < 1024 * 1024) break;
  }
  const last = attempts[attempts.length - 1];
  expect(last?.gcRuns, JSON.stringify(attempts)).toBeLessThanOrEqual(1);
  expect(last?.grown, JSON.stringify(attempts)).toBeLessThan(1024 * 1024);
}

/** The heap's growth over `steps` calls of `step` after `warmup` calls, between full collections. */
export function heapGrowth(step: () => void, warmup: number, steps: number): number {
  for (let i = 0; i < warmup; i++) step();
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < steps; i++) step();
  gc();
  return process.memoryUsage().heapUsed - before;
}
