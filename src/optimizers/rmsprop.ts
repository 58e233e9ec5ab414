/**
 * RMSprop, plain or centered, with optional momentum.
 *
 * @module
 */
import type { GradientTransformation } from '../base.js';
import { chain } from '../combine/chain.js';
import type { KernelState } from '../kernel/define.js';
import type { ScalarOrSchedule } from '../schedules/schedule.js';
import { identity } from '../transforms/identity.js';
import { type TraceState, trace } from '../transforms/momentum.js';
import { type ScaleByRmsOptions, type ScaleByRmsState, type ScaleByStddevState, scaleByRms, scaleByStddev } from '../transforms/rms.js';
import { scaleByLearningRate } from '../transforms/scale.js';
import { specOptions, withSpec } from '../spec/spec.js';
import { requireBoolean, requireKnownKeys, requireOneOf } from '../validate.js';

/** Where {@link rmsprop} multiplies by the learning rate relative to the momentum buffer. */
export type LrPlacement = 'beforeMomentum' | 'afterMomentum';

/** Options of {@link rmsprop}. */
export interface RmspropOptions extends ScaleByRmsOptions {
  /** η, a number >= 0 or a schedule. */
  readonly learningRate: ScalarOrSchedule;
  /** Divide by the estimated standard deviation ({@link scaleByStddev}). Default false. */
  readonly centered?: boolean;
  /** Momentum μ in [0, 1], or a schedule; absent or 0 means no momentum buffer. Default none. */
  readonly momentum?: ScalarOrSchedule;
  /** Nesterov momentum (with `momentum`). Default false. */
  readonly nesterov?: boolean;
  /**
   * `'beforeMomentum'` (optax, default): the buffer accumulates `-η_t·g/denom`, so each
   * accumulated step keeps the rate of its own step. `'afterMomentum'` (PyTorch): the buffer
   * accumulates `g/denom` and the rate of the current step multiplies the whole buffer. The two
   * agree while η is constant.
   */
  readonly lrPlacement?: LrPlacement;
}

/** The state of {@link rmsprop}: the scaler, then the learning rate and the momentum in `lrPlacement` order. */
export type RmspropState = readonly [ScaleByRmsState | ScaleByStddevState, KernelState | TraceState, KernelState | TraceState];

const RMSPROP_KEYS = [
  'learningRate',
  'decay',
  'eps',
  'initialScale',
  'epsInSqrt',
  'biasCorrection',
  'centered',
  'momentum',
  'nesterov',
  'lrPlacement',
] as const;

/**
 * RMSprop (Tieleman & Hinton, 2012; centered: Graves, 2013), optax's `rmsprop`:
 *
 * ```text
 * d   = √(ν̂ + ε)  or, centered, √(ν̂ - μ̂² + ε)       (see scaleByRms, scaleByStddev)
 * beforeMomentum:  u = trace(-η_t · g/d)
 * afterMomentum:   u = -η_t · trace(g/d)
 * ```
 *
 * `trace` is the momentum buffer `b_t = μ b_{t-1} + x` (Nesterov: `x + μ b_t`); without
 * momentum `u = -η_t·g/d`. Defaults `decay = 0.9`, `eps = 1e-8`, `initialScale = 0`,
 * `epsInSqrt = true`, `centered = false`, no momentum, `nesterov = false`,
 * `biasCorrection = false`, `lrPlacement = 'beforeMomentum'` (optax).
 *
 * ```ts
 * const opt = rmsprop({ learningRate: 1e-3 });
 * // PyTorch's torch.optim.RMSprop(lr=1e-3), with its own defaults and formulas:
 * const torchLike = rmsprop({ learningRate: 1e-3, decay: 0.99, eps: 1e-8, epsInSqrt: false, lrPlacement: 'afterMomentum' });
 * ```
 *
 * @remarks The PyTorch preset is `{ decay: 0.99, eps: 1e-8, epsInSqrt: false,
 * lrPlacement: 'afterMomentum' }` (with `centered`, `momentum` as given to torch): torch puts ε
 * outside the root, starts ν at 0, and keeps `g/d` in its momentum buffer, multiplying by the
 * learning rate only when it applies the buffer (which differs from optax's order once the
 * rate changes). PyTorch's `weight_decay=λ` is L2 decay added to the gradient first:
 * `chain(addDecayedWeights({ weightDecay: λ }), rmsprop(...))`.
 * @category Optimizers
 */
export function rmsprop(options: RmspropOptions): GradientTransformation<RmspropState> {
  const owner = 'rmsprop';
  requireKnownKeys(owner, options, RMSPROP_KEYS);
  const { learningRate, centered, momentum, nesterov, lrPlacement, ...rms } = options;
  const isCentered = requireBoolean(owner, 'centered', centered ?? false);
  const isNesterov = requireBoolean(owner, 'nesterov', nesterov ?? false);
  const placement = requireOneOf(owner, 'lrPlacement', lrPlacement ?? 'beforeMomentum', ['beforeMomentum', 'afterMomentum'] as const);
  const scaler = isCentered ? scaleByStddev(rms) : scaleByRms(rms);
  const lr = scaleByLearningRate(learningRate);
  const useMomentum = momentum !== undefined && momentum !== 0;
  const buffer = useMomentum ? trace({ decay: momentum, nesterov: isNesterov }) : identity();
  const tail = placement === 'beforeMomentum' ? ([lr, buffer] as const) : ([buffer, lr] as const);
  return withSpec(chain(scaler, ...tail) as GradientTransformation<RmspropState>, {
    op: owner,
    ...specOptions(lr, ['learningRate']),
    ...specOptions(scaler, ['decay', 'eps', 'initialScale', 'epsInSqrt', 'biasCorrection']),
    centered: isCentered,
    momentum: 0,
    ...specOptions(buffer, { decay: 'momentum' }),
    nesterov: isNesterov,
    lrPlacement: placement,
  });
}
