/**
 * The STATED BOUND of the wasm backend against the reference, computed per element: a running
 * error analysis that evaluates a chain's stages exactly as the reference interpreter does
 * (float64 per node, rounding to the leaf's dtype only on store) and carries, for each value r,
 * a bound e on |w − r| where w is what the wasm backend computes.
 *
 * The rules (u₃₂ = 2⁻²⁴, u₆₄ = 2⁻⁵³, η₃₂ = 2⁻¹⁵⁰, η₆₄ = 2⁻¹⁰⁷⁴):
 *
 * - Inputs (gradients, params, state) are exact: e = 0.
 * - Values that depend only on per-step scalars and constants are computed in float64 by both
 *   (e = 0) unless a scalar was perturbed by a reduction (below); entering float32 lanes they are
 *   rounded once: e' = |fround(r) − r| (e = 0), or e + u₃₂(|r| + e) + η₃₂.
 * - An operation whose operands are all exact gives exactly the reference's value rounded to the
 *   lane's format: e = |round(r) − r| (0 in float64; one float32 rounding in float32, since
 *   IEEE +, −, ×, ÷, √ of float32 operands are correctly rounded and double rounding through
 *   float64 is innocuous; min, max, abs, neg, sign, comparisons, select are exact; tanh, exp,
 *   log, pow are the same `Math` call).
 * - Otherwise, with Δ the operation's sensitivity to its operands' errors —
 *   add/sub e_a + e_b; mul |a|e_b + |b|e_a + e_a·e_b; div (|a|e_b + |b|e_a) / (|b|(|b| − e_b)) if
 *   |b| > e_b; sqrt e_a / (√a + √(a − e_a)) if a ≥ e_a; min/max max(e_a, e_b); abs/neg e_a;
 *   tanh e_a; exp e^a(e^{e_a} − 1); log −log(1 − e_a/a) if a > e_a; pow the largest deviation at
 *   the corners of the operand box (base > e_a); comparisons, sign, isNaN, isFinite, select: 0
 *   when the outcome cannot change, else the largest possible jump —
 *   e = Δ for the exact operations, and e = Δ + u(|r| + Δ) + η + u₆₄|r| for the rounding ones
 *   (u, η of the lane format; +4u₆₄|r| more for the `Math` functions).
 * - Unbounded (e = ∞): a float32 value that may overflow (|r| + e > 3.4028235e38), a division by
 *   an interval containing 0, a square root or logarithm of an interval reaching below 0, a
 *   non-finite r reached through inexact operands (except √ and log of an interval entirely below
 *   0: NaN in both, e = 0).
 * - Stored values: R = round(r), e ← e + |r − R|.
 * - Reductions: sumSquares over n elements differs from the reference's sequential sum by at
 *   most Σ(2|r_i|e_i + e_i²) + (n + 4)·u₆₄·(2R + Σ(2|r_i|e_i + e_i²)) (the lane sum of exact
 *   float64 squares in another order, plus the operands' errors); maxAbs by max e_i; allFinite
 *   not at all when no operand can change finiteness. The stage's scalars are then perturbed by
 *   at most the largest deviation of `scalars()` (and `leafScalars()`) evaluated at the corners of
 *   the reductions' error intervals (exact for the monotone scalars of the library's stages).
 *
 * `analyzeStep` returns, per output element, the reference value R and the bound e; a test
 * checks |w − R| ≤ e for the wasm backend's outputs (and that R equals the reference
 * interpreter's output bit for bit, which validates the analysis itself).
 */
import type { GradientTransformation } from '../../../src/base.js';
import type { Expr, Op } from '../../../src/kernel/expr.js';
import { OPS } from '../../../src/kernel/ops.js';
import { REDUCTIONS, type ReductionKind } from '../../../src/kernel/reductions.js';
import type { Stage, StageState } from '../../../src/kernel/stage.js';
import type { Dtype, FloatArray } from '../../../src/tree/leaf.js';
import { resolveMask } from '../../../src/tree/mask.js';
import { type Tree, flatten } from '../../../src/tree/tree.js';

export const U32 = 2 ** -24;
export const U64 = 2 ** -53;
const ETA32 = 2 ** -150;
const ETA64 = 5e-324;
export const F32_MAX = 3.4028234663852886e38;

/** Per-element values of a leaf: reference values and error bounds. */
export interface Bounded {
  readonly r: Float64Array;
  readonly e: Float64Array;
}

/** A value in the analysis: uniform (per step / per leaf) or per element. */
type Val = { readonly uniform: true; readonly r: number; readonly e: number } | { readonly uniform: false; readonly r: Float64Array; readonly e: Float64Array };

const round = (x: number, d: Dtype): number => (d === 'float32' ? Math.fround(x) : x);

/** |round(r) − r|: the error of rounding an exact value into the format (0 for NaN/±∞ themselves). */
function roundError(r: number, d: Dtype): number {
  if (!Number.isFinite(r)) return 0;
  const w = round(r, d);
  return Number.isFinite(w) ? Math.abs(w - r) : Infinity;
}

/** A uniform value (f64, error e) entering lanes of format d. */
function entering(r: number, e: number, d: Dtype): number {
  if (d === 'float64') return e;
  if (e === 0) return roundError(r, d);
  if (!(e < Infinity) || !Number.isFinite(r)) return Infinity;
  const out = e + U32 * (Math.abs(r) + e) + ETA32;
  return Math.abs(r) + out > F32_MAX ? Infinity : out;
}

const EXACT_OPS = new Set(['neg', 'abs', 'sign', 'isNaN', 'isFinite', 'max', 'min', 'lt', 'le', 'gt', 'ge', 'eq', 'select']);
const MATH_OPS = new Set(['tanh', 'exp', 'log', 'pow']);

interface Arg {
  readonly r: number;
  readonly e: number;
}

/** The bound of one operation in format d, from its operands' (r, e) and its reference result r. */
export function opBound(op: Op, args: readonly Arg[], r: number, d: Dtype): number {
  if (args.every((a) => a.e === 0)) return roundError(r, d);
  if (args.some((a) => !(a.e < Infinity))) return Infinity;
  const [a = { r: 0, e: 0 }, b = { r: 0, e: 0 }, c = { r: 0, e: 0 }] = args;
  // √ and log of an interval entirely below 0: NaN in both.
  if ((op === 'sqrt' || op === 'log') && a.r + a.e < 0) return 0;
  const certainOrder = (x: Arg, y: Arg): boolean => Number.isFinite(x.r) && Number.isFinite(y.r) && Math.abs(x.r - y.r) > x.e + y.e;
  const nonzero = (x: Arg): boolean => x.e === 0 || (Number.isFinite(x.r) && Math.abs(x.r) > x.e);
  let delta: number;
  switch (op) {
    case 'add':
    case 'sub':
      delta = a.e + b.e;
      break;
    case 'mul':
      delta = Math.abs(a.r) * b.e + Math.abs(b.r) * a.e + a.e * b.e;
      break;
    case 'div':
      delta = Math.abs(b.r) > b.e ? (Math.abs(a.r) * b.e + Math.abs(b.r) * a.e) / (Math.abs(b.r) * (Math.abs(b.r) - b.e)) : Infinity;
      break;
    case 'sqrt':
      delta = a.r >= a.e ? a.e / (Math.sqrt(a.r) + Math.sqrt(a.r - a.e)) : Infinity;
      if (a.r >= a.e && a.r === 0) delta = Math.sqrt(a.e);
      break;
    case 'max':
    case 'min':
      delta = Math.max(a.e, b.e);
      break;
    case 'abs':
    case 'neg':
    case 'tanh':
      delta = a.e;
      break;
    case 'exp':
      delta = Math.exp(a.r) * Math.expm1(a.e);
      break;
    case 'log':
      delta = a.r > a.e ? -Math.log1p(-a.e / a.r) : Infinity;
      break;
    case 'pow': {
      if (!(a.r > a.e)) {
        delta = Infinity;
        break;
      }
      delta = 0;
      for (const x of [a.r - a.e, a.r + a.e]) for (const y of [b.r - b.e, b.r + b.e]) delta = Math.max(delta, Math.abs(Math.pow(x, y) - r));
      break;
    }
    case 'sign':
      delta = nonzero(a) && !Number.isNaN(a.r) ? 0 : 2;
      break;
    case 'lt':
    case 'le':
    case 'gt':
    case 'ge':
    case 'eq':
      delta = certainOrder(a, b) ? 0 : 1;
      break;
    case 'isNaN':
      delta = Number.isNaN(a.r) ? 1 : 0;
      break;
    case 'isFinite':
      delta = Number.isFinite(a.r) && (d === 'float64' || Math.abs(a.r) + a.e < F32_MAX) ? 0 : 1;
      break;
    case 'select': {
      const taken = a.r !== 0 ? b : c;
      if (nonzero(a) && !Number.isNaN(a.r)) delta = taken.e;
      else if (a.r === 0 && a.e === 0) delta = taken.e;
      else delta = Number.isFinite(b.r) && Number.isFinite(c.r) ? Math.max(b.e, c.e) + Math.abs(b.r - c.r) : Infinity;
      break;
    }
    default: {
      const never: never = op;
      throw new Error(`bound: unknown op ${String(never)}`);
    }
  }
  if (!(delta < Infinity) || !Number.isFinite(r)) return Infinity;
  let e = delta;
  if (!EXACT_OPS.has(op)) {
    const u = d === 'float32' ? U32 : U64;
    const eta = d === 'float32' ? ETA32 : ETA64;
    e = delta + u * (Math.abs(r) + delta) + eta + U64 * Math.abs(r) + (MATH_OPS.has(op) ? 4 * U64 * Math.abs(r) : 0);
  }
  if (d === 'float32' && Math.abs(r) + e > F32_MAX) return Infinity;
  return e;
}

// ---------------------------------------------------------------------------------------------
// evaluating a stage with bounds
// ---------------------------------------------------------------------------------------------

interface LeafEnv {
  readonly n: number;
  readonly dtype: Dtype;
  readonly g: Val;
  readonly p: Val | undefined;
  readonly slots: Readonly<Record<string, Val>>;
  readonly scalars: Readonly<Record<string, { readonly r: number; readonly e: number }>>;
}

const exactArray = (data: FloatArray): Val => ({ uniform: false, r: Float64Array.from(data), e: new Float64Array(data.length) });

/** Evaluates expression roots over one leaf with bounds, as the reference evaluates them. */
function evaluate(roots: readonly Expr[], env: LeafEnv): Val[] {
  const memo = new Map<Expr, Val>();
  const ev = (x: Expr): Val => {
    const hit = memo.get(x);
    if (hit !== undefined) return hit;
    let v: Val;
    switch (x.tag) {
      case 'const':
        v = { uniform: true, r: x.value, e: 0 };
        break;
      case 'update':
        v = env.g;
        break;
      case 'param':
        if (env.p === undefined) throw new Error('bound: the stage reads params');
        v = env.p;
        break;
      case 'slot': {
        const s = env.slots[x.name];
        if (s === undefined) throw new Error(`bound: slot ${x.name}`);
        v = s;
        break;
      }
      case 'scalar': {
        const s = env.scalars[x.name];
        if (s === undefined) throw new Error(`bound: scalar ${x.name}`);
        v = { uniform: true, r: s.r, e: s.e };
        break;
      }
      case 'op': {
        const spec = OPS[x.op];
        const args = x.args.map(ev);
        if (args.every((a) => a.uniform)) {
          const as = args as { r: number; e: number }[];
          const [p = 0, q = 0, t = 0] = as.map((a) => a.r);
          const r = spec.eval(p, q, t);
          v = { uniform: true, r, e: opBound(x.op, as, r, 'float64') };
          break;
        }
        const r = new Float64Array(env.n);
        const e = new Float64Array(env.n);
        const at = (a: Val, i: number): Arg =>
          a.uniform ? { r: a.r, e: entering(a.r, a.e, env.dtype) } : { r: a.r[i] as number, e: a.e[i] as number };
        for (let i = 0; i < env.n; i++) {
          const xs = args.map((a) => at(a, i));
          const [p = { r: 0, e: 0 }, q = { r: 0, e: 0 }, t = { r: 0, e: 0 }] = xs;
          const ri = spec.eval(p.r, q.r, t.r);
          r[i] = ri;
          e[i] = opBound(x.op, xs, ri, env.dtype);
        }
        v = { uniform: false, r, e };
        break;
      }
      default: {
        const never: never = x;
        throw new Error(`bound: unknown node ${String(never)}`);
      }
    }
    memo.set(x, v);
    return v;
  };
  return roots.map(ev);
}

/** A value as the lanes of format d hold it (a reduction operand, not stored): raw r, bound e. */
function perElement(v: Val, n: number, d: Dtype): Bounded {
  if (!v.uniform) return { r: v.r, e: v.e };
  return { r: new Float64Array(n).fill(v.r), e: new Float64Array(n).fill(entering(v.r, v.e, d)) };
}

/** A value stored into a leaf of dtype d: R = round(r), e + |r − R|. */
function stored(v: Val, n: number, d: Dtype): Bounded {
  const r = new Float64Array(n);
  const e = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const ri = v.uniform ? v.r : (v.r[i] as number);
    const ei = v.uniform ? entering(v.r, v.e, d) : (v.e[i] as number);
    const R = round(ri, d);
    r[i] = R;
    e[i] = ei === 0 && !Number.isFinite(ri) ? 0 : ei + (Number.isFinite(R) || !Number.isFinite(ri) ? Math.abs(ri - R) || 0 : Infinity);
  }
  return { r, e };
}

interface Reduced {
  readonly value: number;
  /** Bound on the wasm value's distance (∞: unknown). */
  readonly delta: number;
}

/** A reduction's reference value (sequential fold) and the bound on the wasm value. */
function reduce(kind: ReductionKind, parts: readonly { readonly r: ArrayLike<number>; readonly e: ArrayLike<number>; readonly dtype: Dtype }[]): Reduced {
  let value: number = REDUCTIONS[kind].init;
  let n = 0;
  let spread = 0;
  let maxE = 0;
  let anyInexact = false;
  let finitenessCertain = true;
  for (const part of parts) {
    for (let i = 0; i < part.r.length; i++) {
      const x = part.r[i] as number;
      const e = part.e[i] as number;
      value = REDUCTIONS[kind].step(value, x);
      n++;
      if (e !== 0) anyInexact = true;
      spread += 2 * Math.abs(x) * e + e * e;
      maxE = Math.max(maxE, e);
      const finiteForSure = Number.isFinite(x) && e < Infinity && (part.dtype === 'float64' || Math.abs(x) + e < F32_MAX);
      if (e !== 0 && !finiteForSure) finitenessCertain = false;
    }
  }
  switch (kind) {
    case 'sumSquares':
      if (!anyInexact && !Number.isFinite(value)) return { value, delta: 0 };
      return { value, delta: Number.isFinite(spread) && Number.isFinite(value) ? spread + (n + 4) * U64 * (2 * value + spread) : Infinity };
    case 'maxAbs':
      return { value, delta: anyInexact ? maxE : 0 };
    case 'allFinite':
      return { value, delta: finitenessCertain ? 0 : Infinity };
    default: {
      const never: never = kind;
      return never;
    }
  }
}

/** The corners of reductions' error intervals (clamped to where each kind lives). */
function corners(kinds: readonly ReductionKind[], reds: readonly Reduced[]): number[][] {
  let out: number[][] = [[]];
  reds.forEach((red, j) => {
    if (red.delta === 0) {
      out = out.map((c) => [...c, red.value]);
      return;
    }
    const kind = kinds[j] as ReductionKind;
    const ends = kind === 'allFinite' ? [0, 1] : [Math.max(0, red.value - red.delta), red.value + red.delta];
    out = out.flatMap((c) => ends.map((x) => [...c, x]));
  });
  return out;
}

/** The largest deviation of each named number over the corner records (∞ if one is not finite where the center is). */
function deviations(center: Readonly<Record<string, number>>, others: readonly Readonly<Record<string, number>>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of Object.keys(center)) {
    const c = center[k] as number;
    let dev = 0;
    for (const o of others) {
      const x = o[k];
      if (typeof x !== 'number') continue;
      if (Object.is(x, c)) continue;
      dev = Math.max(dev, Number.isFinite(x) && Number.isFinite(c) ? Math.abs(x - c) : Infinity);
    }
    Object.defineProperty(out, k, { value: dev, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** Per leaf of the tree: dtype and data. */
interface LeafData {
  readonly dtype: Dtype;
  readonly data: FloatArray;
}

/** One stage over all leaves, with bounds: new update values, new slot values. */
function runStage(stage: Stage, state: StageState, u: readonly Bounded[], params: readonly LeafData[], paramsTree: Tree): { readonly u: Bounded[]; readonly slots: Record<string, Bounded[]> } {
  const active = stage.mask === undefined ? undefined : resolveMask(stage.mask, paramsTree, stage.name);
  const isActive = (i: number): boolean => active === undefined || active[i] === true;
  const slotData: Record<string, readonly LeafData[]> = {};
  for (const s of stage.slots) slotData[s.name] = flatten(state.slots[s.name] as Tree).leaves.map((l) => ({ dtype: l.dtype, data: l.data }));
  const envOf = (i: number, scalars: LeafEnv['scalars']): LeafEnv => {
    const leaf = params[i] as LeafData;
    const slots: Record<string, Val> = {};
    for (const s of stage.slots) slots[s.name] = exactArray((slotData[s.name]?.[i] as LeafData).data);
    const ui = u[i] as Bounded;
    return { n: leaf.data.length, dtype: leaf.dtype, g: { uniform: false, r: ui.r, e: ui.e }, p: exactArray(leaf.data), slots, scalars };
  };
  const hyper = state.hyper ?? {};
  const count = state.count;
  // global reductions
  const globals = stage.reductions.filter((r) => r.scope === 'global');
  const globalReds = globals.map((red) =>
    reduce(
      red.kind,
      params.flatMap((leaf, i) => {
        if (!isActive(i)) return [];
        const [v] = evaluate([red.of], envOf(i, {}));
        return [{ ...perElement(v as Val, leaf.data.length, leaf.dtype), dtype: leaf.dtype }];
      }),
    ),
  );
  const record = (values: readonly number[]): Record<string, number> => {
    const out: Record<string, number> = {};
    globals.forEach((g, j) => Object.defineProperty(out, g.name, { value: values[j], enumerable: true, writable: true, configurable: true }));
    return out;
  };
  const center = stage.scalars({ count, reductions: record(globalReds.map((r) => r.value)), hyper });
  const globalCorners = corners(globals.map((g) => g.kind), globalReds);
  const cornerScalars = globalCorners.map((c) => stage.scalars({ count, reductions: record(c), hyper }));
  const scalarDev = deviations(center, cornerScalars);
  const scalarsOf = (rec: Readonly<Record<string, number>>, dev: Readonly<Record<string, number>>): Record<string, { r: number; e: number }> => {
    const out: Record<string, { r: number; e: number }> = {};
    for (const k of Object.keys(rec)) Object.defineProperty(out, k, { value: { r: rec[k] as number, e: dev[k] ?? 0 }, enumerable: true, writable: true, configurable: true });
    return out;
  };
  const roots = [stage.update, ...stage.slots.map((s) => stage.next[s.name] as Expr)];
  const outU: Bounded[] = [];
  const outSlots: Record<string, Bounded[]> = Object.fromEntries(stage.slots.map((s) => [s.name, []]));
  params.forEach((leaf, i) => {
    const n = leaf.data.length;
    if (!isActive(i)) {
      outU.push(u[i] as Bounded);
      for (const s of stage.slots) outSlots[s.name]?.push({ r: Float64Array.from((slotData[s.name]?.[i] as LeafData).data), e: new Float64Array(n) });
      return;
    }
    let scalars = scalarsOf(center, scalarDev);
    if (stage.leafScalars !== undefined) {
      const leafDefs = stage.reductions.filter((r) => r.scope === 'leaf');
      const leafReds = leafDefs.map((red) => {
        const [v] = evaluate([red.of], envOf(i, scalars));
        return reduce(red.kind, [{ ...perElement(v as Val, n, leaf.dtype), dtype: leaf.dtype }]);
      });
      const leafRecord = (values: readonly number[]): Record<string, number> => {
        const out: Record<string, number> = {};
        leafDefs.forEach((g, j) => Object.defineProperty(out, g.name, { value: values[j], enumerable: true, writable: true, configurable: true }));
        return out;
      };
      const fn = stage.leafScalars;
      const leafCenter = { ...center, ...fn({ count, reductions: record(globalReds.map((r) => r.value)), hyper, scalars: center, leafReductions: leafRecord(leafReds.map((r) => r.value)), size: n }) };
      const all = corners([...globals.map((g) => g.kind), ...leafDefs.map((g) => g.kind)], [...globalReds, ...leafReds]);
      const others = all.map((c) => {
        const gs = c.slice(0, globals.length);
        const ls = c.slice(globals.length);
        const sc = stage.scalars({ count, reductions: record(gs), hyper });
        return { ...sc, ...fn({ count, reductions: record(gs), hyper, scalars: sc, leafReductions: leafRecord(ls), size: n }) };
      });
      scalars = scalarsOf(leafCenter, deviations(leafCenter, others));
    }
    const values = evaluate(roots, envOf(i, scalars));
    outU.push(stored(values[0] as Val, n, leaf.dtype));
    stage.slots.forEach((s, k) => outSlots[s.name]?.push(stored(values[k + 1] as Val, n, leaf.dtype)));
  });
  return { u: outU, slots: outSlots };
}

/** The result of one analyzed step: per leaf in flatten order. */
export interface StepBounds {
  readonly updates: readonly Bounded[];
  /** Per stage, per slot name, per leaf. */
  readonly slots: readonly Readonly<Record<string, readonly Bounded[]>>[];
  /** `params + updates`, stored. */
  readonly params: readonly Bounded[];
  readonly dtypes: readonly Dtype[];
}

/** Analyzes one step of `tx` from (grads, state, params), the reference's inputs. */
export function analyzeStep(tx: GradientTransformation<unknown>, grads: Tree, state: unknown, params: Tree): StepBounds {
  const fusable = tx.fusable;
  if (fusable === undefined) throw new Error('bound: not fusable');
  const stageStates = fusable.toStageStates(state);
  const leaves = flatten(params).leaves.map((l) => ({ dtype: l.dtype, data: l.data }));
  let u: Bounded[] = flatten(grads).leaves.map((l) => ({ r: Float64Array.from(l.data), e: new Float64Array(l.data.length) }));
  const slots: Record<string, Bounded[]>[] = [];
  fusable.stages.forEach((stage, k) => {
    const out = runStage(stage, stageStates[k] as StageState, u, leaves, params);
    u = out.u;
    slots.push(out.slots);
  });
  const newParams = leaves.map((leaf, i) => {
    const ui = u[i] as Bounded;
    const n = leaf.data.length;
    const r = new Float64Array(n);
    const e = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      const a = { r: leaf.data[k] as number, e: 0 };
      const b = { r: ui.r[k] as number, e: ui.e[k] as number };
      const sum = a.r + b.r;
      const bound = opBound('add', [a, b], sum, leaf.dtype);
      const R = round(sum, leaf.dtype);
      r[k] = R;
      e[k] = bound === 0 && !Number.isFinite(sum) ? 0 : bound + (Number.isFinite(R) || !Number.isFinite(sum) ? Math.abs(sum - R) || 0 : Infinity);
    }
    return { r, e };
  });
  return { updates: u, slots, params: newParams, dtypes: leaves.map((l) => l.dtype) };
}

/** Distance in units in the last place of the format, between two values of it (0 for equal, ∞ across NaN). */
export function ulps(a: number, b: number, d: Dtype): number {
  if (Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b))) return 0;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return Infinity;
  const bits = (x: number): bigint => {
    const dv = new DataView(new ArrayBuffer(8));
    if (d === 'float32') {
      dv.setFloat32(0, x);
      const v = BigInt(dv.getInt32(0));
      return v < 0n ? -(v & 0x7fffffffn) : v;
    }
    dv.setFloat64(0, x);
    const v = dv.getBigInt64(0);
    return v < 0n ? -(v & 0x7fffffffffffffffn) : v;
  };
  const diff = bits(a) - bits(b);
  return Number(diff < 0n ? -diff : diff);
}
