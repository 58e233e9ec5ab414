/**
 * A stage: one transformation's complete declarative definition. The interpreter evaluates it
 * leaf by leaf; the compiler lowers a chain of stages into fused loops. Nothing else defines
 * what a transformation computes.
 *
 * @module
 */
import type { Mask } from '../tree/mask.js';
import type { Tree } from '../tree/tree.js';
import type { Expr } from './expr.js';
import type { ReductionKind } from './reductions.js';

/** A per-element state slot (Adam's `mu`, `nu`), with the value it starts at. */
export interface SlotDef {
  readonly name: string;
  readonly init: number;
}

/** A reduction over the stage's input, read by `scalars` (global) or `leafScalars` (per leaf). */
export interface ReductionDef {
  readonly name: string;
  readonly kind: ReductionKind;
  /** The element expression reduced; reads only `g`, `p` and constants. */
  readonly of: Expr;
  readonly scope: 'global' | 'leaf';
}

/** What `scalars` sees: the count before this step, the global reductions, injected values. */
export interface ScalarContext {
  /** Updates taken before this one: 0 on the first update (schedules take this). */
  readonly count: number;
  readonly reductions: Readonly<Record<string, number>>;
  /**
   * Hyperparameter values carried in the state (see `injectHyperparams`); `{}` for a stage
   * whose hyperparameters are fixed at construction. Backends always pass it.
   */
  readonly hyper?: Readonly<Record<string, number>>;
}

/** What `leafScalars` sees, per leaf. */
export interface LeafScalarContext extends ScalarContext {
  /** This step's global scalars. */
  readonly scalars: Readonly<Record<string, number>>;
  /** This leaf's reductions. */
  readonly leafReductions: Readonly<Record<string, number>>;
  /** The leaf's element count. */
  readonly size: number;
}

/**
 * The definition of one transformation.
 * @category Kernel
 */
export interface Stage {
  /** The constructor's name, e.g. `scaleByAdam` (printing, specs, generated comments). */
  readonly name: string;
  /** The validated options, defaults filled in (JSON-describable where the values are). */
  readonly options: Readonly<Record<string, unknown>>;
  /** Per-element state. */
  readonly slots: readonly SlotDef[];
  /** Reductions of the incoming update (or params) needed before the body. */
  readonly reductions: readonly ReductionDef[];
  /** Per-step numbers, computed once per step in plain TypeScript by every path. */
  readonly scalars: (ctx: ScalarContext) => Readonly<Record<string, number>>;
  /** Per-leaf numbers (trust ratios), when the stage has leaf reductions. */
  readonly leafScalars?: (ctx: LeafScalarContext) => Readonly<Record<string, number>>;
  /** The outgoing update of an element. */
  readonly update: Expr;
  /** The new value of each slot; every slot must have one. */
  readonly next: Readonly<Record<string, Expr>>;
  /** Leaves the stage applies to; the others pass through unchanged, their slots untouched. */
  readonly mask?: Mask;
}

/** The per-stage state the interpreter and compiler work with. */
export interface StageState {
  readonly count: number;
  readonly slots: Readonly<Record<string, Tree>>;
  /** Hyperparameter values handed to `scalars` as `ctx.hyper` (injected hyperparameters). */
  readonly hyper?: Readonly<Record<string, number>>;
}
