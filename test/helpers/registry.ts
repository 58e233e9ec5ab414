/**
 * Every transformation, optimizer and combinator with valid options: the table the generic
 * tests iterate (purity, state snapshots, resume after save/load, mismatched snapshots). A new
 * transformation gets its coverage by adding one row here. Rows must work on any params tree
 * (the purity test draws random ones): masks and labels are functions of the leaves
 * (`maskByPath`, `labelsByPath`) or a boolean for the whole tree. The ops that take only 2-D
 * leaves (`scaleByMuon`, `scaleByShape`) are rows `masked` to the matrices; the `muon` optimizer
 * routes the other leaves to Adam itself.
 */
import type { GradientTransformation } from '../../src/base.js';
import { applyIfFinite } from '../../src/combine/applyIfFinite.js';
import { chain } from '../../src/combine/chain.js';
import { ema } from '../../src/combine/ema.js';
import { flatten } from '../../src/combine/flatten.js';
import { freeze, selectiveTransform } from '../../src/combine/freeze.js';
import { lookahead } from '../../src/combine/lookahead.js';
import { maskByPath, masked } from '../../src/combine/masked.js';
import { multiSteps } from '../../src/combine/multiSteps.js';
import { labelsByPath, multiTransform } from '../../src/combine/multiTransform.js';
import { adabelief } from '../../src/optimizers/adabelief.js';
import { adan } from '../../src/optimizers/adan.js';
import { fromage } from '../../src/optimizers/fromage.js';
import { lamb } from '../../src/optimizers/lamb.js';
import { lars } from '../../src/optimizers/lars.js';
import { novograd } from '../../src/optimizers/novograd.js';
import { optimisticGradientDescent } from '../../src/optimizers/optimisticGradientDescent.js';
import { signSgd } from '../../src/optimizers/signSgd.js';
import { yogi } from '../../src/optimizers/yogi.js';
import { scaleByAdan } from '../../src/transforms/adan.js';
import { scaleByBelief } from '../../src/transforms/belief.js';
import { adaptiveGradClip, clipByBlockRms } from '../../src/transforms/blockClipping.js';
import { keepParamsNonnegative } from '../../src/transforms/constraints.js';
import { scaleByNovograd } from '../../src/transforms/novograd.js';
import { scaleByOptimisticGradient } from '../../src/transforms/optimistic.js';
import { scaleBySign } from '../../src/transforms/sign.js';
import { scaleByTrustRatio } from '../../src/transforms/trustRatio.js';
import { scaleByYogi } from '../../src/transforms/yogi.js';
import { adam, adamax, adamw, amsgrad, nadam, nadamw, radam } from '../../src/optimizers/adam.js';
import { sgd } from '../../src/optimizers/sgd.js';
import { scaleByAdam, scaleByAdamax, scaleByAmsgrad, scaleByNadam, scaleByRadam } from '../../src/transforms/adam.js';
import { clip, clipByGlobalNorm } from '../../src/transforms/clipping.js';
import { addDecayedWeights } from '../../src/transforms/decay.js';
import { identity, setToZero } from '../../src/transforms/identity.js';
import { trace } from '../../src/transforms/momentum.js';
import { scale, scaleByLearningRate, scaleBySchedule } from '../../src/transforms/scale.js';
import { scaleByRms, scaleByStddev } from '../../src/transforms/rms.js';
import { scaleByRss } from '../../src/transforms/adagrad.js';
import { scaleByAdadelta } from '../../src/transforms/adadelta.js';
import { scaleByLion } from '../../src/transforms/lion.js';
import { zeroNans } from '../../src/transforms/numerics.js';
import { rmsprop } from '../../src/optimizers/rmsprop.js';
import { adagrad } from '../../src/optimizers/adagrad.js';
import { adadelta } from '../../src/optimizers/adadelta.js';
import { lion } from '../../src/optimizers/lion.js';
import { adafactor } from '../../src/optimizers/adafactor.js';
import { muon } from '../../src/optimizers/muon.js';
import { noisySgd } from '../../src/optimizers/noisySgd.js';
import { scheduleFreeAdamw, scheduleFreeSgd } from '../../src/optimizers/scheduleFree.js';
import { sm3 } from '../../src/optimizers/sm3.js';
import { scaleByFactoredRms, scaleByParamBlockRms } from '../../src/transforms/adafactor.js';
import { centralize } from '../../src/transforms/centralize.js';
import { scaleByMuon, scaleByShape } from '../../src/transforms/muon.js';
import { addNoise } from '../../src/transforms/noise.js';
import { scheduleFree } from '../../src/transforms/scheduleFree.js';
import { scaleBySm3 } from '../../src/transforms/sm3.js';

export interface RegistryRow {
  readonly name: string;
  readonly make: () => GradientTransformation<unknown>;
  /** Reads params (update must be given them). */
  readonly needsParams?: boolean;
}

const lrSchedule = (count: number): number => 0.1 / (1 + count);

/** The 2-D leaves (tensors { shape: [rows, cols] }): the only ones scaleByMuon and scaleByShape take. */
const matrices = maskByPath((_, leaf) => leaf.shape.length === 2);

export const TRANSFORMS: readonly RegistryRow[] = [
  { name: 'identity', make: () => identity() },
  { name: 'setToZero', make: () => setToZero() },
  { name: 'scale', make: () => scale(-0.5) },
  { name: 'scaleByLearningRate', make: () => scaleByLearningRate(0.01) },
  { name: 'scaleByLearningRate(schedule)', make: () => scaleByLearningRate(lrSchedule) },
  { name: 'scaleBySchedule', make: () => scaleBySchedule(lrSchedule) },
  { name: 'scaleByAdam', make: () => scaleByAdam() },
  { name: 'scaleByAdam(nesterov, epsRoot)', make: () => scaleByAdam({ nesterov: true, epsRoot: 1e-8, b1: 0.8 }) },
  { name: 'scaleByAmsgrad', make: () => scaleByAmsgrad() },
  { name: 'scaleByAmsgrad(raw)', make: () => scaleByAmsgrad({ maxOf: 'raw' }) },
  { name: 'scaleByAdamax', make: () => scaleByAdamax() },
  { name: 'scaleByRadam', make: () => scaleByRadam() },
  { name: 'scaleByRadam(torch, nesterov)', make: () => scaleByRadam({ strictThreshold: true, epsOnUncorrectedRoot: true, nesterov: true }) },
  { name: 'scaleByNadam', make: () => scaleByNadam() },
  { name: 'scaleByNadam(doubleCountMu)', make: () => scaleByNadam({ doubleCountMu: true }) },
  { name: 'clip', make: () => clip(0.3) },
  { name: 'clipByGlobalNorm', make: () => clipByGlobalNorm(0.5) },
  { name: 'clipByGlobalNorm(torch, inf)', make: () => clipByGlobalNorm(0.5, { eps: 1e-6, normType: Infinity }) },
  { name: 'addDecayedWeights', make: () => addDecayedWeights({ weightDecay: 0.1 }), needsParams: true },
  { name: 'trace', make: () => trace({ decay: 0.9 }) },
  { name: 'trace(nesterov, dampening)', make: () => trace({ decay: 0.9, nesterov: true, dampening: 0.1 }) },
  { name: 'scaleByRms', make: () => scaleByRms() },
  { name: 'scaleByRms(torch-like, bias correction)', make: () => scaleByRms({ decay: 0.99, epsInSqrt: false, biasCorrection: true, initialScale: 0.1 }) },
  { name: 'scaleByStddev', make: () => scaleByStddev() },
  { name: 'scaleByRss', make: () => scaleByRss() },
  { name: 'scaleByRss(torch)', make: () => scaleByRss({ initialAccumulatorValue: 0, eps: 1e-10, epsInSqrt: false }) },
  { name: 'scaleByAdadelta', make: () => scaleByAdadelta() },
  { name: 'scaleByLion', make: () => scaleByLion() },
  { name: 'scaleByLion(smooth)', make: () => scaleByLion({ mode: 'smooth', smoothBeta: 2 }) },
  { name: 'zeroNans', make: () => zeroNans() },
  { name: 'scaleByBelief', make: () => scaleByBelief() },
  { name: 'scaleByBelief(nesterov)', make: () => scaleByBelief({ nesterov: true, b1: 0.8, eps: 1e-8 }) },
  { name: 'scaleByYogi', make: () => scaleByYogi() },
  { name: 'scaleByNovograd(weightDecay)', make: () => scaleByNovograd({ weightDecay: 0.1 }), needsParams: true },
  { name: 'scaleByAdan', make: () => scaleByAdan() },
  { name: 'scaleByOptimisticGradient', make: () => scaleByOptimisticGradient({ alpha: 0.5, beta: 0.7 }) },
  { name: 'scaleBySign', make: () => scaleBySign() },
  { name: 'scaleByTrustRatio', make: () => scaleByTrustRatio({ minNorm: 1e-3, trustCoefficient: 0.5, eps: 1e-6 }), needsParams: true },
  { name: 'scaleByTrustRatio(mask by path)', make: () => scaleByTrustRatio({ mask: maskByPath((_, leaf) => leaf.shape.length > 1) }), needsParams: true },
  { name: 'clipByBlockRms', make: () => clipByBlockRms(0.5) },
  { name: 'adaptiveGradClip', make: () => adaptiveGradClip(0.1), needsParams: true },
  { name: 'keepParamsNonnegative', make: () => keepParamsNonnegative(), needsParams: true },
  { name: 'ema', make: () => ema({ decay: 0.9 }) },
  { name: 'ema(no debias)', make: () => ema({ decay: 0.5, debias: false }) },
  { name: 'centralize', make: () => centralize() },
  { name: 'addNoise', make: () => addNoise({ eta: 0.01, gamma: 0.55, seed: 7 }) },
  { name: 'masked(scaleByMuon, matrices)', make: () => masked(scaleByMuon(), matrices) },
  { name: 'masked(scaleByMuon(per-step coefficients, adaptive), matrices)', make: () => masked(scaleByMuon({ nsCoeffs: [[3, -3.2, 1.2], [2, -1.5, 0.5]], adaptive: true, nesterov: false }), matrices) },
  { name: 'masked(scaleByShape(consistentRms), matrices)', make: () => masked(scaleByShape({ consistentRms: 0.2 }), matrices) },
  { name: 'scaleByFactoredRms', make: () => scaleByFactoredRms() },
  { name: 'scaleByFactoredRms(factored small matrices)', make: () => scaleByFactoredRms({ minDimSizeToFactor: 2, stepOffset: 1 }) },
  { name: 'scaleByParamBlockRms', make: () => scaleByParamBlockRms(), needsParams: true },
  { name: 'scaleBySm3', make: () => scaleBySm3() },
  { name: 'scaleBySm3(decay)', make: () => scaleBySm3({ b1: 0.5, b2: 0.9 }) },
];

export const OPTIMIZERS: readonly RegistryRow[] = [
  { name: 'sgd', make: () => sgd({ learningRate: 0.1 }) },
  { name: 'sgd(momentum, nesterov, wd)', make: () => sgd({ learningRate: 0.1, momentum: 0.9, nesterov: true, weightDecay: 1e-2 }), needsParams: true },
  { name: 'adam', make: () => adam({ learningRate: 1e-3 }) },
  { name: 'adamw', make: () => adamw({ learningRate: 1e-3, weightDecay: 1e-2 }), needsParams: true },
  { name: 'amsgrad', make: () => amsgrad({ learningRate: 0.01 }) },
  { name: 'adamax', make: () => adamax({ learningRate: 0.01 }) },
  { name: 'radam', make: () => radam({ learningRate: 0.01 }) },
  { name: 'nadam', make: () => nadam({ learningRate: 0.01 }) },
  { name: 'nadam(momentumDecay)', make: () => nadam({ learningRate: 0.01, form: 'momentumDecay' }) },
  { name: 'nadamw', make: () => nadamw({ learningRate: 0.01 }), needsParams: true },
  { name: 'rmsprop(centered, momentum, torch lr placement)', make: () => rmsprop({ learningRate: 1e-3, centered: true, momentum: 0.9, lrPlacement: 'afterMomentum' }) },
  { name: 'adagrad', make: () => adagrad({ learningRate: 0.1 }) },
  { name: 'adadelta', make: () => adadelta() },
  { name: 'lion', make: () => lion({ learningRate: 1e-4 }), needsParams: true },
  {
    name: 'clip+adamw+schedule',
    make: () => chain(clipByGlobalNorm(1), adamw({ learningRate: lrSchedule })),
    needsParams: true,
  },
  { name: 'adabelief', make: () => adabelief({ learningRate: 1e-3 }) },
  { name: 'adabelief(weightDecay)', make: () => adabelief({ learningRate: 1e-3, weightDecay: 1e-2 }), needsParams: true },
  { name: 'yogi', make: () => yogi({ learningRate: 1e-2 }) },
  { name: 'novograd', make: () => novograd({ learningRate: 1e-2, weightDecay: 1e-3 }), needsParams: true },
  { name: 'adan', make: () => adan({ learningRate: 1e-3, weightDecay: 1e-2 }), needsParams: true },
  { name: 'lamb', make: () => lamb({ learningRate: 1e-3, weightDecay: 1e-2 }), needsParams: true },
  { name: 'lars', make: () => lars({ learningRate: 0.1, weightDecay: 1e-4 }), needsParams: true },
  { name: 'signSgd', make: () => signSgd({ learningRate: 1e-3 }) },
  { name: 'fromage', make: () => fromage({ learningRate: 1e-2 }), needsParams: true },
  { name: 'optimisticGradientDescent', make: () => optimisticGradientDescent({ learningRate: 1e-2 }) },
  { name: 'noisySgd', make: () => noisySgd({ learningRate: 0.01, seed: 3 }) },
  { name: 'scheduleFreeSgd(warmup, wd)', make: () => scheduleFreeSgd({ learningRate: 0.1, warmupSteps: 2, weightDecay: 1e-3 }), needsParams: true },
  { name: 'scheduleFreeAdamw(wd)', make: () => scheduleFreeAdamw({ learningRate: 1e-3, weightDecay: 1e-2 }), needsParams: true },
  { name: 'muon(wd)', make: () => muon({ learningRate: 0.02, weightDecay: 1e-2 }), needsParams: true },
  { name: 'adafactor', make: () => adafactor(), needsParams: true },
  {
    name: 'adafactor(lr, momentum, wd, factored small matrices, no clipping)',
    make: () => adafactor({ learningRate: 0.01, momentum: 0.9, weightDecayRate: 1e-3, minDimSizeToFactor: 2, clippingThreshold: null }),
    needsParams: true,
  },
  { name: 'sm3', make: () => sm3({ learningRate: 0.1 }) },
];

/** Leaves with more than one element: a mask or a label that splits most trees. */
const large = maskByPath((_, leaf) => leaf.data.length > 1);

export const COMBINATORS: readonly RegistryRow[] = [
  { name: 'masked(adamw, mask by path)', make: () => masked(adamw({ learningRate: 1e-3, weightDecay: 1e-2 }), large), needsParams: true },
  { name: 'masked(scaleByAdam, true)', make: () => masked(scaleByAdam(), true) },
  // Not fusable inside: the inner transformation sees the masked-in leaves only.
  { name: 'masked(applyIfFinite(sgd), mask by path)', make: () => masked(applyIfFinite(sgd({ learningRate: 0.1, momentum: 0.9 }), { maxConsecutiveErrors: 1 }), large) },
  {
    name: 'multiTransform(adamw | sgd, labels by path)',
    make: () =>
      multiTransform({
        transforms: { matrices: adamw({ learningRate: 1e-3, weightDecay: 1e-2 }), rest: sgd({ learningRate: 0.1, momentum: 0.9 }) },
        paramLabels: labelsByPath((_, leaf) => (leaf.shape.length > 1 ? 'matrices' : 'rest')),
      }),
    needsParams: true,
  },
  { name: 'freeze(mask by path)', make: () => freeze(large) },
  { name: 'selectiveTransform(adam, mask by path)', make: () => selectiveTransform(adam({ learningRate: 1e-3 }), { freezeMask: large }) },
  { name: 'multiSteps(adam, 2)', make: () => multiSteps(adam({ learningRate: 1e-3 }), { everyK: 2 }) },
  { name: 'multiSteps(sgd, 3, sum)', make: () => multiSteps(sgd({ learningRate: 0.1, momentum: 0.9 }), { everyK: 3, useGradMean: false }) },
  { name: 'applyIfFinite(adam)', make: () => applyIfFinite(adam({ learningRate: 1e-3 }), { maxConsecutiveErrors: 2 }) },
  { name: 'lookahead(adam)', make: () => lookahead(adam({ learningRate: 1e-3 }), { syncPeriod: 2, slowStepSize: 0.5 }), needsParams: true },
  {
    name: 'lookahead(sgd, resetState)',
    make: () => lookahead(sgd({ learningRate: 0.1, momentum: 0.9 }), { syncPeriod: 2, slowStepSize: 0.5, resetState: true }),
    needsParams: true,
  },
  { name: 'flatten(lamb)', make: () => flatten(lamb({ learningRate: 1e-3 })), needsParams: true },
  { name: 'scheduleFree(adam without momentum)', make: () => scheduleFree(adam({ learningRate: 1e-3, b1: 0 }), { learningRate: 1e-3 }), needsParams: true },
  { name: 'scheduleFree(sgd, schedule)', make: () => scheduleFree(sgd({ learningRate: lrSchedule }), { learningRate: lrSchedule, b1: 0.8, weightLrPower: 1 }), needsParams: true },
];

export const ALL: readonly RegistryRow[] = [...TRANSFORMS, ...OPTIMIZERS, ...COMBINATORS];
