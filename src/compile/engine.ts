/**
 * The step engine shared by every compiled form: per-step scalars computed between passes,
 * buffer bindings, the choice of backend, and the kernel cache lookup. Internal to the compiler.
 *
 * @module
 */
import { HyperparameterError, StateMismatchError } from '../errors.js';
import type { LeafScalarContext, ScalarContext, Stage } from '../kernel/stage.js';
import type { FloatArray } from '../tree/leaf.js';
import { type KernelEntry, type PassSet, cacheGet, cacheSet, mapPasses } from './cache.js';
import { type PassFn, canEvaluate, emitPass } from './emitJs.js';
import { CompileError } from './error.js';
import { type BufferRef, type LoopPass, lowerPlan } from './lower.js';
import type { Plan, StagePlan } from './plan.js';
import { type MemoryOption, type TreeLayout, type WasmMemoryAllocator, isWasmMemoryAllocator, wasmMemoryAllocator } from './storage.js';
import { requireWasm, wasmSimdAvailable } from './wasm/runtime.js';

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
