/**
 * The reference evaluator: runs one stage leaf by leaf into fresh arrays.
 *
 * Each expression node is evaluated over a whole leaf at once, in float64, memoized by node
 * identity (so a node shared in the DAG is computed once, as the compiler does); results are
 * rounded to the leaf's dtype only when stored. This is the semantics every compiled backend
 * must reproduce.
 *
 * @module
 */
import { MissingParamsError, StateMismatchError } from '../errors.js';
import type { Expr } from '../kernel/expr.js';
import { OPS } from '../kernel/ops.js';
import { REDUCTIONS } from '../kernel/reductions.js';
import type { Stage, StageState } from '../kernel/stage.js';
import { type FloatArray, allocate } from '../tree/leaf.js';
import { resolveMask } from '../tree/mask.js';
import { type FlatLeaf, type Tree, assertSameStructure, flatten, unflatten } from '../tree/tree.js';

/** A uniform number, or one float64 value per element. */
type Value = number | FloatArray;

interface Env {
  readonly owner: string;
  readonly n: number;
  readonly g: FloatArray;
  readonly p: FloatArray | undefined;
  readonly slots: Readonly<Record<string, FloatArray>>;
  readonly scalars: Readonly<Record<string, number>>;
}

const at = (v: Value, i: number): number => (typeof v === 'number' ? v : (v[i] as number));

/** Evaluates expression roots over one leaf. */
export function evaluate(roots: readonly Expr[], env: Env): Value[] {
  const memo = new Map<Expr, Value>();
  const ev = (e: Expr): Value => {
    const hit = memo.get(e);
    if (hit !== undefined) return hit;
    let v: Value;
    switch (e.tag) {
      case 'const':
        v = e.value;
        break;
      case 'update':
        v = env.g;
        break;
      case 'param':
        if (env.p === undefined) throw new MissingParamsError(env.owner);
        v = env.p;
        break;
      case 'slot': {
        const s = env.slots[e.name];
        if (s === undefined) throw new Error(`${env.owner}: kernel reads unknown slot ${e.name}`);
        v = s;
        break;
      }
      case 'scalar': {
        const s = env.scalars[e.name];
        if (s === undefined) throw new Error(`${env.owner}: kernel reads scalar ${e.name}, which scalars() did not give`);
        v = s;
        break;
      }
      case 'op': {
        const spec = OPS[e.op];
        const args = e.args.map(ev);
        if (args.every((a) => typeof a === 'number')) {
          const [x = 0, y = 0, z = 0] = args as number[];
          v = spec.eval(x, y, z);
          break;
        }
        const out = new Float64Array(env.n);
        const [a, b, c] = args as [Value, Value?, Value?];
        if (spec.arity === 1) for (let i = 0; i < env.n; i++) out[i] = spec.eval(at(a, i), 0, 0);
        else if (spec.arity === 2) for (let i = 0; i < env.n; i++) out[i] = spec.eval(at(a, i), at(b as Value, i), 0);
        else for (let i = 0; i < env.n; i++) out[i] = spec.eval(at(a, i), at(b as Value, i), at(c as Value, i));
        v = out;
        break;
      }
      default: {
        const never: never = e;
        v = never;
      }
    }
    memo.set(e, v);
    return v;
  };
  return roots.map(ev);
}

/** Stores a value into a fresh array of the dtype (rounding to float32 where it applies). */
function store(value: Value, like: FloatArray, n: number): FloatArray {
  const out = allocate(like instanceof Float32Array ? 'float32' : 'float64', n);
  if (typeof value === 'number') out.fill(value);
  else out.set(value);
  return out;
}

/** The initial state of a stage for these params. */
export function initStage(stage: Stage, params: Tree): StageState {
  const { leaves, def } = flatten(params);
  const slots: Record<string, Tree> = {};
  for (const s of stage.slots) {
    slots[s.name] = unflatten(def, leaves.map((l) => allocate(l.dtype, l.data.length).fill(s.init)));
  }
  return { count: 0, slots };
}

function fold(kind: Stage['reductions'][number]['kind'], acc: number, value: Value, n: number): number {
  const step = REDUCTIONS[kind].step;
  let a = acc;
  for (let i = 0; i < n; i++) a = step(a, at(value, i));
  return a;
}

/**
 * One update of one stage: fresh updates (one array per leaf, in flatten order) and a fresh
 * state. Nothing passed in is modified.
 */
export function runStage(
  stage: Stage,
  updates: Tree,
  state: StageState,
  params: Tree | undefined,
): { readonly updates: FloatArray[]; readonly state: StageState } {
  const owner = stage.name;
  const u = flatten(updates);
  const pFlat = params === undefined ? undefined : flatten(params);
  if (pFlat !== undefined) assertSameStructure(pFlat.def, u.def, `${owner}: updates against params`);
  if (typeof state.count !== 'number' || !Number.isInteger(state.count) || state.count < 0) {
    throw new StateMismatchError(owner, 'a state with an integer count >= 0', state.count);
  }
  const slotLeaves: Record<string, readonly FlatLeaf[]> = {};
  const slotDefs: Record<string, ReturnType<typeof flatten>['def']> = {};
  for (const s of stage.slots) {
    const tree = state.slots[s.name];
    if (tree === undefined) throw new StateMismatchError(owner, `a state with slot ${s.name}`, state.slots);
    const f = flatten(tree);
    assertSameStructure(f.def, u.def, `${owner}: updates against state.${s.name}`);
    slotLeaves[s.name] = f.leaves;
    slotDefs[s.name] = f.def;
  }
  const active = stage.mask === undefined ? undefined : resolveMask(stage.mask, params ?? updates, owner);
  const isActive = (i: number): boolean => active === undefined || active[i] === true;

  const count = state.count;
  const slotEnv = (i: number): Record<string, FloatArray> => {
    const env: Record<string, FloatArray> = {};
    for (const s of stage.slots) env[s.name] = (slotLeaves[s.name]?.[i] as FlatLeaf).data;
    return env;
  };
  const leafEnv = (i: number, scalars: Readonly<Record<string, number>>): Env => {
    const leaf = u.leaves[i] as FlatLeaf;
    return { owner, n: leaf.data.length, g: leaf.data, p: pFlat?.leaves[i]?.data, slots: slotEnv(i), scalars };
  };

  const reductions: Record<string, number> = {};
  for (const r of stage.reductions) {
    if (r.scope !== 'global') continue;
    let acc: number = REDUCTIONS[r.kind].init;
    u.leaves.forEach((leaf, i) => {
      if (!isActive(i)) return;
      const [value] = evaluate([r.of], leafEnv(i, {}));
      acc = fold(r.kind, acc, value as Value, leaf.data.length);
    });
    reductions[r.name] = acc;
  }
  const hyper = state.hyper ?? {};
  const scalars = stage.scalars({ count, reductions, hyper });

  const roots = [stage.update, ...stage.slots.map((s) => {
    const e = stage.next[s.name];
    if (e === undefined) throw new Error(`${owner}: no next value for slot ${s.name}`);
    return e;
  })];
  const outUpdates: FloatArray[] = [];
  const outSlots: Record<string, FloatArray[]> = Object.fromEntries(stage.slots.map((s) => [s.name, []]));
  u.leaves.forEach((leaf, i) => {
    const n = leaf.data.length;
    if (!isActive(i)) {
      outUpdates.push(leaf.data.slice());
      for (const s of stage.slots) outSlots[s.name]?.push((slotLeaves[s.name]?.[i] as FlatLeaf).data.slice());
      return;
    }
    let leafScalars = scalars;
    if (stage.leafScalars !== undefined) {
      const leafReductions: Record<string, number> = {};
      for (const r of stage.reductions) {
        if (r.scope !== 'leaf') continue;
        const [value] = evaluate([r.of], leafEnv(i, scalars));
        leafReductions[r.name] = fold(r.kind, REDUCTIONS[r.kind].init, value as Value, n);
      }
      leafScalars = { ...scalars, ...stage.leafScalars({ count, reductions, hyper, scalars, leafReductions, size: n }) };
    }
    const values = evaluate(roots, leafEnv(i, leafScalars));
    outUpdates.push(store(values[0] as Value, leaf.data, n));
    stage.slots.forEach((s, k) => {
      const old = (slotLeaves[s.name]?.[i] as FlatLeaf).data;
      outSlots[s.name]?.push(store(values[k + 1] as Value, old, n));
    });
  });
  const newSlots: Record<string, Tree> = {};
  for (const s of stage.slots) newSlots[s.name] = unflatten(slotDefs[s.name] as ReturnType<typeof flatten>['def'], outSlots[s.name] ?? []);
  return { updates: outUpdates, state: { count: count + 1, slots: newSlots, ...(state.hyper === undefined ? {} : { hyper: state.hyper }) } };
}
