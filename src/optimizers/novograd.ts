/**
 * NovoGrad.
 *
 * @module
 */
import type { GradientTransformation } from '../base.js';
import { chain } from '../combine/chain.js';
import type { KernelState } from '../kernel/define.js';
import type { ScalarOrSchedule } from '../schedules/schedule.js';
import { type ScaleByNovogradOptions, type ScaleByNovogradState, scaleByNovograd } from '../transforms/novograd.js';
import { scaleByLearningRate } from '../transforms/scale.js';
import { specOptions, withSpec } from '../spec/spec.js';
import { requireKnownKeys } from '../validate.js';

/** Options of {@link novograd}. */
export interface NovogradOptions extends ScaleByNovogradOptions {
  /** η, a number >= 0 or a schedule. */
  readonly learningRate: ScalarOrSchedule;
}

/** The state of {@link novograd}: scaler, learning rate. */
export type NovogradState = readonly [ScaleByNovogradState, KernelState];

/**
 * NovoGrad (Ginsburg et al., 2019), optax's `novograd`: {@link scaleByNovograd} then `-η_t`:
 *
 * ```text
 * ν_l = β₂ ν_l + (1 - β₂)‖g_l‖²         (per leaf; ‖g_l‖² at the first step)
 * μ   = β₁ μ + g/(√(ν_l + ε_root) + ε) + λ p      (no (1 - β₁) factor; μ = the new term at the first step)
 * u   = -η_t μ
 * ```
 *
 * Defaults `b1 = 0.9`, `b2 = 0.25`, `eps = 1e-6` (the scaler's own default is 1e-8),
 * `epsRoot = 0`, `weightDecay` λ `= 0` (optax). Needs `params`.
 *
 * ```ts
 * const opt = novograd({ learningRate: 1e-2, weightDecay: 1e-3 });
 * ```
 * @category Optimizers
 */
export function novograd(options: NovogradOptions): GradientTransformation<NovogradState> {
  requireKnownKeys('novograd', options, ['learningRate', 'b1', 'b2', 'eps', 'epsRoot', 'weightDecay']);
  const { learningRate, eps, ...rest } = options;
  const scaler = scaleByNovograd({ ...rest, eps: eps ?? 1e-6 });
  const lr = scaleByLearningRate(learningRate);
  return withSpec(chain(scaler, lr), {
    op: 'novograd',
    ...specOptions(lr, ['learningRate']),
    ...specOptions(scaler, ['b1', 'b2', 'eps', 'epsRoot', 'weightDecay']),
  });
}
