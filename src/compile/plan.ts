/**
 * The planner: a chain's stages and the tree's structure → passes.
 *
 * - A stage with a global reduction (or per-leaf reductions feeding `leafScalars`) needs the
 *   reduction's value before its body runs, so it gets a **reduce pass** of its own: that pass
 *   runs the stages before it (recomputing them, storing nothing) and folds the reduction. Then
 *   the host computes the stage's scalars from the result.
 * - The last pass, the **store pass**, runs every stage and is the only one that writes.
 *   Recomputing (rather than staging the intermediate update in a scratch buffer) keeps a step
 *   atomic: every scalar that can throw is computed before the first store.
 * - Leaves are grouped into **segments**: consecutive leaves with the same dtype and the same
 *   mask pattern are merged (one loop over the flat buffer when nothing is masked); a pass that
 *   reads per-leaf scalars or folds per-leaf reductions goes leaf by leaf.
 * - Every stage's per-step scalars get an index in one Float64Array (`s`), per-leaf scalars an
 *   offset in a per-leaf table (`ls`), reductions an index in `red` / an offset in `lred`.
 *
 * The plan depends only on structure (stage definitions, leaf dtypes, mask patterns), never on
 * hyperparameter values or leaf sizes: it is what the kernel cache is keyed by.
 *
 * @module
 */
import type { Expr } from '../kernel/expr.js';
import { OPS } from '../kernel/ops.js';
import { REDUCTIONS, type ReductionKind } from '../kernel/reductions.js';
import type { Stage } from '../kernel/stage.js';
import type { Dtype } from '../tree/leaf.js';
import { CompileError } from './error.js';
import { SLOT_NAME } from './scope.js';
import type { TreeLayout } from './storage.js';

// ---------------------------------------------------------------------------------------------
// types
// ---------------------------------------------------------------------------------------------

/** A reduction with its place in `red` (global) or in a leaf's block of `lred`. */
export interface ReductionPlan {
  readonly name: string;
  readonly kind: ReductionKind;
  readonly of: Expr;
  readonly index: number;
}

/** A scalar the body reads, with its place in `s` (or, for a stage with `leafScalars`, in `ls`). */
export interface ScalarPlan {
  readonly name: string;
  readonly index: number;
}

/** One stage as planned. */
export interface StagePlan {
  readonly index: number;
  readonly stage: Stage;
  /** The registry name when it is a plain identifier (it is printed in a comment). */
  readonly label: string | undefined;
  readonly slots: readonly string[];
  readonly globalReductions: readonly ReductionPlan[];
  /** Per-leaf reductions; empty unless the stage has `leafScalars` (the only reader). */
  readonly leafReductions: readonly ReductionPlan[];
  readonly hasLeafScalars: boolean;
  /** Scalars the body reads: indices into `s`, or offsets into `ls` when `hasLeafScalars`. */
  readonly scalars: readonly ScalarPlan[];
  /** True when the stage needs a reduce pass before the store pass. */
  readonly splits: boolean;
  readonly readsParam: boolean;
}

/** A kind of segment within a pass: its dtype and which computed stages are active. */
export interface VariantPlan {
  readonly id: number;
  readonly dtype: Dtype;
  /** One flag per stage in `[0, pass.computed)`. */
  readonly active: readonly boolean[];
}

/** One pass. */
export interface PassPlan {
  readonly index: number;
  readonly kind: 'reduce' | 'store';
  /** The stage whose reductions a reduce pass folds. */
  readonly reduceStage: number | undefined;
  /** Stages `[0, computed)` are computed for each element. */
  readonly computed: number;
  /** Segments are single leaves (per-leaf scalars or reductions). */
  readonly leafGranular: boolean;
  readonly variants: readonly VariantPlan[];
  /** The variant of each leaf in flatten order, -1 where the pass skips the leaf. */
  readonly leafVariant: readonly number[];
}

/** A chain's plan over one tree structure. */
export interface Plan {
  /** The structural key (stages' structure, leaf dtypes, mask patterns). */
  readonly key: string;
  /** A short hash of the key, for names (`gradfuse-kernel-<hash>-pass0.js`). */
  readonly hash: string;
  readonly stages: readonly StagePlan[];
  readonly passes: readonly PassPlan[];
  readonly leafCount: number;
  readonly scalarCount: number;
  readonly leafScalarStride: number;
  readonly reductionCount: number;
  readonly leafReductionStride: number;
  readonly readsParam: boolean;
}

/** What the planner needs to know about a leaf. */
export interface LeafInfo {
  readonly dtype: Dtype;
}

// ---------------------------------------------------------------------------------------------
// checks
// ---------------------------------------------------------------------------------------------

const LABEL = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function invalid(stage: Stage, index: number, what: string): CompileError {
  const who = typeof stage.name === 'string' && LABEL.test(stage.name) ? stage.name : `stage ${String(index)}`;
  return new CompileError('invalidKernel', `${who}: ${what}`);
}

/** Checks every node of an expression; `allowed` says which leaf tags it may read. */
function checkExpr(roots: readonly Expr[], stage: Stage, index: number, allowed: ReadonlySet<Expr['tag']>, slots: ReadonlySet<string>): void {
  const seen = new Set<Expr>();
  const visit = (e: Expr): void => {
    if (seen.has(e)) return;
    seen.add(e);
    if (typeof e !== 'object' || e === null) throw invalid(stage, index, 'an expression node is not an object');
    if (!allowed.has(e.tag)) throw invalid(stage, index, `a ${String(e.tag)} node is not allowed here`);
    switch (e.tag) {
      case 'const':
        if (typeof e.value !== 'number') throw invalid(stage, index, 'a constant is not a number');
        return;
      case 'slot':
        if (!slots.has(e.name)) throw invalid(stage, index, 'the body reads a slot the stage does not declare');
        return;
      case 'scalar':
        if (typeof e.name !== 'string') throw invalid(stage, index, 'a scalar name is not a string');
        return;
      case 'update':
      case 'param':
        return;
      case 'op': {
        const spec = Object.prototype.hasOwnProperty.call(OPS, e.op) ? OPS[e.op] : undefined;
        if (spec === undefined) throw invalid(stage, index, 'unknown operation');
        if (!Array.isArray(e.args) || e.args.length !== spec.arity) throw invalid(stage, index, `operation ${e.op} takes ${String(spec.arity)} operands`);
        e.args.forEach(visit);
        return;
      }
      default: {
        const never: never = e;
        throw invalid(stage, index, `unknown node ${String((never as { tag: unknown }).tag)}`);
      }
    }
  };
  roots.forEach(visit);
}

const BODY_TAGS: ReadonlySet<Expr['tag']> = new Set(['const', 'update', 'param', 'slot', 'scalar', 'op']);
const REDUCTION_TAGS: ReadonlySet<Expr['tag']> = new Set(['const', 'update', 'param', 'op']);

function readsTag(roots: readonly Expr[], tag: Expr['tag']): boolean {
  const seen = new Set<Expr>();
  const visit = (e: Expr): boolean => {
    if (seen.has(e)) return false;
    seen.add(e);
    return e.tag === tag || (e.tag === 'op' && e.args.some(visit));
  };
  return roots.some(visit);
}

/** Scalar names in order of first reference (children first). */
function scalarNames(roots: readonly Expr[]): string[] {
  const seen = new Set<Expr>();
  const names: string[] = [];
  const visit = (e: Expr): void => {
    if (seen.has(e)) return;
    seen.add(e);
    if (e.tag === 'op') e.args.forEach(visit);
    else if (e.tag === 'scalar' && !names.includes(e.name)) names.push(e.name);
  };
  roots.forEach(visit);
  return names;
}

// ---------------------------------------------------------------------------------------------
// structural key
// ---------------------------------------------------------------------------------------------

/** Writes an expression DAG as text; a node seen before is written `#id`. */
function exprText(e: Expr, ids: Map<Expr, number>): string {
  const seen = ids.get(e);
  if (seen !== undefined) return `#${String(seen)}`;
  ids.set(e, ids.size);
  switch (e.tag) {
    case 'const':
      return Object.is(e.value, -0) ? 'c(-0)' : `c(${String(e.value)})`;
    case 'update':
      return 'g';
    case 'param':
      return 'p';
    case 'slot':
      return `slot(${JSON.stringify(e.name)})`;
    case 'scalar':
      return `scalar(${JSON.stringify(e.name)})`;
    case 'op':
      return `${e.op}(${e.args.map((a) => exprText(a, ids)).join(',')})`;
    default: {
      const never: never = e;
      return never;
    }
  }
}

/** cyrb53: a 53-bit string hash, as 14 hex digits. */
export function hashKey(text: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  const n = 4294967296 * (2097151 & h2) + (h1 >>> 0);
  return n.toString(16).padStart(14, '0');
}

// ---------------------------------------------------------------------------------------------
// planning
// ---------------------------------------------------------------------------------------------

/** Plans each stage: checks it, assigns its scalars, reductions and slots their places. */
function planStages(stages: readonly Stage[]): {
  readonly plans: StagePlan[];
  readonly scalarCount: number;
  readonly leafScalarStride: number;
  readonly reductionCount: number;
  readonly leafReductionStride: number;
} {
  let scalarCount = 0;
  let leafScalarStride = 0;
  let reductionCount = 0;
  let leafReductionStride = 0;
  const plans = stages.map((stage, index): StagePlan => {
    if (typeof stage !== 'object' || stage === null) throw new CompileError('invalidKernel', `stage ${String(index)} is not an object`);
    const slots = stage.slots.map((s) => s.name);
    for (const s of slots) {
      if (typeof s !== 'string' || !SLOT_NAME.test(s)) throw invalid(stage, index, `slot name ${JSON.stringify(s)} must match ${String(SLOT_NAME)}`);
    }
    if (new Set(slots).size !== slots.length) throw invalid(stage, index, 'two slots share a name');
    const slotSet = new Set(slots);
    const next = slots.map((s) => {
      const e = Object.prototype.hasOwnProperty.call(stage.next, s) ? stage.next[s] : undefined;
      if (e === undefined) throw invalid(stage, index, `no next value for slot ${s}`);
      return e;
    });
    const bodyRoots = [stage.update, ...next];
    checkExpr(bodyRoots, stage, index, BODY_TAGS, slotSet);
    const hasLeafScalars = typeof stage.leafScalars === 'function';
    const globalReductions: ReductionPlan[] = [];
    const leafReductions: ReductionPlan[] = [];
    for (const r of stage.reductions) {
      if (!Object.prototype.hasOwnProperty.call(REDUCTIONS, r.kind)) throw invalid(stage, index, 'unknown reduction kind');
      if (typeof r.name !== 'string') throw invalid(stage, index, 'a reduction name is not a string');
      checkExpr([r.of], stage, index, REDUCTION_TAGS, slotSet);
      if (r.scope === 'global') globalReductions.push({ name: r.name, kind: r.kind, of: r.of, index: reductionCount++ });
      else if (r.scope === 'leaf') {
        // The interpreter folds per-leaf reductions only for leafScalars; without it they are unread.
        if (hasLeafScalars) leafReductions.push({ name: r.name, kind: r.kind, of: r.of, index: leafReductionStride++ });
      } else throw invalid(stage, index, 'a reduction scope must be global or leaf');
    }
    const scalars = scalarNames(bodyRoots).map((name): ScalarPlan => ({ name, index: hasLeafScalars ? leafScalarStride++ : scalarCount++ }));
    const reductionRoots = [...globalReductions, ...leafReductions].map((r) => r.of);
    return {
      index,
      stage,
      label: typeof stage.name === 'string' && LABEL.test(stage.name) ? stage.name : undefined,
      slots,
      globalReductions,
      leafReductions,
      hasLeafScalars,
      scalars,
      splits: globalReductions.length > 0 || leafReductions.length > 0,
      readsParam: readsTag([...bodyRoots, ...reductionRoots], 'param'),
    };
  });
  return { plans, scalarCount, leafScalarStride, reductionCount, leafReductionStride };
}

/** The variants of a pass and the variant of each leaf. */
function variantsOf(leaves: readonly LeafInfo[], actives: readonly (readonly boolean[])[], computed: number, include: (leaf: number) => boolean): { variants: VariantPlan[]; leafVariant: number[] } {
  const byKey = new Map<string, VariantPlan>();
  const variants: VariantPlan[] = [];
  const leafVariant = leaves.map((leaf, l) => {
    if (!include(l)) return -1;
    const active = actives.slice(0, computed).map((a) => a[l] === true);
    const key = `${leaf.dtype}:${active.map((a) => (a ? '1' : '0')).join('')}`;
    let v = byKey.get(key);
    if (v === undefined) {
      v = { id: variants.length, dtype: leaf.dtype, active };
      byKey.set(key, v);
      variants.push(v);
    }
    return v.id;
  });
  return { variants, leafVariant };
}

/**
 * Plans a chain of stages over a tree with these leaves. `actives[k][l]` says whether stage `k`
 * applies to leaf `l` (its mask).
 */
export function planKernel(stages: readonly Stage[], leaves: readonly LeafInfo[], actives: readonly (readonly boolean[])[]): Plan {
  const { plans, scalarCount, leafScalarStride, reductionCount, leafReductionStride } = planStages(stages);
  const passes: PassPlan[] = [];
  for (const sp of plans) {
    if (!sp.splits) continue;
    const k = sp.index;
    const { variants, leafVariant } = variantsOf(leaves, actives, k, (l) => actives[k]?.[l] === true);
    passes.push({
      index: passes.length,
      kind: 'reduce',
      reduceStage: k,
      computed: k,
      leafGranular: sp.leafReductions.length > 0 || plans.slice(0, k).some((p) => p.hasLeafScalars),
      variants,
      leafVariant,
    });
  }
  const store = variantsOf(leaves, actives, plans.length, () => true);
  passes.push({
    index: passes.length,
    kind: 'store',
    reduceStage: undefined,
    computed: plans.length,
    leafGranular: plans.some((p) => p.hasLeafScalars),
    variants: store.variants,
    leafVariant: store.leafVariant,
  });

  const stageKeys = plans.map((sp) => {
    const ids = new Map<Expr, number>();
    const body = [sp.stage.update, ...sp.slots.map((s) => sp.stage.next[s] as Expr)].map((e) => exprText(e, ids)).join(';');
    const reds = [...sp.globalReductions.map((r) => `G${r.kind}:${exprText(r.of, ids)}`), ...sp.leafReductions.map((r) => `L${r.kind}:${exprText(r.of, ids)}`)].join(';');
    return `${JSON.stringify(sp.stage.name)}|slots=${sp.slots.join(',')}|leafScalars=${String(sp.hasLeafScalars)}|body=${body}|red=${reds}|scalars=${sp.scalars.map((s) => JSON.stringify(s.name)).join(',')}`;
  });
  const leafKeys = leaves.map((leaf, l) => `${leaf.dtype === 'float32' ? 'f' : 'd'}${actives.map((a) => (a[l] === true ? '1' : '0')).join('')}`);
  const key = `stages:${stageKeys.join('\n')}\nleaves:${leafKeys.join(',')}`;
  return {
    key,
    hash: hashKey(key),
    stages: plans,
    passes,
    leafCount: leaves.length,
    scalarCount,
    leafScalarStride,
    reductionCount,
    leafReductionStride,
    readsParam: plans.some((p) => p.readsParam),
  };
}

// ---------------------------------------------------------------------------------------------
// segments
// ---------------------------------------------------------------------------------------------

/** Entries per segment in a segment table: `lo, hi, variant, leaf`. */
export const SEGMENT_STRIDE = 4;

/**
 * The segment table of a pass over a layout: `[lo, hi, variant, leaf]` per segment, in flatten
 * order (the order global reductions fold in). Offsets are into the dtype's flat buffer.
 */
export function segmentTable(pass: PassPlan, layout: TreeLayout): Int32Array {
  const out: number[] = [];
  for (const leaf of layout.leaves) {
    const v = pass.leafVariant[leaf.index] ?? -1;
    if (v < 0) continue;
    const lo = leaf.offset;
    const hi = leaf.offset + leaf.length;
    if (pass.leafGranular) {
      out.push(lo, hi, v, leaf.index);
      continue;
    }
    if (lo === hi) continue;
    const n = out.length;
    if (n > 0 && out[n - 2] === v && out[n - 3] === lo) out[n - 3] = hi;
    else out.push(lo, hi, v, leaf.index);
  }
  if (out.some((x) => x > 0x7fffffff)) throw new CompileError('storage', 'a flat buffer longer than 2^31 - 1 elements is not supported');
  return Int32Array.from(out);
}
