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
export type { Flat, FlatLeaf, Tree, TreeDef, TreeLike } from './tree/tree.js';
export { assertSameStructure, cloneTree, flatten, fullLike, mapTree, treeSize, unflatten, zerosLike, zipTrees } from './tree/tree.js';
export type { Mask, MaskTree } from './tree/mask.js';
export type { GlobalNormOptions } from './tree/norm.js';
export { globalNorm } from './tree/norm.js';

// base --------------------------------------------------------------------------------------
export type { EmptyState, Fusable, GradientTransformation, StateOf } from './base.js';
export { applyUpdates } from './update.js';

// kernel ------------------------------------------------------------------------------------
export type { BinaryOp, Expr, Op, TernaryOp, UnaryOp } from './kernel/expr.js';
export type { LeafScalarContext, ReductionDef, ScalarContext, SlotDef, Stage, StageState } from './kernel/stage.js';
export type { KernelState, TransformDefinition } from './kernel/define.js';
export { defineTransform } from './kernel/define.js';
export { printKernel } from './kernel/print.js';
export * as kernel from './kernel/dsl.js';

// combinators -------------------------------------------------------------------------------
export type { ChainState, ChainTransformation } from './combine/chain.js';
export { chain } from './combine/chain.js';
export type { InjectHyperparamsConfig, InjectHyperparamsState } from './combine/injectHyperparams.js';
export { injectHyperparams } from './combine/injectHyperparams.js';

// transformations ---------------------------------------------------------------------------
export { identity, setToZero } from './transforms/identity.js';
export type { ScaleByLearningRateOptions } from './transforms/scale.js';
export { scale, scaleByLearningRate, scaleBySchedule } from './transforms/scale.js';
export type {
  AmsgradMaxOf,
  ScaleByAdamaxOptions,
  ScaleByAdamaxState,
  ScaleByAdamOptions,
  ScaleByAdamState,
  ScaleByAmsgradOptions,
  ScaleByAmsgradState,
  ScaleByNadamOptions,
  ScaleByNadamState,
  ScaleByRadamOptions,
  ScaleByRadamState,
} from './transforms/adam.js';
export { scaleByAdam, scaleByAdamax, scaleByAmsgrad, scaleByNadam, scaleByRadam } from './transforms/adam.js';
export type { ClipByGlobalNormOptions } from './transforms/clipping.js';
export { clip, clipByGlobalNorm } from './transforms/clipping.js';
export type { AddDecayedWeightsOptions } from './transforms/decay.js';
export { addDecayedWeights } from './transforms/decay.js';
export type { TraceOptions, TraceState } from './transforms/momentum.js';
export { trace } from './transforms/momentum.js';
export type { ScaleByRmsOptions, ScaleByRmsState, ScaleByStddevState } from './transforms/rms.js';
export { scaleByRms, scaleByStddev } from './transforms/rms.js';
export type { ScaleByRssOptions, ScaleByRssState } from './transforms/adagrad.js';
export { scaleByRss } from './transforms/adagrad.js';
export type { ScaleByAdadeltaOptions, ScaleByAdadeltaState } from './transforms/adadelta.js';
export { scaleByAdadelta } from './transforms/adadelta.js';
export type { LionMode, ScaleByLionOptions, ScaleByLionState } from './transforms/lion.js';
export { scaleByLion } from './transforms/lion.js';
export { zeroNans } from './transforms/numerics.js';

// optimizers --------------------------------------------------------------------------------
export type { SgdOptions, SgdState } from './optimizers/sgd.js';
export { sgd } from './optimizers/sgd.js';
export type {
  AdamaxOptions,
  AdamaxState,
  AdamOptions,
  AdamState,
  AdamwOptions,
  AdamwState,
  AmsgradOptions,
  AmsgradState,
  NadamForm,
  NadamOptions,
  NadamState,
  NadamwOptions,
  NadamwState,
  RadamOptions,
  RadamState,
} from './optimizers/adam.js';
export { adam, adamax, adamw, amsgrad, nadam, nadamw, radam } from './optimizers/adam.js';
export type { LrPlacement, RmspropOptions, RmspropState } from './optimizers/rmsprop.js';
export { rmsprop } from './optimizers/rmsprop.js';
export type { AdagradLrDecayOptions, AdagradOptions, AdagradState } from './optimizers/adagrad.js';
export { adagrad, adagradLrDecay } from './optimizers/adagrad.js';
export type { AdadeltaOptions, AdadeltaState } from './optimizers/adadelta.js';
export { adadelta } from './optimizers/adadelta.js';
export type { LionOptions, LionState } from './optimizers/lion.js';
export { lion } from './optimizers/lion.js';

// compiler ----------------------------------------------------------------------------------
export type {
  Allocator,
  Backend,
  BufferAllocatorOptions,
  CompileErrorReason,
  CompileOptions,
  Compiled,
  CompiledStorage,
  FlatTree,
  LeafLayout,
  MemoryOption,
  Region,
  TreeLayout,
  WasmMemory,
  WasmMemoryAllocator,
  WasmMemoryAllocatorOptions,
} from './compile/index.js';
export {
  CompileError,
  STORAGE_ALIGNMENT,
  allocateFlat,
  arrayBufferAllocator,
  bufferAllocator,
  canEvaluate,
  clearKernelCache,
  compile,
  copyIntoFlat,
  kernelCacheSize,
  layoutOf,
  packTree,
  sharedArrayBufferAllocator,
  wasmMemoryAllocator,
  wasmSimdAvailable,
} from './compile/index.js';

// specs -------------------------------------------------------------------------------------
export type { JsonValue, TransformSpec } from './spec/spec.js';
export { SpecError, toSpec } from './spec/spec.js';
export { decodeSpec, fromSpec, parseSpec } from './spec/fromSpec.js';
export { InvalidSpecError } from './spec/report.js';
export { SPEC_SCHEDULE_NAMES, decodeSchedule } from './spec/schedules.js';
export { OP_NAMES } from './spec/registry.js';
export type { JsonSchema } from './spec/jsonSchema.js';
export { opDefaults, specJsonSchema } from './spec/jsonSchema.js';

// state snapshots -----------------------------------------------------------------------------
export type {
  EncodedLeaf,
  EncodedLeafHead,
  EncodedNumber,
  EncodedState,
  EncodedTree,
  LeafForm,
  LoadStateOptions,
  SnapshotErrorReason,
  SnapshotErrors,
  SpecialNumber,
  StateSnapshot,
} from './state/index.js';
export {
  BINARY_MAGIC,
  SNAPSHOT_FORMAT,
  SNAPSHOT_VERSION,
  SnapshotError,
  decodeState,
  decodeStateBinary,
  loadState,
  loadStateBinary,
  saveState,
  saveStateBinary,
} from './state/index.js';

// schedules ---------------------------------------------------------------------------------
export type { ScalarOrSchedule, Schedule, ScheduleSpec } from './schedules/schedule.js';
export type {
  ConstantScheduleOptions,
  CosineDecayScheduleOptions,
  ExponentialDecayOptions,
  LinearScheduleOptions,
  PolynomialScheduleOptions,
} from './schedules/decay.js';
export { constantSchedule, cosineDecaySchedule, exponentialDecay, linearSchedule, polynomialSchedule } from './schedules/decay.js';
export type { WarmupCosineDecayOptions, WarmupExponentialDecayOptions } from './schedules/warmup.js';
export { warmupCosineDecay, warmupExponentialDecay } from './schedules/warmup.js';
export type { BoundariesAndScales, PiecewiseConstantScheduleOptions, PiecewiseInterpolateScheduleOptions } from './schedules/piecewise.js';
export { piecewiseConstantSchedule, piecewiseInterpolateSchedule } from './schedules/piecewise.js';
export type { CosineOnecycleScheduleOptions, LinearOnecycleScheduleOptions } from './schedules/onecycle.js';
export { cosineOnecycleSchedule, linearOnecycleSchedule } from './schedules/onecycle.js';
export type { JoinSchedulesOptions } from './schedules/join.js';
export { joinSchedules } from './schedules/join.js';
export type { SgdrScheduleOptions } from './schedules/sgdr.js';
export { sgdrSchedule } from './schedules/sgdr.js';
export type {
  ConstantLROptions,
  CosineAnnealingLROptions,
  CosineAnnealingWarmRestartsOptions,
  ExponentialLROptions,
  LinearLROptions,
  MultiStepLROptions,
  PolynomialLROptions,
  SequentialLROptions,
  StepLROptions,
} from './schedules/torch.js';
export {
  constantLR,
  cosineAnnealingLR,
  cosineAnnealingWarmRestarts,
  exponentialLR,
  linearLR,
  multiStepLR,
  polynomialLR,
  sequentialLR,
  stepLR,
} from './schedules/torch.js';
export type { CyclicLROptions, OneCycleLROptions } from './schedules/torchCyclic.js';
export { cyclicLR, cyclicMomentum, oneCycleLR, oneCycleMomentum } from './schedules/torchCyclic.js';
export { SCHEDULE_NAMES, scheduleFromSpec } from './schedules/fromSpec.js';
