/**
 * The kernel compiler: a fusable transformation (a chain of kernel stages) and a params tree →
 * fused loops over flat buffers.
 *
 * ```ts
 * const opt = compile(chain(clipByGlobalNorm(1), adamw({ learningRate: 1e-3 })), params);
 * model.forward(opt.params);          // the views: the model reads params from flat storage
 * model.backward(opt.grads);          // ... and writes its gradients into flat storage
 * opt.step();                         // one fused, allocation-free optimizer step, in place
 * ```
 *
 * - `compiled.step()` updates `compiled.params` and the state buffers in place from
 *   `compiled.grads`. It allocates nothing itself (the stages' own `scalars` functions return a
 *   small record per step), and is atomic: every per-step scalar, including those computed
 *   from a reduction, is computed before the only pass that writes.
 * - `compiled.update(updates, state, params)` is `tx.update` compiled: fresh outputs, inputs
 *   untouched, bit for bit the same numbers.
 * - `backend`: `'js'` (generated code through `new Function`), `'closure'` (the same loop IR
 *   through closures, for a Content-Security-Policy without `unsafe-eval`; bit-identical),
 *   `'wasm'` (a WebAssembly SIMD module over a `WebAssembly.Memory`: f32x4 lanes for float32
 *   leaves, f64x2 for float64; within a stated bound of the reference, see `docs/compiler.md`),
 *   or `'auto'` (wasm where SIMD runs, else js, else closure). Left out: js where `new Function`
 *   works, else closure (the bit-exact backends).
 * - Masks are resolved once, at compile time, against the params given to `compile`.
 *
 * @module
 */
import type { GradientTransformation } from '../base.js';
import { HyperparameterError, MissingParamsError, StateMismatchError } from '../errors.js';
import type { LeafScalarContext, ScalarContext, Stage, StageState } from '../kernel/stage.js';
import type { Dtype, FloatArray } from '../tree/leaf.js';
import { resolveMask } from '../tree/mask.js';
import { type Tree, type TreeDef, type TreeLike, assertSameStructure, flatten } from '../tree/tree.js';
import { type KernelEntry, type PassSet, cacheGet, cacheSet, mapPasses } from './cache.js';
import { closurePass } from './closure.js';
import { type PassFn, canEvaluate, emitPass, instantiate } from './emitJs.js';
import { CompileError } from './error.js';
import { type BufferRef, type LoopPass, lowerPlan } from './lower.js';
import { type Plan, type StagePlan, planKernel, segmentTable } from './plan.js';
import {
  type FlatTree,
  type MemoryOption,
  type Region,
  type TreeLayout,
  type WasmMemoryAllocator,
  allocateFlat,
  buildTree,
  flatBacking,
  freshFlat,
  isWasmMemoryAllocator,
  layoutOf,
  viewRegion,
  wasmMemoryAllocator,
} from './storage.js';
import { buildKernel } from './wasm/module.js';
import { type CompiledKernel, WasmRunner, compileKernel, hostLayout, requireWasm, wasmSimdAvailable } from './wasm/runtime.js';

export { CompileError, type CompileErrorReason } from './error.js';
export { canEvaluate } from './emitJs.js';
export { clearKernelCache, kernelCacheSize } from './cache.js';
export {
  type Allocator,
  type BufferAllocatorOptions,
  type FlatTree,
  type LeafLayout,
  type MemoryOption,
  type Region,
  type TreeLayout,
  type WasmMemoryAllocator,
  type WasmMemoryAllocatorOptions,
  STORAGE_ALIGNMENT,
  allocateFlat,
  arrayBufferAllocator,
  bufferAllocator,
  copyIntoFlat,
  layoutOf,
  packTree,
  sharedArrayBufferAllocator,
  wasmMemoryAllocator,
} from './storage.js';
export { wasmSimdAvailable } from './wasm/runtime.js';
export type { WasmMemory } from './wasm/types.js';

// ---------------------------------------------------------------------------------------------
// types
// ---------------------------------------------------------------------------------------------

/** Which backend runs the passes. */
export type Backend = 'js' | 'closure' | 'wasm';

/**
 * Options of {@link compile}.
 * @category Compiler
 */
export interface CompileOptions<S = unknown> {
  /**
   * `'js'`, `'closure'`, `'wasm'`, or `'auto'`: `'wasm'` where WebAssembly with SIMD runs (and
   * `memory` can be a `WebAssembly.Memory`), else `'js'` where `new Function` works, else
   * `'closure'`. Left out: `'js'` where `new Function` works, else `'closure'` (the backends that
   * give the reference's numbers bit for bit).
   */
  readonly backend?: 'auto' | Backend;
  /**
   * Where the flat buffers live. Default `'arrayBuffer'`. The wasm backend computes in a
   * `WebAssembly.Memory`: `'arrayBuffer'` (or nothing) gives it a new memory, `'sharedArrayBuffer'`
   * a new shared memory, and a {@link wasmMemoryAllocator} a place in the caller's memory; any
   * other allocator is a `CompileError` for `'wasm'` (and makes `'auto'` choose js).
   */
  readonly memory?: MemoryOption;
  /** A state to start from (packed into the state buffers). Default `tx.init(params)`. */
  readonly state?: S;
  /** `true` logs the generated source once (console.log); a function receives it instead. */
  readonly debug?: boolean | ((source: string) => void);
}

/** The flat storage of a compiled optimizer. */
export interface CompiledStorage<P> {
  /** The region all buffers live in (one allocation). */
  readonly region: Region;
  /** The `WebAssembly.Memory` of the wasm backend (undefined for the others). */
  readonly memory: WasmMemoryAllocator['memory'] | undefined;
  readonly layout: TreeLayout;
  readonly params: FlatTree<P>;
  readonly grads: FlatTree<P>;
  /** Per stage, per slot name. */
  readonly slots: readonly ReadonlyMap<string, FlatTree<P>>[];
}

/**
 * A compiled optimizer over flat storage.
 * @category Compiler
 */
export interface Compiled<S, P = Tree> {
  /** The params, as views into flat storage (same structure and leaf forms as given). */
  readonly params: P;
  /** The gradients to step with, as views into flat storage: write them, then `step()`. */
  readonly grads: P;
  /**
   * The current state, a value of the transformation's own state type whose slot trees are
   * live views into the state buffers (they change with the next step); `count` is the value
   * when read. Use {@link Compiled.copyState} for a snapshot.
   */
  readonly state: S;
  /** A deep copy of the current state (fresh arrays). */
  copyState(): S;
  /** Loads a state (checked against the params first; nothing is written if it does not fit). */
  setState(state: S): void;
  /** One step in place: `params ← params + update(grads)`, state advanced. Allocates nothing. */
  step(): void;
  /** `tx.update` compiled: fresh updates and state, inputs untouched. */
  update(updates: P, state: S, params?: P): readonly [P, S];
  /**
   * Every generated pass, printed (also for the closure backend: the same loop IR); for the wasm
   * backend, the text form (WAT) of the module.
   */
  readonly source: string;
  readonly backend: Backend;
  /** True when the generated code came from the kernel cache. */
  readonly cacheHit: boolean;
  /** The structural hash (in every pass's `sourceURL`). */
  readonly hash: string;
  /** Passes per step (reduce passes + the store pass). */
  readonly passCount: number;
  readonly storage: CompiledStorage<P>;
}

// ---------------------------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------------------------

const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

const EMPTY_HYPER: Readonly<Record<string, number>> = Object.freeze({});

interface MutableScalarContext {
  count: number;
  reductions: Record<string, number>;
  hyper: Readonly<Record<string, number>>;
}

interface MutableLeafContext extends MutableScalarContext {
  scalars: Readonly<Record<string, number>>;
  leafReductions: Record<string, number>;
  size: number;
}

/** A record with these keys as own properties (safe for any name, `__proto__` included). */
function recordOf(keys: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of keys) Object.defineProperty(out, k, { value: 0, enumerable: true, writable: true, configurable: true });
  return out;
}

function stageLabel(stage: Stage, k: number): string {
  return typeof stage.name === 'string' ? stage.name : `stage ${String(k)}`;
}

function notFusable(tx: unknown): CompileError {
  const members = typeof tx === 'object' && tx !== null ? (tx as { readonly members?: unknown }).members : undefined;
  if (Array.isArray(members)) {
    const i = members.findIndex((m) => typeof m !== 'object' || m === null || (m as { readonly fusable?: unknown }).fusable === undefined);
    if (i >= 0) {
      return new CompileError('notFusable', `member ${String(i)} of the chain is not fusable (it has no kernel definition); only transformations built with defineTransform, and chains of them, compile`);
    }
  }
  return new CompileError(
    'notFusable',
    'the transformation is not fusable: it, or a member of its chain, has no kernel definition (`fusable`); only transformations built with defineTransform, and chains of them, compile',
  );
}

function checkCount(stage: Stage, k: number, count: unknown): number {
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) {
    throw new StateMismatchError(stageLabel(stage, k), 'a state with an integer count >= 0', count);
  }
  return count;
}

/** The two dtype buffers of one role. */
interface DtypeBuffers {
  readonly float32: Float32Array;
  readonly float64: Float64Array;
}

interface Bindings {
  readonly g: DtypeBuffers;
  readonly p: DtypeBuffers;
  readonly out: DtypeBuffers | undefined;
  readonly slots: readonly ReadonlyMap<string, DtypeBuffers>[];
}

function bind(pass: LoopPass, bufs: Bindings): FloatArray[] {
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

const EMPTY_BUFFERS: DtypeBuffers = { float32: new Float32Array(0), float64: new Float64Array(0) };

// ---------------------------------------------------------------------------------------------
// the engine: scalars between passes
// ---------------------------------------------------------------------------------------------

/**
 * Runs a step's passes over bound buffers: scalars of the stages without reductions first,
 * then each reduce pass followed by its stage's scalars, then the store pass. Nothing here
 * allocates; the stages' own `scalars` / `leafScalars` return their records.
 */
class Engine {
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

// ---------------------------------------------------------------------------------------------
// compile
// ---------------------------------------------------------------------------------------------

const BACKENDS = ['auto', 'js', 'closure', 'wasm'] as const;

/** The bit-exact backend that runs here: js where `new Function` works, else closure. */
function exactBackend(requested: 'js' | 'closure' | 'auto' | undefined): 'js' | 'closure' {
  if (requested === 'closure') return 'closure';
  if (canEvaluate()) return 'js';
  if (requested === 'js') throw new CompileError('backend', "backend 'js' needs new Function, which is forbidden here (Content-Security-Policy without unsafe-eval?); use backend 'closure' or 'auto'");
  return 'closure';
}

/** The WebAssembly memory allocator a memory option asks for, or undefined where it cannot be one. */
function wasmAllocatorOf(memory: MemoryOption | undefined): (() => WasmMemoryAllocator) | undefined {
  if (memory === undefined || memory === 'arrayBuffer') return () => wasmMemoryAllocator();
  if (memory === 'sharedArrayBuffer') return () => wasmMemoryAllocator({ shared: true });
  if (isWasmMemoryAllocator(memory)) return () => memory;
  return undefined;
}

function chooseBackend(requested: unknown, memory: MemoryOption | undefined): Backend {
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

function entryFor(plan: Plan): { readonly entry: KernelEntry; readonly hit: boolean } {
  const cached = cacheGet(plan.key);
  if (cached !== undefined) return { entry: cached, hit: true };
  const loops = lowerPlan(plan);
  const entry: KernelEntry = { hash: plan.hash, loops, sources: mapPasses(loops, (l) => emitPass(l, plan.hash, plan.passes.length)) };
  cacheSet(plan.key, entry);
  return { entry, hit: false };
}

/**
 * Compiles a fusable transformation for a params tree: packs the params into flat storage
 * (the input tree is copied, not kept), allocates gradients and state there, and generates the
 * fused passes (or takes them from the kernel cache).
 *
 * Throws a {@link CompileError} when the transformation is not fusable or a kernel breaks the
 * stage contract, and the usual tree errors when `params` or `options.state` are invalid.
 * @category Compiler
 */
export function compile<S, P extends TreeLike<P>>(tx: GradientTransformation<S>, params: P, options: CompileOptions<S> = {}): Compiled<S, P> {
  if (typeof options !== 'object' || options === null) throw new HyperparameterError('compile', 'options', 'an object', options);
  for (const key of Object.keys(options)) {
    if (!['backend', 'memory', 'state', 'debug'].includes(key)) {
      throw new HyperparameterError('compile', key, 'one of the options backend, memory, state, debug', 'an unknown option');
    }
  }
  const fusable = tx.fusable;
  if (fusable === undefined) throw notFusable(tx);
  const stages = fusable.stages;
  let backend = chooseBackend(options.backend, options.memory);

  // structure → plan → code
  const tree = params as Tree;
  const layout = layoutOf(tree);
  const actives = stages.map((st) => (st.mask === undefined ? layout.leaves.map(() => true) : resolveMask(st.mask, tree, stageLabel(st, 0))));
  const plan = planKernel(stages, layout.leaves, actives);
  const { entry, hit } = entryFor(plan);
  const segments = {
    reduce: plan.passes.filter((p) => p.kind === 'reduce').map((p) => segmentTable(p, layout)),
    store: segmentTable(plan.passes[plan.passes.length - 1] as Plan['passes'][number], layout),
  };

  // the wasm module (cached per structure and kind of memory); 'auto' falls back when it fails
  let wasm: { readonly kernel: CompiledKernel; readonly allocator: WasmMemoryAllocator } | undefined;
  let wasmHit = false;
  if (backend === 'wasm') {
    try {
      const api = requireWasm();
      const allocator = (wasmAllocatorOf(options.memory) as () => WasmMemoryAllocator)();
      const kind = allocator.shared ? 'shared' : 'plain';
      const kernels = (entry.wasm ??= {});
      const cached = kernels[kind];
      wasmHit = hit && cached !== undefined;
      const kernel = cached ?? compileKernel(api, buildKernel(entry.loops, plan.hash, plan.passes.length, allocator.shared));
      kernels[kind] = kernel;
      wasm = { kernel, allocator };
    } catch (e) {
      if (options.backend !== 'auto' || !(e instanceof CompileError)) throw e;
      backend = exactBackend('auto');
    }
  }
  let cacheHit: boolean;
  let fns: PassSet<PassFn> | undefined;
  let source: string;
  if (wasm !== undefined) {
    cacheHit = wasmHit;
    source = wasm.kernel.kernel.text;
  } else {
    const b = backend as 'js' | 'closure';
    cacheHit = hit && entry[b] !== undefined;
    fns = entry[b] ?? (b === 'js' ? mapPasses(entry.sources, instantiate) : mapPasses(entry.loops, closurePass));
    entry[b] = fns;
    source = [...entry.sources.reduce, entry.sources.inPlace, entry.sources.pure].map((c) => c.text).join('\n');
  }
  if (options.debug === true) console.log(source);
  else if (typeof options.debug === 'function') options.debug(source);

  // storage: params, grads, then each stage's slots, in one region (+ the wasm runner's tables)
  const slotNames = plan.stages.map((sp) => sp.slots);
  const slotCount = slotNames.reduce((n, s) => n + s.length, 0);
  const treeCount = 2 + slotCount;
  const sizes = {
    scalarCount: plan.scalarCount,
    reductionCount: plan.reductionCount,
    leafCount: plan.leafCount,
    leafScalarStride: plan.leafScalarStride,
    leafReductionStride: plan.leafReductionStride,
  };
  const host = wasm === undefined ? undefined : hostLayout(sizes, segments, entry.loops);
  const { region, trees, extraOffset } = allocateFlat<P>(layout, treeCount, wasm?.allocator ?? options.memory, host?.bytes ?? 0);
  /** The views, rebuilt when the region's memory grew (its buffer was replaced). */
  const views = { buffer: region.buffer, trees };
  const flats = (): { readonly p: FlatTree<P>; readonly g: FlatTree<P>; readonly slots: ReadonlyMap<string, FlatTree<P>>[] } => {
    let next = 2;
    return {
      p: views.trees[0] as FlatTree<P>,
      g: views.trees[1] as FlatTree<P>,
      slots: slotNames.map((names) => new Map(names.map((n) => [n, views.trees[next++] as FlatTree<P>]))),
    };
  };
  let current = flats();
  const given = flatten(tree).leaves;
  current.p.leaves.forEach((dst, i) => {
    dst.set((given[i] as { readonly data: FloatArray }).data);
  });
  const counts = new Float64Array(stages.length);
  const hypers: (Readonly<Record<string, number>> | undefined)[] = stages.map(() => undefined);

  let pureFns: PassSet<PassFn> | undefined;
  if (wasm !== undefined) {
    const api = requireWasm();
    const runner = new WasmRunner(api, wasm.kernel, wasm.allocator.memory, extraOffset, host as NonNullable<typeof host>, segments, entry.loops, layout);
    fns = runner.fns;
    const kernel = wasm.kernel;
    let pureRunner: WasmRunner | undefined;
    const pureFn = (pick: (set: PassSet<PassFn>) => PassFn): PassFn => (seg, s, red, ls, lred, b) => {
      // The pure path stages its arrays through a memory of its own, made on first use.
      pureRunner ??= new WasmRunner(api, kernel, undefined, 0, host as NonNullable<typeof host>, segments, entry.loops, layout);
      pick(pureRunner.fns)(seg, s, red, ls, lred, b);
    };
    pureFns = { reduce: entry.loops.reduce.map((_, j) => pureFn((set) => set.reduce[j] as PassFn)), inPlace: fns.inPlace, pure: pureFn((set) => set.pure) };
  }
  const stepFns = fns as PassSet<PassFn>;
  const updateFns = pureFns ?? stepFns;
  const engine = new Engine(plan, stages, layout, actives, stepFns, segments);

  // in-place bindings, built once (and again if the memory grows)
  const bindInPlace = (): { readonly reduce: FloatArray[][]; readonly store: FloatArray[] } => {
    const inPlace: Bindings = { g: current.g, p: current.p, out: undefined, slots: current.slots };
    return { reduce: entry.loops.reduce.map((l) => bind(l, inPlace)), store: bind(entry.loops.inPlace, inPlace) };
  };
  let inPlaceBindings = bindInPlace();

  /**
   * Before every use: a region whose memory grew is viewed again; one whose buffer was detached
   * (a plain buffer of a memory that grew) is an error, never a silent no-op.
   */
  const live = region.live;
  const sync = (): void => {
    const now = live === undefined ? region.buffer : live();
    if (now !== views.buffer) {
      views.buffer = now;
      views.trees = viewRegion<P>(layout, treeCount, now, region.byteOffset);
      current = flats();
      inPlaceBindings = bindInPlace();
    } else if (region.byteLength > 0 && now.byteLength < region.byteOffset + region.byteLength) {
      throw new CompileError('storage', `the flat storage's buffer was detached (${String(now.byteLength)} bytes left; a WebAssembly.Memory that grew after compile?): allocate with wasmMemoryAllocator(...) to follow the memory, or grow it before compiling`);
    }
  };

  // ---- state in and out ----
  const readState = (state: S, context: string): { readonly counts: number[]; readonly hypers: (Readonly<Record<string, number>> | undefined)[]; readonly slots: FloatArray[][][]; readonly defs: TreeDef[][] } => {
    const sts = fusable.toStageStates(state);
    if (!Array.isArray(sts) || sts.length !== stages.length) throw new StateMismatchError(context, `${String(stages.length)} stage states`, sts);
    const outCounts: number[] = [];
    const outHypers: (Readonly<Record<string, number>> | undefined)[] = [];
    const slots: FloatArray[][][] = [];
    const defs: TreeDef[][] = [];
    sts.forEach((st: StageState, k) => {
      const stage = stages[k] as Stage;
      outCounts.push(checkCount(stage, k, st.count));
      outHypers.push(st.hyper);
      const leaves: FloatArray[][] = [];
      const ds: TreeDef[] = [];
      for (const name of slotNames[k] as readonly string[]) {
        const tree = hasOwn(st.slots, name) ? st.slots[name] : undefined;
        if (tree === undefined) throw new StateMismatchError(stageLabel(stage, k), `a state with slot ${name}`, st.slots);
        const f = flatten(tree);
        assertSameStructure(layout.def, f.def, `${stageLabel(stage, k)}: state.${name} against params`);
        leaves.push(f.leaves.map((l) => l.data));
        ds.push(f.def);
      }
      slots.push(leaves);
      defs.push(ds);
    });
    return { counts: outCounts, hypers: outHypers, slots, defs };
  };

  const setState = (state: S): void => {
    sync();
    const read = readState(state, 'compiled.setState');
    read.slots.forEach((perSlot, k) => {
      (slotNames[k] as readonly string[]).forEach((name, j) => {
        const flat = current.slots[k]?.get(name) as FlatTree<P>;
        (perSlot[j] as FloatArray[]).forEach((data, l) => (flat.leaves[l] as FloatArray).set(data));
      });
      counts[k] = read.counts[k] as number;
      hypers[k] = read.hypers[k];
    });
  };

  const stateOf = (copy: boolean): S => {
    sync();
    return fusable.fromStageStates(
      plan.stages.map((sp, k): StageState => {
        const slots: Record<string, Tree> = {};
        for (const name of sp.slots) {
          const flat = current.slots[k]?.get(name) as FlatTree<P>;
          slots[name] = copy ? buildTree(layout.def, flat.leaves.map((l) => l.slice())) : flat.tree;
        }
        const hyper = hypers[k];
        return { count: counts[k] as number, slots, ...(hyper === undefined ? {} : { hyper }) };
      }),
    );
  };

  setState(options.state ?? tx.init(params));

  // ---- the pure path ----
  let scratchG: DtypeBuffers | undefined;
  let scratchP: DtypeBuffers | undefined;
  const inputBuffers = (leaves: readonly FloatArray[], scratch: DtypeBuffers | undefined): { readonly bufs: DtypeBuffers; readonly scratch: DtypeBuffers } => {
    const own = scratch ?? { float32: new Float32Array(layout.size.float32), float64: new Float64Array(layout.size.float64) };
    const pick = (dtype: Dtype): FloatArray => {
      const backing = flatBacking(layout, leaves, dtype);
      if (backing !== undefined) return backing;
      const buf = own[dtype];
      for (const l of layout.leaves) if (l.dtype === dtype) buf.set(leaves[l.index] as FloatArray, l.offset);
      return buf;
    };
    return { bufs: { float32: pick('float32') as Float32Array, float64: pick('float64') as Float64Array }, scratch: own };
  };

  const update = (updates: P, state: S, paramsIn?: P): readonly [P, S] => {
    sync();
    const read = readState(state, 'compiled.update');
    const uf = flatten(updates as Tree);
    assertSameStructure(layout.def, uf.def, 'compiled.update: updates against params');
    let pLeaves: FloatArray[] | undefined;
    if (plan.readsParam) {
      if (paramsIn === undefined) {
        const k = plan.stages.findIndex((sp) => sp.readsParam);
        throw new MissingParamsError(stageLabel(stages[k] as Stage, k));
      }
      const pf = flatten(paramsIn as Tree);
      assertSameStructure(layout.def, pf.def, 'compiled.update: params against the compiled params');
      pLeaves = pf.leaves.map((l) => l.data);
    }
    // Everything is checked: from here on only fresh or scratch memory is written.
    const g = inputBuffers(uf.leaves.map((l) => l.data), scratchG);
    scratchG = g.scratch;
    let p: DtypeBuffers = EMPTY_BUFFERS;
    if (pLeaves !== undefined) {
      const pb = inputBuffers(pLeaves, scratchP);
      scratchP = pb.scratch;
      p = pb.bufs;
    }
    const outSlots = read.slots.map((perSlot, k) =>
      new Map((slotNames[k] as readonly string[]).map((name, j) => {
        const flat = freshFlat<P>(layout);
        (perSlot[j] as FloatArray[]).forEach((data, l) => (flat.leaves[l] as FloatArray).set(data));
        return [name, flat] as const;
      })),
    );
    const out = freshFlat<P>(layout);
    const bindings: Bindings = { g: g.bufs, p, out, slots: outSlots };
    engine.prepare(read.counts, read.hypers, entry.loops.reduce.map((l) => bind(l, bindings)), updateFns.reduce);
    engine.store(updateFns.pure, bind(entry.loops.pure, bindings));
    const newState = fusable.fromStageStates(
      plan.stages.map((sp, k): StageState => {
        const slots: Record<string, Tree> = {};
        sp.slots.forEach((name, j) => {
          slots[name] = buildTree(read.defs[k]?.[j] as TreeDef, (outSlots[k]?.get(name) as FlatTree<P>).leaves);
        });
        const hyper = read.hypers[k];
        return { count: (read.counts[k] as number) + 1, slots, ...(hyper === undefined ? {} : { hyper }) };
      }),
    );
    return [buildTree(uf.def, out.leaves) as P, newState];
  };

  // ---- the in-place step ----
  const step = (): void => {
    sync();
    engine.prepare(counts, hypers, inPlaceBindings.reduce);
    engine.store(stepFns.inPlace, inPlaceBindings.store);
    for (let k = 0; k < counts.length; k++) counts[k] = (counts[k] as number) + 1;
  };

  return {
    get params(): P {
      sync();
      return current.p.tree;
    },
    get grads(): P {
      sync();
      return current.g.tree;
    },
    get state(): S {
      return stateOf(false);
    },
    copyState: () => stateOf(true),
    setState,
    step,
    update,
    source,
    backend,
    cacheHit,
    hash: plan.hash,
    passCount: plan.passes.length,
    get storage(): CompiledStorage<P> {
      sync();
      const now = views.buffer === region.buffer ? region : { ...region, buffer: views.buffer };
      return { region: now, memory: wasm?.allocator.memory, layout, params: current.p, grads: current.g, slots: current.slots };
    },
  };
}
