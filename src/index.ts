/**
 * gradfuse: composable gradient transformations for TypeScript, optax-style, with a kernel
 * compiler that fuses a whole optimizer into one loop.
 *
 * Explicit named exports only, grouped by layer.
 *
 * @module gradfuse
 */

// errors ------------------------------------------------------------------------------------
export {
  ExtraArgError,
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
export type { Flat, FlatLeaf, Tree, TreeDef, TreeLike, TreeMapped, TreeNode } from './tree/tree.js';
export { assertSameStructure, cloneTree, flatten, fullLike, mapTree, treeSize, unflatten, zerosLike, zipTrees } from './tree/tree.js';
export type { Mask, MaskTree } from './tree/mask.js';
export type { GlobalNormOptions } from './tree/norm.js';
export { globalNorm } from './tree/norm.js';

// base --------------------------------------------------------------------------------------
export type { EmptyState, Fusable, GradientTransformation, StateOf, UpdateExtras } from './base.js';
export { requireValue } from './base.js';
export { applyUpdates } from './update.js';

// kernel ------------------------------------------------------------------------------------
export type { BinaryOp, Expr, Op, TernaryOp, UnaryOp } from './kernel/expr.js';
export type { ReductionKind } from './kernel/reductions.js';
export type { LeafScalarContext, ReductionDef, ScalarContext, SlotDef, Stage, StageState } from './kernel/stage.js';
export type { KernelState, TransformDefinition } from './kernel/define.js';
export { defineTransform } from './kernel/define.js';
export { printKernel } from './kernel/print.js';
export * as kernel from './kernel/dsl.js';

// combinators -------------------------------------------------------------------------------
export type { AnyTransformation, ChainState, ChainTransformation } from './combine/chain.js';
export { chain } from './combine/chain.js';
export type { InjectHyperparamsConfig, InjectHyperparamsState } from './combine/injectHyperparams.js';
export { injectHyperparams } from './combine/injectHyperparams.js';
export type { LeafPredicate, MaskedState } from './combine/masked.js';
export { maskByPath, masked } from './combine/masked.js';
export type { LabelTree, MultiTransformOptions, MultiTransformState, ParamLabels } from './combine/multiTransform.js';
export { labelsByPath, multiTransform, partition } from './combine/multiTransform.js';
export type { FreezeState, SelectiveTransformOptions, SelectiveTransformState } from './combine/freeze.js';
export { freeze, selectiveTransform } from './combine/freeze.js';
export type { MultiStepsOptions, MultiStepsState, MultiStepsTransformation } from './combine/multiSteps.js';
export { multiSteps } from './combine/multiSteps.js';
export type { ApplyIfFiniteOptions, ApplyIfFiniteState } from './combine/applyIfFinite.js';
export { applyIfFinite } from './combine/applyIfFinite.js';
export type { LookaheadOptions, LookaheadState } from './combine/lookahead.js';
export { lookahead } from './combine/lookahead.js';
// optax's `flatten`; the tree utility `flatten` holds the plain name (the spec op is "flatten").
export { flatten as flattenTransform } from './combine/flatten.js';
export type { ScheduleFreeOptions, ScheduleFreeState } from './transforms/scheduleFree.js';
export { scheduleFree, scheduleFreeEvalParams } from './transforms/scheduleFree.js';

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
export type { ScaleByBeliefOptions, ScaleByBeliefState } from './transforms/belief.js';
export { scaleByBelief } from './transforms/belief.js';
export type { ScaleByYogiOptions, ScaleByYogiState } from './transforms/yogi.js';
export { scaleByYogi } from './transforms/yogi.js';
export type { ScaleByNovogradOptions, ScaleByNovogradState } from './transforms/novograd.js';
export { scaleByNovograd } from './transforms/novograd.js';
export type { ScaleByAdanOptions, ScaleByAdanState } from './transforms/adan.js';
export { scaleByAdan } from './transforms/adan.js';
export type { ScaleByOptimisticGradientOptions, ScaleByOptimisticGradientState } from './transforms/optimistic.js';
export { scaleByOptimisticGradient } from './transforms/optimistic.js';
export { scaleBySign } from './transforms/sign.js';
export type { ScaleByTrustRatioOptions } from './transforms/trustRatio.js';
export { scaleByTrustRatio } from './transforms/trustRatio.js';
export type { AdaptiveGradClipOptions } from './transforms/blockClipping.js';
export { adaptiveGradClip, clipByBlockRms } from './transforms/blockClipping.js';
export { keepParamsNonnegative } from './transforms/constraints.js';
export type { ReduceOnPlateauOptions, ReduceOnPlateauState } from './transforms/plateau.js';
export { reduceOnPlateau } from './transforms/plateau.js';
export type { ScaleByPolyakOptions } from './transforms/polyak.js';
export { scaleByPolyak } from './transforms/polyak.js';
export type { EmaOptions, EmaState } from './combine/ema.js';
export { ema } from './combine/ema.js';
export { centralize } from './transforms/centralize.js';
export type { AddNoiseOptions, AddNoiseState } from './transforms/noise.js';
export { addNoise } from './transforms/noise.js';
export type { NsCoefficients, ScaleByMuonOptions, ScaleByMuonState, ScaleByShapeOptions } from './transforms/muon.js';
export { DEFAULT_NS_COEFFS, orthogonalizeViaNewtonSchulz, scaleByMuon, scaleByShape } from './transforms/muon.js';
export type { ScaleByFactoredRmsOptions, ScaleByFactoredRmsState, ScaleByParamBlockRmsOptions } from './transforms/adafactor.js';
export { scaleByFactoredRms, scaleByParamBlockRms } from './transforms/adafactor.js';
export type { ScaleBySm3Options, ScaleBySm3State } from './transforms/sm3.js';
export { scaleBySm3 } from './transforms/sm3.js';

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
export type { AdabeliefOptions, AdabeliefState } from './optimizers/adabelief.js';
export { adabelief } from './optimizers/adabelief.js';
export type { YogiOptions, YogiState } from './optimizers/yogi.js';
export { yogi } from './optimizers/yogi.js';
export type { NovogradOptions, NovogradState } from './optimizers/novograd.js';
export { novograd } from './optimizers/novograd.js';
export type { AdanOptions, AdanState } from './optimizers/adan.js';
export { adan } from './optimizers/adan.js';
export type { LambOptions, LambState } from './optimizers/lamb.js';
export { lamb } from './optimizers/lamb.js';
export type { LarsOptions, LarsState } from './optimizers/lars.js';
export { lars } from './optimizers/lars.js';
export type { SignSgdOptions, SignSgdState } from './optimizers/signSgd.js';
export { signSgd } from './optimizers/signSgd.js';
export type { FromageOptions, FromageState } from './optimizers/fromage.js';
export { fromage } from './optimizers/fromage.js';
export type { OptimisticGradientDescentOptions, OptimisticGradientDescentState } from './optimizers/optimisticGradientDescent.js';
export { optimisticGradientDescent } from './optimizers/optimisticGradientDescent.js';
export type { PolyakSgdOptions, PolyakSgdState } from './optimizers/polyakSgd.js';
export { polyakSgd } from './optimizers/polyakSgd.js';
export type { NoisySgdOptions, NoisySgdState } from './optimizers/noisySgd.js';
export { noisySgd } from './optimizers/noisySgd.js';
export type {
  ScheduleFreeAdamwOptions,
  ScheduleFreeAdamwState,
  ScheduleFreeCommonOptions,
  ScheduleFreeSgdOptions,
  ScheduleFreeSgdState,
} from './optimizers/scheduleFree.js';
export { scheduleFreeAdamw, scheduleFreeSgd } from './optimizers/scheduleFree.js';
export type { MuonOptions, MuonState } from './optimizers/muon.js';
export { muon } from './optimizers/muon.js';
export type { AdafactorOptions, AdafactorState } from './optimizers/adafactor.js';
export { adafactor } from './optimizers/adafactor.js';
export type { Sm3Options, Sm3State } from './optimizers/sm3.js';
export { sm3 } from './optimizers/sm3.js';

// tools -------------------------------------------------------------------------------------
export type { LossAndGrad, LrFinderOptions, LrFinderResult, LrFinderStop } from './tools/lrFinder.js';
export { exponentialSweep, lrFinder } from './tools/lrFinder.js';

// compiler ----------------------------------------------------------------------------------
export type {
  Allocator,
  Backend,
  BufferAllocatorOptions,
  CompileErrorReason,
  CompileOptions,
  Compiled,
  CompiledSegment,
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
