/**
 * The step engine shared by every compiled form: per-step scalars computed between passes,
 * buffer bindings, the choice of backend, and the kernel cache lookup; and what the fully
 * fusable path (`./index.ts`) and the mixed path (`./host.ts`) both do with a fused run: its
 * code on a backend, its printed source, its state in and out of the slot buffers, its pure
 * path, the region's views, and the `Compiled` object. Internal to the compiler.
 *
 * @module
 */
import { HyperparameterError, StateMismatchError } from '../errors.js';
import type { LeafScalarContext, ScalarContext, Stage, StageState } from '../kernel/stage.js';
import type { Dtype, FloatArray } from '../tree/leaf.js';
import { type Tree, type TreeDef, assertSameStructure, flatten } from '../tree/tree.js';
import { type KernelEntry, type PassSet, cacheGet, cacheSet, mapPasses } from './cache.js';
import { closurePass } from './closure.js';
import { type PassFn, canEvaluate, emitPass, instantiate } from './emitJs.js';
import { CompileError } from './error.js';
import type { Compiled, CompiledStorage } from './index.js';
import { type BufferRef, type LoopPass, lowerPlan } from './lower.js';
import { type Plan, type StagePlan, segmentTable } from './plan.js';
import {
  type FlatTree,
  type MemoryOption,
  type Region,
  type TreeLayout,
  type WasmMemoryAllocator,
  buildTree,
  flatBacking,
  freshFlat,
  isWasmMemoryAllocator,
  viewRegion,
  wasmMemoryAllocator,
} from './storage.js';
import { buildKernel } from './wasm/module.js';
import { type CompiledKernel, type HostLayout, WasmRunner, compileKernel, hostLayout, requireWasm, wasmSimdAvailable } from './wasm/runtime.js';
import type { WasmApi, WasmMemory } from './wasm/types.js';

/** Which backend runs the passes. */
export type Backend = 'js' | 'closure' | 'wasm';

export const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

export const EMPTY_HYPER: Readonly<Record<string, number>> = Object.freeze({});

export interface MutableScalarContext {
  count: number;
  reductions: Record<string, number>;
  hyper: Readonly<Record<string, number>>;
}

export interface MutableLeafContext extends MutableScalarContext {
  scalars: Readonly<Record<string, number>>;
  leafReductions: Record<string, number>;
  size: number;
}

/** A record with these keys as own properties (safe for any name, `__proto__` included). */
export function recordOf(keys: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of keys) Object.defineProperty(out, k, { value: 0, enumerable: true, writable: true, configurable: true });
  return out;
}

export function stageLabel(stage: Stage, k: number): string {
  return typeof stage.name === 'string' ? stage.name : `stage ${String(k)}`;
}

export function checkCount(stage: Stage, k: number, count: unknown): number {
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) {
    throw new StateMismatchError(stageLabel(stage, k), 'a state with an integer count >= 0', count);
  }
  return count;
}

/** The two dtype buffers of one role. */
export interface DtypeBuffers {
  readonly float32: Float32Array;
  readonly float64: Float64Array;
}

export interface Bindings {
  readonly g: DtypeBuffers;
  readonly p: DtypeBuffers;
  readonly out: DtypeBuffers | undefined;
  readonly slots: readonly ReadonlyMap<string, DtypeBuffers>[];
}

export function bind(pass: LoopPass, bufs: Bindings): FloatArray[] {
  return pass.buffers.map((ref: BufferRef): FloatArray => {
    switch (ref.role) {
      case 'g':
        return bufs.g[ref.dtype];
      case 'p':
        return bufs.p[ref.dtype];
      case 'out': {
        if (bufs.out === undefined) throw new Error('compile: a pure pass bound without an output');
        return bufs.out[ref.dtype];
      }
      case 'slot': {
        const s = bufs.slots[ref.stage]?.get(ref.slot);
        if (s === undefined) throw new Error(`compile: no buffer for slot ${ref.slot} of stage ${String(ref.stage)}`);
        return s[ref.dtype];
      }
      default: {
        const never: never = ref;
        return never;
      }
    }
  });
}

export const EMPTY_BUFFERS: DtypeBuffers = { float32: new Float32Array(0), float64: new Float64Array(0) };

// ---------------------------------------------------------------------------------------------
// the engine: scalars between passes
// ---------------------------------------------------------------------------------------------

/**
 * Runs a step's passes over bound buffers: scalars of the stages without reductions first,
 * then each reduce pass followed by its stage's scalars, then the store pass. Nothing here
 * allocates; the stages' own `scalars` / `leafScalars` return their records.
 */
export class Engine {
  private readonly S: Float64Array;
  private readonly RED: Float64Array;
  private readonly LS: Float64Array;
  private readonly LRED: Float64Array;
  private readonly ctxs: MutableScalarContext[];
  private readonly leafCtxs: MutableLeafContext[];
  private readonly records: Readonly<Record<string, number>>[];
  private readonly activeLeaves: readonly Int32Array[];
  private readonly reduceStages: readonly number[];

  constructor(
    private readonly plan: Plan,
    private readonly stages: readonly Stage[],
    private readonly layout: TreeLayout,
    actives: readonly (readonly boolean[])[],
    private readonly fns: PassSet<PassFn>,
    private readonly segments: { readonly reduce: readonly Int32Array[]; readonly store: Int32Array },
  ) {
    this.S = new Float64Array(plan.scalarCount);
    this.RED = new Float64Array(plan.reductionCount);
    this.LS = new Float64Array(plan.leafCount * plan.leafScalarStride);
    this.LRED = new Float64Array(plan.leafCount * plan.leafReductionStride);
    this.ctxs = plan.stages.map((sp) => ({ count: 0, reductions: recordOf(sp.globalReductions.map((r) => r.name)), hyper: EMPTY_HYPER }));
    this.leafCtxs = plan.stages.map((sp, k) => ({
      count: 0,
      reductions: (this.ctxs[k] as MutableScalarContext).reductions,
      hyper: EMPTY_HYPER,
      scalars: EMPTY_HYPER,
      leafReductions: recordOf(sp.leafReductions.map((r) => r.name)),
      size: 0,
    }));
    this.records = plan.stages.map(() => EMPTY_HYPER);
    this.activeLeaves = actives.map((a) => Int32Array.from(a.flatMap((on, l) => (on ? [l] : []))));
    this.reduceStages = plan.passes.filter((p) => p.kind === 'reduce').map((p) => p.reduceStage as number);
  }

  private scalarValue(rec: Readonly<Record<string, number>>, name: string, k: number, fallback?: Readonly<Record<string, number>>): number {
    const v: unknown = hasOwn(rec, name) ? rec[name] : fallback !== undefined && hasOwn(fallback, name) ? fallback[name] : undefined;
    if (typeof v !== 'number') {
      throw new CompileError('missingScalar', `${stageLabel(this.stages[k] as Stage, k)}: the body reads scalar ${JSON.stringify(name)}, which scalars() did not give as a number`);
    }
    return v;
  }

  private globalScalars(k: number, count: number, hyper: Readonly<Record<string, number>> | undefined): void {
    const sp = this.plan.stages[k] as StagePlan;
    const stage = this.stages[k] as Stage;
    const ctx = this.ctxs[k] as MutableScalarContext;
    ctx.count = count;
    ctx.hyper = hyper ?? EMPTY_HYPER;
    const reds = sp.globalReductions;
    for (let j = 0; j < reds.length; j++) {
      const r = reds[j] as StagePlan['globalReductions'][number];
      ctx.reductions[r.name] = this.RED[r.index] as number;
    }
    const rec = stage.scalars(ctx as ScalarContext);
    if (typeof rec !== 'object' || rec === null) throw new CompileError('missingScalar', `${stageLabel(stage, k)}: scalars() did not return a record`);
    this.records[k] = rec;
    if (sp.hasLeafScalars) return;
    const scalars = sp.scalars;
    for (let j = 0; j < scalars.length; j++) {
      const s = scalars[j] as StagePlan['scalars'][number];
      this.S[s.index] = this.scalarValue(rec, s.name, k);
    }
  }

  private leafScalars(k: number, count: number, hyper: Readonly<Record<string, number>> | undefined): void {
    const sp = this.plan.stages[k] as StagePlan;
    const stage = this.stages[k] as Stage;
    const fn = stage.leafScalars;
    if (fn === undefined) return;
    const ctx = this.leafCtxs[k] as MutableLeafContext;
    const rec = this.records[k] as Readonly<Record<string, number>>;
    ctx.count = count;
    ctx.hyper = hyper ?? EMPTY_HYPER;
    ctx.scalars = rec;
    const leaves = this.activeLeaves[k] as Int32Array;
    const lredStride = this.plan.leafReductionStride;
    const lsStride = this.plan.leafScalarStride;
    for (let j = 0; j < leaves.length; j++) {
      const l = leaves[j] as number;
      for (let r = 0; r < sp.leafReductions.length; r++) {
        const red = sp.leafReductions[r] as StagePlan['leafReductions'][number];
        ctx.leafReductions[red.name] = this.LRED[l * lredStride + red.index] as number;
      }
      ctx.size = (this.layout.leaves[l] as TreeLayout['leaves'][number]).length;
      const lrec = fn(ctx as LeafScalarContext);
      if (typeof lrec !== 'object' || lrec === null) throw new CompileError('missingScalar', `${stageLabel(stage, k)}: leafScalars() did not return a record`);
      for (let q = 0; q < sp.scalars.length; q++) {
        const s = sp.scalars[q] as StagePlan['scalars'][number];
        this.LS[l * lsStride + s.index] = this.scalarValue(lrec, s.name, k, rec);
      }
    }
  }

  /**
   * Everything before the store: all scalars, all reduce passes. May throw; writes nothing the
   * caller can see.
   */
  prepare(
    counts: ArrayLike<number>,
    hypers: readonly (Readonly<Record<string, number>> | undefined)[],
    reduceBuffers: readonly (readonly FloatArray[])[],
    reduceFns: readonly PassFn[] = this.fns.reduce,
  ): void {
    const stages = this.plan.stages;
    for (let k = 0; k < stages.length; k++) {
      const sp = stages[k] as StagePlan;
      if (sp.splits) continue;
      this.globalScalars(k, counts[k] as number, hypers[k]);
      if (sp.hasLeafScalars) this.leafScalars(k, counts[k] as number, hypers[k]);
    }
    for (let j = 0; j < this.reduceStages.length; j++) {
      const fn = reduceFns[j] as PassFn;
      fn(this.segments.reduce[j] as Int32Array, this.S, this.RED, this.LS, this.LRED, reduceBuffers[j] as readonly FloatArray[]);
      const k = this.reduceStages[j] as number;
      this.globalScalars(k, counts[k] as number, hypers[k]);
      if ((stages[k] as StagePlan).hasLeafScalars) this.leafScalars(k, counts[k] as number, hypers[k]);
    }
  }

  /** The store pass (cannot throw). */
  store(fn: PassFn, buffers: readonly FloatArray[]): void {
    fn(this.segments.store, this.S, this.RED, this.LS, this.LRED, buffers);
  }
}


export const BACKENDS = ['auto', 'js', 'closure', 'wasm'] as const;

/** The bit-exact backend that runs here: js where `new Function` works, else closure. */
export function exactBackend(requested: 'js' | 'closure' | 'auto' | undefined): 'js' | 'closure' {
  if (requested === 'closure') return 'closure';
  if (canEvaluate()) return 'js';
  if (requested === 'js') throw new CompileError('backend', "backend 'js' needs new Function, which is forbidden here (Content-Security-Policy without unsafe-eval?); use backend 'closure' or 'auto'");
  return 'closure';
}

/** The WebAssembly memory allocator a memory option asks for, or undefined where it cannot be one. */
export function wasmAllocatorOf(memory: MemoryOption | undefined): (() => WasmMemoryAllocator) | undefined {
  if (memory === undefined || memory === 'arrayBuffer') return () => wasmMemoryAllocator();
  if (memory === 'sharedArrayBuffer') return () => wasmMemoryAllocator({ shared: true });
  if (isWasmMemoryAllocator(memory)) return () => memory;
  return undefined;
}

export function chooseBackend(requested: unknown, memory: MemoryOption | undefined): Backend {
  if (!(BACKENDS as readonly unknown[]).includes(requested) && requested !== undefined) {
    throw new HyperparameterError('compile', 'backend', `one of ${BACKENDS.map((b) => JSON.stringify(b)).join(', ')}`, requested);
  }
  const r = requested as (typeof BACKENDS)[number] | undefined;
  if (r === 'wasm') {
    requireWasm();
    if (wasmAllocatorOf(memory) === undefined) {
      throw new CompileError('storage', "backend 'wasm' computes in a WebAssembly.Memory: give memory 'arrayBuffer', 'sharedArrayBuffer' or wasmMemoryAllocator(...), not another allocator");
    }
    return 'wasm';
  }
  if (r === 'auto' && wasmSimdAvailable() && wasmAllocatorOf(memory) !== undefined) return 'wasm';
  return exactBackend(r);
}

export function entryFor(plan: Plan): { readonly entry: KernelEntry; readonly hit: boolean } {
  const cached = cacheGet(plan.key);
  if (cached !== undefined) return { entry: cached, hit: true };
  const loops = lowerPlan(plan);
  const entry: KernelEntry = { hash: plan.hash, loops, sources: mapPasses(loops, (l) => emitPass(l, plan.hash, plan.passes.length)) };
  cacheSet(plan.key, entry);
  return { entry, hit: false };
}

// ---------------------------------------------------------------------------------------------
// a fused run on a backend: the code of one plan, shared by the fully fusable and the mixed paths
// ---------------------------------------------------------------------------------------------

/** The segment tables of a plan's passes over a layout: the reduce passes', then the store pass's. */
export interface SegmentTables {
  readonly reduce: readonly Int32Array[];
  readonly store: Int32Array;
}

export function segmentTables(plan: Plan, layout: TreeLayout): SegmentTables {
  return {
    reduce: plan.passes.filter((p) => p.kind === 'reduce').map((p) => segmentTable(p, layout)),
    store: segmentTable(plan.passes[plan.passes.length - 1] as Plan['passes'][number], layout),
  };
}

/**
 * The WebAssembly module of a plan (cached in its entry per kind of memory) and the layout of
 * its runner's tables. `cacheHit`: the entry came from the cache and already had the module.
 */
export function wasmKernelOf(
  api: WasmApi,
  plan: Plan,
  entry: KernelEntry,
  hit: boolean,
  tables: SegmentTables,
  shared: boolean,
): { readonly kernel: CompiledKernel; readonly host: HostLayout; readonly cacheHit: boolean } {
  const kind = shared ? 'shared' : 'plain';
  const kernels = (entry.wasm ??= {});
  const cached = kernels[kind];
  const kernel = cached ?? compileKernel(api, buildKernel(entry.loops, plan.hash, plan.passes.length, shared));
  kernels[kind] = kernel;
  const sizes = {
    scalarCount: plan.scalarCount,
    reductionCount: plan.reductionCount,
    leafCount: plan.leafCount,
    leafScalarStride: plan.leafScalarStride,
    leafReductionStride: plan.leafReductionStride,
  };
  return { kernel, host: hostLayout(sizes, tables, entry.loops), cacheHit: hit && cached !== undefined };
}

/** The pass functions of an exact backend (cached in the entry). */
export function exactPassFns(entry: KernelEntry, hit: boolean, b: 'js' | 'closure'): { readonly fns: PassSet<PassFn>; readonly cacheHit: boolean } {
  const cacheHit = hit && entry[b] !== undefined;
  const fns = entry[b] ?? (b === 'js' ? mapPasses(entry.sources, instantiate) : mapPasses(entry.loops, closurePass));
  entry[b] = fns;
  return { fns, cacheHit };
}

/**
 * The pass functions of a wasm module: the step's run over the region's memory (tables at
 * `base`); the pure path stages its arrays through a memory of its own, made on first use
 * (its in-place pass, never called, is the step's).
 */
export function wasmPassFns(
  api: WasmApi,
  kernel: CompiledKernel,
  memory: WasmMemory,
  base: number,
  host: HostLayout,
  tables: SegmentTables,
  loops: PassSet<LoopPass>,
  layout: TreeLayout,
): { readonly step: PassSet<PassFn>; readonly pure: PassSet<PassFn> } {
  const runner = new WasmRunner(api, kernel, memory, base, host, tables, loops, layout);
  let staged: WasmRunner | undefined;
  const pureFn = (pick: (set: PassSet<PassFn>) => PassFn): PassFn => (seg, s, red, ls, lred, b) => {
    staged ??= new WasmRunner(api, kernel, undefined, 0, host, tables, loops, layout);
    pick(staged.fns)(seg, s, red, ls, lred, b);
  };
  return { step: runner.fns, pure: { reduce: loops.reduce.map((_, j) => pureFn((set) => set.reduce[j] as PassFn)), inPlace: runner.fns.inPlace, pure: pureFn((set) => set.pure) } };
}

/** A plan's printed code: the wasm module's text, else every generated pass. */
export function runSource(entry: KernelEntry, kernel: CompiledKernel | undefined): string {
  return kernel !== undefined ? kernel.kernel.text : [...entry.sources.reduce, entry.sources.inPlace, entry.sources.pure].map((c) => c.text).join('\n');
}

/** The source, printed on first read (and at once for `debug`). */
export function lazySource(print: () => string, debug: boolean | ((source: string) => void) | undefined): () => string {
  let source: string | undefined;
  const sourceText = (): string => (source ??= print());
  if (debug === true) console.log(sourceText());
  else if (typeof debug === 'function') debug(sourceText());
  return sourceText;
}

/** A run's reduce and store buffers under one binding. */
export function bindRun(loops: PassSet<LoopPass>, store: LoopPass, b: Bindings): { readonly reduce: FloatArray[][]; readonly store: FloatArray[] } {
  return { reduce: loops.reduce.map((l) => bind(l, b)), store: bind(store, b) };
}

// ---------------------------------------------------------------------------------------------
// flat storage: the region's views, and staging of the pure path's inputs
// ---------------------------------------------------------------------------------------------

/**
 * The views of a region, rebuilt when its memory grew (its buffer was replaced; then `moved`
 * runs). `sync()` before every use: a region whose buffer was detached (a plain buffer of a
 * memory that grew) is an error, never a silent no-op.
 */
export function regionViews<P>(
  region: Region,
  layout: TreeLayout,
  treeCount: number,
  trees: readonly FlatTree<P>[],
  moved: () => void,
): { readonly views: { buffer: ArrayBufferLike; trees: readonly FlatTree<P>[] }; readonly sync: () => void } {
  const views = { buffer: region.buffer, trees };
  const live = region.live;
  const sync = (): void => {
    const now = live === undefined ? region.buffer : live();
    if (now !== views.buffer) {
      views.buffer = now;
      views.trees = viewRegion<P>(layout, treeCount, now, region.byteOffset);
      moved();
    } else if (region.byteLength > 0 && now.byteLength < region.byteOffset + region.byteLength) {
      throw new CompileError('storage', `the flat storage's buffer was detached (${String(now.byteLength)} bytes left; a WebAssembly.Memory that grew after compile?): allocate with wasmMemoryAllocator(...) to follow the memory, or grow it before compiling`);
    }
  };
  return { views, sync };
}

/** Copies the params' leaves into their flat storage. */
export function loadParams(params: Tree, into: FlatTree<unknown>): void {
  const given = flatten(params).leaves;
  into.leaves.forEach((dst, i) => {
    dst.set((given[i] as { readonly data: FloatArray }).data);
  });
}

/**
 * Flat dtype buffers of a leaf list for the pure path: the leaves' own backing where they are
 * one flat buffer, else a scratch buffer (made on first need, then reused) they are copied into.
 */
export function inputStager(layout: TreeLayout): (leaves: readonly FloatArray[]) => DtypeBuffers {
  let scratch: DtypeBuffers | undefined;
  return (leaves) => {
    const own = (scratch ??= { float32: new Float32Array(layout.size.float32), float64: new Float64Array(layout.size.float64) });
    const pick = (dtype: Dtype): FloatArray => {
      const backing = flatBacking(layout, leaves, dtype);
      if (backing !== undefined) return backing;
      const buf = own[dtype];
      for (const l of layout.leaves) if (l.dtype === dtype) buf.set(leaves[l.index] as FloatArray, l.offset);
      return buf;
    };
    return { float32: pick('float32') as Float32Array, float64: pick('float64') as Float64Array };
  };
}

// ---------------------------------------------------------------------------------------------
// a fused run's state: stage states in and out of its slot buffers
// ---------------------------------------------------------------------------------------------

/** What a run reads from a state: per stage, count, hyper and slot leaves (with their tree defs). */
export interface RunRead {
  readonly counts: number[];
  readonly hypers: (Readonly<Record<string, number>> | undefined)[];
  readonly slots: FloatArray[][][];
  readonly defs: TreeDef[][];
}

/** The stage states of a run, checked (counts, slots, their structure against the params). */
export function readStageStates(sts: readonly StageState[], stages: readonly Stage[], slotNames: readonly (readonly string[])[], layout: TreeLayout): RunRead {
  const out: RunRead = { counts: [], hypers: [], slots: [], defs: [] };
  sts.forEach((st, k) => {
    const stage = stages[k] as Stage;
    out.counts.push(checkCount(stage, k, st.count));
    out.hypers.push(st.hyper);
    const leaves: FloatArray[][] = [];
    const defs: TreeDef[] = [];
    for (const name of slotNames[k] as readonly string[]) {
      const tree = hasOwn(st.slots, name) ? st.slots[name] : undefined;
      if (tree === undefined) throw new StateMismatchError(stageLabel(stage, k), `a state with slot ${name}`, st.slots);
      const f = flatten(tree);
      assertSameStructure(layout.def, f.def, `${stageLabel(stage, k)}: state.${name} against params`);
      leaves.push(f.leaves.map((l) => l.data));
      defs.push(f.def);
    }
    out.slots.push(leaves);
    out.defs.push(defs);
  });
  return out;
}

/** Writes a checked state into a run's slot buffers, counts and hypers. */
export function writeRunState(
  read: RunRead,
  slotNames: readonly (readonly string[])[],
  slots: readonly ReadonlyMap<string, FlatTree<unknown>>[],
  counts: Float64Array,
  hypers: (Readonly<Record<string, number>> | undefined)[],
): void {
  slotNames.forEach((names, k) => {
    names.forEach((name, j) => {
      const flat = slots[k]?.get(name) as FlatTree<unknown>;
      (read.slots[k]?.[j] as FloatArray[]).forEach((data, l) => (flat.leaves[l] as FloatArray).set(data));
    });
    counts[k] = read.counts[k] as number;
    hypers[k] = read.hypers[k];
  });
}

/** A run's current stage states: slot trees as live views of its buffers, or copies. */
export function stageStatesOf(
  plan: Plan,
  slots: readonly ReadonlyMap<string, FlatTree<unknown>>[],
  counts: Float64Array,
  hypers: readonly (Readonly<Record<string, number>> | undefined)[],
  def: TreeDef,
  copy: boolean,
): StageState[] {
  return plan.stages.map((sp, k): StageState => {
    const out: Record<string, Tree> = {};
    for (const name of sp.slots) {
      const flat = slots[k]?.get(name) as FlatTree<unknown>;
      out[name] = copy ? buildTree(def, flat.leaves.map((l) => l.slice())) : (flat.tree as Tree);
    }
    const hyper = hypers[k];
    return { count: counts[k] as number, slots: out, ...(hyper === undefined ? {} : { hyper }) };
  });
}

/**
 * A run on the pure path: its checked state copied into fresh slot buffers, its passes run from
 * `g` (and `p`) into `out`; returns its new stage states (count + 1).
 */
export function runPure(
  engine: Engine,
  plan: Plan,
  loops: PassSet<LoopPass>,
  fns: PassSet<PassFn>,
  slotNames: readonly (readonly string[])[],
  layout: TreeLayout,
  read: RunRead,
  g: DtypeBuffers,
  p: DtypeBuffers,
  out: DtypeBuffers,
): StageState[] {
  const outSlots = read.slots.map((perSlot, k) =>
    new Map((slotNames[k] as readonly string[]).map((name, j) => {
      const flat = freshFlat<unknown>(layout);
      (perSlot[j] as FloatArray[]).forEach((data, l) => (flat.leaves[l] as FloatArray).set(data));
      return [name, flat] as const;
    })),
  );
  const bindings: Bindings = { g, p, out, slots: outSlots };
  engine.prepare(read.counts, read.hypers, loops.reduce.map((l) => bind(l, bindings)), fns.reduce);
  engine.store(fns.pure, bind(loops.pure, bindings));
  return plan.stages.map((sp, k): StageState => {
    const slots: Record<string, Tree> = {};
    sp.slots.forEach((name, j) => {
      slots[name] = buildTree(read.defs[k]?.[j] as TreeDef, (outSlots[k]?.get(name) as FlatTree<unknown>).leaves);
    });
    const hyper = read.hypers[k];
    return { count: (read.counts[k] as number) + 1, slots, ...(hyper === undefined ? {} : { hyper }) };
  });
}

// ---------------------------------------------------------------------------------------------
// the Compiled object
// ---------------------------------------------------------------------------------------------

/** What a compiled form gives to {@link compiledObject}: its functions and its description. */
export type CompiledParts<S, P> = Pick<Compiled<S, P>, 'setState' | 'step' | 'update' | 'backend' | 'cacheHit' | 'hash' | 'passCount' | 'segments'> & {
  /** The current params and grads (after `sync`). */
  readonly current: () => { readonly p: FlatTree<P>; readonly g: FlatTree<P> };
  readonly sync: () => void;
  readonly stateOf: (copy: boolean) => S;
  readonly sourceText: () => string;
  readonly region: Region;
  readonly views: { readonly buffer: ArrayBufferLike };
  readonly memory: WasmMemoryAllocator['memory'] | undefined;
  readonly layout: TreeLayout;
  /** Every slot tree (after `sync`), per stage. */
  readonly slots: () => readonly ReadonlyMap<string, FlatTree<P>>[];
};

export function compiledObject<S, P>(c: CompiledParts<S, P>): Compiled<S, P> {
  const { sync, stateOf, sourceText, region, views } = c;
  return {
    get params(): P {
      sync();
      return c.current().p.tree;
    },
    get grads(): P {
      sync();
      return c.current().g.tree;
    },
    get state(): S {
      return stateOf(false);
    },
    copyState: () => stateOf(true),
    setState: c.setState,
    step: c.step,
    update: c.update,
    get source(): string {
      return sourceText();
    },
    backend: c.backend,
    cacheHit: c.cacheHit,
    hash: c.hash,
    passCount: c.passCount,
    segments: c.segments,
    get storage(): CompiledStorage<P> {
      sync();
      const now = views.buffer === region.buffer ? region : { ...region, buffer: views.buffer };
      const current = c.current();
      return { region: now, memory: c.memory, layout: c.layout, params: current.p, grads: current.g, slots: c.slots() };
    },
  };
}
