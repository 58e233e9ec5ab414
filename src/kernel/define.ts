/**
 * `defineTransform`: turns a declarative definition into a runnable, fusable gradient
 * transformation. `init`/`update` run the reference interpreter; `fusable` hands the same
 * definition to the compiler.
 *
 * @module
 */
import type { Fusable, GradientTransformation } from '../base.js';
import type { TransformSpec } from '../spec/spec.js';
import { StateMismatchError } from '../errors.js';
import { initStage, runStage } from '../interpret/interpret.js';
import type { Mask } from '../tree/mask.js';
import { type Tree, type TreeLike, flatten, unflatten } from '../tree/tree.js';
import { slot as slotRef } from './dsl.js';
import type { Expr } from './expr.js';
import type { LeafScalarContext, ReductionDef, ScalarContext, Stage, StageState } from './stage.js';

/**
 * The state of a kernel-defined transformation: the update count and one tree per slot, shaped
 * like the params.
 * @category Base
 */
export type KernelState<K extends string = never> = { readonly count: number } & { readonly [k in K]: Tree };

/** A definition handed to {@link defineTransform}. */
export interface TransformDefinition<K extends string> {
  readonly name: string;
  readonly options: Readonly<Record<string, unknown>>;
  /** Slots and their initial values, e.g. `{ mu: 0, nu: 0 }`. */
  readonly slots?: { readonly [k in K]: number };
  readonly reductions?: readonly ReductionDef[];
  readonly scalars: (ctx: ScalarContext) => Readonly<Record<string, number>>;
  readonly leafScalars?: (ctx: LeafScalarContext) => Readonly<Record<string, number>>;
  /** The element-wise body, given each slot's old value; returns the update and new slots. */
  readonly body: (slots: { readonly [k in K]: Expr }) => { readonly update: Expr; readonly next: { readonly [k in K]: Expr } };
  readonly mask?: Mask;
}

const SLOT_NAME = /^[A-Za-z][A-Za-z0-9]*$/;

/** Builds the {@link Stage} of a definition, checking its names. */
export function defineStage<K extends string>(def: TransformDefinition<K>): Stage {
  const slotInits = (def.slots ?? {}) as Readonly<Record<string, number>>;
  const names = Object.keys(slotInits);
  for (const n of names) {
    if (!SLOT_NAME.test(n) || n === 'count') throw new Error(`${def.name}: invalid slot name ${JSON.stringify(n)}`);
  }
  const refs = Object.fromEntries(names.map((n) => [n, slotRef(n)])) as { readonly [k in K]: Expr };
  const { update, next } = def.body(refs);
  const nextRecord = next as Readonly<Record<string, Expr>>;
  for (const n of names) if (nextRecord[n] === undefined) throw new Error(`${def.name}: body gives no next value for slot ${n}`);
  return {
    name: def.name,
    options: def.options,
    slots: names.map((n) => ({ name: n, init: slotInits[n] as number })),
    reductions: def.reductions ?? [],
    scalars: def.scalars,
    ...(def.leafScalars === undefined ? {} : { leafScalars: def.leafScalars }),
    update,
    next: nextRecord,
    ...(def.mask === undefined ? {} : { mask: def.mask }),
  };
}

/** The user-facing state `{ count, mu, nu }` of a stage state. */
export function toKernelState<K extends string>(s: StageState): KernelState<K> {
  return { count: s.count, ...s.slots } as KernelState<K>;
}

/** The stage state of a user-facing state, checked. */
export function fromKernelState(stage: Stage, state: unknown): StageState {
  if (typeof state !== 'object' || state === null || Array.isArray(state)) {
    throw new StateMismatchError(stage.name, `an object { count${stage.slots.map((s) => `, ${s.name}`).join('')} }`, state);
  }
  const rec = state as Record<string, unknown>;
  if (typeof rec.count !== 'number') throw new StateMismatchError(stage.name, 'a state with a numeric count', rec.count);
  const slots: Record<string, Tree> = {};
  for (const s of stage.slots) {
    if (!(s.name in rec)) throw new StateMismatchError(stage.name, `a state with slot ${s.name}`, state);
    slots[s.name] = rec[s.name] as Tree;
  }
  return { count: rec.count, slots };
}

/** A transformation that runs one stage. */
export function fromStage<K extends string>(stage: Stage): GradientTransformation<KernelState<K>> {
  const fusable: Fusable<KernelState<K>> = {
    stages: [stage],
    toStageStates: (s) => [fromKernelState(stage, s)],
    fromStageStates: (states) => {
      const [s] = states;
      if (s === undefined || states.length !== 1) throw new StateMismatchError(stage.name, 'one stage state', states);
      return toKernelState<K>(s);
    },
  };
  return {
    init: (params) => toKernelState<K>(initStage(stage, params as Tree)),
    update: <P extends TreeLike<P>>(updates: P, state: KernelState<K>, params?: P): readonly [P, KernelState<K>] => {
      const result = runStage(stage, updates as Tree, fromKernelState(stage, state), params as Tree | undefined);
      return [unflatten(flatten(updates).def, result.updates) as P, toKernelState<K>(result.state)];
    },
    fusable,
    spec: { op: stage.name, ...stage.options } as TransformSpec,
  };
}

/**
 * Defines a gradient transformation declaratively: slots, per-step scalars, reductions and an
 * element-wise body.
 * @category Kernel
 */
export function defineTransform<K extends string = never>(def: TransformDefinition<K>): GradientTransformation<KernelState<K>> {
  return fromStage<K>(defineStage(def));
}
