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
 * - A chain with members that have no kernel definition compiles in segments (`./host.ts`):
 *   maximal runs of fusable members are fused as above, the others run through their own
 *   `update` between them, on views of the same flat storage; `compiled.segments` says which.
 *
 * @module
 */
import type { GradientTransformation, UpdateExtras } from '../base.js';
import { HyperparameterError, MissingParamsError, StateMismatchError } from '../errors.js';
import type { Stage } from '../kernel/stage.js';
import type { FloatArray } from '../tree/leaf.js';
import { resolveMask } from '../tree/mask.js';
import { type Tree, type TreeLike, assertSameStructure, flatten } from '../tree/tree.js';
import type { PassSet } from './cache.js';
import type { PassFn } from './emitJs.js';
import {
  type Backend,
  type DtypeBuffers,
  type RunRead,
  EMPTY_BUFFERS,
  Engine,
  bindRun,
  chooseBackend,
  compiledObject,
  entryFor,
  exactBackend,
  exactPassFns,
  inputStager,
  lazySource,
  loadParams,
  readStageStates,
  regionViews,
  runPure,
  runSource,
  segmentTables,
  stageLabel,
  stageStatesOf,
  wasmAllocatorOf,
  wasmKernelOf,
  wasmPassFns,
  writeRunState,
} from './engine.js';
import { CompileError } from './error.js';
import { compileMixed, flattenMembers, memberName } from './host.js';
import { type Plan, planKernel } from './plan.js';
import { type FlatTree, type MemoryOption, type Region, type TreeLayout, type WasmMemoryAllocator, allocateFlat, buildTree, freshFlat, layoutOf } from './storage.js';
import { type CompiledKernel, type HostLayout, requireWasm } from './wasm/runtime.js';

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

export type { Backend } from './engine.js';

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
  /**
   * `true`: throw a `CompileError` (`notFusable`) instead of running any chain member on the
   * host, i.e. when the transformation is not fusable as a whole. Default false: members without
   * a kernel definition run through their own `update` between the fused segments.
   */
  readonly requireFusable?: boolean;
}

/**
 * One segment of a compiled chain (nested chains flattened; `members` index that flat list).
 * - `fused`: a maximal run of fusable members, compiled into generated passes;
 * - `host`: one member without a kernel definition, run through its own pure `update` between
 *   the fused segments.
 * @category Compiler
 */
export type CompiledSegment =
  | {
      readonly kind: 'fused';
      readonly members: readonly number[];
      /** Each member's spec `op` (or `transformation`). */
      readonly names: readonly string[];
      /** The stages of the run, by name. */
      readonly stages: readonly string[];
      readonly passCount: number;
      readonly hash: string;
    }
  | { readonly kind: 'host'; readonly members: readonly number[]; readonly names: readonly string[] };

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
   * when read; a host member's state is the value its last `update` returned. Use
   * {@link Compiled.copyState} for a snapshot.
   */
  readonly state: S;
  /** A deep copy of the current state (fresh arrays). */
  copyState(): S;
  /** Loads a state (checked against the params first; nothing is written if it does not fit). */
  setState(state: S): void;
  /**
   * One step in place: `params ← params + update(grads)`, state advanced. A fully fused
   * transformation allocates nothing. `extra` (e.g. `{ value: loss }`) goes to the host members
   * (fused stages read no extra arguments).
   */
  step(extra?: UpdateExtras): void;
  /** `tx.update` compiled: fresh updates and state, inputs untouched. */
  update(updates: P, state: S, params?: P, extra?: UpdateExtras): readonly [P, S];
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
  /**
   * Passes per step: the reduce passes and store pass of every fused segment, plus one per
   * host member.
   */
  readonly passCount: number;
  /**
   * How the chain was compiled: its fused segments and host members, in order (one fused
   * segment when the whole transformation is fusable).
   */
  readonly segments: readonly CompiledSegment[];
  readonly storage: CompiledStorage<P>;
}

// ---------------------------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------------------------

/** The one segment of a fully fusable transformation. */
function fusedSegment(tx: GradientTransformation<unknown>, stages: readonly Stage[], plan: Plan): CompiledSegment {
  let list: readonly GradientTransformation<unknown>[] = [tx];
  try {
    list = flattenMembers(tx).list;
  } catch {
    // a fusable transformation that lists odd members: describe it as one
  }
  return { kind: 'fused', members: list.map((_, i) => i), names: list.map(memberName), stages: stages.map((s, k) => stageLabel(s, k)), passCount: plan.passes.length, hash: plan.hash };
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



/**
 * Compiles a transformation for a params tree: packs the params into flat storage (the input
 * tree is copied, not kept), allocates gradients and state there, and generates the fused
 * passes (or takes them from the kernel cache).
 *
 * A transformation that is not fusable as a whole (a chain with members that have no kernel
 * definition) compiles in segments: nested chains are flattened, maximal runs of fusable
 * members are fused, and each other member runs through its own `update` between them, on
 * views of the same flat storage (see `compiled.segments`, and the host markers in
 * `compiled.source`). `requireFusable: true` makes that a `CompileError` instead.
 *
 * Throws a {@link CompileError} when a kernel breaks the stage contract (or, with
 * `requireFusable`, when something is not fusable), and the usual tree errors when `params` or
 * `options.state` are invalid.
 * @category Compiler
 */
export function compile<S, P extends TreeLike<P>>(tx: GradientTransformation<S>, params: P, options: CompileOptions<S> = {}): Compiled<S, P> {
  if (typeof options !== 'object' || options === null) throw new HyperparameterError('compile', 'options', 'an object', options);
  for (const key of Object.keys(options)) {
    if (!['backend', 'memory', 'state', 'debug', 'requireFusable'].includes(key)) {
      throw new HyperparameterError('compile', key, 'one of the options backend, memory, state, debug, requireFusable', 'an unknown option');
    }
  }
  if (options.requireFusable !== undefined && typeof options.requireFusable !== 'boolean') {
    throw new HyperparameterError('compile', 'requireFusable', 'a boolean', options.requireFusable);
  }
  const fusable = tx.fusable;
  if (fusable === undefined) {
    if (options.requireFusable === true) throw notFusable(tx);
    const members = flattenMembers(tx);
    return compileMixed(tx, params, options, members, chooseBackend(options.backend, options.memory));
  }
  const stages = fusable.stages;
  let backend = chooseBackend(options.backend, options.memory);

  // structure → plan → code
  const tree = params as Tree;
  const layout = layoutOf(tree);
  const actives = stages.map((st) => (st.mask === undefined ? layout.leaves.map(() => true) : resolveMask(st.mask, tree, stageLabel(st, 0))));
  const plan = planKernel(stages, layout.leaves, actives);
  const { entry, hit } = entryFor(plan);
  const segments = segmentTables(plan, layout);

  // the wasm module (cached per structure and kind of memory); 'auto' falls back when it fails
  let wasm: { readonly kernel: CompiledKernel; readonly host: HostLayout; readonly allocator: WasmMemoryAllocator } | undefined;
  let cacheHit = false;
  if (backend === 'wasm') {
    try {
      const api = requireWasm();
      const allocator = (wasmAllocatorOf(options.memory) as () => WasmMemoryAllocator)();
      const k = wasmKernelOf(api, plan, entry, hit, segments, allocator.shared);
      cacheHit = k.cacheHit;
      wasm = { kernel: k.kernel, host: k.host, allocator };
    } catch (e) {
      if (options.backend !== 'auto' || !(e instanceof CompileError)) throw e;
      backend = exactBackend('auto');
    }
  }
  let fns: PassSet<PassFn> | undefined;
  if (wasm === undefined) {
    const exact = exactPassFns(entry, hit, backend as 'js' | 'closure');
    cacheHit = exact.cacheHit;
    fns = exact.fns;
  }
  const kernel = wasm?.kernel;
  const sourceText = lazySource(() => runSource(entry, kernel), options.debug);

  // storage: params, grads, then each stage's slots, in one region (+ the wasm runner's tables)
  const slotNames = plan.stages.map((sp) => sp.slots);
  const slotCount = slotNames.reduce((n, s) => n + s.length, 0);
  const treeCount = 2 + slotCount;
  const { region, trees, extraOffset } = allocateFlat<P>(layout, treeCount, wasm?.allocator ?? options.memory, wasm?.host.bytes ?? 0);
  /** The views, rebuilt when the region's memory grew (its buffer was replaced). */
  const { views, sync } = regionViews<P>(region, layout, treeCount, trees, () => {
    current = flats();
    inPlaceBindings = bindInPlace();
  });
  const flats = (): { readonly p: FlatTree<P>; readonly g: FlatTree<P>; readonly slots: ReadonlyMap<string, FlatTree<P>>[] } => {
    let next = 2;
    return {
      p: views.trees[0] as FlatTree<P>,
      g: views.trees[1] as FlatTree<P>,
      slots: slotNames.map((names) => new Map(names.map((n) => [n, views.trees[next++] as FlatTree<P>]))),
    };
  };
  let current = flats();
  loadParams(tree, current.p);
  const counts = new Float64Array(stages.length);
  const hypers: (Readonly<Record<string, number>> | undefined)[] = stages.map(() => undefined);

  let pureFns: PassSet<PassFn> | undefined;
  if (wasm !== undefined) {
    const w = wasmPassFns(requireWasm(), wasm.kernel, wasm.allocator.memory, extraOffset, wasm.host, segments, entry.loops, layout);
    fns = w.step;
    pureFns = w.pure;
  }
  const stepFns = fns as PassSet<PassFn>;
  const updateFns = pureFns ?? stepFns;
  const engine = new Engine(plan, stages, layout, actives, stepFns, segments);

  // in-place bindings, built once (and again if the memory grows)
  const bindInPlace = (): { readonly reduce: FloatArray[][]; readonly store: FloatArray[] } =>
    bindRun(entry.loops, entry.loops.inPlace, { g: current.g, p: current.p, out: undefined, slots: current.slots });
  let inPlaceBindings = bindInPlace();

  // ---- state in and out ----
  const readState = (state: S, context: string): RunRead => {
    const sts = fusable.toStageStates(state);
    if (!Array.isArray(sts) || sts.length !== stages.length) throw new StateMismatchError(context, `${String(stages.length)} stage states`, sts);
    return readStageStates(sts, stages, slotNames, layout);
  };

  const setState = (state: S): void => {
    sync();
    writeRunState(readState(state, 'compiled.setState'), slotNames, current.slots, counts, hypers);
  };

  const stateOf = (copy: boolean): S => {
    sync();
    return fusable.fromStageStates(stageStatesOf(plan, current.slots, counts, hypers, layout.def, copy));
  };

  setState(options.state ?? tx.init(params));

  // ---- the pure path ----
  const stageG = inputStager(layout);
  const stageP = inputStager(layout);

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
    const g = stageG(uf.leaves.map((l) => l.data));
    const p: DtypeBuffers = pLeaves === undefined ? EMPTY_BUFFERS : stageP(pLeaves);
    const out = freshFlat<P>(layout);
    const newState = fusable.fromStageStates(runPure(engine, plan, entry.loops, updateFns, slotNames, layout, read, g, p, out));
    return [buildTree(uf.def, out.leaves) as P, newState];
  };

  // ---- the in-place step ----
  const step = (): void => {
    sync();
    engine.prepare(counts, hypers, inPlaceBindings.reduce);
    engine.store(stepFns.inPlace, inPlaceBindings.store);
    for (let k = 0; k < counts.length; k++) counts[k] = (counts[k] as number) + 1;
  };

  return compiledObject<S, P>({
    current: () => current,
    sync,
    stateOf,
    setState,
    step,
    update,
    sourceText,
    backend,
    cacheHit,
    hash: plan.hash,
    passCount: plan.passes.length,
    segments: [fusedSegment(tx, stages, plan)],
    region,
    views,
    memory: wasm?.allocator.memory,
    layout,
    slots: () => current.slots,
  });
}
