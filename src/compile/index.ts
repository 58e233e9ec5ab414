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
 *   through closures, for a Content-Security-Policy without `unsafe-eval`; bit-identical), or
 *   `'auto'` (default: `'js'` where `new Function` works).
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
  allocateFlat,
  buildTree,
  flatBacking,
  freshFlat,
  layoutOf,
} from './storage.js';

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
  STORAGE_ALIGNMENT,
  allocateFlat,
  arrayBufferAllocator,
  bufferAllocator,
  copyIntoFlat,
  layoutOf,
  packTree,
  sharedArrayBufferAllocator,
} from './storage.js';

// ---------------------------------------------------------------------------------------------
// types
// ---------------------------------------------------------------------------------------------

/** Which backend runs the passes. */
export type Backend = 'js' | 'closure';

/**
 * Options of {@link compile}.
 * @category Compiler
 */
export interface CompileOptions<S = unknown> {
  /** `'auto'` (default): `'js'` where `new Function` works, else `'closure'`. */
  readonly backend?: 'auto' | Backend;
  /** Where the flat buffers live. Default `'arrayBuffer'`. */
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
  /** Every generated pass, printed (also for the closure backend: the same loop IR). */
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
  prepare(counts: ArrayLike<number>, hypers: readonly (Readonly<Record<string, number>> | undefined)[], reduceBuffers: readonly (readonly FloatArray[])[]): void {
    const stages = this.plan.stages;
    for (let k = 0; k < stages.length; k++) {
      const sp = stages[k] as StagePlan;
      if (sp.splits) continue;
      this.globalScalars(k, counts[k] as number, hypers[k]);
      if (sp.hasLeafScalars) this.leafScalars(k, counts[k] as number, hypers[k]);
    }
    for (let j = 0; j < this.reduceStages.length; j++) {
      const fn = this.fns.reduce[j] as PassFn;
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

const BACKENDS = ['auto', 'js', 'closure'] as const;

function chooseBackend(requested: unknown): Backend {
  if (!(BACKENDS as readonly unknown[]).includes(requested)) {
    throw new HyperparameterError('compile', 'backend', `one of ${BACKENDS.map((b) => JSON.stringify(b)).join(', ')}`, requested);
  }
  if (requested === 'closure') return 'closure';
  if (canEvaluate()) return 'js';
  if (requested === 'js') throw new CompileError('backend', "backend 'js' needs new Function, which is forbidden here (Content-Security-Policy without unsafe-eval?); use backend 'closure' or 'auto'");
  return 'closure';
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
  const backend = chooseBackend(options.backend ?? 'auto');

  // structure → plan → code
  const tree = params as Tree;
  const layout = layoutOf(tree);
  const actives = stages.map((st) => (st.mask === undefined ? layout.leaves.map(() => true) : resolveMask(st.mask, tree, stageLabel(st, 0))));
  const plan = planKernel(stages, layout.leaves, actives);
  const { entry, hit } = entryFor(plan);
  const cacheHit = hit && entry[backend] !== undefined;
  const fns: PassSet<PassFn> = entry[backend] ?? (backend === 'js' ? mapPasses(entry.sources, instantiate) : mapPasses(entry.loops, closurePass));
  entry[backend] = fns;
  const source = [...entry.sources.reduce, entry.sources.inPlace, entry.sources.pure].map((c) => c.text).join('\n');
  if (options.debug === true) console.log(source);
  else if (typeof options.debug === 'function') options.debug(source);

  // storage: params, grads, then each stage's slots, in one region
  const slotNames = plan.stages.map((sp) => sp.slots);
  const slotCount = slotNames.reduce((n, s) => n + s.length, 0);
  const { region, trees } = allocateFlat<P>(layout, 2 + slotCount, options.memory);
  const pFlat = trees[0] as FlatTree<P>;
  const gFlat = trees[1] as FlatTree<P>;
  let next = 2;
  const slotFlats = slotNames.map((names) => new Map(names.map((n) => [n, trees[next++] as FlatTree<P>])));
  const given = flatten(tree).leaves;
  pFlat.leaves.forEach((dst, i) => {
    dst.set((given[i] as { readonly data: FloatArray }).data);
  });
  const counts = new Float64Array(stages.length);
  const hypers: (Readonly<Record<string, number>> | undefined)[] = stages.map(() => undefined);

  const segments = {
    reduce: plan.passes.filter((p) => p.kind === 'reduce').map((p) => segmentTable(p, layout)),
    store: segmentTable(plan.passes[plan.passes.length - 1] as Plan['passes'][number], layout),
  };
  const engine = new Engine(plan, stages, layout, actives, fns, segments);

  // in-place bindings, built once
  const inPlace: Bindings = { g: gFlat, p: pFlat, out: undefined, slots: slotFlats };
  const inPlaceReduce = entry.loops.reduce.map((l) => bind(l, inPlace));
  const inPlaceStore = bind(entry.loops.inPlace, inPlace);

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
    const read = readState(state, 'compiled.setState');
    read.slots.forEach((perSlot, k) => {
      (slotNames[k] as readonly string[]).forEach((name, j) => {
        const flat = slotFlats[k]?.get(name) as FlatTree<P>;
        (perSlot[j] as FloatArray[]).forEach((data, l) => (flat.leaves[l] as FloatArray).set(data));
      });
      counts[k] = read.counts[k] as number;
      hypers[k] = read.hypers[k];
    });
  };

  const stateOf = (copy: boolean): S =>
    fusable.fromStageStates(
      plan.stages.map((sp, k): StageState => {
        const slots: Record<string, Tree> = {};
        for (const name of sp.slots) {
          const flat = slotFlats[k]?.get(name) as FlatTree<P>;
          slots[name] = copy ? buildTree(layout.def, flat.leaves.map((l) => l.slice())) : flat.tree;
        }
        const hyper = hypers[k];
        return { count: counts[k] as number, slots, ...(hyper === undefined ? {} : { hyper }) };
      }),
    );

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
    engine.prepare(read.counts, read.hypers, entry.loops.reduce.map((l) => bind(l, bindings)));
    engine.store(fns.pure, bind(entry.loops.pure, bindings));
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
    engine.prepare(counts, hypers, inPlaceReduce);
    engine.store(fns.inPlace, inPlaceStore);
    for (let k = 0; k < counts.length; k++) counts[k] = (counts[k] as number) + 1;
  };

  return {
    params: pFlat.tree,
    grads: gFlat.tree,
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
    storage: { region, layout, params: pFlat, grads: gFlat, slots: slotFlats },
  };
}
