/**
 * Every transformation and optimizer with valid options: the table the generic tests iterate
 * (purity, dtype preservation, compiled == reference, snapshots). A new transformation gets
 * its coverage by adding one row here.
 */
import type { GradientTransformation } from '../../src/base.js';
import { chain } from '../../src/combine/chain.js';
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

export interface RegistryRow {
  readonly name: string;
  readonly make: () => GradientTransformation<unknown>;
  /** Reads params (update must be given them). */
  readonly needsParams?: boolean;
}

const lrSchedule = (count: number): number => 0.1 / (1 + count);

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
];

export const ALL: readonly RegistryRow[] = [...TRANSFORMS, ...OPTIMIZERS];
