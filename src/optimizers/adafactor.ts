/**
 * Adafactor.
 *
 * @module
 */
import type { GradientTransformation } from '../base.js';
import { chain } from '../combine/chain.js';
import { ema } from '../combine/ema.js';
import { HyperparameterError } from '../errors.js';
import type { ScalarOrSchedule } from '../schedules/schedule.js';
import { type JsonValue, specOptions, withSpec } from '../spec/spec.js';
import { scaleByFactoredRms, scaleByParamBlockRms } from '../transforms/adafactor.js';
import { clipByBlockRms } from '../transforms/blockClipping.js';
import { addDecayedWeights } from '../transforms/decay.js';
import { scale, scaleByLearningRate } from '../transforms/scale.js';
import type { Mask } from '../tree/mask.js';
import { requireBoolean, requireInRange, requireKnownKeys, requireNonNegative } from '../validate.js';

/** Options of {@link adafactor}. */
export interface AdafactorOptions {
  /**
   * η, a number >= 0 or a schedule. Default: none (relative step sizes only: the update is
   * scaled by the parameter RMS and nothing else, optax's `learning_rate=None`).
   */
  readonly learningRate?: ScalarOrSchedule;
  /** Factor a leaf's statistics only when its two largest dimensions are both at least this. Default 128. */
  readonly minDimSizeToFactor?: number;
  /** Exponent `c` of the second-moment decay `β_t = 1 − (t+1)^(−c)`. Default 0.8. */
  readonly decayRate?: number;
  /** For fine-tuning: the step the decay schedule restarts at. Default 0. */
  readonly decayOffset?: number;
  /** Scale the step by each leaf's parameter RMS (at least 1e-3). Default true. */
  readonly multiplyByParameterScale?: boolean;
  /** Clip each leaf's update to this RMS (> 0); `null` disables clipping. Default 1. */
  readonly clippingThreshold?: number | null;
  /** Momentum (an EMA of the updates, not debiased), in [0, 1]. Default: none. */
  readonly momentum?: number;
  /** Weight decay rate, added after the learning rate (so not scaled by it), >= 0. Default: none. */
  readonly weightDecayRate?: number;
  /** Leaves to decay; default all. */
  readonly weightDecayMask?: Mask;
  /** `ε₁`, added to `g²`. Default 1e-30. */
  readonly eps?: number;
  /** Use factored second moments. Default true. */
  readonly factored?: boolean;
}

/** The state of {@link adafactor}: one entry per member of its chain (their number depends on the options). */
export type AdafactorState = readonly unknown[];

/**
 * Adafactor (Shazeer & Stern, "Adafactor: Adaptive Learning Rates with Sublinear Memory Cost",
 * 2018), optax's `adafactor`: second moments of a matrix kept as row and column statistics
 * (memory O(n + m) instead of O(n·m)), updates clipped by their RMS, relative step sizes.
 *
 * ```text
 * u = scaleByFactoredRms(g)                  (see scaleByFactoredRms: β_t = 1 − (t+1)^(−0.8))
 * u = u / max(1, RMS(u) / clippingThreshold)  (per leaf; unless clippingThreshold is null)
 * u = η_t · u                                (when learningRate is given)
 * u = u · max(RMS(p), 1e-3)                  (per leaf; multiplyByParameterScale)
 * m = momentum·m + (1 − momentum)·u; u = m   (when momentum is given)
 * u = u + weightDecayRate · p                (when weightDecayRate is given; after η)
 * u = −u
 * ```
 *
 * Defaults follow optax: `learningRate` none, `minDimSizeToFactor = 128`, `decayRate = 0.8`,
 * `decayOffset = 0`, `multiplyByParameterScale = true`, `clippingThreshold = 1`, no momentum,
 * no weight decay, `eps = 1e-30`, `factored = true`.
 *
 * `compile` fuses everything after the factored estimate (clipping, learning rate, parameter
 * scale, momentum, decay, sign); the factored estimate runs on the host.
 * @category Optimizers
 */
export function adafactor(options: AdafactorOptions = {}): GradientTransformation<AdafactorState> {
  const owner = 'adafactor';
  if (typeof options !== 'object' || (options as unknown) === null) throw new HyperparameterError(owner, 'options', 'an object', options);
  requireKnownKeys(owner, options, [
    'learningRate',
    'minDimSizeToFactor',
    'decayRate',
    'decayOffset',
    'multiplyByParameterScale',
    'clippingThreshold',
    'momentum',
    'weightDecayRate',
    'weightDecayMask',
    'eps',
    'factored',
  ]);
  const multiplyByParameterScale = requireBoolean(owner, 'multiplyByParameterScale', options.multiplyByParameterScale ?? true);
  const clippingThreshold = options.clippingThreshold === undefined ? 1 : options.clippingThreshold;
  const momentum = options.momentum === undefined ? undefined : requireInRange(owner, 'momentum', options.momentum, 0, 1);
  const weightDecayRate = options.weightDecayRate === undefined ? undefined : requireNonNegative(owner, 'weightDecayRate', options.weightDecayRate);
  if (options.weightDecayMask !== undefined && weightDecayRate === undefined) {
    throw new HyperparameterError(owner, 'weightDecayMask', 'no mask unless weightDecayRate is given', options.weightDecayMask);
  }
  const factoredRms = scaleByFactoredRms({
    ...(options.factored === undefined ? {} : { factored: options.factored }),
    ...(options.decayRate === undefined ? {} : { decayRate: options.decayRate }),
    ...(options.decayOffset === undefined ? {} : { stepOffset: options.decayOffset }),
    ...(options.minDimSizeToFactor === undefined ? {} : { minDimSizeToFactor: options.minDimSizeToFactor }),
    ...(options.eps === undefined ? {} : { epsilon: options.eps }),
  });
  const members: GradientTransformation<unknown>[] = [factoredRms as GradientTransformation<unknown>];
  const spec: Record<string, JsonValue> = {
    op: owner,
    ...specOptions(factoredRms, { minDimSizeToFactor: 'minDimSizeToFactor', decayRate: 'decayRate', stepOffset: 'decayOffset', epsilon: 'eps', factored: 'factored' }),
    multiplyByParameterScale,
    clippingThreshold: null,
  };
  if (clippingThreshold !== null) {
    const clip = clipByBlockRms(clippingThreshold as number);
    members.push(clip);
    Object.assign(spec, specOptions(clip, { threshold: 'clippingThreshold' }));
  }
  if (options.learningRate !== undefined) {
    const lr = scaleByLearningRate(options.learningRate, { flipSign: false });
    members.push(lr);
    Object.assign(spec, specOptions(lr, ['learningRate']));
  }
  if (multiplyByParameterScale) members.push(scaleByParamBlockRms());
  if (momentum !== undefined) {
    members.push(ema({ decay: momentum, debias: false }) as GradientTransformation<unknown>);
    spec.momentum = momentum;
  }
  if (weightDecayRate !== undefined) {
    const decay = addDecayedWeights({ weightDecay: weightDecayRate, ...(options.weightDecayMask === undefined ? {} : { mask: options.weightDecayMask }) });
    members.push(decay);
    Object.assign(spec, specOptions(decay, { weightDecay: 'weightDecayRate', mask: 'weightDecayMask' }));
  }
  members.push(scale(-1));
  return withSpec(chain(...members), spec as never) as GradientTransformation<AdafactorState>;
}
