/**
 * `reduceOnPlateau`: scales the updates down when a monitored value (the loss) stops
 * improving. It reads the loss from `update`'s extra arguments (`{ value }`), so it is a plain
 * transformation, not a kernel: the decision is a scalar recurrence over the values, not an
 * element-wise function of the updates.
 *
 * @module
 */
import { type GradientTransformation, type UpdateExtras, requireValue } from '../base.js';
import { HyperparameterError, StateMismatchError } from '../errors.js';
import { type TreeLike, mapTree } from '../tree/tree.js';
import { requireInRange, requireInteger, requireKnownKeys, requireNonNegative, requireOneOf } from '../validate.js';

// ---------------------------------------------------------------------------------------------
// options
// ---------------------------------------------------------------------------------------------

/** Options of {@link reduceOnPlateau} (optax's names, camelCased, and optax's defaults). */
export interface ReduceOnPlateauOptions {
  /** The factor the scale is multiplied by on a plateau, in (0, 1). Default 0.1. */
  readonly factor?: number;
  /**
   * How many evaluations (of `accumulationSize` values each) without improvement reduce the
   * scale: on the `patience`-th one (an integer >= 1). Default 10. PyTorch reduces on the
   * `patience + 1`-th: its `patience=p` is `patience: p + 1` here.
   */
  readonly patience?: number;
  /** Relative tolerance: an improvement must beat `(1 - rtol)·best`, in [0, 1]. Default 1e-4. */
  readonly rtol?: number;
  /** Absolute tolerance: an improvement must beat `best - atol`, >= 0. Default 0. */
  readonly atol?: number;
  /** Evaluations after a reduction during which the plateau count stays 0 (an integer >= 0). Default 0. */
  readonly cooldown?: number;
  /**
   * How many values are averaged into one evaluation (an integer >= 1). Default 1: every
   * update is an evaluation. With the minibatch loss as the value, a larger size (an epoch's
   * worth of steps, say) averages out the noise.
   */
  readonly accumulationSize?: number;
  /** The scale never goes below this, in [0, 1]. Default 0. */
  readonly minScale?: number;
  /**
   * `'min'` (the default): lower is better (a loss). `'max'`: higher is better (an accuracy);
   * the tolerances then read `(1 + rtol)·best + atol`. PyTorch's `mode`; optax has only `'min'`.
   */
  readonly mode?: 'min' | 'max';
}

// ---------------------------------------------------------------------------------------------
// state
// ---------------------------------------------------------------------------------------------

/** The state of {@link reduceOnPlateau} (optax's `ReduceLROnPlateauState`): plain numbers. */
export interface ReduceOnPlateauState {
  /** The factor the updates are multiplied by; 1 after `init`. */
  readonly scale: number;
  /** The best evaluation so far: `Infinity` after `init` (`-Infinity` in mode `'max'`). */
  readonly bestValue: number;
  /** Consecutive evaluations without improvement (reset to 0 by a reduction and during cooldown). */
  readonly plateauCount: number;
  /** Evaluations left in the cooldown after the last reduction. */
  readonly cooldownCount: number;
  /** Values accumulated towards the next evaluation, in [0, accumulationSize). */
  readonly count: number;
  /** The mean of those values (0 when `count` is 0). */
  readonly avgValue: number;
}

// ---------------------------------------------------------------------------------------------
// constructor
// ---------------------------------------------------------------------------------------------

const OWNER = 'reduceOnPlateau';
const KEYS = ['factor', 'patience', 'rtol', 'atol', 'cooldown', 'accumulationSize', 'minScale', 'mode'] as const;

/**
 * Multiplies the updates by a scale that is cut by `factor` when the monitored value stops
 * improving (optax's `contrib.reduce_on_plateau`, PyTorch's `ReduceLROnPlateau`). Chain it
 * **after** the optimizer and pass the loss to every `update`:
 *
 * ```ts
 * const opt = chain(adam({ learningRate: 1e-2 }), reduceOnPlateau({ patience: 5, factor: 0.5 }));
 * const [updates, next] = opt.update(grads, state, params, { value: loss });
 * // state[1].scale: the current factor on adam's learning rate
 * ```
 *
 * Each update adds `value` to a running mean; every `accumulationSize`-th update the mean
 * is one *evaluation* `v`, and then (mode `'min'`; `'max'` mirrors it):
 *
 * ```text
 * improved      = v < (1 - rtol)·best - atol
 * best          ← improved ? v : best
 * plateau       = improved ? 0 : plateauCount + 1
 * cooldown > 0:   plateauCount ← 0;  cooldownCount ← cooldownCount - 1          (scale unchanged)
 * otherwise:      reduce = (plateau == patience)
 *                 scale ← max(reduce ? scale·factor : scale, minScale)
 *                 plateauCount ← reduce ? 0 : plateau;  cooldownCount ← reduce ? cooldown : 0
 * count ← 0;  avgValue ← 0
 * u = scale · g        (with the scale after this update's evaluation)
 * ```
 *
 * Defaults (optax's): factor 0.1, patience 10, rtol 1e-4, atol 0, cooldown 0,
 * accumulationSize 1, minScale 0. At least one of rtol and atol must be positive.
 *
 * **Needs `value`.** Every update must get `{ value }` (the loss at `params`); without it,
 * `update` throws an `ExtraArgError` naming `value`. NaN and ±Infinity are accepted and never
 * count as an improvement.
 *
 * **Not fusable.** The scale is a scalar recurrence over the losses, outside the kernel IR;
 * `compile` refuses a chain holding it. Its state is plain numbers, so `saveState` and
 * `loadState` handle it.
 *
 * @remarks **PyTorch's `ReduceLROnPlateau`.** It reduces after `patience + 1` bad epochs
 * (`num_bad_epochs > patience`), optax and gradfuse on the `patience`-th: PyTorch's
 * `patience=p` is `patience: p + 1`. Its `threshold_mode='rel'` with `threshold=t` is
 * `rtol: t, atol: 0`; `threshold_mode='abs'` is `rtol: 0, atol: t`. `mode` is the same. Its
 * `min_lr` bounds the learning rate, `minScale` bounds the factor on it (`min_lr / lr`). Its
 * `eps` (skip a reduction smaller than 1e-8) has no counterpart. optax stores the scale in the
 * params' lowest dtype (float32 usually); here it is a float64 number, rounded to each leaf's
 * dtype only in the product `scale·g`. With `rtol = 1` optax's initial threshold is
 * `0·∞ = NaN` (nothing ever improves); here any value beats the initial ±Infinity.
 *
 * @see optax `optax.contrib.reduce_on_plateau`; PyTorch `torch.optim.lr_scheduler.ReduceLROnPlateau`.
 * @category Transformations
 */
export function reduceOnPlateau(options: ReduceOnPlateauOptions = {}): GradientTransformation<ReduceOnPlateauState> {
  if (typeof options !== 'object' || options === null) throw new HyperparameterError(OWNER, 'options', `an object { ${KEYS.join(', ')} }`, options);
  requireKnownKeys(OWNER, options, KEYS);
  const factor = requireInRange(OWNER, 'factor', options.factor ?? 0.1, 0, 1, { loOpen: true, hiOpen: true });
  const patience = requireInteger(OWNER, 'patience', options.patience ?? 10, 1);
  const rtol = requireInRange(OWNER, 'rtol', options.rtol ?? 1e-4, 0, 1);
  const atol = requireNonNegative(OWNER, 'atol', options.atol ?? 0);
  if (rtol === 0 && atol === 0) throw new HyperparameterError(OWNER, 'rtol', 'positive when atol is 0 (at least one tolerance must be positive)', rtol);
  const cooldown = requireInteger(OWNER, 'cooldown', options.cooldown ?? 0, 0);
  const accumulationSize = requireInteger(OWNER, 'accumulationSize', options.accumulationSize ?? 1, 1);
  const minScale = requireInRange(OWNER, 'minScale', options.minScale ?? 0, 0, 1);
  const mode = requireOneOf(OWNER, 'mode', options.mode ?? 'min', ['min', 'max']);
  const worst = mode === 'min' ? Infinity : -Infinity;

  /** Whether the evaluation `v` improves on `best` by more than the tolerances. */
  const improves = (v: number, best: number): boolean => {
    // The initial ±Infinity is beaten by any value that is not itself the worst (or NaN).
    if (best === worst) return mode === 'min' ? v < best : v > best;
    return mode === 'min' ? v < (1 - rtol) * best - atol : v > (1 + rtol) * best + atol;
  };

  const checkState = (state: unknown): ReduceOnPlateauState => {
    if (typeof state !== 'object' || state === null || Array.isArray(state)) {
      throw new StateMismatchError(OWNER, 'an object { scale, bestValue, plateauCount, cooldownCount, count, avgValue }', state);
    }
    const s = state as Readonly<Record<string, unknown>>;
    for (const k of ['scale', 'bestValue', 'avgValue'] as const) {
      if (typeof s[k] !== 'number') throw new StateMismatchError(OWNER, `a state whose ${k} is a number`, s[k]);
    }
    for (const k of ['plateauCount', 'cooldownCount', 'count'] as const) {
      const v = s[k];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new StateMismatchError(OWNER, `a state whose ${k} is an integer >= 0`, v);
    }
    if ((s.count as number) >= accumulationSize) throw new StateMismatchError(OWNER, `a state whose count is below accumulationSize (${String(accumulationSize)})`, s.count);
    return s as unknown as ReduceOnPlateauState;
  };

  /** One evaluation of the averaged value: optax's `_update_scale`. */
  const evaluate = (s: ReduceOnPlateauState, v: number): ReduceOnPlateauState => {
    const improved = improves(v, s.bestValue);
    const bestValue = improved ? v : s.bestValue;
    const plateau = improved ? 0 : s.plateauCount + 1;
    if (s.cooldownCount > 0) {
      return { scale: s.scale, bestValue, plateauCount: 0, cooldownCount: s.cooldownCount - 1, count: 0, avgValue: 0 };
    }
    const reduce = plateau === patience;
    return {
      scale: Math.max(reduce ? s.scale * factor : s.scale, minScale),
      bestValue,
      plateauCount: reduce ? 0 : plateau,
      cooldownCount: reduce ? cooldown : 0,
      count: 0,
      avgValue: 0,
    };
  };

  return {
    init: () => ({ scale: 1, bestValue: worst, plateauCount: 0, cooldownCount: 0, count: 0, avgValue: 0 }),
    update: <P extends TreeLike<P>>(updates: P, state: ReduceOnPlateauState, _params?: P, extra?: UpdateExtras): readonly [P, ReduceOnPlateauState] => {
      const s = checkState(state);
      const value = requireValue(OWNER, extra);
      const count = s.count + 1;
      const avgValue = (s.count * s.avgValue + value) / count;
      const next = count === accumulationSize ? evaluate(s, avgValue) : { ...s, count, avgValue };
      const k = next.scale;
      const out = mapTree(updates, (d) => {
        const r = d instanceof Float32Array ? new Float32Array(d.length) : new Float64Array(d.length);
        for (let i = 0; i < d.length; i++) r[i] = k * (d[i] as number);
        return r;
      });
      return [out, next];
    },
    spec: { op: OWNER, factor, patience, rtol, atol, cooldown, accumulationSize, minScale, mode },
  };
}
