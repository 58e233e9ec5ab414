/**
 * The in-place step: allocates nothing per step, and a step that throws leaves params and state
 * bit-identical.
 */
import { describe, expect, it } from 'vitest';
import { chain } from '../../src/combine/chain.js';
import { type Backend, CompileError, compile } from '../../src/compile/index.js';
import { HyperparameterError } from '../../src/errors.js';
import { defineTransform } from '../../src/kernel/define.js';
import * as d from '../../src/kernel/dsl.js';
import { adamw } from '../../src/optimizers/adam.js';
import { warmupCosineDecay } from '../../src/schedules/warmup.js';
import { scaleByAdam } from '../../src/transforms/adam.js';
import { clipByGlobalNorm } from '../../src/transforms/clipping.js';
import { trace } from '../../src/transforms/momentum.js';
import { type Tree, flatten } from '../../src/tree/tree.js';
import { expectNoAllocation, heapGrowth, integerGrads, noAllocChain } from './heap.js';
import { copyLeaves, fillValues, firstDifference, gradsLike } from './trees.js';

const BACKENDS: readonly Backend[] = ['js', 'closure'];

const params = (): Tree => {
  const w = new Float32Array(24);
  const b = new Float64Array(5);
  fillValues(w, 11, false);
  fillValues(b, 12, false);
  return { w: { shape: [4, 6], data: w }, b, deep: [new Float32Array(3)] };
};

describe('no allocation per step', () => {
  it('js: 5e5 steps (a reduce pass and a store pass each) allocate nothing: heap flat', async () => {
    const c = compile(noAllocChain(), params(), { backend: 'js' });
    expect(c.passCount).toBe(2);
    integerGrads(c.grads);
    await expectNoAllocation(() => c.step());
  });

  it('closure: heap growth over 1e5 steps stays bounded (its boxed temporaries die young)', () => {
    const c = compile(noAllocChain(), params(), { backend: 'closure' });
    integerGrads(c.grads);
    expect(heapGrowth(() => c.step(), 5_000, 100_000)).toBeLessThan(512 * 1024);
  });

  it('a real chain (clip + adamw + warmupCosineDecay): heap growth over 1e5 steps stays bounded', () => {
    const lr = warmupCosineDecay({ initValue: 0, peakValue: 1e-3, warmupSteps: 10, decaySteps: 1000, endValue: 1e-5 });
    const c = compile(chain(clipByGlobalNorm(1), adamw({ learningRate: lr })), params());
    copyLeaves(c.grads, gradsLike(c.grads, 5, false));
    // The stages' scalars() return a small record per step; it is garbage at once.
    expect(heapGrowth(() => c.step(), 10_000, 100_000)).toBeLessThan(512 * 1024);
  });
});

describe('a throwing step changes nothing', () => {
  /** Snapshot of everything a step may write, as fresh copies. */
  const snapshot = (c: { readonly params: Tree; copyState(): unknown }): { readonly params: Tree; readonly state: unknown } => ({
    params: structuredClone(c.params),
    state: c.copyState(),
  });

  for (const backend of BACKENDS) {
    it(`${backend}: a schedule out of range (checked before any pass) leaves params and state bit-identical`, () => {
      // Valid for counts 0..2, negative at count 3.
      const lr = (count: number): number => (count < 3 ? 1e-2 : -1);
      const c = compile(chain(clipByGlobalNorm(1), adamw({ learningRate: lr })), params(), { backend });
      copyLeaves(c.grads, gradsLike(c.grads, 9, false));
      for (let i = 0; i < 3; i++) c.step();
      const before = snapshot(c);
      expect(() => c.step()).toThrow(HyperparameterError);
      expect(firstDifference(c.params, before.params)).toBeUndefined();
      expect(firstDifference(c.copyState(), before.state)).toBeUndefined();
      // The failed step did not count: the state's counts are still 3.
      expect((c.state as readonly { readonly count: number }[])[0]?.count).toBe(3);
    });

    it(`${backend}: scalars that throw AFTER a reduce pass (stage after adam's slot-writing stage) leave everything untouched`, () => {
      // A clip stage whose scalars throw when the norm of its input exceeds a limit; adam
      // before it has slots that the store pass would write.
      const limit = 1e-3;
      const strictClip = defineTransform({
        name: 'strictClip',
        options: {},
        reductions: [{ name: 'ss', kind: 'sumSquares', of: d.g, scope: 'global' }],
        scalars: ({ reductions }) => {
          const norm = Math.sqrt(reductions.ss ?? 0);
          if (norm > limit) throw new HyperparameterError('strictClip', 'norm', `at most ${String(limit)}`, norm);
          return { coef: 1 };
        },
        body: () => ({ update: d.mul(d.g, d.scalar('coef')), next: {} }),
      });
      const c = compile(chain(trace({ decay: 0.9 }), scaleByAdam(), strictClip), params(), { backend });
      expect(c.passCount).toBe(2);
      // Tiny gradients pass, big ones throw.
      const tiny = gradsLike(c.grads, 4, false);
      const scaleTree = (t: Tree, k: number): Tree => {
        const out = structuredClone(t);
        for (const l of flatten(out).leaves) for (let i = 0; i < l.data.length; i++) l.data[i] = (l.data[i] as number) * k;
        return out;
      };
      copyLeaves(c.grads, scaleTree(tiny, 0));
      c.step(); // adam of zeros: update 0, norm 0
      const before = snapshot(c);
      copyLeaves(c.grads, tiny);
      expect(() => c.step()).toThrow(HyperparameterError);
      expect(firstDifference(c.params, before.params)).toBeUndefined();
      expect(firstDifference(c.copyState(), before.state)).toBeUndefined();
      // The same failure through the pure path leaves its inputs untouched and returns nothing.
      const state = c.copyState();
      const stateCopy = structuredClone(state);
      const grads = structuredClone(c.grads);
      expect(() => c.update(grads, state, c.params)).toThrow(HyperparameterError);
      expect(firstDifference(state, stateCopy)).toBeUndefined();
      expect(firstDifference(c.params, before.params)).toBeUndefined();
    });

    it(`${backend}: leafScalars that throw leave everything untouched`, () => {
      const picky = defineTransform<'acc'>({
        name: 'picky',
        options: {},
        slots: { acc: 0 },
        reductions: [{ name: 'n', kind: 'maxAbs', of: d.g, scope: 'leaf' }],
        scalars: () => ({ one: 1 }),
        leafScalars: ({ leafReductions }) => {
          if ((leafReductions.n ?? 0) > 1) throw new RangeError('picky: a leaf with |g| > 1');
          return { r: 2 };
        },
        body: (s) => {
          const acc = d.add(s.acc, d.mul(d.g, d.scalar('r')));
          return { update: d.mul(acc, d.scalar('one')), next: { acc } };
        },
      });
      const c = compile(chain(trace({ decay: 0.5 }), picky), params(), { backend });
      copyLeaves(c.grads, gradsLike(c.grads, 4, false));
      for (const leaf of [(c.grads as { w: { data: Float32Array } }).w.data]) leaf.fill(0.5);
      const before = snapshot(c);
      // Gradients from gradsLike reach |g| up to 2 in some leaf: the step must throw.
      expect(() => c.step()).toThrow(RangeError);
      expect(firstDifference(c.params, before.params)).toBeUndefined();
      expect(firstDifference(c.copyState(), before.state)).toBeUndefined();
    });
  }

  it('a stage whose scalars() omit a scalar the body reads: CompileError, nothing written', () => {
    const broken = defineTransform({ name: 'broken', options: {}, scalars: () => ({}), body: () => ({ update: d.mul(d.g, d.scalar('missing')), next: {} }) });
    const c = compile(chain(trace({ decay: 0.5 }), broken), params());
    copyLeaves(c.grads, gradsLike(c.grads, 4, false));
    const before = snapshot(c);
    expect(() => c.step()).toThrow(CompileError);
    expect(firstDifference(c.params, before.params)).toBeUndefined();
    expect(firstDifference(c.copyState(), before.state)).toBeUndefined();
  });
});
