/**
 * The compiler's error: a transformation or a tree it cannot compile, a kernel that breaks the
 * stage contract, or storage that does not fit.
 *
 * @module
 */
import { GradfuseError } from '../errors.js';

/** Why compilation (or a compiled step) failed. */
export type CompileErrorReason =
  /** With `requireFusable: true`: the transformation (or a chain member) has no kernel definition (`fusable`). */
  | 'notFusable'
  /** A stage breaks the kernel contract (unknown slot, a reduction reading a slot, ...). */
  | 'invalidKernel'
  /** A stage's `scalars` / `leafScalars` did not give a number the body reads. */
  | 'missingScalar'
  /** The caller-supplied memory is too small, misaligned or of the wrong kind. */
  | 'storage'
  /** The requested backend cannot run here (`backend: 'js'` where `new Function` is forbidden). */
  | 'backend';

/**
 * Thrown by {@link compile} and by a compiled step when the kernel itself is at fault. Invalid
 * trees and states throw the usual `TreeMismatchError` / `StateMismatchError`.
 * @category Compiler
 */
export class CompileError extends GradfuseError {
  readonly _tag = 'CompileError' as const;
  constructor(
    readonly reason: CompileErrorReason,
    message: string,
  ) {
    super(`compile: ${message}`);
    this.name = 'CompileError';
  }
}
