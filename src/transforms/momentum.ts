/**
 * Momentum.
 *
 * @module
 */
import type { GradientTransformation } from '../base.js';
import { type KernelState, defineTransform } from '../kernel/define.js';
import { add, g, mul, scalar } from '../kernel/dsl.js';
import type { ScalarOrSchedule } from '../schedules/schedule.js';
import { requireBoolean, requireInRange, requireKnownKeys } from '../validate.js';
import { describeHyper, hyperAt, requireScalarOrSchedule } from './hyper.js';

/** Options of {@link trace}. */
export interface TraceOptions {
  /** The momentum μ, in [0, 1] or a schedule (cyclical momentum). */
  readonly decay: ScalarOrSchedule;
  /** Nesterov momentum: emit `g + μ·tr_t`. Default false. */
  readonly nesterov?: boolean;
  /**
   * PyTorch's SGD dampening τ: after the first step the trace adds `(1 - τ)·g`; on the first
   * step it is set to `g`. Default 0.
   */
  readonly dampening?: number;
}

/** The state of {@link trace}: `count` and the momentum buffer `trace`. */
export type TraceState = KernelState<'trace'>;

/**
 * Momentum (heavy ball, Polyak 1964; Nesterov, Sutskever et al. 2013):
 *
 * ```text
 * tr_t = μ_t·tr_{t-1} + c_t·g     with c_1 = 1, c_t = 1 - τ afterwards (τ = dampening, default 0)
 * u    = tr_t                    (nesterov: g + μ_t·tr_t)
 * ```
 *
 * `μ_t = decay(count)` may be a schedule (one-cycle momentum). With `dampening = 0` this is
 * optax's `trace` and PyTorch's SGD momentum buffer.
 * @category Transformations
 */
export function trace(options: TraceOptions): GradientTransformation<TraceState> {
  const owner = 'trace';
  requireKnownKeys(owner, options, ['decay', 'nesterov', 'dampening']);
  const decay = requireScalarOrSchedule(owner, 'decay', options.decay, { min: 0, max: 1 });
  const nesterov = requireBoolean(owner, 'nesterov', options.nesterov ?? false);
  const dampening = requireInRange(owner, 'dampening', options.dampening ?? 0, 0, 1);
  return defineTransform<'trace'>({
    name: owner,
    options: { decay: describeHyper(decay), nesterov, dampening },
    slots: { trace: 0 },
    scalars: ({ count }) => ({
      decay: hyperAt(owner, 'decay', decay, count, { min: 0, max: 1 }),
      gain: count === 0 ? 1 : 1 - dampening,
    }),
    body: (s) => {
      const tr = add(mul(scalar('decay'), s.trace), mul(scalar('gain'), g));
      return { update: nesterov ? add(g, mul(scalar('decay'), tr)) : tr, next: { trace: tr } };
    },
  });
}
