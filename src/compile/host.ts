/**
 * Mixed chains: a chain whose members are not all fusable compiles as **segments**.
 *
 * - Nested chains are flattened first; the flat member list is then split into maximal runs of
 *   fusable members (each run planned, lowered and cached exactly as a fully fusable chain, on
 *   every backend) and single **host** members, which run through their own pure `update`.
 * - Updates flow between segments through flat buffers in the same region as the params, the
 *   gradients and the state (two ping-pong buffers): a fused run reads its input buffer and
 *   writes its output buffer; a host member is handed views of its input buffer as a tree, and
 *   its (fresh) result is copied into the next buffer. The last fused run of a chain that ends
 *   with one adds into the params in its own store pass; after a host member that ends the
 *   chain, the params are updated by one flat loop.
 * - A step is atomic: a fused run that is followed by anything else first copies its state
 *   buffers to a backup (allocated once, at compile time); when a later member throws, the
 *   backups are restored and the host members' new states dropped, so params and state are as
 *   they were. A fused run at the end of the chain needs no backup.
 * - State: the transformation's own state type. Fused members' slot trees are live views of
 *   the state buffers; a host member's state is the object its `update` returned (kept, never
 *   mutated; `copyState` deep-copies it, `setState` copies it in; the member's own `update`
 *   checks it, at the next step, which then throws and changes nothing).
 *
 * The numbers are the reference's: every fused run computes what its members' stages compute,
 * rounding the outgoing update to the leaf's dtype as the interpreter stores it, and a host
 * member runs its own `update`.
 *
 * @module
 */
import type { Fusable, GradientTransformation, UpdateExtras } from '../base.js';
import { HyperparameterError, MissingParamsError, StateMismatchError } from '../errors.js';
import type { Stage, StageState } from '../kernel/stage.js';
import type { FloatArray } from '../tree/leaf.js';
import { resolveMask } from '../tree/mask.js';
import { type Tree, type TreeLike, assertSameStructure, flatten } from '../tree/tree.js';
import type { KernelEntry, PassSet } from './cache.js';
import type { PassFn } from './emitJs.js';
import {
  type Backend,
  type Bindings,
  type DtypeBuffers,
  type RunRead,
  type SegmentTables,
  EMPTY_BUFFERS,
  Engine,
  bindRun,
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
import type { CompileOptions, Compiled, CompiledSegment } from './index.js';
import { type Plan, hashKey, planKernel } from './plan.js';
import {
  type FlatTree,
  STORAGE_ALIGNMENT,
  type TreeLayout,
  type WasmMemoryAllocator,
  allocateFlat,
  buildTree,
  copyIntoFlat,
  freshFlat,
  layoutOf,
  viewFlat,
} from './storage.js';
import { type CompiledKernel, type HostLayout, requireWasm } from './wasm/runtime.js';

type AnyTransformation = GradientTransformation<unknown>;

// ---------------------------------------------------------------------------------------------
// members: nested chains flattened
// ---------------------------------------------------------------------------------------------

/** Where a member sits in the (possibly nested) chain. */
type MemberNode = { readonly kind: 'member'; readonly index: number } | { readonly kind: 'chain'; readonly children: readonly MemberNode[] };

/** A transformation's members, nested chains flattened, and how its state splits into theirs. */
export interface Members {
  readonly list: readonly AnyTransformation[];
  readonly root: MemberNode;
}

/**
 * The members of a chain: a transformation that lists its `members` (what `chain` returns, kept
 * by an optimizer that attaches its own spec to a chain) is their chain, its state the array of
 * their states.
 */
function chainMembers(tx: unknown): readonly unknown[] | undefined {
  if (typeof tx !== 'object' || tx === null) return undefined;
  const members = (tx as { readonly members?: unknown }).members;
  return Array.isArray(members) ? (members as readonly unknown[]) : undefined;
}

/** Flattens nested chains into one member list (a transformation that is not a chain is one member). */
export function flattenMembers(tx: unknown): Members {
  const list: AnyTransformation[] = [];
  const walk = (t: unknown): MemberNode => {
    const ms = chainMembers(t);
    if (ms !== undefined) return { kind: 'chain', children: ms.map(walk) };
    if (typeof t !== 'object' || t === null || typeof (t as { readonly update?: unknown }).update !== 'function' || typeof (t as { readonly init?: unknown }).init !== 'function') {
      throw new HyperparameterError('compile', `member ${String(list.length)}`, 'a gradient transformation { init, update }', t);
    }
    list.push(t as AnyTransformation);
    return { kind: 'member', index: list.length - 1 };
  };
  return { list, root: walk(tx) };
}

/** One state per flat member, checked as `chain` checks it. */
function splitState(members: Members, state: unknown): unknown[] {
  const out: unknown[] = new Array<unknown>(members.list.length);
  const walk = (node: MemberNode, s: unknown): void => {
    if (node.kind === 'member') {
      out[node.index] = s;
      return;
    }
    if (!Array.isArray(s) || s.length !== node.children.length) throw new StateMismatchError('chain', `an array of ${String(node.children.length)} member states`, s);
    node.children.forEach((c, i) => {
      walk(c, (s as readonly unknown[])[i]);
    });
  };
  walk(members.root, state);
  return out;
}

/** The transformation's state from its members' states. */
function joinState(members: Members, states: readonly unknown[]): unknown {
  const walk = (node: MemberNode): unknown => (node.kind === 'member' ? states[node.index] : node.children.map(walk));
  return walk(members.root);
}

/** A deep copy of plain data (typed arrays, arrays, plain records); anything else is kept. */
export function copyData(value: unknown): unknown {
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return (value as unknown as FloatArray).slice();
  if (Array.isArray(value)) return value.map(copyData);
  if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value)) {
      Object.defineProperty(out, k, { value: copyData((value as Record<string, unknown>)[k]), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return value;
}

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** A member's printable name: its spec's `op` when that is an identifier. */
export function memberName(tx: AnyTransformation): string {
  const op = (tx.spec as { readonly op?: unknown } | undefined)?.op;
  return typeof op === 'string' && IDENT.test(op) ? op : 'transformation';
}

/** The runs: maximal runs of fusable members, and host members. */
type Part =
  | { readonly kind: 'fused'; readonly members: readonly number[]; readonly fusables: readonly Fusable<unknown>[]; readonly stageCounts: readonly number[]; readonly stages: readonly Stage[] }
  | { readonly kind: 'host'; readonly member: number; readonly tx: AnyTransformation };

function partsOf(members: Members): Part[] {
  const parts: Part[] = [];
  let run: { members: number[]; fusables: Fusable<unknown>[] } | undefined;
  const close = (): void => {
    if (run === undefined) return;
    const fusables = run.fusables;
    parts.push({ kind: 'fused', members: run.members, fusables, stageCounts: fusables.map((f) => f.stages.length), stages: fusables.flatMap((f) => f.stages) });
    run = undefined;
  };
  members.list.forEach((tx, i) => {
    const f = tx.fusable;
    if (f === undefined) {
      close();
      parts.push({ kind: 'host', member: i, tx });
      return;
    }
    run ??= { members: [], fusables: [] };
    run.members.push(i);
    run.fusables.push(f);
  });
  close();
  return parts;
}

// ---------------------------------------------------------------------------------------------
// fused runs
// ---------------------------------------------------------------------------------------------

interface FusedRun {
  readonly part: Extract<Part, { kind: 'fused' }>;
  readonly index: number;
  readonly stages: readonly Stage[];
  readonly actives: readonly (readonly boolean[])[];
  readonly plan: Plan;
  readonly entry: KernelEntry;
  readonly hit: boolean;
  readonly tables: SegmentTables;
  readonly slotNames: readonly (readonly string[])[];
  /** Index of its first slot tree in the region. */
  readonly firstTree: number;
  readonly counts: Float64Array;
  readonly hypers: (Readonly<Record<string, number>> | undefined)[];
  kernel?: CompiledKernel;
  hostLayout?: HostLayout;
  cacheHit: boolean;
  engine?: Engine;
  stepFns?: PassSet<PassFn>;
  pureFns?: PassSet<PassFn>;
}

/** The stage states of a run's members, checked against the layout. */
function readRun(run: FusedRun, memberStates: readonly unknown[], layout: TreeLayout): RunRead {
  const sts: StageState[] = [];
  run.part.fusables.forEach((f, j) => {
    const mine = f.toStageStates(memberStates[run.part.members[j] as number]);
    const n = run.part.stageCounts[j] as number;
    if (!Array.isArray(mine) || mine.length !== n) throw new StateMismatchError(`chain member ${String(run.part.members[j])}`, `${String(n)} stage states`, mine);
    sts.push(...mine);
  });
  return readStageStates(sts, run.stages, run.slotNames, layout);
}

/** Splits a run's stage states into its members' states. */
function runMemberStates(run: FusedRun, states: readonly StageState[], into: unknown[]): void {
  let at = 0;
  run.part.fusables.forEach((f, j) => {
    const n = run.part.stageCounts[j] as number;
    into[run.part.members[j] as number] = f.fromStageStates(states.slice(at, at + n));
    at += n;
  });
}

const align = (n: number): number => Math.ceil(n / STORAGE_ALIGNMENT) * STORAGE_ALIGNMENT;

// ---------------------------------------------------------------------------------------------
// compile
// ---------------------------------------------------------------------------------------------

/**
 * Compiles a transformation that is not fusable as a whole (see the module comment). `backend`
 * is the one `compile` chose; `'wasm'` may fall back to the exact backend when the options ask
 * for `'auto'`.
 */
export function compileMixed<S, P extends TreeLike<P>>(tx: GradientTransformation<S>, params: P, options: CompileOptions<S>, members: Members, chosen: Backend): Compiled<S, P> {
  let backend = chosen;
  const parts = partsOf(members);
  const tree = params as Tree;
  const layout = layoutOf(tree);

  // ---- plan every fused run ----
  let treeCount = 2;
  const runs: FusedRun[] = [];
  const runOfPart: (FusedRun | undefined)[] = parts.map((part, index) => {
    if (part.kind !== 'fused') return undefined;
    const stages = part.stages;
    const actives = stages.map((st, k) => (st.mask === undefined ? layout.leaves.map(() => true) : resolveMask(st.mask, tree, stageLabel(st, k))));
    const plan = planKernel(stages, layout.leaves, actives);
    const { entry, hit } = entryFor(plan);
    const slotNames = plan.stages.map((sp) => sp.slots);
    const run: FusedRun = {
      part,
      index,
      stages,
      actives,
      plan,
      entry,
      hit,
      tables: segmentTables(plan, layout),
      slotNames,
      firstTree: 0,
      counts: new Float64Array(stages.length),
      hypers: stages.map(() => undefined),
      cacheHit: false,
    };
    runs.push(run);
    return run;
  });

  // ---- the static data flow of a step: which buffer each part reads and writes ----
  // -1: the gradients; 0, 1: the two update buffers; -2: the params (the last fused run adds into them).
  const inputOf: number[] = [];
  const outputOf: number[] = [];
  let cur = -1;
  let bufferCount = 0;
  parts.forEach((part, i) => {
    inputOf.push(cur);
    const out = part.kind === 'fused' && i === parts.length - 1 ? -2 : cur === 0 ? 1 : 0;
    outputOf.push(out);
    if (out >= 0) bufferCount = Math.max(bufferCount, out + 1);
    cur = out;
  });
  treeCount += bufferCount;
  for (const run of runs) {
    (run as { firstTree: number }).firstTree = treeCount;
    treeCount += run.slotNames.reduce((n, s) => n + s.length, 0);
  }

  // ---- the wasm modules (cached per structure and kind of memory); 'auto' falls back ----
  let allocator: WasmMemoryAllocator | undefined;
  let extraBytes = 0;
  if (backend === 'wasm') {
    try {
      const api = requireWasm();
      allocator = (wasmAllocatorOf(options.memory) as () => WasmMemoryAllocator)();
      for (const run of runs) {
        const k = wasmKernelOf(api, run.plan, run.entry, run.hit, run.tables, allocator.shared);
        run.cacheHit = k.cacheHit;
        run.kernel = k.kernel;
        run.hostLayout = k.host;
        extraBytes += align(k.host.bytes);
      }
    } catch (e) {
      if (options.backend !== 'auto' || !(e instanceof CompileError)) throw e;
      backend = exactBackend('auto');
      allocator = undefined;
      extraBytes = 0;
      // The runs built before the failure print, and run, on the fallback backend.
      for (const run of runs) {
        delete run.kernel;
        delete run.hostLayout;
      }
    }
  }
  if (backend !== 'wasm') {
    const b = backend as 'js' | 'closure';
    for (const run of runs) {
      const { fns, cacheHit } = exactPassFns(run.entry, run.hit, b);
      run.cacheHit = cacheHit;
      run.stepFns = fns;
      run.pureFns = fns;
    }
  }

  // ---- the printable source: every fused run's passes, host members marked ----
  const sourceText = lazySource(
    () =>
      parts
        .map((part, i) => {
          if (part.kind === 'host') {
            return `// ---- segment ${String(i)}: host: chain member ${String(part.member)} (${memberName(part.tx)}) runs its own update, not fused ----`;
          }
          const run = runOfPart[i] as FusedRun;
          return `// ---- segment ${String(i)}: fused: chain members ${part.members.join(', ')} ----\n${runSource(run.entry, run.kernel)}`;
        })
        .join('\n'),
    options.debug,
  );

  // ---- storage: params, grads, the update buffers, each run's slots (+ the wasm host areas) ----
  const { region, trees, extraOffset } = allocateFlat<P>(layout, treeCount, allocator ?? options.memory, extraBytes);
  const { views, sync } = regionViews<P>(region, layout, treeCount, trees, () => {
    current = flats();
    stepBindings = bindStep();
  });
  interface Current {
    readonly p: FlatTree<P>;
    readonly g: FlatTree<P>;
    readonly u: readonly FlatTree<P>[];
    readonly slots: readonly (readonly ReadonlyMap<string, FlatTree<P>>[])[];
  }
  const flats = (): Current => ({
    p: views.trees[0] as FlatTree<P>,
    g: views.trees[1] as FlatTree<P>,
    u: Array.from({ length: bufferCount }, (_, j) => views.trees[2 + j] as FlatTree<P>),
    slots: runs.map((run) => {
      let next = run.firstTree;
      return run.slotNames.map((names) => new Map(names.map((n) => [n, views.trees[next++] as FlatTree<P>])));
    }),
  });
  let current = flats();
  loadParams(tree, current.p);

  // ---- runners and engines ----
  if (allocator !== undefined) {
    const api = requireWasm();
    let base = extraOffset;
    for (const run of runs) {
      const hl = run.hostLayout as HostLayout;
      const fns = wasmPassFns(api, run.kernel as CompiledKernel, allocator.memory, base, hl, run.tables, run.entry.loops, layout);
      base += align(hl.bytes);
      run.stepFns = fns.step;
      run.pureFns = fns.pure;
    }
  }
  for (const run of runs) run.engine = new Engine(run.plan, run.stages, layout, run.actives, run.stepFns as PassSet<PassFn>, run.tables);

  /** Backups of the state buffers of the runs that something may follow (not the last part). */
  const backups: (readonly FlatTree<P>[] | undefined)[] = runs.map((run) =>
    run.index === parts.length - 1 ? undefined : run.slotNames.flat().map(() => freshFlat<P>(layout)),
  );

  // ---- in-place bindings, built once (and again if the memory grows) ----
  const roleBuffers = (c: Current, j: number): DtypeBuffers => (j === -1 ? c.g : (c.u[j] as FlatTree<P>));
  const bindStep = (): { readonly reduce: FloatArray[][]; readonly store: FloatArray[] }[] =>
    runs.map((run, r) => {
      const inBuf = roleBuffers(current, inputOf[run.index] as number);
      const out = outputOf[run.index] as number;
      const b: Bindings = { g: inBuf, p: current.p, out: out >= 0 ? roleBuffers(current, out) : undefined, slots: current.slots[r] as readonly ReadonlyMap<string, DtypeBuffers>[] };
      return bindRun(run.entry.loops, out >= 0 ? run.entry.loops.pure : run.entry.loops.inPlace, b);
    });
  let stepBindings = bindStep();

  // ---- state in and out ----
  const hostStates: unknown[] = new Array<unknown>(members.list.length);

  const setState = (state: S): void => {
    sync();
    const memberStates = splitState(members, state);
    const reads = runs.map((run) => readRun(run, memberStates, layout));
    // Everything is checked: write.
    runs.forEach((run, r) => {
      writeRunState(reads[r] as RunRead, run.slotNames, current.slots[r] as readonly ReadonlyMap<string, FlatTree<P>>[], run.counts, run.hypers);
    });
    for (const part of parts) if (part.kind === 'host') hostStates[part.member] = copyData(memberStates[part.member]);
  };

  const stateOf = (copy: boolean): S => {
    sync();
    const out: unknown[] = new Array<unknown>(members.list.length);
    runs.forEach((run, r) => {
      runMemberStates(run, stageStatesOf(run.plan, current.slots[r] as readonly ReadonlyMap<string, FlatTree<P>>[], run.counts, run.hypers, layout.def, copy), out);
    });
    for (const part of parts) if (part.kind === 'host') out[part.member] = copy ? copyData(hostStates[part.member]) : hostStates[part.member];
    return joinState(members, out) as S;
  };

  setState(options.state ?? tx.init(params));

  // ---- the in-place step ----
  const pending: unknown[] = new Array<unknown>(members.list.length);
  /** Copies run `r`'s state buffers into its backup (`save`) or back from it. */
  const backupRun = (r: number, save: boolean): void => {
    const backup = backups[r];
    if (backup === undefined) return;
    let j = 0;
    for (const m of current.slots[r] as ReadonlyMap<string, FlatTree<P>>[]) {
      for (const flat of m.values()) {
        const b = backup[j++] as FlatTree<P>;
        const from = save ? flat : b;
        const to = save ? b : flat;
        to.float32.set(from.float32);
        to.float64.set(from.float64);
      }
    }
  };

  const step = (extra?: UpdateExtras): void => {
    sync();
    let stored = 0;
    try {
      let r = 0;
      for (let i = 0; i < parts.length; i++) {
        const part = parts[i] as Part;
        if (part.kind === 'fused') {
          const run = runs[r] as FusedRun;
          const b = stepBindings[r] as (typeof stepBindings)[number];
          const engine = run.engine as Engine;
          engine.prepare(run.counts, run.hypers, b.reduce);
          backupRun(r, true);
          const fns = run.stepFns as PassSet<PassFn>;
          engine.store(outputOf[i] === -2 ? fns.inPlace : fns.pure, b.store);
          stored = ++r;
          continue;
        }
        const input = inputOf[i] as number;
        const inTree = input === -1 ? current.g.tree : (current.u[input] as FlatTree<P>).tree;
        const [u, s] = part.tx.update(inTree, hostStates[part.member], current.p.tree, extra);
        pending[part.member] = s;
        copyIntoFlat(current.u[outputOf[i] as number] as FlatTree<P>, layout, u, `compiled.step: the updates of chain member ${String(part.member)} (${memberName(part.tx)}) against params`);
      }
      const last = outputOf[parts.length - 1] as number;
      if (last >= 0) {
        const u = current.u[last] as FlatTree<P>;
        const p = current.p;
        for (let k = 0; k < p.float32.length; k++) p.float32[k] = (p.float32[k] as number) + (u.float32[k] as number);
        for (let k = 0; k < p.float64.length; k++) p.float64[k] = (p.float64[k] as number) + (u.float64[k] as number);
      }
    } catch (e) {
      for (let r = 0; r < stored; r++) backupRun(r, false);
      pending.fill(undefined);
      throw e;
    }
    for (const run of runs) for (let k = 0; k < run.counts.length; k++) run.counts[k] = (run.counts[k] as number) + 1;
    for (const part of parts) {
      if (part.kind !== 'host') continue;
      hostStates[part.member] = pending[part.member];
      pending[part.member] = undefined;
    }
  };

  // ---- the pure path ----
  const stageG = inputStager(layout);
  const stageP = inputStager(layout);
  const scratchU: FlatTree<P>[] = [];
  const readsParam = runs.findIndex((run) => run.plan.readsParam);

  const update = (updates: P, state: S, paramsIn?: P, extra?: UpdateExtras): readonly [P, S] => {
    sync();
    const memberStates = splitState(members, state);
    const reads = runs.map((run) => readRun(run, memberStates, layout));
    const uf = flatten(updates as Tree);
    assertSameStructure(layout.def, uf.def, 'compiled.update: updates against params');
    let pLeaves: FloatArray[] | undefined;
    if (paramsIn !== undefined) {
      const pf = flatten(paramsIn as Tree);
      assertSameStructure(layout.def, pf.def, 'compiled.update: params against the compiled params');
      pLeaves = pf.leaves.map((l) => l.data);
    } else if (readsParam >= 0) {
      const run = runs[readsParam] as FusedRun;
      const k = run.plan.stages.findIndex((sp) => sp.readsParam);
      throw new MissingParamsError(stageLabel(run.stages[k] as Stage, k));
    }
    // Everything the fused runs read is checked: from here on only fresh or scratch memory is written.
    const g = stageG(uf.leaves.map((l) => l.data));
    const p: DtypeBuffers = pLeaves !== undefined && readsParam >= 0 ? stageP(pLeaves) : EMPTY_BUFFERS;
    const next: unknown[] = memberStates.slice();
    let cur: DtypeBuffers = g;
    let curTree: Tree | undefined = updates as Tree;
    let out: FlatTree<P> | undefined;
    let r = 0;
    parts.forEach((part, i) => {
      const last = i === parts.length - 1;
      const ping = i % 2;
      out = last ? freshFlat<P>(layout) : (scratchU[ping] ??= freshFlat<P>(layout));
      if (part.kind === 'fused') {
        const run = runs[r] as FusedRun;
        const read = reads[r] as RunRead;
        r++;
        const states = runPure(run.engine as Engine, run.plan, run.entry.loops, run.pureFns as PassSet<PassFn>, run.slotNames, layout, read, cur, p, out);
        runMemberStates(run, states, next);
      } else {
        const inTree = curTree ?? buildTree(uf.def, viewFlat(layout, cur.float32, cur.float64).leaves);
        const [u, s] = part.tx.update(inTree, memberStates[part.member], paramsIn, extra);
        next[part.member] = s;
        copyIntoFlat(out, layout, u, `compiled.update: the updates of chain member ${String(part.member)} (${memberName(part.tx)}) against params`);
      }
      cur = out;
      curTree = undefined;
    });
    return [buildTree(uf.def, (out as FlatTree<P>).leaves) as P, joinState(members, next) as S];
  };

  // ---- what fused ----
  const segments: CompiledSegment[] = parts.map((part, i) => {
    if (part.kind === 'host') return { kind: 'host', members: [part.member], names: [memberName(part.tx)] };
    const run = runOfPart[i] as FusedRun;
    return { kind: 'fused', members: part.members, names: part.members.map((m) => memberName(members.list[m] as AnyTransformation)), stages: run.stages.map((s, k) => stageLabel(s, k)), passCount: run.plan.passes.length, hash: run.plan.hash };
  });
  const hash = hashKey(segments.map((s) => (s.kind === 'fused' ? `F${s.hash}` : `H${String(s.members[0])}`)).join('|'));

  return compiledObject<S, P>({
    current: () => current,
    sync,
    stateOf,
    setState,
    step,
    update,
    sourceText,
    backend,
    cacheHit: runs.length > 0 && runs.every((run) => run.cacheHit),
    hash,
    passCount: segments.reduce((n, s) => n + (s.kind === 'fused' ? s.passCount : 1), 0),
    segments,
    region,
    views,
    memory: allocator?.memory,
    layout,
    slots: () => current.slots.flat(),
  });
}
