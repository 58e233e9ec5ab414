/**
 * The wasm backend through `compile`: backend choice (`'wasm'`, `'auto'`, the default), the
 * printed module, the kernel cache, memory (a new memory, a caller's memory shared by several
 * optimizers that grows, a shared memory, a detached buffer) and atomic steps. (No allocation
 * per step: wasmHeap.test.ts, in a file of its own so that no other test's code shapes are in the
 * way.)
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { GradientTransformation } from '../../src/base.js';
import { chain } from '../../src/combine/chain.js';
import {
  CompileError,
  arrayBufferAllocator,
  bufferAllocator,
  clearKernelCache,
  compile,
  wasmMemoryAllocator,
  wasmSimdAvailable,
} from '../../src/compile/index.js';
import { resetWasmProbe } from '../../src/compile/wasm/runtime.js';
import { HyperparameterError } from '../../src/errors.js';
import { defineTransform, fromStage } from '../../src/kernel/define.js';
import * as d from '../../src/kernel/dsl.js';
import type { Stage } from '../../src/kernel/stage.js';
import { adamw } from '../../src/optimizers/adam.js';
import { sgd } from '../../src/optimizers/sgd.js';
import { warmupCosineDecay } from '../../src/schedules/warmup.js';
import { clipByGlobalNorm } from '../../src/transforms/clipping.js';
import { trace } from '../../src/transforms/momentum.js';
import { type Tree, flatten } from '../../src/tree/tree.js';
import { testTrustRatio } from './registry.js';
import { copyLeaves, fillValues, firstDifference, gradsLike } from './trees.js';

const params = (): { readonly w: { readonly shape: number[]; readonly data: Float32Array }; readonly b: Float64Array; readonly c: Float32Array } => {
  const w = new Float32Array(4 * 7);
  const b = new Float64Array(5);
  const c = new Float32Array(3);
  fillValues(w, 1, false);
  fillValues(b, 2, false);
  fillValues(c, 3, false);
  return { w: { shape: [4, 7], data: w }, b, c };
};

const clipAdamw = (): GradientTransformation<unknown> =>
  chain(clipByGlobalNorm(1), adamw({ learningRate: warmupCosineDecay({ initValue: 0, peakValue: 1e-3, warmupSteps: 5, decaySteps: 100, endValue: 1e-5 }), weightDecay: 1e-2 })) as GradientTransformation<unknown>;

/** The WebAssembly namespace, typed locally. */
const WA = (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number; maximum?: number }) => { buffer: ArrayBuffer; grow(n: number): number }; validate: (b: Uint8Array) => boolean } }).WebAssembly;

describe('backend choice', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    resetWasmProbe();
  });

  it("'wasm' runs WebAssembly SIMD; 'auto' picks it where SIMD validates; the default stays the bit-exact js", () => {
    expect(wasmSimdAvailable()).toBe(true);
    expect(compile(clipAdamw(), params(), { backend: 'wasm' }).backend).toBe('wasm');
    expect(compile(clipAdamw(), params(), { backend: 'auto' }).backend).toBe('wasm');
    expect(compile(clipAdamw(), params()).backend).toBe('js');
  });

  it("without SIMD: 'auto' falls back to js, 'wasm' is a CompileError naming the alternatives", () => {
    vi.stubGlobal('WebAssembly', { ...WA, validate: () => false });
    resetWasmProbe();
    expect(wasmSimdAvailable()).toBe(false);
    expect(compile(clipAdamw(), params(), { backend: 'auto' }).backend).toBe('js');
    expect(() => compile(clipAdamw(), params(), { backend: 'wasm' })).toThrow(CompileError);
    expect(() => compile(clipAdamw(), params(), { backend: 'wasm' })).toThrow(/'auto', 'js' or 'closure'/);
  });

  it("without WebAssembly at all (or where compiling is refused): the same", () => {
    vi.stubGlobal('WebAssembly', undefined);
    resetWasmProbe();
    expect(wasmSimdAvailable()).toBe(false);
    expect(compile(clipAdamw(), params(), { backend: 'auto' }).backend).toBe('js');
    vi.stubGlobal('WebAssembly', {
      ...WA,
      Module: function Refused(): never {
        throw new Error('Refused to compile or instantiate WebAssembly module (CSP)');
      },
    });
    resetWasmProbe();
    expect(wasmSimdAvailable()).toBe(false);
    expect(compile(clipAdamw(), params(), { backend: 'auto' }).backend).toBe('js');
  });

  it("memory the wasm backend cannot compute in: 'wasm' throws (storage), 'auto' picks js", () => {
    expect(() => compile(clipAdamw(), params(), { backend: 'wasm', memory: arrayBufferAllocator() })).toThrow(CompileError);
    try {
      compile(clipAdamw(), params(), { backend: 'wasm', memory: arrayBufferAllocator() });
    } catch (e) {
      expect((e as CompileError).reason).toBe('storage');
      expect((e as Error).message).toMatch(/wasmMemoryAllocator/);
    }
    expect(compile(clipAdamw(), params(), { backend: 'auto', memory: arrayBufferAllocator() }).backend).toBe('js');
  });

  it('rejects an unknown backend, naming the four', () => {
    expect(() => compile(clipAdamw(), params(), { backend: 'gpu' as 'wasm' })).toThrow(HyperparameterError);
    expect(() => compile(clipAdamw(), params(), { backend: 'gpu' as 'wasm' })).toThrow(/"auto", "js", "closure", "wasm"/);
  });
});

describe('the printed module', () => {
  it('compiled.source is the text form: header, imports, one exported function per pass, SIMD lanes, no hyperparameter values', () => {
    const c = compile(clipAdamw(), params(), { backend: 'wasm' });
    const src = c.source;
    expect(src.startsWith(`;; gradfuse kernel ${c.hash}: WebAssembly SIMD`)).toBe(true);
    expect(src).toContain(';; stages: clipByGlobalNorm > scaleByAdam > addDecayedWeights > scaleByLearningRate');
    expect(src).toContain('(import "env" "memory" (memory 0))');
    for (const name of ['pass0', 'pass1', 'pass1Pure']) expect(src).toContain(`(func $${name} (export "${name}") (param $ctl i32)`);
    for (const ins of ['f32x4.mul', 'f32x4.sqrt', 'f32x4.div', 'f64x2.mul', 'f64x2.promote_low_f32x4', 'v128.load', 'v128.store', 'f32.load']) expect(src).toContain(ins);
    expect(src).not.toMatch(/0\.001|0\.999|0\.9\b|1e-8/);
    // An op without a wasm instruction calls the imported Math function (lane by lane).
    const tanh = defineTransform({ name: 'softsign', options: {}, scalars: () => ({}), body: () => ({ update: d.tanh(d.g), next: {} }) });
    const t = compile(tanh, params(), { backend: 'wasm' });
    expect(t.source).toContain('(import "math" "tanh" (func $Math.tanh (param f64) (result f64)))');
    expect(t.source).toContain('call $Math.tanh');
  });

  it('{ debug } receives the text form', () => {
    const seen: string[] = [];
    const c = compile(sgd({ learningRate: 0.1, momentum: 0.9 }), params(), { backend: 'wasm', debug: (s) => seen.push(s) });
    expect(seen).toEqual([c.source]);
  });

  it('the kernel cache keeps the module: other hyperparameters and sizes reuse it', () => {
    clearKernelCache();
    const a = compile(adamw({ learningRate: 1e-3 }), params(), { backend: 'wasm' });
    expect(a.cacheHit).toBe(false);
    const bigger = { w: { shape: [30, 3], data: new Float32Array(90) }, b: new Float64Array(9), c: new Float32Array(1) };
    const b = compile(adamw({ learningRate: 0.5, b1: 0.5, weightDecay: 0.1 }), bigger, { backend: 'wasm' });
    expect(b.cacheHit).toBe(true);
    expect(b.source).toBe(a.source);
    // The js backend of the same structure shares the plan, not the module.
    const j = compile(adamw({ learningRate: 1e-3 }), params(), { backend: 'js' });
    expect(j.hash).toBe(a.hash);
    expect(j.cacheHit).toBe(false);
  });
});

describe('memory', () => {
  it('by default a new WebAssembly.Memory holds params, grads and state; the views and storage.memory show it', () => {
    const c = compile(clipAdamw(), params(), { backend: 'wasm' });
    const memory = c.storage.memory;
    expect(memory).toBeDefined();
    expect(Object.prototype.toString.call(memory)).toBe('[object WebAssembly.Memory]');
    expect(c.storage.region.buffer).toBe(memory?.buffer);
    for (const l of flatten(c.params).leaves) expect(l.data.buffer).toBe(memory?.buffer);
    // The wasm side writes the same memory the views read.
    copyLeaves(c.grads as Tree, gradsLike(c.grads as Tree, 4, false));
    c.step(); // the warm-up schedule's learning rate is 0 at the first step
    const before = c.storage.params.float32.slice();
    c.step();
    expect(firstDifference(c.storage.params.float32, before)).toBeDefined();
  });

  it('several optimizers in one caller memory: a later one grows it, the earlier ones follow (views refreshed, same numbers)', () => {
    const memory = new WA.Memory({ initial: 0 });
    const alloc = wasmMemoryAllocator({ memory: memory as never });
    const a = compile(clipAdamw(), params(), { backend: 'wasm', memory: alloc });
    const alone = compile(clipAdamw(), params(), { backend: 'wasm' });
    const grads = gradsLike(params() as Tree, 6, false);
    copyLeaves(a.grads as Tree, grads);
    copyLeaves(alone.grads as Tree, grads);
    a.step();
    alone.step();
    const oldView = (a.params as { c: Float32Array }).c;
    const bufferBefore = memory.buffer;
    // A bigger optimizer in the same memory grows it: the old buffer is detached.
    const big = { w: new Float32Array(200_000) };
    const b = compile(adamw({ learningRate: 1e-3 }), big, { backend: 'wasm', memory: alloc });
    expect(memory.buffer).not.toBe(bufferBefore);
    expect(oldView.length).toBe(0); // what growth does to a view read out before it
    // a follows: fresh views over the new buffer, its state intact, the next step the same.
    expect((a.params as { c: Float32Array }).c.buffer).toBe(memory.buffer);
    expect(firstDifference(a.params, alone.params)).toBeUndefined();
    copyLeaves(a.grads as Tree, grads);
    a.step();
    alone.step();
    expect(firstDifference(a.params, alone.params)).toBeUndefined();
    expect(firstDifference(a.copyState(), alone.copyState())).toBeUndefined();
    expect(b.storage.region.byteOffset).toBeGreaterThanOrEqual(a.storage.region.byteOffset + a.storage.region.byteLength);
    b.step();
  });

  it('a plain buffer of a memory that grows after compile: the next step is a CompileError, not a silent no-op', () => {
    const memory = new WA.Memory({ initial: 1 });
    const c = compile(sgd({ learningRate: 0.1 }), { w: new Float32Array(8) }, { backend: 'js', memory: bufferAllocator(memory.buffer) });
    c.step();
    memory.grow(1);
    expect(() => c.step()).toThrow(CompileError);
    expect(() => c.step()).toThrow(/detached/);
    expect(() => c.params).toThrow(CompileError);
  });

  it("memory: 'sharedArrayBuffer' computes in a shared WebAssembly.Memory, with the same numbers", () => {
    const s = compile(clipAdamw(), params(), { backend: 'wasm', memory: 'sharedArrayBuffer' });
    const p = compile(clipAdamw(), params(), { backend: 'wasm' });
    expect(Object.prototype.toString.call(s.storage.region.buffer)).toBe('[object SharedArrayBuffer]');
    expect(s.source).toContain('(memory 0 65536 shared)');
    const grads = gradsLike(params(), 7, true);
    for (let i = 0; i < 3; i++) {
      copyLeaves(s.grads as Tree, grads);
      copyLeaves(p.grads as Tree, grads);
      s.step();
      p.step();
    }
    expect(firstDifference(s.params, p.params)).toBeUndefined();
    expect(firstDifference(s.copyState(), p.copyState())).toBeUndefined();
    // The pure update (staged through a memory of the same kind) too.
    const [us, ss] = s.update(grads, s.copyState(), s.params);
    const [up, sp] = p.update(grads, p.copyState(), p.params);
    expect(firstDifference(us, up)).toBeUndefined();
    expect(firstDifference(ss, sp)).toBeUndefined();
  });

  it('the pure update and the in-place step give the same numbers (and leave the inputs alone)', () => {
    const tx = chain(testTrustRatio(1e-3), clipAdamw());
    const c = compile(tx, params(), { backend: 'wasm' });
    const grads = gradsLike(params(), 8, false);
    const state = c.copyState();
    const stateCopy = structuredClone(state);
    const p = params();
    const [u, s] = c.update(grads, state, p);
    expect(firstDifference(state, stateCopy)).toBeUndefined();
    copyLeaves(c.grads as Tree, grads);
    c.step();
    expect(firstDifference(c.copyState(), s)).toBeUndefined();
    const flatU = flatten(u).leaves;
    flatten(c.params).leaves.forEach((l, i) => {
      const want = flatten(p).leaves[i]?.data as Float32Array | Float64Array;
      const expected = l.data instanceof Float32Array ? Float32Array.from(want, (x, k) => x + (flatU[i]?.data[k] as number)) : Float64Array.from(want, (x, k) => x + (flatU[i]?.data[k] as number));
      expect(firstDifference(l.data, expected)).toBeUndefined();
    });
  });
});

describe('atomic steps', () => {
  it('a schedule out of range (checked before any pass): params and state bit-identical', () => {
    const lr = (count: number): number => (count < 2 ? 1e-2 : -1);
    const c = compile(chain(clipByGlobalNorm(1), adamw({ learningRate: lr })), params(), { backend: 'wasm' });
    copyLeaves(c.grads as Tree, gradsLike(c.grads as Tree, 9, false));
    c.step();
    c.step();
    const before = { params: structuredClone(c.params), state: c.copyState() };
    expect(() => c.step()).toThrow(HyperparameterError);
    expect(firstDifference(c.params, before.params)).toBeUndefined();
    expect(firstDifference(c.copyState(), before.state)).toBeUndefined();
  });

  it('scalars that throw after a reduce pass: nothing written', () => {
    const strict = defineTransform({
      name: 'strictClip',
      options: {},
      reductions: [{ name: 'ss', kind: 'sumSquares', of: d.g, scope: 'global' }],
      scalars: ({ reductions }) => {
        if ((reductions.ss ?? 0) > 1e-6) throw new RangeError('strictClip: norm too large');
        return { coef: 1 };
      },
      body: () => ({ update: d.mul(d.g, d.scalar('coef')), next: {} }),
    });
    const c = compile(chain(trace({ decay: 0.9 }), strict), params(), { backend: 'wasm' });
    copyLeaves(c.grads as Tree, gradsLike(c.grads as Tree, 10, false));
    const before = { params: structuredClone(c.params), state: c.copyState() };
    expect(() => c.step()).toThrow(RangeError);
    expect(firstDifference(c.params, before.params)).toBeUndefined();
    expect(firstDifference(c.copyState(), before.state)).toBeUndefined();
  });
});

describe('hostile names never reach the text form', () => {
  it('a stage name, a scalar name and tree keys crafted as code: absent from compiled.source, and the step still computes', () => {
    const PAYLOAD = 'globalThis.__gradfusePwned=true';
    const scalarName = `"]);${PAYLOAD};//`;
    const stage: Stage = {
      name: `x ;; */\n${PAYLOAD}\n(func`,
      options: {},
      slots: [],
      reductions: [],
      scalars: () => ({ [scalarName]: 2 }),
      update: d.mul(d.g, d.scalar(scalarName)),
      next: {},
    };
    const key = `"))\n${PAYLOAD};(;`;
    const p: Record<string, Float32Array> = {};
    Object.defineProperty(p, key, { value: new Float32Array([1, 2, 3]), enumerable: true });
    const c = compile(fromStage(stage) as GradientTransformation<unknown>, p as Tree, { backend: 'wasm' });
    expect(c.source).not.toContain(PAYLOAD);
    expect(c.source).not.toContain(key);
    expect(c.source).toContain(';; stages: (unnamed)');
    flatten(c.grads).leaves[0]?.data.fill(1);
    c.step();
    expect(Array.from(flatten(c.params).leaves[0]?.data ?? [])).toEqual([3, 4, 5]);
  });
});
