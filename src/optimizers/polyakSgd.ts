/**
 * SGD with the Polyak step size.
 *
 * @module
 */
import type { EmptyState, GradientTransformation } from '../base.js';
import { chain } from '../combine/chain.js';
import type { ScalarOrSchedule } from '../schedules/schedule.js';
import { specOptions, withSpec } from '../spec/spec.js';
import { requireScalarOrSchedule } from '../transforms/hyper.js';
import { type ScaleByPolyakOptions, scaleByPolyak } from '../transforms/polyak.js';
import { HyperparameterError } from '../errors.js';
import { requireKnownKeys } from '../validate.js';
import { type SgdState, sgd } from './sgd.js';

/** Options of {@link polyakSgd}: {@link ScaleByPolyakOptions} and a global `scaling`. */
export interface PolyakSgdOptions extends ScaleByPolyakOptions {
  /** s, a number >= 0 or a schedule: the learning rate of the `sgd` in front. Default 1. */
  readonly scaling?: ScalarOrSchedule;
}

/** The state of {@link polyakSgd}: `sgd`'s, then `scaleByPolyak`'s (empty). */
export type PolyakSgdState = readonly [SgdState, EmptyState];

/**
 * SGD with the stochastic Polyak step size (Loizou et al. 2021), optax's `polyak_sgd`:
 * `chain(sgd({ learningRate: scaling }), scaleByPolyak({ fMin, maxLearningRate, eps, variant }))`.
 * With the default `scaling` 1 it steps
 *
 * ```text
 * x ← x - min((f(x) - f*) / (‖∇f(x)‖² + ε), γ_max) · ∇f(x)
 * ```
 *
 * and it needs the loss at every update: `opt.update(grads, state, params, { value: loss })`
 * (without it, an `ExtraArgError` naming `value`). Defaults (optax's): maxLearningRate 1,
 * scaling 1, fMin 0, eps 0, variant `'sps'` (`'sps+'` steps only while `f(x) > f*`).
 *
 * ```ts
 * // optax's doctest: f(x) = Σx² from [1, 2, 3] gives f = 3.5, 0.875, 0.21875, ...
 * const opt = polyakSgd();
 * const [updates, next] = opt.update(grads, state, params, { value: loss });
 * ```
 *
 * `fMin` must be a lower bound of the loss, ideally its minimum: 0 for a model that can
 * interpolate the data (a loss that can reach 0). A wrong guess stalls (too high) or overshoots
 * (too low) until the `maxLearningRate` cap.
 *
 * @remarks As in optax, `scaleByPolyak` measures the norm of the updates `sgd` produced,
 * `s·g`: for `scaling` s ≠ 1 the step is `s · min(gap / (s²‖g‖² + ε), γ_max) · g`, not the
 * `s · min(gap / (‖g‖² + ε), γ_max) · g` of optax's docstring (the two agree when the cap binds
 * or s = 1). Not fusable (the step depends on the loss): `compile` refuses it.
 * @category Optimizers
 */
export function polyakSgd(options: PolyakSgdOptions = {}): GradientTransformation<PolyakSgdState> {
  const owner = 'polyakSgd';
  if (typeof options !== 'object' || options === null) throw new HyperparameterError(owner, 'options', 'an object { maxLearningRate, scaling, fMin, eps, variant }', options);
  requireKnownKeys(owner, options, ['maxLearningRate', 'scaling', 'fMin', 'eps', 'variant']);
  const { scaling, ...polyak } = options;
  const descent = sgd({ learningRate: requireScalarOrSchedule(owner, 'scaling', scaling ?? 1, { min: 0 }) });
  const step = scaleByPolyak(polyak);
  return withSpec(chain(descent, step) as GradientTransformation<PolyakSgdState>, {
    op: owner,
    ...specOptions(step, ['maxLearningRate']),
    ...specOptions(descent, { learningRate: 'scaling' }),
    ...specOptions(step, ['fMin', 'eps', 'variant']),
  });
}
