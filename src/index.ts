/**
 * gradfuse: composable gradient transformations for TypeScript, optax-style, with a kernel
 * compiler that fuses a whole optimizer into one loop.
 *
 * Explicit named exports only, grouped by layer.
 *
 * @module
 */

// errors ------------------------------------------------------------------------------------
export {
  GradfuseError,
  HyperparameterError,
  InvalidTreeError,
  MissingParamsError,
  StateMismatchError,
  TreeMismatchError,
} from './errors.js';

// trees -------------------------------------------------------------------------------------
export type { Dtype, FloatArray, Leaf, Tensor } from './tree/leaf.js';
export { tensor } from './tree/leaf.js';
export type { Flat, FlatLeaf, Tree, TreeDef } from './tree/tree.js';
export { assertSameStructure, cloneTree, flatten, fullLike, mapTree, treeSize, unflatten, zerosLike, zipTrees } from './tree/tree.js';
export type { Mask, MaskTree } from './tree/mask.js';

// base --------------------------------------------------------------------------------------
export type { EmptyState, Fusable, GradientTransformation, StateOf } from './base.js';
export { applyUpdates } from './update.js';

// kernel ------------------------------------------------------------------------------------
export type { BinaryOp, Expr, Op, TernaryOp, UnaryOp } from './kernel/expr.js';
export type { LeafScalarContext, ReductionDef, ScalarContext, SlotDef, Stage, StageState } from './kernel/stage.js';
export type { KernelState, TransformDefinition } from './kernel/define.js';
export { defineTransform } from './kernel/define.js';
export * as kernel from './kernel/dsl.js';

// combinators -------------------------------------------------------------------------------
export type { ChainState } from './combine/chain.js';
export { chain } from './combine/chain.js';

// transformations ---------------------------------------------------------------------------
export { identity, setToZero } from './transforms/identity.js';
export type { ScaleByLearningRateOptions } from './transforms/scale.js';
export { scale, scaleByLearningRate, scaleBySchedule } from './transforms/scale.js';
export type { ScaleByAdamOptions, ScaleByAdamState } from './transforms/adam.js';
export { scaleByAdam } from './transforms/adam.js';
export type { ClipByGlobalNormOptions } from './transforms/clipping.js';
export { clip, clipByGlobalNorm } from './transforms/clipping.js';
export type { AddDecayedWeightsOptions } from './transforms/decay.js';
export { addDecayedWeights } from './transforms/decay.js';
export type { TraceOptions, TraceState } from './transforms/momentum.js';
export { trace } from './transforms/momentum.js';

// optimizers --------------------------------------------------------------------------------
export type { SgdOptions, SgdState } from './optimizers/sgd.js';
export { sgd } from './optimizers/sgd.js';
export type { AdamOptions, AdamState, AdamwOptions, AdamwState } from './optimizers/adam.js';
export { adam, adamw } from './optimizers/adam.js';

// schedules ---------------------------------------------------------------------------------
export type { ScalarOrSchedule, Schedule, ScheduleSpec } from './schedules/schedule.js';
export { warmupCosineDecay } from './schedules/warmup.js';
