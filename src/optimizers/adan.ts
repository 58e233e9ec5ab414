/**
 * Adan.
 *
 * @module
 */
import type { GradientTransformation } from '../base.js';
import { chain } from '../combine/chain.js';
import type { KernelState } from '../kernel/define.js';
import type { ScalarOrSchedule } from '../schedules/schedule.js';
import type { Mask } from '../tree/mask.js';
import { type ScaleByAdanOptions, type ScaleByAdanState, scaleByAdan } from '../transforms/adan.js';
import { addDecayedWeights } from '../transforms/decay.js';
import { identity } from '../transforms/identity.js';
import { scaleByLearningRate } from '../transforms/scale.js';
import { specOptions, withSpec } from '../spec/spec.js';
import { requireKnownKeys } from '../validate.js';

/** Options of {@link adan}. */
export interface AdanOptions extends ScaleByAdanOptions {
  /** η, a number >= 0 or a schedule. */
  readonly learningRate: ScalarOrSchedule;
  /** Decoupled weight decay λ (>= 0, or a schedule). Default 0. */
  readonly weightDecay?: ScalarOrSchedule;
  /** Leaves to decay; default all. */
  readonly mask?: Mask;
}

/** The state of {@link adan}: scaler, decoupled weight decay, learning rate. */
export type AdanState = readonly [ScaleByAdanState, KernelState, KernelState];

/**
 * Adan (Xie et al., 2022), optax's `adan`: {@link scaleByAdan}, decoupled weight decay, then
 * `-η_t`:
 *
 * ```text
 * u = -η_t · ((m̂ + (1 - β₂) v̂) / (√(n̂ + ε_root) + ε) + λ·p)
 * ```
 *
 * Defaults `b1 = 0.98`, `b2 = 0.92`, `b3 = 0.99`, `eps = 1e-8`, `epsRoot = 1e-8` (the
 * optimizer's default; the scaler's is 0), `weightDecay = 0` (optax). With `weightDecay` 0
 * and no `mask` the decay member is the identity and `update` needs no params.
 *
 * ```ts
 * const opt = adan({ learningRate: 1e-3, weightDecay: 2e-2 });
 * ```
 * @remarks The paper's Algorithm 1 applies the decay as a proximal step
 * `p ← (p - η·step)/(1 + λη)`; optax (and this optimizer) add `λ·p` to the step instead, as
 * in AdamW.
 * @category Optimizers
 */
export function adan(options: AdanOptions): GradientTransformation<AdanState> {
  requireKnownKeys('adan', options, ['learningRate', 'b1', 'b2', 'b3', 'eps', 'epsRoot', 'weightDecay', 'mask']);
  const { learningRate, weightDecay, mask, epsRoot, ...moments } = options;
  const scaler = scaleByAdan({ ...moments, epsRoot: epsRoot ?? 1e-8 });
  const decay =
    (weightDecay ?? 0) === 0 && mask === undefined
      ? identity()
      : addDecayedWeights({ weightDecay: weightDecay ?? 0, ...(mask === undefined ? {} : { mask }) });
  const lr = scaleByLearningRate(learningRate);
  return withSpec(chain(scaler, decay, lr), {
    op: 'adan',
    ...specOptions(lr, ['learningRate']),
    ...specOptions(scaler, ['b1', 'b2', 'b3', 'eps', 'epsRoot']),
    weightDecay: 0,
    ...specOptions(decay, ['weightDecay', 'mask']),
  });
}
