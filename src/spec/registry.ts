/**
 * The op registry: every transformation, optimizer and combinator gradfuse exports, with the
 * codec of its spec's options and the builder that calls its public constructor. The decoder,
 * the JSON Schema and the docs table are all read from this one table.
 *
 * An op's name is the `op` its constructor writes in its spec, and normally the name
 * src/index.ts exports the constructor under (`constructorName` says otherwise: `flatten` is
 * exported as `flattenTransform`). Public names that are no op are listed beside the table:
 * {@link OP_ALIASES} (another name for an op's constructor) and {@link NOT_OPS} (helpers that
 * build a mask or label function, not a transformation); test/spec/registry.test.ts checks that
 * every transformation, optimizer and combinator export is one of these.
 *
 * A combinator's options that hold transformations use {@link TransformSpecCodec} (one member,
 * built first), {@link TransformList} (an array) or {@link TransformRecord} (a record by label),
 * and {@link InnerOptimizerCodec} for a member that is rebuilt with other options; the decoder
 * builds them at their own paths.
 *
 * @module
 */
import * as t from 'io-ts';
import type { GradientTransformation } from '../base.js';
import { applyIfFinite } from '../combine/applyIfFinite.js';
import { chain } from '../combine/chain.js';
import { ema } from '../combine/ema.js';
import { flatten } from '../combine/flatten.js';
import { freeze, selectiveTransform } from '../combine/freeze.js';
import { injectHyperparams } from '../combine/injectHyperparams.js';
import { lookahead } from '../combine/lookahead.js';
import { masked } from '../combine/masked.js';
import { multiSteps } from '../combine/multiSteps.js';
import { type LabelTree, multiTransform } from '../combine/multiTransform.js';
import { adabelief } from '../optimizers/adabelief.js';
import { adafactor } from '../optimizers/adafactor.js';
import { adadelta } from '../optimizers/adadelta.js';
import { adagrad } from '../optimizers/adagrad.js';
import { adam, adamax, adamw, amsgrad, nadam, nadamw, radam } from '../optimizers/adam.js';
import { adan } from '../optimizers/adan.js';
import { fromage } from '../optimizers/fromage.js';
import { lamb } from '../optimizers/lamb.js';
import { lars } from '../optimizers/lars.js';
import { lion } from '../optimizers/lion.js';
import { muon } from '../optimizers/muon.js';
import { noisySgd } from '../optimizers/noisySgd.js';
import { novograd } from '../optimizers/novograd.js';
import { optimisticGradientDescent } from '../optimizers/optimisticGradientDescent.js';
import { rmsprop } from '../optimizers/rmsprop.js';
import { polyakSgd } from '../optimizers/polyakSgd.js';
import { scheduleFreeAdamw, scheduleFreeSgd } from '../optimizers/scheduleFree.js';
import { sgd } from '../optimizers/sgd.js';
import { signSgd } from '../optimizers/signSgd.js';
import { sm3 } from '../optimizers/sm3.js';
import { yogi } from '../optimizers/yogi.js';
import type { ScalarOrSchedule } from '../schedules/schedule.js';
import { scaleByAdadelta } from '../transforms/adadelta.js';
import { scaleByFactoredRms, scaleByParamBlockRms } from '../transforms/adafactor.js';
import { scaleByRss } from '../transforms/adagrad.js';
import { scaleByAdam, scaleByAdamax, scaleByAmsgrad, scaleByNadam, scaleByRadam } from '../transforms/adam.js';
import { scaleByAdan } from '../transforms/adan.js';
import { scaleByBelief } from '../transforms/belief.js';
import { adaptiveGradClip, clipByBlockRms } from '../transforms/blockClipping.js';
import { centralize } from '../transforms/centralize.js';
import { clip, clipByGlobalNorm } from '../transforms/clipping.js';
import { keepParamsNonnegative } from '../transforms/constraints.js';
import { addDecayedWeights } from '../transforms/decay.js';
import { identity, setToZero } from '../transforms/identity.js';
import { scaleByLion } from '../transforms/lion.js';
import { trace } from '../transforms/momentum.js';
import { scaleByMuon, scaleByShape } from '../transforms/muon.js';
import { addNoise } from '../transforms/noise.js';
import { scaleByNovograd } from '../transforms/novograd.js';
import { zeroNans } from '../transforms/numerics.js';
import { reduceOnPlateau } from '../transforms/plateau.js';
import { scaleByPolyak } from '../transforms/polyak.js';
import { scaleByOptimisticGradient } from '../transforms/optimistic.js';
import { scaleByRms, scaleByStddev } from '../transforms/rms.js';
import { scale, scaleByLearningRate, scaleBySchedule } from '../transforms/scale.js';
import { scheduleFree } from '../transforms/scheduleFree.js';
import { scaleBySign } from '../transforms/sign.js';
import { scaleBySm3 } from '../transforms/sm3.js';
import { scaleByTrustRatio } from '../transforms/trustRatio.js';
import { scaleByYogi } from '../transforms/yogi.js';
import type { Mask } from '../tree/mask.js';
import {
  BestMatchUnion,
  Bool,
  DiscriminatedType,
  type Fields,
  type FieldsType,
  LabelTreeCodec,
  MaskTree,
  Num,
  describe,
  fields,
  isPlainObject,
  oneOf,
  recursive,
} from './codecs.js';
import { Hyper } from './schedules.js';

// ---------------------------------------------------------------------------------------------
// model
// ---------------------------------------------------------------------------------------------

/** Options handed to a builder: the spec without `op`, with schedules and members built. */
export type BuiltOptions = Readonly<Record<string, unknown>>;

/**
 * A transformation spec decoded but not yet built: what `injectHyperparams` needs of its inner
 * optimizer (its builder, to call again with new values, and its options).
 */
export interface PreparedSpec {
  readonly entry: OpEntry;
  readonly options: BuiltOptions;
  readonly path: string;
}

/** One op of the spec format. */
export interface OpEntry {
  readonly op: string;
  readonly category: 'Transformations' | 'Optimizers' | 'Combinators';
  /** One line for the docs and the JSON Schema. */
  readonly summary: string;
  /** The codec of the whole spec object (`op` included). */
  readonly codec: FieldsType;
  /** Calls the public constructor. Constructors validate; their errors are mapped to paths. */
  readonly build: (options: BuiltOptions) => GradientTransformation<unknown>;
  /** A minimal valid spec (required options only): for the docs, the schema's defaults and tests. */
  readonly example: Readonly<Record<string, unknown>>;
  /**
   * Optional keys that a built transformation's spec may leave out (a mask that was not given,
   * options that only exist in another mode). Every other key is always recorded.
   */
  readonly conditional?: readonly string[];
  /**
   * The spec key of a constructor's parameter whose name differs, as `owner.parameter`:
   * `sgd`'s `momentum` is checked by `trace` as `decay`.
   */
  readonly renames?: Readonly<Record<string, string>>;
  /** The key holding an inner spec whose constructor checks the options (`injectHyperparams`). */
  readonly delegatesTo?: string;
  /**
   * The name src/index.ts exports the constructor under, where it is not the op's own name
   * (`flatten`, whose name the tree utility holds, is exported as `flattenTransform`).
   */
  readonly constructorName?: string;
}

/** The codec of any transformation spec: one member per op, chosen by `op`. */
export const TransformSpecCodec: t.Type<Readonly<Record<string, unknown>>> = describe(
  recursive<Readonly<Record<string, unknown>>>('TransformSpec', 'a transformation spec { op, ...options }', () => OPS_CODEC),
  'A gradient transformation, optimizer or combinator: { op, ...options }.',
);

/**
 * An inner optimizer that a combinator rebuilds with other options (`injectHyperparams`'s
 * `transform`): the same JSON as {@link TransformSpecCodec}, but decoded to the op's builder
 * and options ({@link PreparedSpec}) instead of a built transformation. A member that is only
 * run (a `chain`'s) is a {@link TransformSpecCodec}.
 */
export const InnerOptimizerCodec: t.Type<Readonly<Record<string, unknown>>> = describe(
  recursive<Readonly<Record<string, unknown>>>('TransformSpec', 'a transformation spec { op, ...options }', () => OPS_CODEC),
  'The inner optimizer, whose constructor is called again with the injected values.',
);

/** The members of a `chain`. */
export const TransformList = describe(t.array(TransformSpecCodec, 'an array of transformation specs'), 'The member transformations, applied in order.');

/** The transformations of a `multiTransform`, by label. */
export const TransformRecord = describe(
  t.refinement(t.record(t.string, TransformSpecCodec), isPlainObject, 'a record { label: transformation spec }'),
  'One transformation per label, applied in the order of the keys.',
);

// ---------------------------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------------------------

/** Only the keys that are present (optional options under `exactOptionalPropertyTypes`). */
function present(o: BuiltOptions, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => Object.hasOwn(o, k)).map((k) => [k, o[k]]));
}

interface Definition {
  readonly category: OpEntry['category'];
  readonly summary: string;
  readonly required?: Fields;
  readonly optional?: Fields;
  readonly build: (options: BuiltOptions) => GradientTransformation<unknown>;
  readonly example?: Readonly<Record<string, unknown>>;
  readonly conditional?: readonly string[];
  readonly renames?: Readonly<Record<string, string>>;
  readonly delegatesTo?: string;
  readonly constructorName?: string;
}

function entry(op: string, d: Definition): OpEntry {
  return {
    op,
    category: d.category,
    summary: d.summary,
    codec: fields(`a ${op} spec`, { op: t.literal(op), ...(d.required ?? {}) }, d.optional ?? {}),
    build: d.build,
    example: d.example ?? {},
    ...(d.conditional === undefined ? {} : { conditional: d.conditional }),
    ...(d.renames === undefined ? {} : { renames: d.renames }),
    ...(d.delegatesTo === undefined ? {} : { delegatesTo: d.delegatesTo }),
    ...(d.constructorName === undefined ? {} : { constructorName: d.constructorName }),
  };
}

/** An options-object constructor, handed its options (checked by the constructor itself). */
const byOptions =
  <Options, S>(ctor: (options: Options) => GradientTransformation<S>) =>
  (o: BuiltOptions): GradientTransformation<unknown> =>
    ctor(o as Options) as unknown as GradientTransformation<unknown>;

const lr = { learningRate: Hyper };
const moments = { b1: Num, b2: Num, eps: Num, epsRoot: Num };
const radamOnly = { threshold: Num, nesterov: Bool, strictThreshold: Bool, epsOnUncorrectedRoot: Bool };
const nadamOnly = { form: oneOf(['dozat', 'momentumDecay']), momentumDecay: Num, doubleCountMu: Bool };
const decoupled = { weightDecay: Hyper, mask: MaskTree };
const rms = { decay: Num, eps: Num, initialScale: Num, epsInSqrt: Bool, biasCorrection: Bool };
const momentumRenames = { 'trace.decay': 'momentum', 'trace.nesterov': 'nesterov', 'trace.dampening': 'dampening' };

/** Muon's `nsCoeffs`: one triple [a, b, c] for every step, or a non-empty list of triples, one per step. */
const isNsCoeffs = (a: readonly (number | readonly number[])[]): boolean =>
  (a.length === 3 && a.every((x) => typeof x === 'number')) || (a.length > 0 && a.every((x) => Array.isArray(x) && x.length === 3));
const NsCoeffs = describe(
  t.refinement(
    t.array(new BestMatchUnion('a number or an array of numbers', [Num, t.array(Num)]), 'an array'),
    isNsCoeffs,
    'three numbers [a, b, c], or a non-empty list of such triples',
  ),
  'Newton–Schulz coefficients (a, b, c): one triple for every step, or a list of triples, one per step (then nsSteps is ignored).',
);
/** A number, or null for "none" (adafactor's clippingThreshold). */
const NumOrNull = describe(new BestMatchUnion('a number or null', [Num, t.null]), 'A number, or null for none.');
const muonOnly = { nsCoeffs: NsCoeffs, nsSteps: Num, beta: Num, eps: Num, nesterov: Bool, adaptive: Bool };
const scheduleFreeCommon = { learningRate: Hyper, warmupSteps: Num, b1: Num, weightDecay: Num, weightLrPower: Num };

// ---------------------------------------------------------------------------------------------
// the table
// ---------------------------------------------------------------------------------------------

const T = 'Transformations' as const;
const O = 'Optimizers' as const;
const C = 'Combinators' as const;

type Tx = GradientTransformation<unknown>;

const ENTRIES: readonly OpEntry[] = [
  // transformations ---------------------------------------------------------------------------
  entry('identity', { category: T, summary: 'Passes updates through unchanged.', build: () => identity() }),
  entry('setToZero', { category: T, summary: 'Replaces every update by zero.', build: () => setToZero() }),
  entry('zeroNans', { category: T, summary: 'Replaces NaN updates by 0.', build: () => zeroNans() }),
  entry('scale', {
    category: T,
    summary: 'Multiplies updates by a constant: scale(step).',
    required: { step: Num },
    build: (o) => scale(o.step as number),
    example: { step: -0.1 },
  }),
  entry('scaleByLearningRate', {
    category: T,
    summary: 'Multiplies updates by the (scheduled) learning rate, negated for descent: scaleByLearningRate(learningRate, { flipSign }).',
    required: lr,
    optional: { flipSign: Bool },
    build: (o) => scaleByLearningRate(o.learningRate as ScalarOrSchedule, present(o, ['flipSign'])),
    example: { learningRate: 0.01 },
  }),
  entry('scaleBySchedule', {
    category: T,
    summary: "Multiplies updates by a schedule's value: scaleBySchedule(schedule).",
    required: { schedule: Hyper },
    build: (o) => scaleBySchedule(o.schedule as ScalarOrSchedule),
    example: { schedule: 0.5 },
  }),
  entry('clip', {
    category: T,
    summary: 'Clips every element to [-maxDelta, maxDelta]: clip(maxDelta).',
    required: { maxDelta: Num },
    build: (o) => clip(o.maxDelta as number),
    example: { maxDelta: 1 },
  }),
  entry('clipByGlobalNorm', {
    category: T,
    summary: "Scales all updates so that their global norm is at most maxNorm: clipByGlobalNorm(maxNorm, { eps, normType }); normType 'inf' is Infinity.",
    required: { maxNorm: Num },
    optional: { eps: Num, normType: describe(new BestMatchUnion('2 or "inf"', [t.literal(2), t.literal('inf')]), 'The norm: 2 (Euclidean) or "inf" (the largest |g|).') },
    build: (o) =>
      clipByGlobalNorm(o.maxNorm as number, {
        ...present(o, ['eps']),
        ...(Object.hasOwn(o, 'normType') ? { normType: o.normType === 'inf' ? Infinity : (o.normType as 2) } : {}),
      }),
    example: { maxNorm: 1 },
  }),
  entry('addDecayedWeights', {
    category: T,
    summary: 'Adds the decayed parameters to the updates: u = g + λ·p.',
    optional: decoupled,
    build: byOptions(addDecayedWeights),
    conditional: ['mask'],
  }),
  entry('trace', {
    category: T,
    summary: 'Momentum (heavy ball or Nesterov), with PyTorch dampening.',
    required: { decay: Hyper },
    optional: { nesterov: Bool, dampening: Num },
    build: byOptions(trace),
    example: { decay: 0.9 },
  }),
  entry('scaleByAdam', { category: T, summary: "Adam's bias-corrected moments.", optional: { ...moments, nesterov: Bool }, build: byOptions(scaleByAdam) }),
  entry('scaleByAmsgrad', { category: T, summary: "AMSGrad's running maximum of the second moment.", optional: { ...moments, maxOf: oneOf(['biasCorrected', 'raw']) }, build: byOptions(scaleByAmsgrad) }),
  entry('scaleByAdamax', { category: T, summary: "Adamax's infinity-norm moments.", optional: { b1: Num, b2: Num, eps: Num }, build: byOptions(scaleByAdamax) }),
  entry('scaleByRadam', { category: T, summary: 'Rectified Adam.', optional: { ...moments, ...radamOnly }, build: byOptions(scaleByRadam) }),
  entry('scaleByNadam', { category: T, summary: "PyTorch's NAdam with its momentum-decay schedule.", optional: { ...moments, momentumDecay: Num, doubleCountMu: Bool }, build: byOptions(scaleByNadam) }),
  entry('scaleByRms', { category: T, summary: 'The root of a moving average of squared updates (RMSprop).', optional: rms, build: byOptions(scaleByRms) }),
  entry('scaleByStddev', { category: T, summary: 'Centered RMSprop: an estimate of the standard deviation.', optional: rms, build: byOptions(scaleByStddev) }),
  entry('scaleByRss', {
    category: T,
    summary: 'The root of the running sum of squared updates (Adagrad).',
    optional: { initialAccumulatorValue: Num, eps: Num, epsInSqrt: Bool },
    build: byOptions(scaleByRss),
  }),
  entry('scaleByAdadelta', { category: T, summary: "Adadelta's ratio of running RMS values.", optional: { rho: Num, eps: Num }, build: byOptions(scaleByAdadelta) }),
  entry('scaleByLion', {
    category: T,
    summary: 'The sign of an interpolated momentum (Lion).',
    optional: { b1: Num, b2: Num, mode: oneOf(['hard', 'smooth', 'refined']), smoothBeta: Num },
    build: byOptions(scaleByLion),
  }),
  entry('scaleByBelief', { category: T, summary: "AdaBelief's moments: the second moment of g minus its mean.", optional: { ...moments, nesterov: Bool }, build: byOptions(scaleByBelief) }),
  entry('scaleByYogi', {
    category: T,
    summary: "Yogi's additive second-moment update: ν ← ν - (1 - β₂)·sign(ν - g²)·g².",
    optional: { ...moments, initialAccumulatorValue: Num },
    build: byOptions(scaleByYogi),
  }),
  entry('scaleByNovograd', {
    category: T,
    summary: "NovoGrad's layer-wise second moment (one per leaf), with weight decay on the normalised gradient.",
    optional: { ...moments, weightDecay: Num },
    build: byOptions(scaleByNovograd),
  }),
  entry('scaleByAdan', { category: T, summary: "Adan's three moments (gradient, gradient difference, squared term).", optional: { b1: Num, b2: Num, b3: Num, eps: Num, epsRoot: Num }, build: byOptions(scaleByAdan) }),
  entry('scaleByOptimisticGradient', {
    category: T,
    summary: 'Optimistic gradient: u = (α + β)·g_t - β·g_{t-1}.',
    optional: { alpha: Num, beta: Num },
    build: byOptions(scaleByOptimisticGradient),
  }),
  entry('scaleBySign', { category: T, summary: 'Replaces every update by its sign (signSGD).', build: () => scaleBySign() }),
  entry('scaleByTrustRatio', {
    category: T,
    summary: 'Rescales each leaf by its trust ratio c·‖p‖/(‖u‖ + eps) (LARS, LAMB).',
    optional: { minNorm: Num, trustCoefficient: Num, eps: Num, mask: MaskTree },
    build: byOptions(scaleByTrustRatio),
    conditional: ['mask'],
  }),
  entry('clipByBlockRms', {
    category: T,
    summary: 'Divides each leaf by max(1, rms/threshold): clipByBlockRms(threshold).',
    required: { threshold: Num },
    build: (o) => clipByBlockRms(o.threshold as number),
    example: { threshold: 1 },
  }),
  entry('adaptiveGradClip', {
    category: T,
    summary: 'Adaptive gradient clipping, one unit per leaf: adaptiveGradClip(clipping, { eps }).',
    required: { clipping: Num },
    optional: { eps: Num },
    build: (o) => adaptiveGradClip(o.clipping as number, present(o, ['eps'])),
    example: { clipping: 0.01 },
  }),
  entry('keepParamsNonnegative', { category: T, summary: 'Keeps the params >= 0: u = p + g < 0 ? -p : g (last in a chain).', build: () => keepParamsNonnegative() }),
  entry('ema', {
    category: T,
    summary: 'An exponential moving average of the updates, debiased by default.',
    required: { decay: Num },
    optional: { debias: Bool },
    build: byOptions(ema),
    example: { decay: 0.9 },
  }),

  entry('reduceOnPlateau', {
    category: T,
    summary: 'Multiplies updates by a scale cut by factor when the loss passed as update(..., { value }) stops improving (optax contrib.reduce_on_plateau, PyTorch ReduceLROnPlateau).',
    optional: { factor: Num, patience: Num, rtol: Num, atol: Num, cooldown: Num, accumulationSize: Num, minScale: Num, mode: oneOf(['min', 'max']) },
    build: byOptions(reduceOnPlateau),
  }),
  entry('scaleByPolyak', {
    category: T,
    summary: 'Scales updates by the Polyak step min((value - fMin)/(‖g‖² + eps), maxLearningRate); needs update(..., { value }).',
    optional: { fMin: Num, maxLearningRate: Num, eps: Num, variant: oneOf(['sps', 'sps+']) },
    build: byOptions(scaleByPolyak),
  }),

  entry('centralize', {
    category: T,
    summary: 'Gradient centralization: subtracts from each leaf of more than one axis its mean over every axis but the first.',
    build: () => centralize(),
  }),
  entry('addNoise', {
    category: T,
    summary: 'Adds annealed Gaussian noise √(eta / t^gamma)·n from a seeded generator (deterministic per seed).',
    required: { eta: Num, gamma: Num },
    optional: { seed: Num },
    build: byOptions(addNoise),
    example: { eta: 0.01, gamma: 0.55 },
  }),
  entry('scaleByMuon', {
    category: T,
    summary: "Muon's momentum orthogonalised by Newton–Schulz, leaf by leaf; every leaf must be a 2-D tensor.",
    optional: muonOnly,
    build: byOptions(scaleByMuon),
  }),
  entry('scaleByShape', {
    category: T,
    summary: 'Scales each 2-D leaf [fanIn, fanOut] by √max(1, fanOut/fanIn), or √max(fanIn, fanOut)·consistentRms; every leaf must be a 2-D tensor.',
    optional: { consistentRms: Num },
    build: byOptions(scaleByShape),
    conditional: ['consistentRms'],
  }),
  entry('scaleByFactoredRms', {
    category: T,
    summary: "Adafactor's factored estimate of the updates' root mean square (row and column statistics for large matrices).",
    optional: { factored: Bool, decayRate: Num, stepOffset: Num, minDimSizeToFactor: Num, epsilon: Num },
    build: byOptions(scaleByFactoredRms),
  }),
  entry('scaleByParamBlockRms', {
    category: T,
    summary: "Multiplies each leaf's updates by its parameters' RMS, at least minScale (Adafactor's parameter scale).",
    optional: { minScale: Num },
    build: byOptions(scaleByParamBlockRms),
  }),
  entry('scaleBySm3', {
    category: T,
    summary: 'SM3: an Adagrad-like scaling with one accumulator vector per axis, then momentum.',
    optional: { b1: Num, b2: Num, eps: Num },
    build: byOptions(scaleBySm3),
  }),

  // optimizers --------------------------------------------------------------------------------
  entry('sgd', {
    category: O,
    summary: 'SGD with optional momentum, Nesterov, dampening and L2 weight decay (momentum 0 means none).',
    required: lr,
    optional: { momentum: Hyper, nesterov: Bool, dampening: Num, weightDecay: Hyper },
    build: byOptions(sgd),
    example: { learningRate: 0.1 },
    renames: momentumRenames,
  }),
  entry('adam', { category: O, summary: 'Adam.', required: lr, optional: { ...moments, nesterov: Bool }, build: byOptions(adam), example: { learningRate: 1e-3 } }),
  entry('adamw', {
    category: O,
    summary: 'AdamW: Adam with decoupled weight decay.',
    required: lr,
    optional: { ...moments, nesterov: Bool, ...decoupled },
    build: byOptions(adamw),
    example: { learningRate: 1e-3 },
    conditional: ['mask'],
  }),
  entry('amsgrad', { category: O, summary: 'AMSGrad.', required: lr, optional: { ...moments, maxOf: oneOf(['biasCorrected', 'raw']) }, build: byOptions(amsgrad), example: { learningRate: 1e-3 } }),
  entry('adamax', { category: O, summary: 'Adamax.', required: lr, optional: { b1: Num, b2: Num, eps: Num }, build: byOptions(adamax), example: { learningRate: 2e-3 } }),
  entry('radam', { category: O, summary: 'Rectified Adam.', required: lr, optional: { ...moments, ...radamOnly }, build: byOptions(radam), example: { learningRate: 1e-3 } }),
  entry('nadam', {
    category: O,
    summary: "NAdam: form 'dozat' (optax) or 'momentumDecay' (PyTorch; momentumDecay and doubleCountMu only with it).",
    required: lr,
    optional: { ...moments, ...nadamOnly },
    build: byOptions(nadam),
    example: { learningRate: 1e-3 },
    conditional: ['momentumDecay', 'doubleCountMu'],
  }),
  entry('nadamw', {
    category: O,
    summary: 'NAdamW: NAdam with decoupled weight decay.',
    required: lr,
    optional: { ...moments, ...nadamOnly, ...decoupled },
    build: byOptions(nadamw),
    example: { learningRate: 1e-3 },
    conditional: ['momentumDecay', 'doubleCountMu', 'mask'],
  }),
  entry('rmsprop', {
    category: O,
    summary: 'RMSprop, plain or centered, with optional momentum (0 means none).',
    required: lr,
    optional: { ...rms, centered: Bool, momentum: Hyper, nesterov: Bool, lrPlacement: oneOf(['beforeMomentum', 'afterMomentum']) },
    build: byOptions(rmsprop),
    example: { learningRate: 1e-3 },
    renames: momentumRenames,
  }),
  entry('adagrad', {
    category: O,
    summary: 'Adagrad.',
    required: lr,
    optional: { initialAccumulatorValue: Num, eps: Num, epsInSqrt: Bool },
    build: byOptions(adagrad),
    example: { learningRate: 0.1 },
  }),
  entry('adadelta', {
    category: O,
    summary: 'Adadelta, with L2 weight decay.',
    optional: { ...lr, rho: Num, eps: Num, ...decoupled },
    build: byOptions(adadelta),
    conditional: ['mask'],
  }),
  entry('lion', { category: O, summary: 'Lion, with decoupled weight decay.', required: lr, optional: { b1: Num, b2: Num, ...decoupled }, build: byOptions(lion), example: { learningRate: 1e-4 }, conditional: ['mask'] }),
  entry('adabelief', {
    category: O,
    summary: 'AdaBelief, with optional decoupled weight decay.',
    required: lr,
    optional: { ...moments, nesterov: Bool, weightDecay: Hyper, weightDecayMask: MaskTree },
    build: byOptions(adabelief),
    example: { learningRate: 1e-3 },
    conditional: ['weightDecayMask'],
    renames: { 'addDecayedWeights.mask': 'weightDecayMask' },
  }),
  entry('yogi', { category: O, summary: 'Yogi.', required: lr, optional: { ...moments, initialAccumulatorValue: Num }, build: byOptions(yogi), example: { learningRate: 1e-2 } }),
  entry('novograd', { category: O, summary: 'NovoGrad.', required: lr, optional: { ...moments, weightDecay: Num }, build: byOptions(novograd), example: { learningRate: 1e-2 } }),
  entry('adan', {
    category: O,
    summary: 'Adan, with decoupled weight decay.',
    required: lr,
    optional: { b1: Num, b2: Num, b3: Num, eps: Num, epsRoot: Num, ...decoupled },
    build: byOptions(adan),
    example: { learningRate: 1e-3 },
    conditional: ['mask'],
  }),
  entry('lamb', {
    category: O,
    summary: 'LAMB: Adam, decoupled weight decay, then a layer-wise trust ratio.',
    required: lr,
    optional: { ...moments, ...decoupled },
    build: byOptions(lamb),
    example: { learningRate: 1e-3 },
    conditional: ['mask'],
  }),
  entry('lars', {
    category: O,
    summary: 'LARS: weight decay, a layer-wise trust ratio, the learning rate, then momentum.',
    required: lr,
    optional: { weightDecay: Hyper, weightDecayMask: MaskTree, trustCoefficient: Num, eps: Num, trustRatioMask: MaskTree, momentum: Hyper, nesterov: Bool },
    build: byOptions(lars),
    example: { learningRate: 1 },
    renames: { 'addDecayedWeights.mask': 'weightDecayMask', 'scaleByTrustRatio.mask': 'trustRatioMask', 'trace.decay': 'momentum', 'trace.nesterov': 'nesterov' },
  }),
  entry('signSgd', { category: O, summary: 'signSGD: the sign of the gradient times -η.', required: lr, build: byOptions(signSgd), example: { learningRate: 1e-3 } }),
  entry('fromage', { category: O, summary: 'Fromage: a trust ratio with a norm-preserving shrinkage.', required: lr, optional: { minNorm: Num }, build: byOptions(fromage), example: { learningRate: 1e-2 }, renames: { 'fromageDecay.learningRate': 'learningRate' } }),
  entry('optimisticGradientDescent', {
    category: O,
    summary: 'Optimistic gradient descent (for min-max games).',
    required: lr,
    optional: { alpha: Num, beta: Num },
    build: byOptions(optimisticGradientDescent),
    example: { learningRate: 1e-2 },
  }),

  entry('polyakSgd', {
    category: O,
    summary: 'SGD with the Polyak step size: chain(sgd({ learningRate: scaling }), scaleByPolyak(...)); needs update(..., { value }).',
    optional: { maxLearningRate: Num, scaling: Hyper, fMin: Num, eps: Num, variant: oneOf(['sps', 'sps+']) },
    build: byOptions(polyakSgd),
  }),

  entry('noisySgd', {
    category: O,
    summary: 'SGD with annealed Gaussian gradient noise from a seeded generator: addNoise then -learningRate.',
    required: lr,
    optional: { eta: Num, gamma: Num, seed: Num },
    build: byOptions(noisySgd),
    example: { learningRate: 0.01 },
  }),
  entry('scheduleFreeSgd', {
    category: O,
    summary: 'Schedule-free SGD: scheduleFree around SGD without momentum, with an optional linear warmup (warmupSteps, a numeric learningRate).',
    optional: scheduleFreeCommon,
    build: byOptions(scheduleFreeSgd),
    conditional: ['warmupSteps'],
  }),
  entry('scheduleFreeAdamw', {
    category: O,
    summary: 'Schedule-free AdamW: scheduleFree around AdamW without momentum, with an optional linear warmup.',
    optional: { ...scheduleFreeCommon, b2: Num, eps: Num },
    build: byOptions(scheduleFreeAdamw),
    conditional: ['warmupSteps'],
  }),
  entry('muon', {
    category: O,
    summary: 'Muon: orthogonalised momentum (scaleByMuon, scaleByShape) for the 2-D leaves, AdamW for the others.',
    required: lr,
    optional: {
      ...muonOnly,
      weightDecay: Num,
      weightDecayMask: MaskTree,
      consistentRms: Num,
      adamB1: Num,
      adamB2: Num,
      adamEps: Num,
      adamEpsRoot: Num,
      adamWeightDecay: Num,
      adamLearningRate: Hyper,
    },
    build: byOptions(muon),
    example: { learningRate: 0.02 },
    conditional: ['weightDecayMask', 'consistentRms'],
    renames: { 'addDecayedWeights.mask': 'weightDecayMask' },
  }),
  entry('adafactor', {
    category: O,
    summary: 'Adafactor: factored second moments, updates clipped by their RMS, relative step sizes (learningRate optional).',
    optional: {
      learningRate: Hyper,
      minDimSizeToFactor: Num,
      decayRate: Num,
      decayOffset: Num,
      multiplyByParameterScale: Bool,
      clippingThreshold: NumOrNull,
      momentum: Num,
      weightDecayRate: Num,
      weightDecayMask: MaskTree,
      eps: Num,
      factored: Bool,
    },
    build: byOptions(adafactor),
    conditional: ['learningRate', 'momentum', 'weightDecayRate', 'weightDecayMask'],
    renames: {
      'scaleByFactoredRms.stepOffset': 'decayOffset',
      'scaleByFactoredRms.epsilon': 'eps',
      'clipByBlockRms.threshold': 'clippingThreshold',
      'addDecayedWeights.mask': 'weightDecayMask',
    },
  }),
  entry('sm3', {
    category: O,
    summary: 'SM3: scaleBySm3 (momentum as b1, b2 = 1), then -learningRate.',
    required: lr,
    optional: { momentum: Num },
    build: byOptions(sm3),
    example: { learningRate: 0.1 },
    renames: { 'scaleBySm3.b1': 'momentum' },
  }),

  // combinators -------------------------------------------------------------------------------
  entry('chain', {
    category: 'Combinators',
    summary: 'Applies the transformations in order.',
    required: { transforms: TransformList },
    build: (o) => chain(...(o.transforms as readonly GradientTransformation<unknown>[])),
    example: { transforms: [] },
  }),
  entry('injectHyperparams', {
    category: 'Combinators',
    summary: "An optimizer whose numeric and scheduled options live in its state: injectHyperparams(ctor, { staticArgs })(options), with the inner optimizer's spec under transform.",
    required: { transform: InnerOptimizerCodec },
    optional: { staticArgs: describe(t.array(t.string, 'an array of option names'), 'Options kept fixed even when they are numbers.') },
    build: (o) => {
      const inner = o.transform as PreparedSpec;
      return injectHyperparams(inner.entry.build, present(o, ['staticArgs']) as never)(inner.options);
    },
    example: { transform: { op: 'sgd', learningRate: 0.1 } },
    conditional: ['staticArgs'],
    delegatesTo: 'transform',
  }),
  entry('masked', {
    category: C,
    summary: 'Applies the transformation to the leaves where the mask is true; the others pass through unchanged (not zeroed).',
    required: { transform: TransformSpecCodec, mask: MaskTree },
    build: (o) => masked(o.transform as Tx, o.mask as Mask),
    example: { transform: { op: 'addDecayedWeights' }, mask: true },
    renames: { 'masked.inner': 'transform' },
  }),
  entry('multiTransform', {
    category: C,
    summary: "A transformation per group of leaves, chosen by a label per leaf (PyTorch's parameter groups); partition is another name for it.",
    required: { transforms: TransformRecord, paramLabels: LabelTreeCodec },
    build: (o) => multiTransform({ transforms: o.transforms as Readonly<Record<string, Tx>>, paramLabels: o.paramLabels as LabelTree }),
    example: { transforms: { all: { op: 'sgd', learningRate: 0.1 } }, paramLabels: 'all' },
  }),
  entry('freeze', {
    category: C,
    summary: 'Zeroes the updates of the leaves where the mask is true.',
    required: { mask: MaskTree },
    build: (o) => freeze(o.mask as Mask),
    example: { mask: true },
  }),
  entry('selectiveTransform', {
    category: C,
    summary: 'Runs the optimizer on the leaves that are not frozen and zeroes the updates of the frozen ones (freezeMask true).',
    required: { transform: TransformSpecCodec, freezeMask: MaskTree },
    build: (o) => selectiveTransform(o.transform as Tx, { freezeMask: o.freezeMask as Mask }),
    example: { transform: { op: 'sgd', learningRate: 0.1 }, freezeMask: false },
    renames: { 'selectiveTransform.optimizer': 'transform', 'selectiveTransform.mask': 'freezeMask' },
  }),
  entry('multiSteps', {
    category: C,
    summary: 'Gradient accumulation: the inner optimizer steps once every everyK calls, on the mean (or sum) of their gradients.',
    required: { transform: TransformSpecCodec, everyK: Num },
    optional: { useGradMean: Bool },
    build: (o) => multiSteps(o.transform as Tx, { everyK: o.everyK as number, ...present(o, ['useGradMean']) }),
    example: { transform: { op: 'sgd', learningRate: 0.1 }, everyK: 2 },
    renames: { 'multiSteps.inner': 'transform' },
  }),
  entry('applyIfFinite', {
    category: C,
    summary: 'Skips the steps whose updates hold a NaN or an infinity (zero update, inner state kept), up to maxConsecutiveErrors in a row.',
    required: { transform: TransformSpecCodec, maxConsecutiveErrors: Num },
    build: (o) => applyIfFinite(o.transform as Tx, { maxConsecutiveErrors: o.maxConsecutiveErrors as number }),
    example: { transform: { op: 'sgd', learningRate: 0.1 }, maxConsecutiveErrors: 5 },
    renames: { 'applyIfFinite.inner': 'transform' },
  }),
  entry('lookahead', {
    category: C,
    summary: 'Lookahead: syncPeriod fast steps, then the slow weights (in the state) move slowStepSize of the way to the fast ones.',
    required: { transform: TransformSpecCodec, syncPeriod: Num, slowStepSize: Num },
    optional: { resetState: Bool },
    build: (o) => lookahead(o.transform as Tx, { syncPeriod: o.syncPeriod as number, slowStepSize: o.slowStepSize as number, ...present(o, ['resetState']) }),
    example: { transform: { op: 'sgd', learningRate: 0.1 }, syncPeriod: 5, slowStepSize: 0.5 },
    renames: { 'lookahead.fast': 'transform' },
  }),
  entry('flatten', {
    category: C,
    summary: 'Runs a fusable transformation as if the leaves were one vector, so its per-leaf reductions become global (exported as flattenTransform).',
    required: { transform: TransformSpecCodec },
    build: (o) => flatten(o.transform as Tx),
    example: { transform: { op: 'scaleByTrustRatio' } },
    renames: { 'flatten.inner': 'transform' },
    constructorName: 'flattenTransform',
  }),
  entry('scheduleFree', {
    category: C,
    summary: 'Makes an optimizer (without momentum of its own) schedule-free: the params interpolate its iterates z and their weighted average x; needs params.',
    required: { transform: TransformSpecCodec, learningRate: Hyper },
    optional: { b1: Num, weightLrPower: Num },
    build: (o) => scheduleFree(o.transform as Tx, { learningRate: o.learningRate as ScalarOrSchedule, ...present(o, ['b1', 'weightLrPower']) }),
    example: { transform: { op: 'sgd', learningRate: 0.1 }, learningRate: 0.1 },
    renames: { 'scheduleFree.base': 'transform' },
  }),
];

/**
 * Every op of the spec format by name (a null-prototype table: `toString` or `__proto__` is
 * no op).
 * @category Spec
 */
export const OPS: Readonly<Record<string, OpEntry>> = /*#__PURE__*/ Object.freeze(
  Object.assign(Object.create(null) as Record<string, OpEntry>, Object.fromEntries(ENTRIES.map((e) => [e.op, e]))),
);

/**
 * The op names the spec format knows, in the registry's order.
 * @category Spec
 */
export const OP_NAMES: readonly string[] = /*#__PURE__*/ Object.freeze(ENTRIES.map((e) => e.op));

const OPS_CODEC = new DiscriminatedType('a transformation spec { op, ...options }', 'op', 'ops', () =>
  Object.fromEntries(ENTRIES.map((e) => [e.op, e.codec])),
);

/**
 * Public names that build an existing op: the spec they write names the op.
 */
export const OP_ALIASES: Readonly<Record<string, string>> = /*#__PURE__*/ Object.freeze({ partition: 'multiTransform' });

/**
 * Public names exported beside the transformations, optimizers and combinators that build no
 * transformation, so they are no ops, with the reason: helpers and constants. What
 * `maskByPath` and `labelsByPath` return (a mask or label *function*) is written by `toSpec`
 * as `"<function>"`, which a spec cannot be read back from: write the tree itself instead.
 */
export const NOT_OPS: Readonly<Record<string, string>> = /*#__PURE__*/ Object.freeze({
  maskByPath: 'builds a mask function (params -> tree of booleans) for a mask option; a spec holds the mask tree',
  labelsByPath: "builds a label function (params -> tree of labels) for multiTransform's paramLabels; a spec holds the label tree",
  scheduleFreeEvalParams: "computes the evaluation params x from a scheduleFree state and the params; it builds no transformation",
  orthogonalizeViaNewtonSchulz: "the Newton–Schulz iteration scaleByMuon runs on one matrix; a function of arrays, it builds no transformation",
  DEFAULT_NS_COEFFS: "a constant: the default Newton–Schulz coefficients of scaleByMuon and muon",
});
