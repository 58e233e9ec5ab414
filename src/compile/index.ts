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
import type { Stage, StageState } from '../kernel/stage.js';
import type { Dtype, FloatArray } from '../tree/leaf.js';
import { resolveMask } from '../tree/mask.js';
import { type Tree, type TreeDef, type TreeLike, assertSameStructure, flatten } from '../tree/tree.js';
import { type PassSet, mapPasses } from './cache.js';
import { closurePass } from './closure.js';
import { type PassFn, instantiate } from './emitJs.js';
import {
  type Backend,
  type Bindings,
  type DtypeBuffers,
  EMPTY_BUFFERS,
  Engine,
  bind,
  checkCount,
  chooseBackend,
  entryFor,
  exactBackend,
  hasOwn,
  stageLabel,
  wasmAllocatorOf,
} from './engine.js';
import { CompileError } from './error.js';
import { compileMixed, flattenMembers } from './host.js';
import { type Plan, planKernel, segmentTable } from './plan.js';
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
  layoutOf,
  viewRegion,
} from './storage.js';
import { buildKernel } from './wasm/module.js';
import { type CompiledKernel, WasmRunner, compileKernel, hostLayout, requireWasm } from './wasm/runtime.js';

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
  const names = list.map((m) => {
    const op = (m.spec as { readonly op?: unknown } | undefined)?.op;
    return typeof op === 'string' && /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(op) ? op : 'transformation';
  });
  return { kind: 'fused', members: list.map((_, i) => i), names, stages: stages.map((s, k) => stageLabel(s, k)), passCount: plan.passes.length, hash: plan.hash };
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
  let printSource: () => string;
  if (wasm !== undefined) {
    cacheHit = wasmHit;
    const kernel = wasm.kernel.kernel;
    printSource = () => kernel.text;
  } else {
    const b = backend as 'js' | 'closure';
    cacheHit = hit && entry[b] !== undefined;
    fns = entry[b] ?? (b === 'js' ? mapPasses(entry.sources, instantiate) : mapPasses(entry.loops, closurePass));
    entry[b] = fns;
    printSource = () => [...entry.sources.reduce, entry.sources.inPlace, entry.sources.pure].map((c) => c.text).join('\n');
  }
  let source: string | undefined;
  const sourceText = (): string => (source ??= printSource());
  if (options.debug === true) console.log(sourceText());
  else if (typeof options.debug === 'function') options.debug(sourceText());

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
    get source(): string {
      return sourceText();
    },
    backend,
    cacheHit,
    hash: plan.hash,
    passCount: plan.passes.length,
    segments: [fusedSegment(tx, stages, plan)],
    get storage(): CompiledStorage<P> {
      sync();
      const now = views.buffer === region.buffer ? region : { ...region, buffer: views.buffer };
      return { region: now, memory: wasm?.allocator.memory, layout, params: current.p, grads: current.g, slots: current.slots };
    },
  };
}
