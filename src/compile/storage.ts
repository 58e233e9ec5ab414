/**
 * Flat storage: one contiguous buffer per role (params, grads, each slot of each stage) and per
 * dtype, with per-leaf views (subarrays) arranged as the user's tree: same structure, same leaf
 * forms (bare typed array or `{ shape, data }`). A model's code reads and writes the views; the
 * compiled kernel loops over the flat buffers.
 *
 * Trees with both float32 and float64 leaves are grouped by dtype: each role gets one float32
 * buffer (the float32 leaves in flatten order) and one float64 buffer (the float64 leaves in
 * flatten order).
 *
 * All the buffers of one compiled optimizer live in ONE region, asked once from an
 * {@link Allocator}, each buffer starting at a {@link STORAGE_ALIGNMENT}-byte aligned offset.
 * Memory comes from a plain `ArrayBuffer` (default), a `SharedArrayBuffer` (to share with
 * workers), or any allocator: {@link bufferAllocator} bump-allocates inside a caller's buffer,
 * e.g. a `WebAssembly.Memory`'s.
 *
 * @module
 */
import { TreeMismatchError } from '../errors.js';
import type { Dtype, FloatArray } from '../tree/leaf.js';
import { type Tree, type TreeDef, type TreeLike, assertSameStructure, buildFromDef, flatten } from '../tree/tree.js';
import { CompileError } from './error.js';
import { MAX_PAGES, PAGE_BYTES, type WasmMemory, isWasmMemory, wasmApi } from './wasm/types.js';

// ---------------------------------------------------------------------------------------------
// memory
// ---------------------------------------------------------------------------------------------

/** The alignment of every buffer's start, in bytes (a cache line; enough for SIMD loads). */
export const STORAGE_ALIGNMENT = 64;

/**
 * A block of memory: `byteLength` bytes of `buffer` from `byteOffset`.
 * @category Compiler
 */
export interface Region {
  readonly buffer: ArrayBufferLike;
  readonly byteOffset: number;
  readonly byteLength: number;
  /**
   * The buffer the region lives in NOW, for memory that can move (a `WebAssembly.Memory`'s
   * `buffer` is replaced, and the old one detached, when the memory grows). A compiled optimizer
   * calls it before each use and rebuilds its views when the buffer changed. Absent: the
   * buffer never changes.
   */
  readonly live?: () => ArrayBufferLike;
}

/**
 * Where the compiler gets memory. `allocate` is called ONCE per compiled optimizer, with the
 * total size of all its buffers; the region it returns must start at a multiple of `alignment`
 * (relative to the buffer's start) and must stay valid while the optimizer is used.
 *
 * For a `WebAssembly.Memory`, use {@link wasmMemoryAllocator}: it grows the memory as needed
 * and its regions follow the memory when it grows. (A {@link bufferAllocator} over a memory's
 * `buffer` works too, but growing the memory afterwards detaches that buffer: the compiled
 * optimizer then throws a `CompileError` instead of computing on detached views.)
 * @category Compiler
 */
export interface Allocator {
  /** For messages, e.g. `ArrayBuffer`. */
  readonly name: string;
  allocate(byteLength: number, alignment: number): Region;
}

/**
 * A fresh `ArrayBuffer` per call (the default).
 * @category Compiler
 */
export function arrayBufferAllocator(): Allocator {
  return {
    name: 'ArrayBuffer',
    allocate: (byteLength) => ({ buffer: new ArrayBuffer(byteLength), byteOffset: 0, byteLength }),
  };
}

/**
 * A fresh `SharedArrayBuffer` per call, so workers can see params and grads.
 * @category Compiler
 */
export function sharedArrayBufferAllocator(): Allocator {
  return {
    name: 'SharedArrayBuffer',
    allocate: (byteLength) => {
      if (typeof SharedArrayBuffer !== 'function') {
        throw new CompileError('storage', 'SharedArrayBuffer is not available here (cross-origin isolation is required in browsers)');
      }
      return { buffer: new SharedArrayBuffer(byteLength), byteOffset: 0, byteLength };
    },
  };
}

/** Options of {@link bufferAllocator}. */
export interface BufferAllocatorOptions {
  /** Where the usable part starts. Default 0. */
  readonly byteOffset?: number;
  /** How many bytes from `byteOffset` may be used. Default: to the end of the buffer. */
  readonly byteLength?: number;
}

/**
 * A bump allocator inside a caller-supplied buffer (an `ArrayBuffer`, a `SharedArrayBuffer`, or
 * a `WebAssembly.Memory`'s `buffer`). Each call takes the next aligned block; throws a
 * {@link CompileError} when the buffer is full.
 * @category Compiler
 */
export function bufferAllocator(buffer: ArrayBufferLike, options: BufferAllocatorOptions = {}): Allocator {
  const start = options.byteOffset ?? 0;
  const end = options.byteLength === undefined ? buffer.byteLength : start + options.byteLength;
  if (!Number.isInteger(start) || start < 0 || !Number.isInteger(end) || end > buffer.byteLength || end < start) {
    throw new CompileError('storage', `bufferAllocator: [${String(start)}, ${String(end)}) is not inside a buffer of ${String(buffer.byteLength)} bytes`);
  }
  let next = start;
  return {
    name: 'bufferAllocator',
    allocate: (byteLength, alignment) => {
      const at = Math.ceil(next / alignment) * alignment;
      if (at + byteLength > end) {
        throw new CompileError('storage', `bufferAllocator: ${String(byteLength)} bytes do not fit (${String(Math.max(0, end - at))} left)`);
      }
      next = at + byteLength;
      return { buffer, byteOffset: at, byteLength };
    },
  };
}

/** Options of {@link wasmMemoryAllocator}. */
export interface WasmMemoryAllocatorOptions {
  /**
   * The `WebAssembly.Memory` to allocate in; it is grown as allocations need. Default: a new
   * memory, created empty and grown by the first allocation.
   */
  readonly memory?: WasmMemory;
  /** For a new memory: shared between threads (its buffer is a `SharedArrayBuffer`). Default false. */
  readonly shared?: boolean;
  /** Where the first allocation may start, in bytes. Default 0. */
  readonly byteOffset?: number;
}

/**
 * An allocator inside a `WebAssembly.Memory` (what the wasm backend computes on).
 * @category Compiler
 */
export interface WasmMemoryAllocator extends Allocator {
  /** The memory the regions live in. */
  readonly memory: WasmMemory;
  /** Whether the memory is shared. */
  readonly shared: boolean;
}

/** True for an allocator that allocates inside a `WebAssembly.Memory`. */
export function isWasmMemoryAllocator(value: unknown): value is WasmMemoryAllocator {
  return typeof value === 'object' && value !== null && isWasmMemory((value as { readonly memory?: unknown }).memory) && typeof (value as { readonly allocate?: unknown }).allocate === 'function';
}

/**
 * A bump allocator inside a `WebAssembly.Memory`, growing it page by page as allocations need
 * (at most 4 GiB). Several compiled optimizers may share one memory: a later allocation that
 * grows it replaces the memory's buffer, and the earlier optimizers' regions follow (each
 * region's `live()` is the memory's current buffer; their views are rebuilt on next use; views
 * read out before the growth are detached).
 *
 * Throws a {@link CompileError} (`storage`) when WebAssembly is not available or the memory
 * cannot grow enough.
 * @category Compiler
 */
export function wasmMemoryAllocator(options: WasmMemoryAllocatorOptions = {}): WasmMemoryAllocator {
  let memory: WasmMemory;
  let shared: boolean;
  if (options.memory !== undefined) {
    if (!isWasmMemory(options.memory)) throw new CompileError('storage', 'wasmMemoryAllocator: memory must be a WebAssembly.Memory');
    memory = options.memory;
    shared = Object.prototype.toString.call(memory.buffer) === '[object SharedArrayBuffer]';
  } else {
    const api = wasmApi();
    if (api === undefined) throw new CompileError('storage', 'wasmMemoryAllocator: WebAssembly is not available here');
    shared = options.shared === true;
    try {
      memory = new api.Memory(shared ? { initial: 0, maximum: MAX_PAGES, shared: true } : { initial: 0 });
    } catch (e) {
      throw new CompileError('storage', `wasmMemoryAllocator: cannot create a${shared ? ' shared' : ''} WebAssembly.Memory (${e instanceof Error ? e.message : String(e)})`);
    }
  }
  const start = options.byteOffset ?? 0;
  if (!Number.isInteger(start) || start < 0) throw new CompileError('storage', `wasmMemoryAllocator: byteOffset must be an integer >= 0, got ${String(start)}`);
  let next = start;
  const live = (): ArrayBufferLike => memory.buffer;
  return {
    name: 'wasmMemoryAllocator',
    memory,
    shared,
    allocate: (byteLength, alignment) => {
      const at = Math.ceil(Math.max(next, 0) / alignment) * alignment;
      const end = at + byteLength;
      const have = memory.buffer.byteLength;
      if (end > have) {
        const pages = Math.ceil((end - have) / PAGE_BYTES);
        if (end > MAX_PAGES * PAGE_BYTES) throw new CompileError('storage', `wasmMemoryAllocator: ${String(end)} bytes exceed the 4 GiB of a 32-bit WebAssembly.Memory`);
        try {
          memory.grow(pages);
        } catch (e) {
          throw new CompileError('storage', `wasmMemoryAllocator: the WebAssembly.Memory cannot grow by ${String(pages)} pages (${e instanceof Error ? e.message : String(e)})`);
        }
      }
      next = end;
      return { buffer: memory.buffer, byteOffset: at, byteLength, live };
    },
  };
}

/** Which memory a compiled optimizer uses. */
export type MemoryOption = 'arrayBuffer' | 'sharedArrayBuffer' | Allocator;

/** The allocator of a memory option. */
export function allocatorOf(memory: MemoryOption | undefined): Allocator {
  if (memory === undefined || memory === 'arrayBuffer') return arrayBufferAllocator();
  if (memory === 'sharedArrayBuffer') return sharedArrayBufferAllocator();
  if (typeof memory === 'object' && typeof memory.allocate === 'function') return memory;
  throw new CompileError('storage', `memory must be 'arrayBuffer', 'sharedArrayBuffer' or an allocator`);
}

// ---------------------------------------------------------------------------------------------
// layout
// ---------------------------------------------------------------------------------------------

/** Where one leaf lives: its dtype buffer and its range there. */
export interface LeafLayout {
  /** The leaf's index in flatten order. */
  readonly index: number;
  readonly path: string;
  readonly dtype: Dtype;
  readonly shape: readonly number[];
  /** First element in the dtype's buffer. */
  readonly offset: number;
  readonly length: number;
}

/**
 * The layout of a tree in flat storage.
 * @category Compiler
 */
export interface TreeLayout {
  readonly def: TreeDef;
  readonly leaves: readonly LeafLayout[];
  /** Elements in each dtype's buffer. */
  readonly size: Readonly<Record<Dtype, number>>;
}

/**
 * The layout of a tree: leaves in flatten order, each dtype's leaves packed back to back.
 * @category Compiler
 */
export function layoutOf(tree: Tree): TreeLayout {
  const { leaves, def } = flatten(tree);
  const size = { float32: 0, float64: 0 };
  const out = leaves.map((l, index): LeafLayout => {
    const offset = size[l.dtype];
    size[l.dtype] += l.data.length;
    return { index, path: l.path, dtype: l.dtype, shape: l.shape, offset, length: l.data.length };
  });
  return { def, leaves: out, size };
}

// ---------------------------------------------------------------------------------------------
// flat trees
// ---------------------------------------------------------------------------------------------

/**
 * A tree stored flat: the two dtype buffers and per-leaf views arranged as the tree.
 * @category Compiler
 */
export interface FlatTree<T = Tree> {
  /** The views, as a tree of the layout's structure and leaf forms. */
  readonly tree: T;
  /** The views in flatten order. */
  readonly leaves: readonly FloatArray[];
  /** All float32 leaves back to back (length 0 when there are none). */
  readonly float32: Float32Array;
  /** All float64 leaves back to back (length 0 when there are none). */
  readonly float64: Float64Array;
}

const BYTES: Readonly<Record<Dtype, number>> = { float32: 4, float64: 8 };

/** An ArrayBuffer or SharedArrayBuffer, from any realm. */
function isBuffer(value: unknown): value is ArrayBufferLike {
  const tag = Object.prototype.toString.call(value);
  return tag === '[object ArrayBuffer]' || tag === '[object SharedArrayBuffer]';
}

/** Builds a tree of `def` from leaves in order; record keys are defined as own properties. */
export function buildTree(def: TreeDef, leaves: readonly FloatArray[]): Tree {
  return buildFromDef(def, (d, i) => {
    const data = leaves[i];
    if (data === undefined) throw new Error('buildTree: too few leaves');
    return d.form === 'array' ? data : { shape: [...d.shape], data };
  }) as Tree;
}

/** Views of `layout` over two dtype buffers. */
export function viewFlat<T>(layout: TreeLayout, float32: Float32Array, float64: Float64Array): FlatTree<T> {
  const leaves = layout.leaves.map((l) => {
    const buf = l.dtype === 'float32' ? float32 : float64;
    return buf.subarray(l.offset, l.offset + l.length);
  });
  return { tree: buildTree(layout.def, leaves) as unknown as T, leaves, float32, float64 };
}

/** Fresh flat storage for `layout` in ordinary memory (not from an allocator). */
export function freshFlat<T>(layout: TreeLayout): FlatTree<T> {
  return viewFlat<T>(layout, new Float32Array(layout.size.float32), new Float64Array(layout.size.float64));
}

/**
 * `count` flat trees of one layout in ONE region from the allocator, every dtype buffer at an
 * aligned offset. Returns the region too, and where `extraBytes` more (a backend's own tables,
 * at the end of the region, aligned) start.
 * @category Compiler
 */
export function allocateFlat<T>(
  layout: TreeLayout,
  count: number,
  memory?: MemoryOption,
  extraBytes = 0,
): { readonly region: Region; readonly trees: readonly FlatTree<T>[]; readonly extraOffset: number } {
  const allocator = allocatorOf(memory);
  const align = (n: number): number => Math.ceil(n / STORAGE_ALIGNMENT) * STORAGE_ALIGNMENT;
  const blockBytes = (dtype: Dtype): number => align(layout.size[dtype] * BYTES[dtype]);
  const perTree = blockBytes('float32') + blockBytes('float64');
  const total = Math.max(perTree * count + align(extraBytes), 0);
  const region = allocator.allocate(total, STORAGE_ALIGNMENT);
  if (
    typeof region !== 'object' || region === null ||
    !isBuffer(region.buffer) ||
    !Number.isInteger(region.byteOffset) || region.byteOffset % STORAGE_ALIGNMENT !== 0 ||
    region.byteOffset < 0 || region.byteOffset + total > region.buffer.byteLength
  ) {
    throw new CompileError('storage', `${allocator.name}: expected ${String(total)} bytes at an offset aligned to ${String(STORAGE_ALIGNMENT)} inside the buffer`);
  }
  const trees = viewRegion<T>(layout, count, region.buffer, region.byteOffset);
  return { region, trees, extraOffset: region.byteOffset + perTree * count };
}

/**
 * The `count` flat trees that {@link allocateFlat} lays out from `byteOffset` in `buffer`: the
 * same views again, e.g. over a `WebAssembly.Memory`'s new buffer after it grew.
 */
export function viewRegion<T>(layout: TreeLayout, count: number, buffer: ArrayBufferLike, byteOffset: number): FlatTree<T>[] {
  const align = (n: number): number => Math.ceil(n / STORAGE_ALIGNMENT) * STORAGE_ALIGNMENT;
  const trees: FlatTree<T>[] = [];
  let at = byteOffset;
  for (let t = 0; t < count; t++) {
    const f32 = new Float32Array(buffer, at, layout.size.float32);
    at += align(layout.size.float32 * BYTES.float32);
    const f64 = new Float64Array(buffer, at, layout.size.float64);
    at += align(layout.size.float64 * BYTES.float64);
    trees.push(viewFlat<T>(layout, f32, f64));
  }
  return trees;
}

/**
 * Copies `tree` into flat storage of the same layout, after checking its structure (keys,
 * shapes, dtypes; the leaf form may differ). Throws a `TreeMismatchError` naming the path, and
 * writes nothing, when it does not match.
 * @category Compiler
 */
export function copyIntoFlat<T>(flat: FlatTree<T>, layout: TreeLayout, tree: TreeLike<T>, context: string): void {
  const f = flatten(tree as Tree);
  assertSameStructure(layout.def, f.def, context);
  f.leaves.forEach((l, i) => {
    const dst = flat.leaves[i];
    if (dst === undefined || dst.length !== l.data.length) throw new TreeMismatchError(l.path, 'a leaf of the layout', 'a different leaf', context);
    dst.set(l.data);
  });
}

/**
 * Packs an existing tree into fresh flat storage: its own layout, one region from `memory`,
 * the values copied. The returned views are new arrays; the input is not kept.
 * @category Compiler
 */
export function packTree<T extends TreeLike<T>>(tree: T, memory?: MemoryOption): FlatTree<T> {
  const layout = layoutOf(tree as Tree);
  const { trees } = allocateFlat<T>(layout, 1, memory);
  const flat = trees[0] as FlatTree<T>;
  copyIntoFlat(flat, layout, tree, 'packTree');
  return flat;
}

/**
 * The flat buffer of one dtype that the leaves already are, when they are views of one buffer
 * laid out as `layout` (e.g. the views of a {@link FlatTree}): then a kernel can read them in
 * place instead of copying. `undefined` otherwise.
 */
export function flatBacking(layout: TreeLayout, leaves: readonly FloatArray[], dtype: Dtype): FloatArray | undefined {
  let backing: FloatArray | undefined;
  let base = 0;
  for (const l of layout.leaves) {
    if (l.dtype !== dtype) continue;
    const arr = leaves[l.index];
    if (arr === undefined) return undefined;
    const bytes = BYTES[dtype];
    if (backing === undefined) {
      base = arr.byteOffset - l.offset * bytes;
      const length = layout.size[dtype];
      if (base < 0 || base % bytes !== 0 || base + length * bytes > arr.buffer.byteLength) return undefined;
      backing = dtype === 'float32' ? new Float32Array(arr.buffer, base, length) : new Float64Array(arr.buffer, base, length);
    }
    if (arr.buffer !== backing.buffer || arr.byteOffset !== base + l.offset * bytes || arr.length !== l.length) return undefined;
  }
  return backing;
}
