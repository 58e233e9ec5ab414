/**
 * `ema`: an exponential moving average of the updates.
 *
 * @module
 */
import type { GradientTransformation } from '../base.js';
import { HyperparameterError } from '../errors.js';
import { type KernelState, defineTransform } from '../kernel/define.js';
import { ema as emaExpr, g, mul, scalar } from '../kernel/dsl.js';
import { requireBoolean, requireKnownKeys } from '../validate.js';

/** Options of {@link ema}. */
export interface EmaOptions {
  /** β, the decay, in [0, 1) (in [0, 1] when `debias` is false). Required: optax has no default. */
  readonly decay: number;
  /** Divide the output by `1 - βᵗ`, so that it is an average from the first step. Default true. */
  readonly debias?: boolean;
}

/** The state of {@link ema}: `count` and the (never debiased) average `ema`. */
export type EmaState = KernelState<'ema'>;

/**
 * An exponential moving average of the updates (optax's `ema`):
 *
 * ```text
 * m_t = β m_{t-1} + (1 - β) g          (m_0 = 0)
 * u   = m_t / (1 - βᵗ)                 (debias, the default)
 * u   = m_t                            (debias: false)
 * ```
 *
 * The stored average `m_t` is never debiased; only the output is. The correction is applied as
 * the reciprocal `1/(1 - βᵗ)`, computed once per step. Where `trace` accumulates
 * `g + β·tr` (momentum), `ema` weights the new value by `1 - β`.
 *
 * ```ts
 * // a smoothed gradient (e.g. for logging), or Polyak-style smoothing of the steps
 * const opt = chain(ema({ decay: 0.9 }), scaleByLearningRate(1e-2));
 * ```
 *
 * @remarks optax keeps the average in `accumulator_dtype` when given; here it takes the
 * params' dtype.
 * @category Transformations
 */
export function ema(options: EmaOptions): GradientTransformation<EmaState> {
  const owner = 'ema';
  if (typeof options !== 'object' || options === null) throw new HyperparameterError(owner, 'options', 'an object { decay, debias }', options);
  requireKnownKeys(owner, options, ['decay', 'debias']);
  const debias = requireBoolean(owner, 'debias', options.debias ?? true);
  const decay: unknown = options.decay;
  if (typeof decay !== 'number' || !Number.isFinite(decay) || decay < 0 || (debias ? decay >= 1 : decay > 1)) {
    throw new HyperparameterError(owner, 'decay', debias ? 'a number in [0, 1) (1 - decay^t must not vanish when debias is on)' : 'a number in [0, 1]', decay);
  }
  return defineTransform<'ema'>({
    name: owner,
    options: { decay, debias },
    slots: { ema: 0 },
    scalars: ({ count }) => ({ decay, oneMinusDecay: 1 - decay, rbc: debias ? 1 / (1 - decay ** (count + 1)) : 1 }),
    body: (s) => {
      const m = emaExpr(s.ema, g, scalar('decay'), scalar('oneMinusDecay'));
      return { update: debias ? mul(m, scalar('rbc')) : m, next: { ema: m } };
    },
  });
}
