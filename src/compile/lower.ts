/**
 * Lowering: a planned pass → the loop IR that every backend runs.
 *
 * The loop IR is a pass function: a prelude (per-step scalars loaded into locals, and
 * everything that depends only on scalars and constants, hoisted), then, per segment variant, a
 * segment prelude (per-leaf scalars) and a loop body of `load`s, `let`s and effects (`store`,
 * `fold`). Expression nodes shared in a stage's DAG (by identity) become one `let`; so do the
 * update between stages (rounded with `fround` for float32, exactly as the interpreter stores
 * it) and the loads (one per buffer per element).
 *
 * Every rewrite here preserves values: hoisting an invariant, sharing a node, dropping an
 * `fround` of a value that is already a float32 (a float32 load, a constant that is one).
 *
 * @module
 */
import type { Expr, Op } from '../kernel/expr.js';
import type { ReductionKind } from '../kernel/reductions.js';
import type { Dtype } from '../tree/leaf.js';
import { CompileError } from './error.js';
import type { PassPlan, Plan, StagePlan, VariantPlan } from './plan.js';

// ---------------------------------------------------------------------------------------------
// the loop IR
// ---------------------------------------------------------------------------------------------

/** A buffer a pass reads or writes (the pass receives them as an array `b`). */
export type BufferRef =
  | { readonly role: 'g' | 'p' | 'out'; readonly dtype: Dtype }
  | { readonly role: 'slot'; readonly stage: number; readonly slot: string; readonly dtype: Dtype };

/** How a register is named in generated code. */
export type RegHint =
  | { readonly kind: 'scalar'; readonly index: number }
  | { readonly kind: 'leafScalar'; readonly index: number }
  | { readonly kind: 'g' }
  | { readonly kind: 'p' }
  | { readonly kind: 'slot'; readonly stage: number; readonly slot: string }
  | { readonly kind: 'u'; readonly stage: number }
  | { readonly kind: 't' };

/** An expression of the loop IR (registers are `const` locals). */
export type LExpr =
  | { readonly tag: 'num'; readonly value: number }
  | { readonly tag: 'reg'; readonly reg: number }
  | { readonly tag: 'op'; readonly op: Op; readonly args: readonly LExpr[] }
  | { readonly tag: 'fround'; readonly arg: LExpr };

/** A statement of the loop IR. */
export type LStmt =
  /** `reg = s[index]` */
  | { readonly tag: 'scalar'; readonly reg: number; readonly index: number }
  /** `reg = ls[leaf * stride + index]` */
  | { readonly tag: 'leafScalar'; readonly reg: number; readonly index: number }
  /** `reg = b[buffer][i]` */
  | { readonly tag: 'load'; readonly reg: number; readonly buffer: number }
  /** `reg = value` */
  | { readonly tag: 'let'; readonly reg: number; readonly value: LExpr }
  /** `b[buffer][i] = value` */
  | { readonly tag: 'store'; readonly buffer: number; readonly value: LExpr }
  /** `acc = step(acc, value)`; `value` is a register or a number */
  | { readonly tag: 'fold'; readonly acc: number; readonly kind: ReductionKind; readonly value: LExpr };

/** An accumulator and where its result goes (`red[index]`, or `lred[leaf * stride + index]`). */
export interface Accumulator {
  readonly acc: number;
  readonly kind: ReductionKind;
  readonly index: number;
}

/** The code for one kind of segment. */
export interface LoopVariant {
  readonly id: number;
  readonly dtype: Dtype;
  /** Run once per segment before the loop (per-leaf scalars and what depends on them). */
  readonly prelude: readonly LStmt[];
  /** Per-leaf accumulators, reset per segment and stored after the loop. */
  readonly leafAccs: readonly Accumulator[];
  readonly body: readonly LStmt[];
}

/** Which function a lowered pass is. */
export type PassMode = 'reduce' | 'inPlace' | 'pure';

/** One pass function of the loop IR. */
export interface LoopPass {
  /** The function's name: `pass0`, ..., `pass1Pure`. */
  readonly name: string;
  readonly index: number;
  readonly mode: PassMode;
  readonly buffers: readonly BufferRef[];
  readonly regs: readonly RegHint[];
  /** Run once per call: scalar loads and hoisted invariants. */
  readonly prelude: readonly LStmt[];
  /** Global accumulators (across all segments), stored to `red` at the end. */
  readonly globalAccs: readonly Accumulator[];
  readonly accCount: number;
  readonly leafGranular: boolean;
  readonly leafScalarStride: number;
  readonly leafReductionStride: number;
  readonly variants: readonly LoopVariant[];
  /** The stages it computes, by registry name (undefined for a name that is not an identifier). */
  readonly stageLabels: readonly (string | undefined)[];
  /** Per scalar index, `[stage label, scalar name]` (for comments; printed only when both are identifiers). */
  readonly scalarLabels: readonly (readonly [string | undefined, string])[];
  /** The same for per-leaf scalar offsets. */
  readonly leafScalarLabels: readonly (readonly [string | undefined, string])[];
  readonly reduceStage: number | undefined;
}

// ---------------------------------------------------------------------------------------------
// value graph
// ---------------------------------------------------------------------------------------------

/** 0: per call (scalars, constants), 1: per segment (leaf scalars), 2: per element. */
type Level = 0 | 1 | 2;

interface VNode {
  readonly kind: 'num' | 'scalar' | 'leafScalar' | 'load' | 'op' | 'fround';
  readonly level: Level;
  readonly value: number;
  readonly index: number;
  readonly op: Op | undefined;
  readonly args: readonly VNode[];
  /** Known to be a float32 value already (fround would not change it). */
  readonly rounded: boolean;
  hint: RegHint;
  forceLet: boolean;
}

function vnode(kind: VNode['kind'], level: Level, fields: Partial<Pick<VNode, 'value' | 'index' | 'op' | 'args' | 'rounded' | 'hint'>>): VNode {
  return {
    kind,
    level,
    value: fields.value ?? 0,
    index: fields.index ?? -1,
    op: fields.op,
    args: fields.args ?? [],
    rounded: fields.rounded ?? false,
    hint: fields.hint ?? { kind: 't' },
    forceLet: false,
  };
}

type Effect =
  | { readonly tag: 'store'; readonly buffer: number; readonly value: VNode }
  | { readonly tag: 'fold'; readonly acc: number; readonly kind: ReductionKind; readonly value: VNode };

interface LoweredVariant {
  readonly plan: VariantPlan;
  readonly effects: Effect[];
  readonly leafAccs: Accumulator[];
}

const maxLevel = (nodes: readonly VNode[]): Level => nodes.reduce<Level>((m, n) => (n.level > m ? n.level : m), 0);

// ---------------------------------------------------------------------------------------------
// lowering
// ---------------------------------------------------------------------------------------------

/** Lowers one pass of a plan in a mode (`reduce` for reduce passes; `inPlace` or `pure` for the store pass). */
export function lowerPass(plan: Plan, pass: PassPlan, mode: PassMode): LoopPass {
  if ((pass.kind === 'reduce') !== (mode === 'reduce')) throw new Error(`lower: a ${pass.kind} pass cannot be lowered as ${mode}`);
  const buffers: BufferRef[] = [];
  const bufferIndex = new Map<string, number>();
  const buffer = (ref: BufferRef): number => {
    const key = ref.role === 'slot' ? `slot:${String(ref.stage)}:${ref.slot}:${ref.dtype}` : `${ref.role}:${ref.dtype}`;
    let i = bufferIndex.get(key);
    if (i === undefined) {
      i = buffers.length;
      buffers.push(ref);
      bufferIndex.set(key, i);
    }
    return i;
  };

  // Nodes that depend only on scalars and constants are shared by all variants.
  const scalarNodes = new Map<number, VNode>();
  const invariantMemo = plan.stages.map(() => new Map<Expr, VNode>());
  let accCount = 0;
  const globalAccs: Accumulator[] = [];
  const reduceStage = pass.reduceStage === undefined ? undefined : plan.stages[pass.reduceStage];
  if (reduceStage !== undefined) {
    for (const r of reduceStage.globalReductions) globalAccs.push({ acc: accCount++, kind: r.kind, index: r.index });
  }

  const lowerVariant = (variant: VariantPlan): LoweredVariant => {
    const dtype = variant.dtype;
    const effects: Effect[] = [];
    const leafAccs: Accumulator[] = [];
    const leafScalarNodes = new Map<number, VNode>();
    const g = vnode('load', 2, { index: buffer({ role: 'g', dtype }), rounded: true, hint: { kind: 'g' } });
    let p: VNode | undefined;
    const param = (): VNode => {
      p ??= vnode('load', 2, { index: buffer({ role: 'p', dtype }), rounded: true, hint: { kind: 'p' } });
      return p;
    };
    const round = (n: VNode): VNode => (dtype === 'float64' || n.rounded ? n : vnode('fround', n.level, { args: [n], rounded: true }));

    const evaluator = (sp: StagePlan, u: VNode): ((e: Expr) => VNode) => {
      const memo = new Map<Expr, VNode>();
      const slotLoads = new Map<string, VNode>();
      const scalarAt = new Map(sp.scalars.map((s) => [s.name, s.index]));
      const ev = (e: Expr): VNode => {
        const hit = memo.get(e);
        if (hit !== undefined) return hit;
        let node: VNode;
        switch (e.tag) {
          case 'const':
            node = vnode('num', 0, { value: e.value, rounded: dtype === 'float32' && Object.is(Math.fround(e.value), e.value) });
            break;
          case 'update':
            node = u;
            break;
          case 'param':
            node = param();
            break;
          case 'slot': {
            let load = slotLoads.get(e.name);
            if (load === undefined) {
              load = vnode('load', 2, {
                index: buffer({ role: 'slot', stage: sp.index, slot: e.name, dtype }),
                rounded: true,
                hint: { kind: 'slot', stage: sp.index, slot: e.name },
              });
              slotLoads.set(e.name, load);
            }
            node = load;
            break;
          }
          case 'scalar': {
            const index = scalarAt.get(e.name);
            if (index === undefined) throw new CompileError('invalidKernel', `scalar ${JSON.stringify(e.name)} has no index`);
            if (sp.hasLeafScalars) {
              let n = leafScalarNodes.get(index);
              if (n === undefined) {
                n = vnode('leafScalar', 1, { index, hint: { kind: 'leafScalar', index } });
                leafScalarNodes.set(index, n);
              }
              node = n;
            } else {
              let n = scalarNodes.get(index);
              if (n === undefined) {
                n = vnode('scalar', 0, { index, hint: { kind: 'scalar', index } });
                scalarNodes.set(index, n);
              }
              node = n;
            }
            break;
          }
          case 'op': {
            const args = e.args.map(ev);
            const level = maxLevel(args);
            const shared = level === 0 ? invariantMemo[sp.index]?.get(e) : undefined;
            if (shared !== undefined) node = shared;
            else {
              node = vnode('op', level, { op: e.op, args });
              if (level === 0) invariantMemo[sp.index]?.set(e, node);
            }
            break;
          }
          default: {
            const never: never = e;
            node = never;
          }
        }
        memo.set(e, node);
        return node;
      };
      return ev;
    };

    let u = g;
    for (let k = 0; k < pass.computed; k++) {
      const sp = plan.stages[k] as StagePlan;
      if (variant.active[k] !== true) continue;
      const ev = evaluator(sp, u);
      const next = round(ev(sp.stage.update));
      if (mode !== 'reduce') {
        sp.slots.forEach((slot) => {
          effects.push({ tag: 'store', buffer: buffer({ role: 'slot', stage: k, slot, dtype }), value: ev(sp.stage.next[slot] as Expr) });
        });
      }
      if (next.kind === 'op' || next.kind === 'fround') {
        next.forceLet = true;
        next.hint = { kind: 'u', stage: k + 1 };
      }
      u = next;
    }
    if (reduceStage !== undefined) {
      const ev = evaluator(reduceStage, u);
      const operand = (e: Expr): VNode => {
        const n = ev(e);
        if (n.kind === 'op' || n.kind === 'fround') n.forceLet = true;
        return n;
      };
      reduceStage.globalReductions.forEach((r, j) => {
        const acc = globalAccs[j] as Accumulator;
        effects.push({ tag: 'fold', acc: acc.acc, kind: r.kind, value: operand(r.of) });
      });
      for (const r of reduceStage.leafReductions) {
        const acc: Accumulator = { acc: accCount++, kind: r.kind, index: r.index };
        leafAccs.push(acc);
        effects.push({ tag: 'fold', acc: acc.acc, kind: r.kind, value: operand(r.of) });
      }
    } else if (mode === 'inPlace') {
      const pv = param();
      effects.push({ tag: 'store', buffer: buffer({ role: 'p', dtype }), value: vnode('op', maxLevel([pv, u]), { op: 'add', args: [pv, u] }) });
    } else {
      effects.push({ tag: 'store', buffer: buffer({ role: 'out', dtype }), value: u });
    }
    return { plan: variant, effects, leafAccs };
  };

  const lowered = pass.variants.map(lowerVariant);
  return schedule(plan, pass, mode, lowered, buffers, globalAccs, accCount);
}

// ---------------------------------------------------------------------------------------------
// scheduling: value graph → statements
// ---------------------------------------------------------------------------------------------

function schedule(
  plan: Plan,
  pass: PassPlan,
  mode: PassMode,
  lowered: readonly LoweredVariant[],
  buffers: readonly BufferRef[],
  globalAccs: readonly Accumulator[],
  accCount: number,
): LoopPass {
  // Count uses: each parent counts each distinct child once per argument position.
  const uses = new Map<VNode, number>();
  const counted = new Set<VNode>();
  const count = (n: VNode): void => {
    uses.set(n, (uses.get(n) ?? 0) + 1);
    if (counted.has(n)) return;
    counted.add(n);
    n.args.forEach(count);
  };
  for (const v of lowered) for (const e of v.effects) count(e.value);

  const bound = (n: VNode): boolean => {
    switch (n.kind) {
      case 'num':
        return false;
      case 'scalar':
      case 'leafScalar':
      case 'load':
        return true;
      case 'op':
      case 'fround':
        return n.forceLet || n.level < 2 || (uses.get(n) ?? 0) > 1;
      default: {
        const never: never = n.kind;
        return never;
      }
    }
  };

  const regs: RegHint[] = [];
  const regOf = new Map<VNode, number>();
  const prelude: LStmt[] = [];

  const toExpr = (n: VNode): LExpr => {
    const r = regOf.get(n);
    if (r !== undefined) return { tag: 'reg', reg: r };
    switch (n.kind) {
      case 'num':
        return { tag: 'num', value: n.value };
      case 'op':
        return { tag: 'op', op: n.op as Op, args: n.args.map(toExpr) };
      case 'fround':
        return { tag: 'fround', arg: toExpr(n.args[0] as VNode) };
      default:
        throw new Error(`lower: ${n.kind} node used before it was bound`);
    }
  };

  const variants: LoopVariant[] = lowered.map((v) => {
    const segPrelude: LStmt[] = [];
    const loads: LStmt[] = [];
    const lets: LStmt[] = [];
    const localRegs = new Map<VNode, number>();
    const need = (n: VNode): void => {
      if (regOf.has(n) || localRegs.has(n)) return;
      n.args.forEach(need);
      if (!bound(n)) return;
      const reg = regs.length;
      regs.push(n.hint);
      let stmt: LStmt;
      switch (n.kind) {
        case 'scalar':
          stmt = { tag: 'scalar', reg, index: n.index };
          break;
        case 'leafScalar':
          stmt = { tag: 'leafScalar', reg, index: n.index };
          break;
        case 'load':
          stmt = { tag: 'load', reg, buffer: n.index };
          break;
        default:
          stmt = { tag: 'let', reg, value: toExpr(n) };
      }
      if (n.level === 0) {
        prelude.push(stmt);
        regOf.set(n, reg);
      } else {
        (n.level === 1 ? segPrelude : n.kind === 'load' ? loads : lets).push(stmt);
        localRegs.set(n, reg);
        regOf.set(n, reg);
      }
    };
    const effects: LStmt[] = v.effects.map((e) => {
      need(e.value);
      return e.tag === 'store'
        ? { tag: 'store', buffer: e.buffer, value: toExpr(e.value) }
        : { tag: 'fold', acc: e.acc, kind: e.kind, value: toExpr(e.value) };
    });
    // Variant-local registers must not leak into a sibling variant's lookups.
    for (const n of localRegs.keys()) regOf.delete(n);
    return { id: v.plan.id, dtype: v.plan.dtype, prelude: segPrelude, leafAccs: v.leafAccs, body: [...loads, ...lets, ...effects] };
  });

  // Scalar loads first, in index order, then the hoisted invariants.
  const scalarLoads = prelude.filter((s) => s.tag === 'scalar').sort((a, b) => (a.tag === 'scalar' && b.tag === 'scalar' ? a.index - b.index : 0));
  const invariants = prelude.filter((s) => s.tag !== 'scalar');
  const computedStages = pass.kind === 'reduce' ? plan.stages.slice(0, (pass.reduceStage ?? 0) + 1) : plan.stages;
  return {
    name: mode === 'pure' ? `pass${String(pass.index)}Pure` : `pass${String(pass.index)}`,
    index: pass.index,
    mode,
    buffers,
    regs,
    prelude: [...scalarLoads, ...invariants],
    globalAccs,
    accCount,
    leafGranular: pass.leafGranular,
    leafScalarStride: plan.leafScalarStride,
    leafReductionStride: plan.leafReductionStride,
    variants,
    stageLabels: computedStages.map((s) => s.label),
    scalarLabels: labelsOf(plan, false),
    leafScalarLabels: labelsOf(plan, true),
    reduceStage: pass.reduceStage,
  };
}

function labelsOf(plan: Plan, leaf: boolean): (readonly [string | undefined, string])[] {
  const out: (readonly [string | undefined, string])[] = [];
  for (const sp of plan.stages) {
    if (sp.hasLeafScalars !== leaf) continue;
    for (const s of sp.scalars) out[s.index] = [sp.label, s.name];
  }
  return out;
}

/** Every loop pass of a plan: the reduce passes, then the store pass in place and pure. */
export function lowerPlan(plan: Plan): { readonly reduce: readonly LoopPass[]; readonly inPlace: LoopPass; readonly pure: LoopPass } {
  const reduce = plan.passes.filter((p) => p.kind === 'reduce').map((p) => lowerPass(plan, p, 'reduce'));
  const store = plan.passes[plan.passes.length - 1] as PassPlan;
  return { reduce, inPlace: lowerPass(plan, store, 'inPlace'), pure: lowerPass(plan, store, 'pure') };
}
