/**
 * Adam and its decoupled-weight-decay form AdamW.
 *
 * @module
 */
import type { GradientTransformation } from '../base.js';
import { chain } from '../combine/chain.js';
import type { KernelState } from '../kernel/define.js';
import type { ScalarOrSchedule } from '../schedules/schedule.js';
import type { Mask } from '../tree/mask.js';
import { type ScaleByAdamOptions, type ScaleByAdamState, scaleByAdam } from '../transforms/adam.js';
import { addDecayedWeights } from '../transforms/decay.js';
import { scaleByLearningRate } from '../transforms/scale.js';
import { requireKnownKeys } from '../validate.js';

/** Options of {@link adam}. */
export interface AdamOptions extends ScaleByAdamOptions {
  /** η, a number >= 0 or a schedule. */
  readonly learningRate: ScalarOrSchedule;
}

/** The state of {@link adam}. */
export type AdamState = readonly [ScaleByAdamState, KernelState];

/**
 * Adam: {@link scaleByAdam} then `-η_t`. Defaults follow optax (`b1 0.9`, `b2 0.999`,
 * `eps 1e-8`, `epsRoot 0`).
 *
 * ```ts
 * const opt = adam({ learningRate: 1e-3 });
 * ```
 * @remarks PyTorch's `Adam(weight_decay=λ)` is L2 decay coupled into the gradient:
 * `chain(addDecayedWeights({ weightDecay: λ }), adam(...))`.
 * @category Optimizers
 */
export function adam(options: AdamOptions): GradientTransformation<AdamState> {
  requireKnownKeys('adam', options, ['learningRate', 'b1', 'b2', 'eps', 'epsRoot', 'nesterov']);
  const { learningRate, ...moments } = options;
  return chain(scaleByAdam(moments), scaleByLearningRate(learningRate));
}

/** Options of {@link adamw}. */
export interface AdamwOptions extends AdamOptions {
  /** Decoupled weight decay λ (>= 0, or a schedule). Default 1e-4 (optax; PyTorch's is 1e-2). */
  readonly weightDecay?: ScalarOrSchedule;
  /** Leaves to decay; default all. */
  readonly mask?: Mask;
}

/** The state of {@link adamw}. */
export type AdamwState = readonly [ScaleByAdamState, KernelState, KernelState];

/**
 * AdamW (Loshchilov & Hutter, 2019): Adam with decoupled weight decay,
 * `u = -η_t·(m̂/(√v̂ + ε) + λ·p)` (see {@link scaleByAdam} for m̂, v̂).
 *
 * @remarks Equal to PyTorch's `AdamW` (which first multiplies `p` by `1 - η_t·λ`) up to
 * rounding; pass `weightDecay: 1e-2` for PyTorch's default.
 * @category Optimizers
 */
export function adamw(options: AdamwOptions): GradientTransformation<AdamwState> {
  requireKnownKeys('adamw', options, ['learningRate', 'b1', 'b2', 'eps', 'epsRoot', 'nesterov', 'weightDecay', 'mask']);
  const { learningRate, weightDecay, mask, ...moments } = options;
  return chain(
    scaleByAdam(moments),
    addDecayedWeights({ weightDecay: weightDecay ?? 1e-4, ...(mask === undefined ? {} : { mask }) }),
    scaleByLearningRate(learningRate),
  );
}
