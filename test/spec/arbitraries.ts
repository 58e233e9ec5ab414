/**
 * fast-check generators for the spec tests: random pipelines over every op of the registry
 * (combinators wrapping random pipelines, masks and label trees shaped like the params),
 * each built twice over — as the JSON a user would write (options left out at random, so the
 * constructor fills the defaults) and as the transformation the public constructor returns
 * for the same options (schedules as gradfuse schedule functions).
 */
import fc from 'fast-check';
import type { GradientTransformation } from '../../src/base.js';
import { applyIfFinite } from '../../src/combine/applyIfFinite.js';
import { chain } from '../../src/combine/chain.js';
import { ema } from '../../src/combine/ema.js';
import { flatten } from '../../src/combine/flatten.js';
import { freeze, selectiveTransform } from '../../src/combine/freeze.js';
import { injectHyperparams } from '../../src/combine/injectHyperparams.js';
import { lookahead } from '../../src/combine/lookahead.js';
import { masked } from '../../src/combine/masked.js';
import { multiSteps } from '../../src/combine/multiSteps.js';
import { type LabelTree, multiTransform } from '../../src/combine/multiTransform.js';
import { adabelief } from '../../src/optimizers/adabelief.js';
import { adafactor } from '../../src/optimizers/adafactor.js';
import { adadelta } from '../../src/optimizers/adadelta.js';
import { adagrad, adagradLrDecay } from '../../src/optimizers/adagrad.js';
import { adam, adamax, adamw, amsgrad, nadam, nadamw, radam } from '../../src/optimizers/adam.js';
import { adan } from '../../src/optimizers/adan.js';
import { fromage } from '../../src/optimizers/fromage.js';
import { lamb } from '../../src/optimizers/lamb.js';
import { lars } from '../../src/optimizers/lars.js';
import { lion } from '../../src/optimizers/lion.js';
import { muon } from '../../src/optimizers/muon.js';
import { noisySgd } from '../../src/optimizers/noisySgd.js';
import { novograd } from '../../src/optimizers/novograd.js';
import { optimisticGradientDescent } from '../../src/optimizers/optimisticGradientDescent.js';
import { polyakSgd } from '../../src/optimizers/polyakSgd.js';
import { rmsprop } from '../../src/optimizers/rmsprop.js';
import { scheduleFreeAdamw, scheduleFreeSgd } from '../../src/optimizers/scheduleFree.js';
import { sgd } from '../../src/optimizers/sgd.js';
import { signSgd } from '../../src/optimizers/signSgd.js';
import { sm3 } from '../../src/optimizers/sm3.js';
import { yogi } from '../../src/optimizers/yogi.js';
import { constantSchedule, exponentialDecay, linearSchedule } from '../../src/schedules/decay.js';
import { joinSchedules } from '../../src/schedules/join.js';
import { piecewiseConstantSchedule } from '../../src/schedules/piecewise.js';
import type { Schedule } from '../../src/schedules/schedule.js';
import { warmupCosineDecay } from '../../src/schedules/warmup.js';
import type { JsonValue } from '../../src/spec/spec.js';
import { reduceOnPlateau } from '../../src/transforms/plateau.js';
import { scaleByPolyak } from '../../src/transforms/polyak.js';
import { scaleByAdadelta } from '../../src/transforms/adadelta.js';
import { scaleByFactoredRms, scaleByParamBlockRms } from '../../src/transforms/adafactor.js';
import { scaleByRss } from '../../src/transforms/adagrad.js';
import { scaleByAdam, scaleByAdamax, scaleByAmsgrad, scaleByNadam, scaleByRadam } from '../../src/transforms/adam.js';
import { scaleByAdan } from '../../src/transforms/adan.js';
import { scaleByBelief } from '../../src/transforms/belief.js';
import { adaptiveGradClip, clipByBlockRms } from '../../src/transforms/blockClipping.js';
import { centralize } from '../../src/transforms/centralize.js';
import { clip, clipByGlobalNorm } from '../../src/transforms/clipping.js';
import { keepParamsNonnegative } from '../../src/transforms/constraints.js';
import { addDecayedWeights } from '../../src/transforms/decay.js';
import { identity, setToZero } from '../../src/transforms/identity.js';
import { scaleByLion } from '../../src/transforms/lion.js';
import { trace } from '../../src/transforms/momentum.js';
import { scaleByMuon, scaleByShape } from '../../src/transforms/muon.js';
import { addNoise } from '../../src/transforms/noise.js';
import { scaleByNovograd } from '../../src/transforms/novograd.js';
import { zeroNans } from '../../src/transforms/numerics.js';
import { scaleByOptimisticGradient } from '../../src/transforms/optimistic.js';
import { scaleByRms, scaleByStddev } from '../../src/transforms/rms.js';
import { scale, scaleByLearningRate, scaleBySchedule } from '../../src/transforms/scale.js';
import { scheduleFree } from '../../src/transforms/scheduleFree.js';
import { scaleBySign } from '../../src/transforms/sign.js';
import { scaleBySm3 } from '../../src/transforms/sm3.js';
import { scaleByTrustRatio } from '../../src/transforms/trustRatio.js';
import { scaleByYogi } from '../../src/transforms/yogi.js';
import { isLeaf } from '../../src/tree/leaf.js';
import type { Mask, MaskTree } from '../../src/tree/mask.js';
import type { Tree } from '../../src/tree/tree.js';
import { REGISTRY as SCHEDULES } from '../schedules/registry.js';

type Json = { readonly [key: string]: JsonValue };
type Tx = GradientTransformation<unknown>;

/** One option value, as JSON and as the constructor takes it. */
export interface Value {
  readonly json: JsonValue;
  readonly js: unknown;
}

/** A generated transformation: its spec as a user may write it, and how to build it in code. */
export interface Case {
  readonly spec: Json;
  readonly make: () => Tx;
}

/** A generated optimizer: also its constructor and options, for `injectHyperparams`. */
interface OptimizerCase extends Case {
  readonly ctor: (options: Readonly<Record<string, unknown>>) => Tx;
  readonly options: Readonly<Record<string, unknown>>;
}

// ---------------------------------------------------------------------------------------------
// values
// ---------------------------------------------------------------------------------------------

/** A number (−0 becomes 0: JSON writes −0 as 0). */
const num = (min: number, max: number): fc.Arbitrary<Value> =>
  fc
    .oneof(fc.double({ min, max, noNaN: true, noDefaultInfinity: true }), fc.integer({ min: 0, max: 1000 }).map((k) => min + ((max - min) * k) / 1000))
    .map((x) => ({ json: x + 0, js: x + 0 }));
const int = (min: number, max: number): fc.Arbitrary<Value> => fc.integer({ min, max }).map((x) => ({ json: x, js: x }));
const bool: fc.Arbitrary<Value> = fc.boolean().map((b) => ({ json: b, js: b }));
const oneOf = (...values: string[]): fc.Arbitrary<Value> => fc.constantFrom(...values).map((v) => ({ json: v, js: v }));
const unit = num(0, 1);
const beta = num(0, 0.999);
const eps = fc.oneof(fc.constantFrom(0, 1e-8, 1e-6).map((x) => ({ json: x, js: x })), num(0, 0.1));

const asValue = (s: Schedule): Value => ({ json: s.spec as unknown as JsonValue, js: s });

/** Values of a schedule at the counts a test runs (and a few more). */
const COUNTS = Array.from({ length: 12 }, (_, i) => i);
const within = (s: Schedule, lo: number, hi: number): boolean => COUNTS.every((c) => s(c) >= lo && s(c) <= hi);

/** Every schedule of the schedules' test registry (every constructor), built from its valid options. */
const FIXED: readonly Schedule[] = SCHEDULES.map((e) => (e.ctor as (o: unknown) => Schedule)(e.valid));

/** Random schedules of gradfuse's constructors, values in [0, 1] at every count. */
const randomUnitSchedule: fc.Arbitrary<Schedule> = fc.letrec<{ s: Schedule }>((tie) => ({
  s: fc.oneof(
    { depthSize: 'small', maxDepth: 2 },
    fc.double({ min: 0, max: 1, noNaN: true }).map((value) => constantSchedule({ value: value + 0 })),
    fc
      .record({ initValue: fc.double({ min: 0, max: 1, noNaN: true }), endValue: fc.double({ min: 0, max: 1, noNaN: true }), transitionSteps: fc.integer({ min: 0, max: 8 }) })
      .map((o) => linearSchedule({ initValue: o.initValue + 0, endValue: o.endValue + 0, transitionSteps: o.transitionSteps })),
    fc
      .record({ peak: fc.double({ min: 0, max: 1, noNaN: true }), warmup: fc.integer({ min: 0, max: 4 }), extra: fc.integer({ min: 1, max: 10 }) })
      .map((o) => warmupCosineDecay({ initValue: 0, peakValue: o.peak + 0, warmupSteps: o.warmup, decaySteps: o.warmup + o.extra })),
    fc
      .record({ init: fc.double({ min: 0, max: 1, noNaN: true }), rate: fc.double({ min: 0.01, max: 1, noNaN: true }), steps: fc.integer({ min: 1, max: 5 }), staircase: fc.boolean() })
      .map((o) => exponentialDecay({ initValue: o.init + 0, transitionSteps: o.steps, decayRate: o.rate, staircase: o.staircase })),
    fc
      .record({ init: fc.double({ min: 0, max: 1, noNaN: true }), scales: fc.dictionary(fc.integer({ min: 1, max: 9 }).map(String), fc.double({ min: 0, max: 1, noNaN: true }), { maxKeys: 3 }) })
      .map((o) => piecewiseConstantSchedule({ initValue: o.init + 0, boundariesAndScales: Object.fromEntries(Object.entries(o.scales).map(([k, v]) => [k, v + 0])) })),
    fc
      .record({ lr: fc.double({ min: 0, max: 1, noNaN: true }), decay: fc.double({ min: 0, max: 1, noNaN: true }) })
      .map((o) => adagradLrDecay({ learningRate: o.lr + 0, lrDecay: o.decay + 0 })),
    fc
      .tuple(tie('s'), tie('s'), fc.integer({ min: 0, max: 6 }))
      .map(([a, b, k]) => joinSchedules({ schedules: [a as Schedule, b as Schedule], boundaries: [k] })),
  ),
})).s;

/** A schedule whose values stay in [lo, hi]: a random one, or one of every constructor's. */
const schedules = new Map<string, fc.Arbitrary<Value>>();
const schedule = (lo: number, hi: number): fc.Arbitrary<Value> => {
  const key = `${String(lo)},${String(hi)}`;
  const known = schedules.get(key);
  if (known !== undefined) return known;
  const fixed = FIXED.filter((s) => within(s, lo, hi));
  const random = randomUnitSchedule.filter((s) => within(s, lo, hi));
  const arb = (fixed.length === 0 ? random : fc.oneof(random, fc.constantFrom(...fixed))).map(asValue);
  schedules.set(key, arb);
  return arb;
};

/** A number in [lo, hi] or a schedule in that range. */
const hyper = (lo: number, hi: number): fc.Arbitrary<Value> => fc.oneof(num(lo, hi), schedule(lo, hi));
const lr = hyper(0, 1);
const weightDecay = hyper(0, 1);
const momentum = fc.oneof(fc.constant<Value>({ json: 0, js: 0 }), hyper(0, 1));

/** A mask for `params`: booleans at the leaves, or a boolean covering a whole subtree. */
export function maskFor(params: Tree): fc.Arbitrary<Value> {
  const go = (node: Tree, depth: number): fc.Arbitrary<MaskTree> => {
    if (isLeaf(node)) return fc.boolean();
    const inner: fc.Arbitrary<MaskTree> = Array.isArray(node)
      ? fc.tuple(...(node as readonly Tree[]).map((c) => go(c, depth + 1)))
      : fc.record(Object.fromEntries(Object.entries(node as Readonly<Record<string, Tree>>).map(([k, c]) => [k, go(c, depth + 1)])));
    return depth === 0 ? inner : fc.oneof(fc.boolean(), inner);
  };
  // fast-check's records have no prototype; a mask read from JSON has Object's.
  return go(params, 0).map((m) => {
    const plain = JSON.parse(JSON.stringify(m)) as JsonValue;
    return { json: plain, js: plain };
  });
}

/** A label tree for `params` over `labels`: a label at the leaves, or a label covering a whole subtree. */
export function labelsFor(params: Tree, labels: readonly string[]): fc.Arbitrary<LabelTree> {
  const label = fc.constantFrom(...labels);
  const go = (node: Tree, depth: number): fc.Arbitrary<LabelTree> => {
    if (isLeaf(node)) return label;
    const inner: fc.Arbitrary<LabelTree> = Array.isArray(node)
      ? fc.tuple(...(node as readonly Tree[]).map((c) => go(c, depth + 1)))
      : fc.record(Object.fromEntries(Object.entries(node as Readonly<Record<string, Tree>>).map(([k, c]) => [k, go(c, depth + 1)])));
    return depth === 0 ? inner : fc.oneof(label, inner);
  };
  return go(params, 0).map((m) => JSON.parse(JSON.stringify(m)) as LabelTree);
}

// ---------------------------------------------------------------------------------------------
// options
// ---------------------------------------------------------------------------------------------

type Model = Readonly<Record<string, fc.Arbitrary<Value>>>;

interface Options {
  readonly json: Json;
  readonly js: Readonly<Record<string, unknown>>;
}

/** Options of a model: the required keys always, every other one or not, at random. */
function options(model: Model, required: readonly string[] = []): fc.Arbitrary<Options> {
  return fc.record(model, { requiredKeys: required as string[] }).map((r) => {
    const entries = Object.entries(r as Readonly<Record<string, Value>>);
    return { json: Object.fromEntries(entries.map(([k, v]) => [k, v.json])), js: Object.fromEntries(entries.map(([k, v]) => [k, v.js])) };
  });
}

const byOptions = <O, S>(op: string, ctor: (o: O) => GradientTransformation<S>, arb: fc.Arbitrary<Options>): fc.Arbitrary<OptimizerCase> => {
  const untyped = (o: Readonly<Record<string, unknown>>): Tx => ctor(o as O) as unknown as Tx;
  return arb.map(({ json, js }) => ({ spec: { op, ...json }, make: () => untyped(js), ctor: untyped, options: js }));
};

const moments: Model = { b1: beta, b2: beta, eps, epsRoot: eps };
const radamOnly: Model = { threshold: num(4.01, 10), nesterov: bool, strictThreshold: bool, epsOnUncorrectedRoot: bool };
const rms: Model = { decay: beta, eps, initialScale: unit, epsInSqrt: bool, biasCorrection: bool };
/** Newton–Schulz coefficients: one triple, or a list of one to three triples. */
const triple = fc.tuple(num(-5, 5), num(-5, 5), num(-5, 5)).map((t) => t.map((v) => v.json as number));
const nsCoeffs: fc.Arbitrary<Value> = fc
  .oneof(triple, fc.array(triple, { minLength: 1, maxLength: 3 }))
  .map((c) => ({ json: c as JsonValue, js: JSON.parse(JSON.stringify(c)) as unknown }));
const muonOnly: Model = { nsCoeffs, nsSteps: int(0, 5), beta, eps, nesterov: bool, adaptive: bool };
const seed = fc.oneof(int(0, 3), int(0, 2 ** 31), fc.constant<Value>({ json: 2 ** 53 - 1, js: 2 ** 53 - 1 }));
/** scheduleFreeSgd/Adamw options: a rate (a number or a schedule), or a number with a warmup. */
const scheduleFreeForm = (extra: Model): fc.Arbitrary<Options> => {
  const common: Model = { b1: num(0.01, 1), weightDecay: unit, weightLrPower: num(0, 3), ...extra };
  return fc.oneof(options({ learningRate: lr, ...common }), options({ learningRate: num(0, 1), warmupSteps: int(1, 5), ...common }, ['warmupSteps']));
};

/** Every leaf of `params` is a 2-D tensor (what scaleByMuon and scaleByShape require). */
function allMatrices(params: Tree): boolean {
  const go = (node: Tree): boolean =>
    isLeaf(node) ? !ArrayBuffer.isView(node) && (node as { readonly shape: readonly number[] }).shape.length === 2 : Object.values(node as object).every((c) => go(c as Tree));
  return go(params);
}

/** A mask of the 2-D leaves of `params`. */
function matrixMask(params: Tree): JsonValue {
  const go = (node: Tree): unknown =>
    isLeaf(node)
      ? !ArrayBuffer.isView(node) && (node as { readonly shape: readonly number[] }).shape.length === 2
      : Array.isArray(node)
        ? (node as readonly Tree[]).map(go)
        : Object.fromEntries(Object.entries(node as Readonly<Record<string, Tree>>).map(([k, c]) => [k, go(c)]));
  return go(params) as JsonValue;
}

/**
 * The ops that take only 2-D leaves. Their generators give the bare op on params whose leaves
 * are all matrices, and the op `masked` to the matrices otherwise (so a random pipeline runs
 * them instead of failing at init); the round trip of each op runs them on matrices.
 */
export const MATRIX_OPS: readonly string[] = ['scaleByMuon', 'scaleByShape'];

const onMatrices = (params: Tree, arb: fc.Arbitrary<Case>): fc.Arbitrary<Case> => {
  if (allMatrices(params)) return arb;
  const mask = matrixMask(params);
  return arb.map((c) => ({ spec: { op: 'masked', transform: c.spec, mask }, make: () => masked(c.make(), JSON.parse(JSON.stringify(mask)) as Mask) as Tx }));
};

const nadamForm = (extra: Model): fc.Arbitrary<Options> =>
  fc.oneof(
    options({ learningRate: lr, ...moments, form: oneOf('dozat'), ...extra }, ['learningRate']),
    options({ learningRate: lr, ...moments, form: oneOf('momentumDecay'), momentumDecay: num(0, 0.01), doubleCountMu: bool, ...extra }, ['learningRate', 'form']),
  );

// ---------------------------------------------------------------------------------------------
// ops
// ---------------------------------------------------------------------------------------------

/**
 * Generators of every op but `chain` and `injectHyperparams`, keyed by op; masks and labels are
 * shaped like `params`. The combinators wrap one of the other ops (see {@link pipeline} for
 * deeper nesting).
 */
export function leafOps(params: Tree): Readonly<Record<string, fc.Arbitrary<Case>>> {
  const makers = basicMakers(params);
  const basic = lazily(makers);
  let anyBasic: fc.Arbitrary<Case> | undefined;
  const inner = (): fc.Arbitrary<Case> => (anyBasic ??= fc.oneof(...Object.values(basic)));
  return lazily({ ...Object.fromEntries(Object.keys(makers).map((op) => [op, () => basic[op] as fc.Arbitrary<Case>])), ...combinatorMakers(params, inner) });
}

type Makers<C> = Readonly<Record<string, () => fc.Arbitrary<C>>>;

/**
 * A record whose values are built when first read (building every generator for every random
 * params tree costs more than running a case).
 */
function lazily<C>(makers: Makers<C>): Readonly<Record<string, fc.Arbitrary<C>>> {
  const out: Record<string, fc.Arbitrary<C>> = {};
  for (const [op, make] of Object.entries(makers)) {
    let built: fc.Arbitrary<C> | undefined;
    Object.defineProperty(out, op, { enumerable: true, get: () => (built ??= make()) });
  }
  return out;
}

/** Generators of every transformation and optimizer (no combinator), keyed by op. */
function basicMakers(params: Tree): Makers<Case> {
  const mask = maskFor(params);
  const decoupled: Model = { weightDecay, mask };
  const positional = <A>(op: string, arb: fc.Arbitrary<A>, json: (a: A) => Json, make: (a: A) => Tx): fc.Arbitrary<Case> =>
    arb.map((a) => ({ spec: { op, ...json(a) }, make: () => make(a) }));
  return {
    identity: () => fc.constant({ spec: { op: 'identity' }, make: () => identity() as Tx }),
    setToZero: () => fc.constant({ spec: { op: 'setToZero' }, make: () => setToZero() as Tx }),
    zeroNans: () => fc.constant({ spec: { op: 'zeroNans' }, make: () => zeroNans() as Tx }),
    scale: () => positional('scale', num(-2, 2), (s) => ({ step: s.json }), (s) => scale(s.js as number) as Tx),
    clip: () => positional('clip', num(0, 2), (d) => ({ maxDelta: d.json }), (d) => clip(d.js as number) as Tx),
    clipByGlobalNorm: () => positional(
      'clipByGlobalNorm',
      fc.record({ maxNorm: fc.double({ min: 1e-3, max: 5, noNaN: true }), eps: fc.option(fc.double({ min: 0, max: 1e-3, noNaN: true }), { nil: undefined }), inf: fc.option(fc.boolean(), { nil: undefined }) }),
      (o) => ({ maxNorm: o.maxNorm, ...(o.eps === undefined ? {} : { eps: o.eps + 0 }), ...(o.inf === undefined ? {} : { normType: o.inf ? 'inf' : 2 }) }),
      (o) => clipByGlobalNorm(o.maxNorm, { ...(o.eps === undefined ? {} : { eps: o.eps + 0 }), ...(o.inf === undefined ? {} : { normType: o.inf ? Infinity : 2 }) }) as Tx,
    ),
    scaleByLearningRate: () => positional(
      'scaleByLearningRate',
      fc.record({ lr, flipSign: fc.option(fc.boolean(), { nil: undefined }) }),
      (o) => ({ learningRate: o.lr.json, ...(o.flipSign === undefined ? {} : { flipSign: o.flipSign }) }),
      (o) => scaleByLearningRate(o.lr.js as Schedule, o.flipSign === undefined ? {} : { flipSign: o.flipSign }) as Tx,
    ),
    scaleBySchedule: () => positional('scaleBySchedule', fc.oneof(num(-1, 1), schedule(-10, 10)), (s) => ({ schedule: s.json }), (s) => scaleBySchedule(s.js as Schedule) as Tx),
    addDecayedWeights: () => byOptions('addDecayedWeights', addDecayedWeights, options(decoupled)),
    trace: () => byOptions('trace', trace, options({ decay: hyper(0, 1), nesterov: bool, dampening: unit }, ['decay'])),
    scaleByAdam: () => byOptions('scaleByAdam', scaleByAdam, options({ ...moments, nesterov: bool })),
    scaleByAmsgrad: () => byOptions('scaleByAmsgrad', scaleByAmsgrad, options({ ...moments, maxOf: oneOf('biasCorrected', 'raw') })),
    scaleByAdamax: () => byOptions('scaleByAdamax', scaleByAdamax, options({ b1: beta, b2: beta, eps })),
    scaleByRadam: () => byOptions('scaleByRadam', scaleByRadam, options({ ...moments, ...radamOnly })),
    scaleByNadam: () => byOptions('scaleByNadam', scaleByNadam, options({ ...moments, momentumDecay: num(0, 0.01), doubleCountMu: bool })),
    scaleByRms: () => byOptions('scaleByRms', scaleByRms, options(rms)),
    scaleByStddev: () => byOptions('scaleByStddev', scaleByStddev, options(rms)),
    scaleByRss: () => byOptions('scaleByRss', scaleByRss, options({ initialAccumulatorValue: unit, eps, epsInSqrt: bool })),
    scaleByAdadelta: () => byOptions('scaleByAdadelta', scaleByAdadelta, options({ rho: unit, eps })),
    scaleByLion: () => byOptions('scaleByLion', scaleByLion, options({ b1: unit, b2: unit, mode: oneOf('hard', 'smooth', 'refined'), smoothBeta: num(0.01, 5) })),
    scaleByBelief: () => byOptions('scaleByBelief', scaleByBelief, options({ ...moments, nesterov: bool })),
    scaleByYogi: () => byOptions('scaleByYogi', scaleByYogi, options({ ...moments, initialAccumulatorValue: num(1e-6, 1) })),
    scaleByNovograd: () => byOptions('scaleByNovograd', scaleByNovograd, options({ b1: unit, b2: unit, eps, epsRoot: eps, weightDecay: unit })),
    scaleByAdan: () => byOptions('scaleByAdan', scaleByAdan, options({ b1: beta, b2: beta, b3: beta, eps, epsRoot: eps })),
    scaleByOptimisticGradient: () => byOptions('scaleByOptimisticGradient', scaleByOptimisticGradient, options({ alpha: num(-2, 2), beta: num(-2, 2) })),
    scaleBySign: () => fc.constant({ spec: { op: 'scaleBySign' }, make: () => scaleBySign() as Tx }),
    scaleByTrustRatio: () => byOptions('scaleByTrustRatio', scaleByTrustRatio, options({ minNorm: unit, trustCoefficient: num(1e-3, 2), eps, mask })),
    clipByBlockRms: () => positional('clipByBlockRms', num(1e-3, 2), (t) => ({ threshold: t.json }), (t) => clipByBlockRms(t.js as number) as Tx),
    adaptiveGradClip: () => positional(
      'adaptiveGradClip',
      fc.record({ clipping: num(0, 2), eps: fc.option(eps, { nil: undefined }) }),
      (o) => ({ clipping: o.clipping.json, ...(o.eps === undefined ? {} : { eps: o.eps.json }) }),
      (o) => adaptiveGradClip(o.clipping.js as number, o.eps === undefined ? {} : { eps: o.eps.js as number }) as Tx,
    ),
    keepParamsNonnegative: () => fc.constant({ spec: { op: 'keepParamsNonnegative' }, make: () => keepParamsNonnegative() as Tx }),
    ema: () => byOptions('ema', ema, options({ decay: beta, debias: bool }, ['decay'])),
    reduceOnPlateau: () => byOptions(
      'reduceOnPlateau',
      reduceOnPlateau,
      options({ factor: num(0.01, 0.99), patience: int(1, 5), rtol: num(1e-6, 1), atol: num(0, 1), cooldown: int(0, 3), accumulationSize: int(1, 3), minScale: unit, mode: oneOf('min', 'max') }),
    ),
    scaleByPolyak: () => byOptions('scaleByPolyak', scaleByPolyak, options({ fMin: num(-1, 1), maxLearningRate: num(1e-3, 2), eps, variant: oneOf('sps', 'sps+') })),
    centralize: () => fc.constant({ spec: { op: 'centralize' }, make: () => centralize() as Tx }),
    addNoise: () => byOptions('addNoise', addNoise, options({ eta: num(0, 1), gamma: num(0, 2), seed }, ['eta', 'gamma'])),
    scaleByMuon: () => onMatrices(params, byOptions('scaleByMuon', scaleByMuon, options(muonOnly))),
    scaleByShape: () => onMatrices(params, byOptions('scaleByShape', scaleByShape, options({ consistentRms: num(0.01, 1) }))),
    scaleByFactoredRms: () => byOptions(
      'scaleByFactoredRms',
      scaleByFactoredRms,
      options({ factored: bool, decayRate: num(0.01, 2), stepOffset: int(0, 3), minDimSizeToFactor: int(1, 10), epsilon: eps }),
    ),
    scaleByParamBlockRms: () => byOptions('scaleByParamBlockRms', scaleByParamBlockRms, options({ minScale: unit })),
    scaleBySm3: () => byOptions('scaleBySm3', scaleBySm3, options({ b1: unit, b2: unit, eps })),
    ...optimizerMakers(params),
  };
}

/** Generators of every optimizer, keyed by op. */
export function optimizerOps(params: Tree): Readonly<Record<string, fc.Arbitrary<OptimizerCase>>> {
  return lazily(optimizerMakers(params));
}

function optimizerMakers(params: Tree): Makers<OptimizerCase> {
  const mask = maskFor(params);
  const decoupled: Model = { weightDecay, mask };
  return {
    sgd: () => byOptions('sgd', sgd, options({ learningRate: lr, momentum, nesterov: bool, dampening: unit, weightDecay }, ['learningRate'])),
    adam: () => byOptions('adam', adam, options({ learningRate: lr, ...moments, nesterov: bool }, ['learningRate'])),
    adamw: () => byOptions('adamw', adamw, options({ learningRate: lr, ...moments, nesterov: bool, ...decoupled }, ['learningRate'])),
    amsgrad: () => byOptions('amsgrad', amsgrad, options({ learningRate: lr, ...moments, maxOf: oneOf('biasCorrected', 'raw') }, ['learningRate'])),
    adamax: () => byOptions('adamax', adamax, options({ learningRate: lr, b1: beta, b2: beta, eps }, ['learningRate'])),
    radam: () => byOptions('radam', radam, options({ learningRate: lr, ...moments, ...radamOnly }, ['learningRate'])),
    nadam: () => byOptions('nadam', nadam, nadamForm({})),
    nadamw: () => byOptions('nadamw', nadamw, nadamForm(decoupled)),
    rmsprop: () => byOptions(
      'rmsprop',
      rmsprop,
      options({ learningRate: lr, ...rms, centered: bool, momentum, nesterov: bool, lrPlacement: oneOf('beforeMomentum', 'afterMomentum') }, ['learningRate']),
    ),
    adagrad: () => byOptions('adagrad', adagrad, options({ learningRate: lr, initialAccumulatorValue: unit, eps, epsInSqrt: bool }, ['learningRate'])),
    adadelta: () => byOptions('adadelta', adadelta, options({ learningRate: lr, rho: unit, eps, ...decoupled })),
    lion: () => byOptions('lion', lion, options({ learningRate: lr, b1: unit, b2: unit, ...decoupled }, ['learningRate'])),
    adabelief: () => byOptions('adabelief', adabelief, options({ learningRate: lr, ...moments, nesterov: bool, weightDecay, weightDecayMask: mask }, ['learningRate'])),
    yogi: () => byOptions('yogi', yogi, options({ learningRate: lr, ...moments, initialAccumulatorValue: num(1e-6, 1) }, ['learningRate'])),
    novograd: () => byOptions('novograd', novograd, options({ learningRate: lr, b1: unit, b2: unit, eps, epsRoot: eps, weightDecay: unit }, ['learningRate'])),
    adan: () => byOptions('adan', adan, options({ learningRate: lr, b1: beta, b2: beta, b3: beta, eps, epsRoot: eps, ...decoupled }, ['learningRate'])),
    lamb: () => byOptions('lamb', lamb, options({ learningRate: lr, ...moments, ...decoupled }, ['learningRate'])),
    lars: () => byOptions(
      'lars',
      lars,
      options(
        { learningRate: lr, weightDecay, weightDecayMask: mask, trustCoefficient: num(1e-3, 2), eps, trustRatioMask: mask, momentum: hyper(0, 1), nesterov: bool },
        ['learningRate'],
      ),
    ),
    signSgd: () => byOptions('signSgd', signSgd, options({ learningRate: lr }, ['learningRate'])),
    fromage: () => byOptions('fromage', fromage, options({ learningRate: lr, minNorm: unit }, ['learningRate'])),
    optimisticGradientDescent: () => byOptions('optimisticGradientDescent', optimisticGradientDescent, options({ learningRate: lr, alpha: num(-2, 2), beta: num(-2, 2) }, ['learningRate'])),
    polyakSgd: () => byOptions('polyakSgd', polyakSgd, options({ maxLearningRate: num(1e-3, 2), scaling: lr, fMin: num(-1, 1), eps, variant: oneOf('sps', 'sps+') })),
    noisySgd: () => byOptions('noisySgd', noisySgd, options({ learningRate: lr, eta: num(0, 1), gamma: num(0, 2), seed }, ['learningRate'])),
    scheduleFreeSgd: () => byOptions('scheduleFreeSgd', scheduleFreeSgd, scheduleFreeForm({})),
    scheduleFreeAdamw: () => byOptions('scheduleFreeAdamw', scheduleFreeAdamw, scheduleFreeForm({ b2: beta, eps })),
    muon: () => byOptions(
      'muon',
      muon,
      options(
        {
          learningRate: lr,
          ...muonOnly,
          weightDecay: unit,
          weightDecayMask: mask,
          consistentRms: num(0.01, 1),
          adamB1: beta,
          adamB2: beta,
          adamEps: eps,
          adamEpsRoot: eps,
          adamWeightDecay: unit,
          adamLearningRate: lr,
        },
        ['learningRate'],
      ),
    ),
    adafactor: () => {
      const model: Model = {
        learningRate: lr,
        minDimSizeToFactor: int(1, 10),
        decayRate: num(0.01, 2),
        decayOffset: int(0, 3),
        multiplyByParameterScale: bool,
        clippingThreshold: fc.oneof(num(1e-3, 2), fc.constant<Value>({ json: null, js: null })),
        momentum: unit,
        weightDecayRate: unit,
        eps,
        factored: bool,
      };
      // A mask only with a weight decay (adafactor refuses one without).
      return byOptions('adafactor', adafactor, fc.oneof(options(model), options({ ...model, weightDecayMask: mask }, ['weightDecayRate'])));
    },
    sm3: () => byOptions('sm3', sm3, options({ learningRate: lr, momentum: unit }, ['learningRate'])),
  };
}

/** The label names `multiTransform` cases draw from (an integer-like key, a key with a space). */
const LABELS = ['a', 'b', 'no decay', '0'] as const;

/** Generators of every combinator but `chain` and `injectHyperparams`, each wrapping a case of `inner`. */
export function combinatorOps(params: Tree, inner: fc.Arbitrary<Case>): Readonly<Record<string, fc.Arbitrary<Case>>> {
  return lazily(combinatorMakers(params, () => inner));
}

function combinatorMakers(params: Tree, innerOf: () => fc.Arbitrary<Case>): Makers<Case> {
  const mask = maskFor(params);
  const opt = <A>(arb: fc.Arbitrary<A>): fc.Arbitrary<A | undefined> => fc.option(arb, { nil: undefined });
  const some = <K extends string, V>(key: K, v: V | undefined): Partial<Record<K, V>> => (v === undefined ? {} : ({ [key]: v } as Record<K, V>));
  return {
    masked: () => fc.record({ c: innerOf(), m: mask }).map(({ c, m }) => ({ spec: { op: 'masked', transform: c.spec, mask: m.json }, make: () => masked(c.make(), m.js as Mask) as Tx })),
    multiTransform: () => fc
      .uniqueArray(fc.constantFrom(...LABELS), { minLength: 1, maxLength: 3 })
      .chain((labels) => fc.record({ labels: fc.constant(labels), members: fc.tuple(...labels.map(() => innerOf())), paramLabels: labelsFor(params, labels) }))
      .map(({ labels, members, paramLabels }): Case => ({
        spec: { op: 'multiTransform', transforms: Object.fromEntries(labels.map((l, i) => [l, (members[i] as Case).spec])), paramLabels: paramLabels as JsonValue },
        make: () => multiTransform({ transforms: Object.fromEntries(labels.map((l, i) => [l, (members[i] as Case).make()])), paramLabels }) as Tx,
      })),
    freeze: () => mask.map((m) => ({ spec: { op: 'freeze', mask: m.json }, make: () => freeze(m.js as Mask) as Tx })),
    selectiveTransform: () => fc
      .record({ c: innerOf(), m: mask })
      .map(({ c, m }) => ({ spec: { op: 'selectiveTransform', transform: c.spec, freezeMask: m.json }, make: () => selectiveTransform(c.make(), { freezeMask: m.js as Mask }) as Tx })),
    multiSteps: () => fc.record({ c: innerOf(), everyK: fc.integer({ min: 1, max: 3 }), useGradMean: opt(fc.boolean()) }).map(({ c, everyK, useGradMean }) => ({
      spec: { op: 'multiSteps', transform: c.spec, everyK, ...some('useGradMean', useGradMean) },
      make: () => multiSteps(c.make(), { everyK, ...some('useGradMean', useGradMean) }) as Tx,
    })),
    applyIfFinite: () => fc.record({ c: innerOf(), n: fc.integer({ min: 0, max: 3 }) }).map(({ c, n }) => ({
      spec: { op: 'applyIfFinite', transform: c.spec, maxConsecutiveErrors: n },
      make: () => applyIfFinite(c.make(), { maxConsecutiveErrors: n }) as Tx,
    })),
    lookahead: () => fc.record({ c: innerOf(), k: fc.integer({ min: 1, max: 3 }), alpha: unit, resetState: opt(fc.boolean()) }).map(({ c, k, alpha, resetState }) => ({
      spec: { op: 'lookahead', transform: c.spec, syncPeriod: k, slowStepSize: alpha.json, ...some('resetState', resetState) },
      make: () => lookahead(c.make(), { syncPeriod: k, slowStepSize: alpha.js as number, ...some('resetState', resetState) }) as Tx,
    })),
    scheduleFree: () => fc
      .record({ c: innerOf(), rate: lr, b1: opt(num(0.01, 1)), power: opt(num(0, 3)) })
      .map(({ c, rate, b1, power }) => ({
        spec: { op: 'scheduleFree', transform: c.spec, learningRate: rate.json, ...some('b1', b1?.json), ...some('weightLrPower', power?.json) },
        make: () => scheduleFree(c.make(), { learningRate: rate.js as Schedule, ...some('b1', b1?.js as number | undefined), ...some('weightLrPower', power?.js as number | undefined) }) as Tx,
      })),
    // `flatten` rewrites kernel stages: its inner transformation must have them.
    flatten: () => innerOf().filter((c) => c.make().fusable !== undefined).map((c) => ({ spec: { op: 'flatten', transform: c.spec }, make: () => flatten(c.make()) as Tx })),
  };
}

/** An `injectHyperparams` of a random optimizer, with some of its options static at random. */
function injected(params: Tree): fc.Arbitrary<Case> {
  return fc.oneof(...Object.values(optimizerOps(params))).chain((inner) =>
    fc.subarray(Object.keys(inner.options)).map((staticArgs): Case => {
      const config = staticArgs.length === 0 ? {} : { staticArgs };
      return {
        spec: { op: 'injectHyperparams', transform: inner.spec, ...config },
        make: () => injectHyperparams(inner.ctor, config)(inner.options) as Tx,
      };
    }),
  );
}

/** Random pipelines: any op, nested chains and combinators (up to depth 3), injected optimizers. */
export function pipeline(params: Tree): fc.Arbitrary<Case> {
  const leaves = Object.values(lazily(basicMakers(params)));
  const { tx } = fc.letrec<{ tx: Case }>((tie) => ({
    tx: fc.oneof(
      { depthSize: 'small', maxDepth: 3 },
      fc.oneof(...leaves),
      injected(params),
      fc.array(tie('tx'), { maxLength: 3 }).map(
        (members): Case => ({ spec: { op: 'chain', transforms: members.map((m) => m.spec) }, make: () => chain(...members.map((m) => m.make())) as Tx }),
      ),
      fc.oneof(...Object.values(combinatorOps(params, tie('tx')))),
    ),
  }));
  return tx;
}
