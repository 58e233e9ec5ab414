/**
 * Schedule-free SGD and AdamW: presets of the {@link scheduleFree} wrapper.
 *
 * @module
 */
import type { GradientTransformation } from '../base.js';
import { chain } from '../combine/chain.js';
import type { KernelState } from '../kernel/define.js';
import { linearSchedule } from '../schedules/decay.js';
import type { ScalarOrSchedule } from '../schedules/schedule.js';
import type { JsonValue } from '../spec/spec.js';
import { withSpec } from '../spec/spec.js';
import { addDecayedWeights } from '../transforms/decay.js';
import { describeHyper, requireScalarOrSchedule } from '../transforms/hyper.js';
import { identity } from '../transforms/identity.js';
import { type ScaleByRmsState, scaleByRms } from '../transforms/rms.js';
import { scaleByLearningRate } from '../transforms/scale.js';
import { type ScheduleFreeState, scheduleFree } from '../transforms/scheduleFree.js';
import { requireInRange, requireInteger, requireKnownKeys, requireNonNegative } from '../validate.js';
import { HyperparameterError } from '../errors.js';

/** The options both presets share. */
export interface ScheduleFreeCommonOptions {
  /** With `warmupSteps`, a number: the rate rises linearly from 0 to it over that many steps. */
  readonly learningRate?: ScalarOrSchedule;
  /** Length of a linear warmup from 0 (optax's `warmup_constant_schedule`), an integer >= 1. Default none. */
  readonly warmupSteps?: number;
  /** β₁ of the interpolation, in (0, 1]. Default 0.9. */
  readonly b1?: number;
  /** λ, weight decay >= 0 (multiplied by the learning rate). Default 0. */
  readonly weightDecay?: number;
  /** The power of the largest rate in the averaging weights, >= 0. Default 2. */
  readonly weightLrPower?: number;
}

/** Options of {@link scheduleFreeSgd}: learning rate default 1. */
export type ScheduleFreeSgdOptions = ScheduleFreeCommonOptions;

/** Options of {@link scheduleFreeAdamw}: learning rate default 0.0025. */
export interface ScheduleFreeAdamwOptions extends ScheduleFreeCommonOptions {
  /** β₂, the decay of the second moment, in [0, 1). Default 0.999. */
  readonly b2?: number;
  /** ε, added outside the root, >= 0. Default 1e-8. */
  readonly eps?: number;
}

/** The state of {@link scheduleFreeSgd}: the wrapper's, around [weight decay, learning rate]. */
export type ScheduleFreeSgdState = ScheduleFreeState<readonly [KernelState, KernelState]>;

/** The state of {@link scheduleFreeAdamw}: the wrapper's, around [second moment, weight decay, learning rate]. */
export type ScheduleFreeAdamwState = ScheduleFreeState<readonly [ScaleByRmsState, KernelState, KernelState]>;

interface Common {
  readonly rate: ScalarOrSchedule;
  readonly spec: Record<string, JsonValue>;
  readonly b1: number;
  readonly weightDecay: number;
  readonly weightLrPower: number;
}

/** Validates the shared options under the preset's name; the rate with its warmup. */
function commonOptions(owner: string, options: ScheduleFreeCommonOptions, defaultRate: number): Common {
  const learningRate = requireScalarOrSchedule(owner, 'learningRate', options.learningRate ?? defaultRate, { min: 0 });
  const warmupSteps = options.warmupSteps === undefined ? undefined : requireInteger(owner, 'warmupSteps', options.warmupSteps, 1);
  if (warmupSteps !== undefined && typeof learningRate !== 'number') {
    throw new HyperparameterError(owner, 'learningRate', 'a number when warmupSteps is given (the peak of the warmup)', learningRate);
  }
  const rate = warmupSteps === undefined ? learningRate : linearSchedule({ initValue: 0, endValue: learningRate as number, transitionSteps: warmupSteps });
  const b1 = requireInRange(owner, 'b1', options.b1 ?? 0.9, 0, 1, { loOpen: true });
  const weightDecay = requireNonNegative(owner, 'weightDecay', options.weightDecay ?? 0);
  const weightLrPower = requireNonNegative(owner, 'weightLrPower', options.weightLrPower ?? 2);
  return {
    rate,
    b1,
    weightDecay,
    weightLrPower,
    spec: {
      learningRate: describeHyper(learningRate) as JsonValue,
      ...(warmupSteps === undefined ? {} : { warmupSteps }),
      b1,
      weightDecay,
      weightLrPower,
    },
  };
}

/**
 * Schedule-free SGD (Defazio et al., "The Road Less Scheduled", 2024), optax's
 * `contrib.schedule_free_sgd`: {@link scheduleFree} around SGD without momentum,
 *
 * ```text
 * z_{t+1} = z_t - γ_t (g_t + λ y_t)            (g_t taken at the params y_t)
 * x_{t+1} = (1 - c_t) x_t + c_t z_{t+1},   y_{t+1} = β₁ x_{t+1} + (1 - β₁) z_{t+1}
 * ```
 *
 * with `c_t` the averaging weight of {@link scheduleFree}. Defaults `learningRate = 1`,
 * no warmup, `b1 = 0.9`, `weightDecay = 0`, `weightLrPower = 2` (optax). Evaluate at
 * {@link scheduleFreeEvalParams}`(state, params)`. Fuses into one loop.
 *
 * ```ts
 * const opt = scheduleFreeSgd({ learningRate: 0.5, warmupSteps: 100 });
 * ```
 * @category Optimizers
 */
export function scheduleFreeSgd(options: ScheduleFreeSgdOptions = {}): GradientTransformation<ScheduleFreeSgdState> {
  const owner = 'scheduleFreeSgd';
  requireKnownKeys(owner, options, ['learningRate', 'warmupSteps', 'b1', 'weightDecay', 'weightLrPower']);
  const o = commonOptions(owner, options, 1);
  const decay = o.weightDecay === 0 ? identity() : addDecayedWeights({ weightDecay: o.weightDecay });
  const base = chain(decay, scaleByLearningRate(o.rate));
  const tx = scheduleFree(base, { learningRate: o.rate, b1: o.b1, weightLrPower: o.weightLrPower });
  return withSpec(tx as GradientTransformation<ScheduleFreeSgdState>, { op: owner, ...o.spec });
}

/**
 * Schedule-free AdamW (Defazio et al., 2024), optax's `contrib.schedule_free_adamw`:
 * {@link scheduleFree} around AdamW without momentum (Adam with `b1 = 0`, written as the
 * bias-corrected RMS scaler):
 *
 * ```text
 * v_t     = β₂ v_{t-1} + (1 - β₂) g_t²,   v̂_t = v_t / (1 - β₂ᵗ)
 * z_{t+1} = z_t - γ_t (g_t / (√v̂_t + ε) + λ y_t)
 * x_{t+1} = (1 - c_t) x_t + c_t z_{t+1},   y_{t+1} = β₁ x_{t+1} + (1 - β₁) z_{t+1}
 * ```
 *
 * Defaults `learningRate = 0.0025`, no warmup, `b1 = 0.9`, `b2 = 0.999`, `eps = 1e-8`,
 * `weightDecay = 0`, `weightLrPower = 2` (optax). Evaluate at
 * {@link scheduleFreeEvalParams}`(state, params)`. Fuses into one loop.
 *
 * ```ts
 * const opt = scheduleFreeAdamw({ learningRate: 1e-3, warmupSteps: 1000, weightDecay: 1e-4 });
 * ```
 * @remarks The facebookresearch reference (PyTorch) evaluates its warmup at `k + 1` for both
 * the step and the weights; optax (and gradfuse) step with the rate at `count` and weight with
 * the rate at `count + 1`, which only differs during a warmup.
 * @category Optimizers
 */
export function scheduleFreeAdamw(options: ScheduleFreeAdamwOptions = {}): GradientTransformation<ScheduleFreeAdamwState> {
  const owner = 'scheduleFreeAdamw';
  requireKnownKeys(owner, options, ['learningRate', 'warmupSteps', 'b1', 'b2', 'eps', 'weightDecay', 'weightLrPower']);
  const o = commonOptions(owner, options, 0.0025);
  const b2 = requireInRange(owner, 'b2', options.b2 ?? 0.999, 0, 1, { hiOpen: true });
  const eps = requireNonNegative(owner, 'eps', options.eps ?? 1e-8);
  const decay = o.weightDecay === 0 ? identity() : addDecayedWeights({ weightDecay: o.weightDecay });
  const base = chain(scaleByRms({ decay: b2, eps, epsInSqrt: false, biasCorrection: true }), decay, scaleByLearningRate(o.rate));
  const tx = scheduleFree(base, { learningRate: o.rate, b1: o.b1, weightLrPower: o.weightLrPower });
  return withSpec(tx as GradientTransformation<ScheduleFreeAdamwState>, { op: owner, ...o.spec, b2, eps });
}
