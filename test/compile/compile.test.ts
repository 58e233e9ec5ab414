/**
 * compile(): generated source, the kernel cache, backends, the state API, non-fusable input,
 * passes, and snapshots of the generated code of canonical chains.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { GradientTransformation } from '../../src/base.js';
import { chain } from '../../src/combine/chain.js';
import { CompileError, canEvaluate, clearKernelCache, compile, kernelCacheSize } from '../../src/compile/index.js';
import { resetCanEvaluate } from '../../src/compile/emitJs.js';
import { MissingParamsError, StateMismatchError, TreeMismatchError } from '../../src/errors.js';
import { adamw } from '../../src/optimizers/adam.js';
import { sgd } from '../../src/optimizers/sgd.js';
import { warmupCosineDecay } from '../../src/schedules/warmup.js';
import { scaleByAdam } from '../../src/transforms/adam.js';
import { clipByGlobalNorm } from '../../src/transforms/clipping.js';
import { addDecayedWeights } from '../../src/transforms/decay.js';
import { scaleByLearningRate } from '../../src/transforms/scale.js';
import type { Tree } from '../../src/tree/tree.js';
import { applyUpdates } from '../../src/update.js';
import { testFiniteGate, testTrustRatio } from './registry.js';
import { copyLeaves, fillValues, firstDifference, gradsLike } from './trees.js';

const params = (): { readonly w: { readonly shape: number[]; readonly data: Float32Array }; readonly b: Float32Array } => {
  const w = new Float32Array(12);
  const b = new Float32Array(3);
  fillValues(w, 1, false);
  fillValues(b, 2, false);
  return { w: { shape: [3, 4], data: w }, b };
};

const canonical = {
  sgdMomentum: () => sgd({ learningRate: 0.1, momentum: 0.9 }),
  adamw: () => adamw({ learningRate: 1e-3, weightDecay: 1e-2 }),
  clipAdamwWarmupCosine: () =>
    chain(clipByGlobalNorm(1), adamw({ learningRate: warmupCosineDecay({ initValue: 0, peakValue: 1e-3, warmupSteps: 100, decaySteps: 1000, endValue: 1e-5 }) })),
} as const;

describe('generated source', () => {
  it('names each pass, carries a sourceURL per pass and a header listing the stages', () => {
    const c = compile(canonical.clipAdamwWarmupCosine(), params());
    expect(c.passCount).toBe(2);
    for (const name of ['pass0', 'pass1', 'pass1Pure']) {
      expect(c.source).toContain(`function ${name}(`);
      expect(c.source).toContain(`//# sourceURL=gradfuse-kernel-${c.hash}-${name}.js`);
    }
    expect(c.source).toContain('// stages: clipByGlobalNorm > scaleByAdam > addDecayedWeights > scaleByLearningRate');
    // Hyperparameters are not in the code: they come from the scalars array.
    expect(c.source).not.toContain('0.001');
    expect(c.source).not.toMatch(/0\.999|0\.9\b|1e-8/);
  });

  it('an element-wise chain is ONE pass; each global reduction adds one', () => {
    expect(compile(canonical.adamw(), params()).passCount).toBe(1);
    expect(compile(canonical.sgdMomentum(), params()).passCount).toBe(1);
    expect(compile(chain(clipByGlobalNorm(1), scaleByAdam(), clipByGlobalNorm(2)), params()).passCount).toBe(3);
    expect(compile(chain(testTrustRatio(0), scaleByAdam()), params()).passCount).toBe(2);
  });

  it('{ debug: true } logs the source once, at compile time', () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      const c = compile(canonical.adamw(), params(), { debug: true });
      c.step();
      c.step();
      expect(log).toHaveBeenCalledTimes(1);
      expect(log).toHaveBeenCalledWith(c.source);
    } finally {
      log.mockRestore();
    }
    const seen: string[] = [];
    const c = compile(canonical.adamw(), params(), { debug: (s) => seen.push(s) });
    expect(seen).toEqual([c.source]);
  });
});

describe('kernel cache', () => {
  it('the same structure with other hyperparameter values, schedules and sizes reuses the generated code', () => {
    clearKernelCache();
    expect(kernelCacheSize()).toBe(0);
    const a = compile(adamw({ learningRate: 1e-3, b1: 0.9, weightDecay: 1e-4 }), params());
    expect(a.cacheHit).toBe(false);
    expect(kernelCacheSize()).toBe(1);
    const lr = warmupCosineDecay({ initValue: 0, peakValue: 0.5, warmupSteps: 3, decaySteps: 9 });
    const bigger = { w: { shape: [30, 4], data: new Float32Array(120) }, b: new Float32Array(7) };
    const b = compile(adamw({ learningRate: lr, b1: 0.5, b2: 0.9, eps: 1e-3, weightDecay: 0.3 }), bigger);
    expect(b.cacheHit).toBe(true);
    expect(b.hash).toBe(a.hash);
    expect(b.source).toBe(a.source);
    expect(kernelCacheSize()).toBe(1);
    // ... and the reused code computes with the new values.
    copyLeaves(b.grads, gradsLike(b.grads, 3, false));
    const ref = adamw({ learningRate: lr, b1: 0.5, b2: 0.9, eps: 1e-3, weightDecay: 0.3 });
    const [u] = ref.update(b.grads, ref.init(bigger), bigger);
    b.step();
    expect(firstDifference(b.params, applyUpdates(bigger as Tree, u))).toBeUndefined();
  });

  it('another structure (stages, dtype, mask pattern) generates new code', () => {
    clearKernelCache();
    const a = compile(adamw({ learningRate: 1e-3 }), params());
    expect(compile(sgd({ learningRate: 1e-3 }), params()).hash).not.toBe(a.hash);
    const f64 = { w: { shape: [3, 4], data: new Float64Array(12) }, b: new Float32Array(3) };
    expect(compile(adamw({ learningRate: 1e-3 }), f64).hash).not.toBe(a.hash);
    expect(compile(adamw({ learningRate: 1e-3, mask: { w: true, b: false } }), params()).hash).not.toBe(a.hash);
    expect(kernelCacheSize()).toBe(4);
    // The backend is not part of the structure: the closure backend reuses the plan and source.
    const closure = compile(adamw({ learningRate: 1e-3 }), params(), { backend: 'closure' });
    expect(closure.hash).toBe(a.hash);
    expect(closure.cacheHit).toBe(false);
    expect(compile(adamw({ learningRate: 1e-3 }), params(), { backend: 'closure' }).cacheHit).toBe(true);
  });
});

describe('backends', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    resetCanEvaluate();
  });

  it("'js' and 'closure' are forced; 'auto' picks js where new Function works", () => {
    expect(compile(canonical.adamw(), params(), { backend: 'js' }).backend).toBe('js');
    expect(compile(canonical.adamw(), params(), { backend: 'closure' }).backend).toBe('closure');
    expect(canEvaluate()).toBe(true);
    expect(compile(canonical.adamw(), params()).backend).toBe('js');
  });

  it("'auto' falls back to closures where new Function is forbidden (CSP); 'js' then throws", () => {
    clearKernelCache();
    vi.stubGlobal('Function', function Forbidden(): never {
      throw new EvalError('Refused to evaluate a string as JavaScript (CSP)');
    });
    resetCanEvaluate();
    expect(canEvaluate()).toBe(false);
    const c = compile(canonical.clipAdamwWarmupCosine(), params());
    expect(c.backend).toBe('closure');
    expect(() => compile(canonical.adamw(), params(), { backend: 'js' })).toThrow(CompileError);
    // It runs, and its numbers are the reference's.
    const tx = canonical.clipAdamwWarmupCosine();
    const grads = gradsLike(params(), 4, false);
    const [u, s] = tx.update(grads, tx.init(params()), params());
    const [cu, cs] = c.update(grads, c.copyState(), params());
    expect(firstDifference(cu, u)).toBeUndefined();
    expect(firstDifference(cs, s)).toBeUndefined();
  });

  it('rejects an unknown backend or option', () => {
    expect(() => compile(canonical.adamw(), params(), { backend: 'gpu' as 'js' })).toThrow(/backend/);
    expect(() => compile(canonical.adamw(), params(), { speed: 'max' } as object)).toThrow(/speed/);
  });
});

describe('non-fusable transformations', () => {
  const opaque: GradientTransformation<null> = {
    init: () => null,
    update: (u, s) => [u, s],
  };

  it('run on the host (see mixed.test.ts); requireFusable: true throws a CompileError instead', () => {
    expect(compile(chain(scaleByAdam(), opaque), params()).segments.map((s) => s.kind)).toEqual(['fused', 'host']);
    expect(() => compile(opaque, params(), { requireFusable: true })).toThrow(CompileError);
    try {
      compile(chain(scaleByAdam(), opaque), params(), { requireFusable: true });
      expect.fail('compiled a non-fusable chain');
    } catch (e) {
      expect(e).toBeInstanceOf(CompileError);
      expect((e as CompileError)._tag).toBe('CompileError');
      expect((e as CompileError).reason).toBe('notFusable');
      expect((e as Error).message).toMatch(/not fusable/);
    }
  });

  it('name the member when the transformation lists its members', () => {
    const withMembers = { ...chain(scaleByAdam(), opaque), members: [scaleByAdam(), opaque] };
    expect(() => compile(withMembers, params(), { requireFusable: true })).toThrow(/member 1 of the chain is not fusable/);
  });
});

describe('state API', () => {
  it('state views the buffers; copyState copies; setState loads and is checked first', () => {
    const tx = canonical.sgdMomentum();
    const c = compile(tx, params());
    copyLeaves(c.grads, gradsLike(c.grads, 5, false));
    c.step();
    const live = c.state;
    const copy = c.copyState();
    expect(firstDifference(live, copy)).toBeUndefined();
    c.step();
    type SgdStateLike = readonly { readonly count: number; readonly trace?: Tree }[];
    const traceOf = (s: unknown): Tree | undefined => (s as SgdStateLike)[1]?.trace;
    expect(firstDifference(traceOf(c.state), traceOf(live))).toBeUndefined(); // live views moved with the step ...
    expect(firstDifference(traceOf(c.state), traceOf(copy))).toBeDefined();
    expect((live as SgdStateLike)[1]?.count).toBe(1); // ... the count did not
    expect((c.state as SgdStateLike)[1]?.count).toBe(2);
    expect(firstDifference(c.copyState(), copy)).toBeDefined();
    c.setState(copy);
    expect(firstDifference(c.copyState(), copy)).toBeUndefined();
    // A bad state throws and changes nothing.
    const before = c.copyState();
    const bad = structuredClone(copy) as unknown as { count: number; trace: { b: Float64Array } }[];
    (bad[1] as { trace: Record<string, unknown> }).trace.b = new Float32Array(4);
    expect(() => c.setState(bad as unknown as typeof copy)).toThrow(TreeMismatchError);
    const negative = structuredClone(copy) as unknown as { count: number }[];
    (negative[0] as { count: number }).count = -1;
    expect(() => c.setState(negative as unknown as typeof copy)).toThrow(StateMismatchError);
    expect(firstDifference(c.copyState(), before)).toBeUndefined();
  });

  it('compile packs an existing state; the input trees are copied, not kept', () => {
    const tx = canonical.adamw();
    const p = params();
    let state = tx.init(p);
    const grads = gradsLike(p, 6, false);
    for (let i = 0; i < 3; i++) [, state] = tx.update(grads, state, p);
    const c = compile(tx, p, { state });
    expect(firstDifference(c.copyState(), state)).toBeUndefined();
    expect(c.params.b).not.toBe(p.b);
    c.params.b[0] = 42;
    expect(p.b[0]).not.toBe(42);
  });

  it('update(): pure, inputs untouched, params required when a stage reads them, trees checked', () => {
    const tx = canonical.clipAdamwWarmupCosine();
    const c = compile(tx, params());
    const grads = gradsLike(params(), 7, false);
    const gradsCopy = structuredClone(grads);
    const state = c.copyState();
    const stateCopy = structuredClone(state);
    const p = params();
    const [u1, s1] = c.update(grads, state, p);
    const [u2, s2] = c.update(grads, state, p);
    expect(firstDifference(u1, u2)).toBeUndefined();
    expect(firstDifference(s1, s2)).toBeUndefined();
    expect(u1).not.toBe(u2);
    expect(firstDifference(grads, gradsCopy)).toBeUndefined();
    expect(firstDifference(state, stateCopy)).toBeUndefined();
    expect(firstDifference(p, params())).toBeUndefined();
    expect(() => c.update(grads, state)).toThrow(MissingParamsError);
    expect(() => c.update({ w: grads.w as Tree, b: new Float32Array(4) } as unknown as typeof grads, state, p)).toThrow(TreeMismatchError);
    // Reading compiled.grads/params directly (zero-copy inputs) gives the same numbers.
    copyLeaves(c.grads, grads);
    const [u3] = c.update(c.grads, state, c.params);
    expect(firstDifference(u3, u1)).toBeUndefined();
  });

  it('masked leaves keep their slots and pass their updates through', () => {
    const tx = chain(testFiniteGate(5), addDecayedWeights({ weightDecay: 0.5, mask: { w: false, b: true } }), scaleByLearningRate(0.1));
    const c = compile(tx, params());
    const grads = gradsLike(params(), 8, true);
    copyLeaves(c.grads, grads);
    const [u, s] = tx.update(grads, tx.init(params()), params());
    c.step();
    expect(firstDifference(c.params, applyUpdates(params() as Tree, u))).toBeUndefined();
    expect(firstDifference(c.state, s)).toBeUndefined();
  });
});

describe('snapshots of generated code', () => {
  for (const [name, make] of Object.entries(canonical) as [string, () => GradientTransformation<unknown>][]) {
    it(name, async () => {
      const c = compile(make(), params());
      await expect(c.source).toMatchFileSnapshot(`__snapshots__/kernels/${name}.js`);
    });
  }
});
