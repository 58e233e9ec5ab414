/**
 * Running emitted modules: the SIMD probe, compiling a kernel's bytes, and the **runner** that
 * turns an instance's exported pass functions into the compiler's `PassFn`s.
 *
 * A runner owns a **host area** in its memory: the per-step scalars (`s`), reduction results
 * (`red`), per-leaf tables (`ls`, `lred`), the segment tables, and one control block per pass
 * function. Before each call it copies `s` and `ls` in; after it, the reductions the pass wrote
 * out: a few dozen numbers, no allocation.
 *
 * - A **direct** runner computes on the flat storage itself (the in-place step): the buffers it
 *   is handed must be views of its memory, whose byte offsets go into the control block.
 * - A **staged** runner has a memory of its own (the pure `update`, whose inputs and outputs are
 *   ordinary arrays): it copies the buffers a pass reads into staging areas and copies back those
 *   it writes.
 *
 * When the memory grows (another optimizer allocated in it), its `buffer` is replaced: a runner
 * rebuilds its views before the next call. A buffer that is not in the memory (a view detached
 * by the growth) is a `CompileError`, never a silent no-op.
 *
 * @module
 */
import type { Dtype, FloatArray } from '../../tree/leaf.js';
import type { PassSet } from '../cache.js';
import type { PassFn } from '../emitJs.js';
import { CompileError } from '../error.js';
import type { BufferRef, LoopPass } from '../lower.js';
import { SEGMENT_STRIDE } from '../plan.js';
import { STORAGE_ALIGNMENT, type TreeLayout } from '../storage.js';
import { CTL, controlBytes } from './emit.js';
import { type WasmKernel, importObject } from './module.js';
import { PAGE_BYTES, type WasmApi, type WasmMemory, type WasmModule, wasmApi } from './types.js';

// ---------------------------------------------------------------------------------------------
// the probe
// ---------------------------------------------------------------------------------------------

/**
 * The smallest module that needs SIMD: `(func (result v128) v128.const i32x4 0 0 0 0
 * f32x4.sqrt)`. Hand-encoded, so the probe does not depend on the encoder it vouches for.
 */
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // types: () -> v128
  0x03, 0x02, 0x01, 0x00, // one function of type 0
  0x0a, 0x19, 0x01, 0x17, 0x00, // code: one body of 23 bytes, no locals
  0xfd, 0x0c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // v128.const
  0xfd, 0xe3, 0x01, // f32x4.sqrt
  0x0b, // end
]);

let probed: boolean | undefined;

/**
 * Whether WebAssembly with 128-bit SIMD runs here (probed once): `WebAssembly.validate` accepts
 * a tiny SIMD module AND it compiles (a Content-Security-Policy without `wasm-unsafe-eval`
 * validates but refuses to compile).
 * @category Compiler
 */
export function wasmSimdAvailable(): boolean {
  if (probed === undefined) {
    const api = wasmApi();
    try {
      probed = api !== undefined && api.validate(SIMD_PROBE) && new api.Module(SIMD_PROBE) !== undefined;
    } catch {
      probed = false;
    }
  }
  return probed;
}

/** Forgets the probe's answer (tests that stub `WebAssembly`). @internal */
export function resetWasmProbe(): void {
  probed = undefined;
}

/** The WebAssembly API, or a `CompileError` (`backend`). */
export function requireWasm(): WasmApi {
  const api = wasmApi();
  if (api === undefined || !wasmSimdAvailable()) {
    throw new CompileError('backend', "backend 'wasm' needs WebAssembly with 128-bit SIMD, which is not available here; use backend 'auto', 'js' or 'closure'");
  }
  return api;
}

/** A kernel compiled to a module (memory-independent: the memory is imported). */
export interface CompiledKernel {
  readonly kernel: WasmKernel;
  readonly module: WasmModule;
}

/** Validates and compiles a kernel's bytes. */
export function compileKernel(api: WasmApi, kernel: WasmKernel): CompiledKernel {
  if (!api.validate(kernel.bytes)) throw new CompileError('backend', 'the emitted WebAssembly module does not validate (a compiler bug; please report it with compiled.source of the js backend)');
  try {
    return { kernel, module: new api.Module(kernel.bytes) };
  } catch (e) {
    // e.g. a browser's main thread refusing synchronous compilation of a module over its limit (8 MB in Chromium 150)
    throw new CompileError('backend', `WebAssembly.Module failed: ${e instanceof Error ? e.message : String(e)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// the host area
// ---------------------------------------------------------------------------------------------

/** Where a runner's tables live, in bytes from the host area's start. */
export interface HostLayout {
  readonly bytes: number;
  readonly s: number;
  readonly red: number;
  readonly ls: number;
  readonly lred: number;
  /** Segment tables: the reduce passes', then the store pass's. */
  readonly segReduce: readonly number[];
  readonly segStore: number;
  /** Control blocks per pass function. */
  readonly ctl: PassSet<number>;
}

/** Sizes a runner needs to know. */
export interface HostSizes {
  readonly scalarCount: number;
  readonly reductionCount: number;
  readonly leafCount: number;
  readonly leafScalarStride: number;
  readonly leafReductionStride: number;
}

/** The segment tables of a step (the reduce passes', then the store pass's). */
export interface Segments {
  readonly reduce: readonly Int32Array[];
  readonly store: Int32Array;
}

const align16 = (n: number): number => Math.ceil(n / 16) * 16;

/** Lays out a host area. */
export function hostLayout(sizes: HostSizes, segments: Segments, loops: PassSet<LoopPass>): HostLayout {
  let at = 0;
  const take = (bytes: number): number => {
    const here = at;
    at = align16(at + bytes);
    return here;
  };
  const s = take(8 * sizes.scalarCount);
  const red = take(8 * sizes.reductionCount);
  const ls = take(8 * sizes.leafCount * sizes.leafScalarStride);
  const lred = take(8 * sizes.leafCount * sizes.leafReductionStride);
  const segReduce = segments.reduce.map((t) => take(4 * t.length));
  const segStore = take(4 * segments.store.length);
  const ctl = { reduce: loops.reduce.map((p) => take(controlBytes(p))), inPlace: take(controlBytes(loops.inPlace)), pure: take(controlBytes(loops.pure)) };
  return { bytes: at, s, red, ls, lred, segReduce, segStore, ctl };
}

// ---------------------------------------------------------------------------------------------
// runners
// ---------------------------------------------------------------------------------------------

const BYTES: Readonly<Record<Dtype, number>> = { float32: 4, float64: 8 };

/** A staging area of a staged runner: one per distinct buffer. */
interface Staging {
  readonly byteOffset: number;
  readonly dtype: Dtype;
  readonly length: number;
}

const bufferKey = (ref: BufferRef): string => (ref.role === 'slot' ? `slot:${String(ref.stage)}:${ref.slot}:${ref.dtype}` : `${ref.role}:${ref.dtype}`);

/** Which buffers of a pass its body loads and stores. */
function accessOf(pass: LoopPass): { readonly reads: readonly number[]; readonly writes: readonly number[] } {
  const reads = new Set<number>();
  const writes = new Set<number>();
  for (const v of pass.variants) {
    for (const st of v.body) {
      if (st.tag === 'load') reads.add(st.buffer);
      else if (st.tag === 'store') writes.add(st.buffer);
    }
  }
  return { reads: [...reads].sort((a, b) => a - b), writes: [...writes].sort((a, b) => a - b) };
}

/** The `lred` entries a pass writes (per-leaf reductions of the leaves it visits). */
function leafResultsOf(pass: LoopPass, seg: Int32Array): Int32Array {
  const out: number[] = [];
  for (let k = 0; k < seg.length; k += SEGMENT_STRIDE) {
    const v = pass.variants.find((x) => x.id === seg[k + 2]);
    const leaf = seg[k + 3] as number;
    for (const a of v?.leafAccs ?? []) out.push(leaf * pass.leafReductionStride + a.index);
  }
  return Int32Array.from(out);
}

type Export = (ctl: number) => void;

/**
 * Pass functions of one instance over one memory. `direct`: the buffers are views of `memory`
 * (the flat storage); otherwise the runner stages them in its own memory.
 */
export class WasmRunner {
  private readonly api: WasmApi;
  private memory: WasmMemory;
  private buffer: ArrayBufferLike;
  private f64: Float64Array;
  private u32: Uint32Array;
  private readonly staging = new Map<string, Staging>();
  private stagingViews = new Map<string, FloatArray>();
  /**
   * The pass functions. A direct runner's must be handed views of its memory (the pure pass's
   * fresh outputs are not: the compiler runs it through a staged runner).
   */
  readonly fns: PassSet<PassFn>;

  constructor(
    api: WasmApi,
    compiled: { readonly kernel: WasmKernel; readonly module: WasmModule },
    memory: WasmMemory | undefined,
    private readonly base: number,
    private readonly host: HostLayout,
    private readonly segments: Segments,
    loops: PassSet<LoopPass>,
    layout: TreeLayout,
  ) {
    this.api = api;
    const direct = memory !== undefined;
    let end = base + host.bytes;
    if (!direct) {
      // Staging areas, one per distinct buffer of the passes.
      for (const pass of [...loops.reduce, loops.inPlace, loops.pure]) {
        for (const ref of pass.buffers) {
          const key = bufferKey(ref);
          if (this.staging.has(key)) continue;
          end = Math.ceil(end / STORAGE_ALIGNMENT) * STORAGE_ALIGNMENT;
          this.staging.set(key, { byteOffset: end, dtype: ref.dtype, length: layout.size[ref.dtype] });
          end += layout.size[ref.dtype] * BYTES[ref.dtype];
        }
      }
    }
    this.memory = memory ?? this.ownMemory(end, compiled.kernel.shared);
    if (this.memory.buffer.byteLength < end) throw new CompileError('storage', `the WebAssembly.Memory holds ${String(this.memory.buffer.byteLength)} bytes, the kernel needs ${String(end)}`);
    let instance;
    try {
      instance = new api.Instance(compiled.module, importObject(compiled.kernel, this.memory));
    } catch (e) {
      throw new CompileError('backend', `WebAssembly.Instance failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    const fn = (name: string): Export => {
      const f = instance.exports[name];
      if (typeof f !== 'function') throw new Error(`wasm: the module exports no ${name}`);
      return f as Export;
    };
    const exportsOf: PassSet<Export> = { reduce: loops.reduce.map((p) => fn(p.name)), inPlace: fn(loops.inPlace.name), pure: fn(loops.pure.name) };
    this.buffer = this.memory.buffer;
    this.f64 = new Float64Array(this.buffer);
    this.u32 = new Uint32Array(this.buffer);
    this.writeTables(loops);
    this.makeStagingViews();
    const make = (pass: LoopPass, exp: Export, ctl: number, seg: Int32Array): PassFn => (direct ? this.directPass(pass, exp, ctl, seg) : this.stagedPass(pass, exp, ctl, seg));
    const reduce = loops.reduce.map((p, j) => make(p, exportsOf.reduce[j] as Export, host.ctl.reduce[j] as number, segments.reduce[j] as Int32Array));
    this.fns = {
      reduce,
      inPlace: make(loops.inPlace, exportsOf.inPlace, host.ctl.inPlace, segments.store),
      pure: make(loops.pure, exportsOf.pure, host.ctl.pure, segments.store),
    };
  }

  /** A memory of the runner's own, of the kind the module imports (a shared one never grows here). */
  private ownMemory(bytes: number, shared: boolean): WasmMemory {
    const pages = Math.max(1, Math.ceil(bytes / PAGE_BYTES));
    try {
      return new this.api.Memory(shared ? { initial: pages, maximum: pages, shared: true } : { initial: pages });
    } catch (e) {
      throw new CompileError('storage', `cannot create a WebAssembly.Memory of ${String(bytes)} bytes (${e instanceof Error ? e.message : String(e)})`);
    }
  }

  /** Writes the segment tables and the control blocks' fixed words (memory contents survive a growth). */
  private writeTables(loops: PassSet<LoopPass>): void {
    const i32 = new Int32Array(this.buffer);
    const put = (at: number, table: Int32Array): void => i32.set(table, (this.base + at) >>> 2);
    this.segments.reduce.forEach((t, j) => put(this.host.segReduce[j] as number, t));
    put(this.host.segStore, this.segments.store);
    const control = (pass: LoopPass, ctl: number, seg: number, segLength: number): void => {
      const w = (this.base + ctl) >>> 2;
      this.u32[w + CTL.seg / 4] = this.base + seg;
      this.u32[w + CTL.segLength / 4] = segLength;
      this.u32[w + CTL.s / 4] = this.base + this.host.s;
      this.u32[w + CTL.red / 4] = this.base + this.host.red;
      this.u32[w + CTL.ls / 4] = this.base + this.host.ls;
      this.u32[w + CTL.lred / 4] = this.base + this.host.lred;
      pass.buffers.forEach((ref, j) => {
        const st = this.staging.get(bufferKey(ref));
        this.u32[w + CTL.buffers / 4 + j] = st === undefined ? 0 : st.byteOffset;
      });
    };
    loops.reduce.forEach((p, j) => control(p, this.host.ctl.reduce[j] as number, this.host.segReduce[j] as number, (this.segments.reduce[j] as Int32Array).length));
    control(loops.inPlace, this.host.ctl.inPlace, this.host.segStore, this.segments.store.length);
    control(loops.pure, this.host.ctl.pure, this.host.segStore, this.segments.store.length);
  }

  private makeStagingViews(): void {
    const views = new Map<string, FloatArray>();
    for (const [key, st] of this.staging) {
      views.set(key, st.dtype === 'float32' ? new Float32Array(this.buffer, st.byteOffset, st.length) : new Float64Array(this.buffer, st.byteOffset, st.length));
    }
    this.stagingViews = views;
  }

  /** Rebuilds the views after the memory grew (its buffer was replaced). */
  private sync(): void {
    const now = this.memory.buffer;
    if (now === this.buffer) return;
    this.buffer = now;
    this.f64 = new Float64Array(now);
    this.u32 = new Uint32Array(now);
    this.makeStagingViews();
  }

  private copyIn(s: Float64Array, ls: Float64Array): void {
    this.f64.set(s, (this.base + this.host.s) >>> 3);
    if (ls.length > 0) this.f64.set(ls, (this.base + this.host.ls) >>> 3);
  }

  private copyOut(pass: LoopPass, red: Float64Array, lred: Float64Array, leafResults: Int32Array): void {
    const r = (this.base + this.host.red) >>> 3;
    for (let j = 0; j < pass.globalAccs.length; j++) {
      const index = (pass.globalAccs[j] as LoopPass['globalAccs'][number]).index;
      red[index] = this.f64[r + index] as number;
    }
    const l = (this.base + this.host.lred) >>> 3;
    for (let j = 0; j < leafResults.length; j++) {
      const index = leafResults[j] as number;
      lred[index] = this.f64[l + index] as number;
    }
  }

  private directPass(pass: LoopPass, exp: Export, ctl: number, seg: Int32Array): PassFn {
    const words = (this.base + ctl + CTL.buffers) >>> 2;
    const n = pass.buffers.length;
    const leafResults = leafResultsOf(pass, seg);
    const ctlAddress = this.base + ctl;
    return (segArg, s, red, ls, lred, b) => {
      this.sync();
      if (segArg.length !== seg.length) throw new Error('wasm: a pass called with another segment table');
      this.copyIn(s, ls);
      for (let j = 0; j < n; j++) {
        const a = b[j] as FloatArray;
        if (a.buffer !== this.buffer) {
          throw new CompileError('storage', "the wasm backend was handed a buffer outside its WebAssembly.Memory (views detached when the memory grew?); read compiled.params / compiled.grads again after the memory grows");
        }
        this.u32[words + j] = a.byteOffset;
      }
      exp(ctlAddress);
      this.copyOut(pass, red, lred, leafResults);
    };
  }

  private stagedPass(pass: LoopPass, exp: Export, ctl: number, seg: Int32Array): PassFn {
    const { reads, writes } = accessOf(pass);
    const keys = pass.buffers.map(bufferKey);
    const leafResults = leafResultsOf(pass, seg);
    const ctlAddress = this.base + ctl;
    const view = (j: number): FloatArray => {
      const v = this.stagingViews.get(keys[j] as string);
      if (v === undefined) throw new Error('wasm: no staging area');
      return v;
    };
    return (segArg, s, red, ls, lred, b) => {
      this.sync();
      if (segArg.length !== seg.length) throw new Error('wasm: a pass called with another segment table');
      this.copyIn(s, ls);
      for (const j of reads) {
        const src = b[j] as FloatArray;
        const dst = view(j);
        if (src.length !== dst.length) throw new Error(`wasm: buffer ${String(j)} has ${String(src.length)} elements, its staging area ${String(dst.length)}`);
        dst.set(src);
      }
      exp(ctlAddress);
      for (const j of writes) (b[j] as FloatArray).set(view(j));
      this.copyOut(pass, red, lred, leafResults);
    };
  }
}
