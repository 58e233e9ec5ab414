/**
 * The reductions a transformation may read before its element-wise body runs, with their
 * meaning and their JavaScript rendering side by side (as in `ops.ts`).
 *
 * Order is part of the meaning: a reduction folds the elements of each leaf in order, leaf
 * after leaf in flatten order, into one float64 accumulator. Every backend that claims bit
 * equality folds in that order.
 *
 * @module
 */
import { type Code, js } from '../compile/code.js';

/** The kinds of reduction. */
export type ReductionKind = 'sumSquares' | 'maxAbs' | 'allFinite';

export interface ReductionSpec {
  /** The accumulator's starting value. */
  readonly init: number;
  /** One fold step. */
  readonly step: (acc: number, x: number) => number;
  /** The same fold step as JavaScript. */
  readonly emitStep: (acc: Code, x: Code) => Code;
}

/** The reduction table. */
export const REDUCTIONS = {
  /** Σ x² */
  sumSquares: { init: 0, step: (acc, x) => acc + x * x, emitStep: (acc, x) => js`${acc} + ${x} * ${x}` },
  /** max |x|, NaN if any x is NaN */
  maxAbs: { init: 0, step: (acc, x) => Math.max(acc, Math.abs(x)), emitStep: (acc, x) => js`Math.max(${acc}, Math.abs(${x}))` },
  /** 1 while every x is finite, then 0 */
  allFinite: { init: 1, step: (acc, x) => (x - x === 0 ? acc : 0), emitStep: (acc, x) => js`(${x} - ${x} === 0 ? ${acc} : 0)` },
} as const satisfies Record<ReductionKind, ReductionSpec>;
