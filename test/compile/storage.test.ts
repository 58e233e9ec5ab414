/**
 * Flat storage: one region, one buffer per role and dtype, per-leaf views arranged as the tree,
 * pluggable memory (ArrayBuffer, SharedArrayBuffer, a caller's buffer such as a
 * WebAssembly.Memory's), packing existing trees.
 */
import { describe, expect, it } from 'vitest';
import { chain } from '../../src/combine/chain.js';
import {
  type Allocator,
  CompileError,
  STORAGE_ALIGNMENT,
  arrayBufferAllocator,
  bufferAllocator,
  compile,
  layoutOf,
  packTree,
} from '../../src/compile/index.js';
import { adamw } from '../../src/optimizers/adam.js';
import { sgd } from '../../src/optimizers/sgd.js';
import { clipByGlobalNorm } from '../../src/transforms/clipping.js';
import { type Tree, flatten } from '../../src/tree/tree.js';
import { applyUpdates } from '../../src/update.js';
import { copyLeaves, fillValues, firstDifference, gradsLike } from './trees.js';

const mixed = (): Tree => {
  const a = new Float32Array(5);
  const b = new Float64Array(3);
  const c = new Float32Array(7);
  const e = new Float64Array(0);
  fillValues(a, 1, false);
  fillValues(b, 2, false);
  fillValues(c, 3, false);
  return { a, b: { shape: [3, 1], data: b }, c: [c, { shape: [0], data: e }] };
};

describe('layout', () => {
  it('groups leaves by dtype, each dtype back to back in flatten order', () => {
    const l = layoutOf(mixed());
    expect(l.size).toEqual({ float32: 12, float64: 3 });
    expect(l.leaves.map((x) => [x.path, x.dtype, x.offset, x.length])).toEqual([
      ['a', 'float32', 0, 5],
      ['b', 'float64', 0, 3],
      ['c[0]', 'float32', 5, 7],
      ['c[1]', 'float64', 3, 0],
    ]);
  });
});

describe('compiled storage', () => {
  it('params, grads and every slot are views into ONE region, at aligned offsets, shaped as the tree', () => {
    const p = mixed();
    const c = compile(adamw({ learningRate: 1e-2 }), p);
    const st = c.storage;
    const buffers = [st.params, st.grads, ...st.slots.flatMap((m) => [...m.values()])].flatMap((f) => [f.float32, f.float64]);
    for (const b of buffers) {
      expect(b.buffer).toBe(st.region.buffer);
      expect(b.byteOffset % STORAGE_ALIGNMENT).toBe(0);
    }
    // Same structure and leaf forms as given, values copied.
    expect(firstDifference(c.params, p)).toBeUndefined();
    expect(c.params).not.toBe(p);
    const pv = flatten(c.params).leaves;
    expect(pv.map((l) => l.data.buffer === st.region.buffer)).toEqual([true, true, true, true]);
    expect((c.params as unknown as { b: { shape: number[] } }).b.shape).toEqual([3, 1]);
    // The views are windows on the flat buffers: writing one shows in the other.
    (c.params as { a: Float32Array }).a[2] = 1234.5;
    expect(st.params.float32[2]).toBe(1234.5);
    expect(st.slots[0]?.get('mu')?.float32.length).toBe(12);
  });

  it('a model that writes params through the views steps from them', () => {
    const p = mixed();
    const tx = sgd({ learningRate: 0.5, momentum: 0.9 });
    const c = compile(tx, p);
    const newP = gradsLike(p, 9, false);
    copyLeaves(c.params, newP);
    const grads = gradsLike(p, 10, false);
    copyLeaves(c.grads, grads);
    c.step();
    const [u] = tx.update(grads, tx.init(newP), newP);
    expect(firstDifference(c.params, applyUpdates(newP, u))).toBeUndefined();
  });

  it("memory: 'sharedArrayBuffer' shares the region; the numbers are the same", () => {
    const p = mixed();
    const tx = chain(clipByGlobalNorm(1), adamw({ learningRate: 1e-2 }));
    const a = compile(tx, p);
    const b = compile(tx, p, { memory: 'sharedArrayBuffer' });
    expect(Object.prototype.toString.call(b.storage.region.buffer)).toBe('[object SharedArrayBuffer]');
    const grads = gradsLike(p, 11, true);
    copyLeaves(a.grads, grads);
    copyLeaves(b.grads, grads);
    a.step();
    b.step();
    expect(firstDifference(b.params, a.params)).toBeUndefined();
    expect(firstDifference(b.state, a.state)).toBeUndefined();
  });

  it('a caller-supplied buffer (a WebAssembly.Memory) holds everything at aligned offsets', () => {
    // (typed locally: the project's lib has no WebAssembly declarations)
    const { WebAssembly: wasm } = globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number }) => { buffer: ArrayBuffer } } };
    const memory = new wasm.Memory({ initial: 1 });
    const p = mixed();
    const c = compile(adamw({ learningRate: 1e-2 }), p, { memory: bufferAllocator(memory.buffer, { byteOffset: 8 }) });
    expect(c.storage.region.buffer).toBe(memory.buffer);
    expect(c.storage.region.byteOffset).toBe(STORAGE_ALIGNMENT); // 8 rounded up
    expect(c.storage.params.float32.byteOffset % STORAGE_ALIGNMENT).toBe(0);
    const grads = gradsLike(p, 12, false);
    copyLeaves(c.grads, grads);
    c.step();
    const tx = adamw({ learningRate: 1e-2 });
    const [u] = tx.update(grads, tx.init(p), p);
    expect(firstDifference(c.params, applyUpdates(p, u))).toBeUndefined();
    // The wasm side sees the new params in its own memory.
    const f32 = new Float32Array(memory.buffer, c.storage.params.float32.byteOffset, c.storage.params.float32.length);
    expect(Array.from(f32)).toEqual(Array.from(c.storage.params.float32));
  });

  it('memory that does not fit, or an allocator that breaks its contract: CompileError (storage)', () => {
    expect(() => compile(adamw({ learningRate: 1e-2 }), mixed(), { memory: bufferAllocator(new ArrayBuffer(64)) })).toThrow(CompileError);
    const misaligned: Allocator = {
      name: 'misaligned',
      allocate: (n) => ({ buffer: new ArrayBuffer(n + 8), byteOffset: 4, byteLength: n }),
    };
    expect(() => compile(adamw({ learningRate: 1e-2 }), mixed(), { memory: misaligned })).toThrow(/aligned/);
    expect(() => bufferAllocator(new ArrayBuffer(16), { byteOffset: 32 })).toThrow(CompileError);
    // The default allocator, explicitly.
    expect(compile(adamw({ learningRate: 1e-2 }), mixed(), { memory: arrayBufferAllocator() }).storage.region.byteOffset).toBe(0);
  });
});

describe('packTree', () => {
  it('copies a tree into one region, keeping structure, forms and values', () => {
    const p = mixed();
    const flat = packTree(p);
    expect(firstDifference(flat.tree, p)).toBeUndefined();
    expect(flat.float32.length).toBe(12);
    expect(flat.float64.length).toBe(3);
    expect(flat.float32.buffer).toBe(flat.float64.buffer);
    expect(Array.from(flat.float32.subarray(0, 5))).toEqual(Array.from((p as { a: Float32Array }).a));
    flat.leaves[0]?.fill(0);
    expect((p as { a: Float32Array }).a[0]).not.toBe(0);
  });
});
