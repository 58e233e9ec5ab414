/**
 * Helpers shared by the combinators that stay fusable by rewriting their inner stages
 * (`masked`, `multiSteps`, `lookahead`, `flatten`): running a list of stages through the
 * reference interpreter, picking scalar names a stage does not already read, building mask
 * trees, and checking that an argument is a transformation. Internal: not exported from the
 * package.
 *
 * @module
 */
import type { Fusable, GradientTransformation } from '../base.js';
import { HyperparameterError, StateMismatchError } from '../errors.js';
import { references } from '../kernel/expr.js';
import type { Stage, StageState } from '../kernel/stage.js';
import { runStage } from '../interpret/interpret.js';
import { isLeaf } from '../tree/leaf.js';
import type { MaskTree } from '../tree/mask.js';
import { type Tree, type TreeLike, cloneTree, flatten, unflatten } from '../tree/tree.js';

/**
 * One update through a fusable description, stage by stage, by the reference interpreter:
 * fresh updates and state, nothing passed in modified. This is the reference semantics of a
 * combinator that is defined by rewriting stages.
 */
export function updateThroughStages<S, P extends TreeLike<P>>(fusable: Fusable<S>, owner: string, updates: P, state: S, params?: P): readonly [P, S] {
  const stages = fusable.stages;
  const states = fusable.toStageStates(state);
  if (states.length !== stages.length) throw new StateMismatchError(owner, `${String(stages.length)} stage states`, states);
  const def = flatten(updates).def;
  let u: Tree = updates as Tree;
  const next: StageState[] = [];
  stages.forEach((stage, i) => {
    const r = runStage(stage, u, states[i] as StageState, params as Tree | undefined);
    u = unflatten(def, r.updates);
    next.push(r.state);
  });
  // With no stages the updates pass through; the result must still be fresh arrays.
  const out = stages.length === 0 ? cloneTree(updates) : (u as P);
  return [out, fusable.fromStageStates(next)];
}

/** A scalar name (an identifier starting with `base`) that none of the stage's expressions reads. */
export function freshScalarName(stage: Stage, base: string, taken: readonly string[] = []): string {
  const used = new Set([...references([stage.update, ...Object.values(stage.next)]).scalars, ...taken]);
  let name = base;
  for (let i = 1; used.has(name); i++) name = `${base}${String(i)}`;
  return name;
}

/**
 * A mask tree with the structure of `tree` and the given boolean per leaf (flatten order).
 * Record keys are defined as own properties, so a key such as `__proto__` stays a key.
 */
export function maskTreeOf(tree: Tree, active: readonly boolean[]): MaskTree {
  let next = 0;
  const walk = (node: Tree): MaskTree => {
    if (isLeaf(node)) return active[next++] === true;
    if (Array.isArray(node)) return (node as readonly Tree[]).map(walk);
    const rec = node as { readonly [k: string]: Tree };
    const out: Record<string, MaskTree> = {};
    for (const k of Object.keys(rec).sort()) {
      Object.defineProperty(out, k, { value: walk(rec[k] as Tree), enumerable: true, writable: true, configurable: true });
    }
    return out;
  };
  return walk(tree);
}

/**
 * The tree with every leaf where `active` is false replaced by an empty record `{}` (a node
 * with no leaves), so array indices and record keys stay where they were: optax's
 * `MaskedNode`.
 */
export function pruneTree(tree: Tree, active: readonly boolean[]): Tree {
  let next = 0;
  const walk = (node: Tree): Tree => {
    if (isLeaf(node)) return active[next++] === true ? node : {};
    if (Array.isArray(node)) return (node as readonly Tree[]).map(walk);
    const rec = node as { readonly [k: string]: Tree };
    const out: Record<string, Tree> = {};
    for (const k of Object.keys(rec).sort()) {
      Object.defineProperty(out, k, { value: walk(rec[k] as Tree), enumerable: true, writable: true, configurable: true });
    }
    return out;
  };
  return walk(tree);
}

/** Checks that a combinator's argument is a gradient transformation. */
export function requireTransformation<S>(owner: string, name: string, value: GradientTransformation<S>): GradientTransformation<S> {
  const v = value as unknown;
  if (typeof v !== 'object' || v === null || typeof (v as { init?: unknown }).init !== 'function' || typeof (v as { update?: unknown }).update !== 'function') {
    throw new HyperparameterError(owner, name, 'a gradient transformation { init, update }', value);
  }
  return value;
}

/** Checks a count-like state field: an integer >= 0 (and < `below` when given). */
export function requireStateCount(owner: string, name: string, value: unknown, below?: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || (below !== undefined && value >= below)) {
    throw new StateMismatchError(owner, `a state whose ${name} is an integer in [0, ${below === undefined ? '∞' : String(below)})`, value);
  }
  return value;
}

/** Checks that a state is an object carrying these keys. */
export function requireStateObject(owner: string, state: unknown, keys: readonly string[]): Readonly<Record<string, unknown>> {
  if (typeof state !== 'object' || state === null || Array.isArray(state) || !keys.every((k) => k in state)) {
    throw new StateMismatchError(owner, `an object { ${keys.join(', ')} }`, state);
  }
  return state as Readonly<Record<string, unknown>>;
}
