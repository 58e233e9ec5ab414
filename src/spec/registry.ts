/**
 * The op registry: every transformation, optimizer and combinator gradfuse exports, with the
 * codec of its spec's options and the builder that calls its public constructor. The decoder,
 * the JSON Schema and the docs table are all read from this one table.
 *
 * @module
 */
import * as t from 'io-ts';
import type { GradientTransformation } from '../base.js';
import { chain } from '../combine/chain.js';
import { injectHyperparams } from '../combine/injectHyperparams.js';
import { adadelta } from '../optimizers/adadelta.js';
import { adagrad } from '../optimizers/adagrad.js';
import { adam, adamax, adamw, amsgrad, nadam, nadamw, radam } from '../optimizers/adam.js';
import { lion } from '../optimizers/lion.js';
import { rmsprop } from '../optimizers/rmsprop.js';
import { sgd } from '../optimizers/sgd.js';
import type { ScalarOrSchedule } from '../schedules/schedule.js';
import { scaleByAdadelta } from '../transforms/adadelta.js';
import { scaleByRss } from '../transforms/adagrad.js';
import { scaleByAdam, scaleByAdamax, scaleByAmsgrad, scaleByNadam, scaleByRadam } from '../transforms/adam.js';
import { clip, clipByGlobalNorm } from '../transforms/clipping.js';
import { addDecayedWeights } from '../transforms/decay.js';
import { identity, setToZero } from '../transforms/identity.js';
import { scaleByLion } from '../transforms/lion.js';
import { trace } from '../transforms/momentum.js';
import { zeroNans } from '../transforms/numerics.js';
import { scaleByRms, scaleByStddev } from '../transforms/rms.js';
import { scale, scaleByLearningRate, scaleBySchedule } from '../transforms/scale.js';
import { BestMatchUnion, Bool, DiscriminatedType, type Fields, type FieldsType, MaskTree, Num, describe, fields, oneOf, recursive } from './codecs.js';
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

// ---------------------------------------------------------------------------------------------
// the table
// ---------------------------------------------------------------------------------------------

const T = 'Transformations' as const;
const O = 'Optimizers' as const;

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
