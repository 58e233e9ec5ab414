/**
 * The learning-rate finder: a short training run with an exponentially increasing learning
 * rate, whose loss curve shows the range of rates that learn fast without diverging (Smith,
 * *Cyclical learning rates for training neural networks*, WACV 2017; fastai's `lr_find`).
 *
 * @module
 */
import type { GradientTransformation } from '../base.js';
import { HyperparameterError } from '../errors.js';
import type { Schedule } from '../schedules/schedule.js';
import { type TreeLike, cloneTree } from '../tree/tree.js';
import { applyUpdates } from '../update.js';
import { requireInRange, requireInteger, requireKnownKeys, requirePositive } from '../validate.js';

/** What the user's function returns: the loss at the params and its gradient (a tree like the params). */
export interface LossAndGrad<P> {
  readonly loss: number;
  readonly grads: P;
}

/** Options of {@link lrFinder}. */
export interface LrFinderOptions<P extends TreeLike<P>> {
  /** The starting params. Never modified: the sweep trains a copy. */
  readonly params: P;
  /**
   * The loss and its gradient at some params (typically on the next minibatch). It is called
   * with the sweep's own copy of the params, never with `params` itself.
   */
  readonly lossAndGrad: (params: P) => LossAndGrad<P>;
  /**
   * Builds the optimizer for a learning rate: the sweep passes a {@link Schedule} of the step
   * (`(lr) => adam({ learningRate: lr })`), so any optimizer that takes a scheduled rate works.
   * A fresh optimizer and state are made for the sweep; nothing of the caller's is used.
   */
  readonly optimizer: (learningRate: number | Schedule) => GradientTransformation<unknown>;
  /** The first learning rate (> 0). Default 1e-7 (fastai's). */
  readonly startLearningRate?: number;
  /** The last learning rate (> startLearningRate). Default 10 (fastai's). */
  readonly endLearningRate?: number;
  /** How many steps the sweep takes at most (an integer >= 2). Default 100 (fastai's). */
  readonly steps?: number;
  /**
   * Stop once the smoothed loss exceeds `divergeFactor` times the best smoothed loss so far
   * (a number > 1), or once the loss is not finite. Default 4 (fastai's).
   */
  readonly divergeFactor?: number;
  /** β of the loss smoothing, in [0, 1): 0 does not smooth. Default 0.98 (fastai's). */
  readonly beta?: number;
  /**
   * Points left out at the start when looking for the steepest descent (the smoothing's
   * warm-up). Default `⌊steps / 10⌋` (fastai's).
   */
  readonly skipStart?: number;
  /** Points left out at the end (where the loss turns up). Default 5 (fastai's). */
  readonly skipEnd?: number;
}

/** Why a sweep ended. */
export type LrFinderStop = 'completed' | 'diverged' | 'nonFinite';

/** What {@link lrFinder} returns: the curve, one entry per step taken, and the suggestion. */
export interface LrFinderResult {
  /** The learning rate of each step. */
  readonly learningRates: readonly number[];
  /** The loss at the params each step started from (before its update). */
  readonly losses: readonly number[];
  /** The losses smoothed by a bias-corrected exponential moving average (β = `beta`). */
  readonly smoothedLosses: readonly number[];
  /**
   * The learning rate where the smoothed loss falls fastest against log(learning rate): the
   * left end of the steepest segment, within the points kept after `skipStart`/`skipEnd`.
   * `undefined` when fewer than two points are left (the loss diverged at once).
   */
  readonly suggestion: number | undefined;
  /** The index of the suggestion in `learningRates` (-1 when there is none). */
  readonly suggestionIndex: number;
  /** `'completed'` (every step taken), `'diverged'` (smoothed loss over `divergeFactor`·best), or `'nonFinite'` (a NaN or infinite loss, not recorded). */
  readonly stoppedBy: LrFinderStop;
}

const OWNER = 'lrFinder';
const KEYS = ['params', 'lossAndGrad', 'optimizer', 'startLearningRate', 'endLearningRate', 'steps', 'divergeFactor', 'beta', 'skipStart', 'skipEnd'] as const;

/**
 * The learning rate of step `i` of an exponential sweep from `start` to `end` in `steps`
 * steps: `start·(end/start)^(i/(steps-1))`, so the first is `start` and the last `end`.
 */
export function exponentialSweep(start: number, end: number, steps: number): Schedule {
  const ratio = Math.log(end / start);
  return (count: number) => (count <= 0 ? start : count >= steps - 1 ? end : start * Math.exp((ratio * count) / (steps - 1)));
}

/**
 * Finds a good learning rate with a short sweep (Smith 2017; fastai's `lr_find`). Starting
 * from a copy of `params`, it takes up to `steps` optimizer steps, the learning rate growing
 * exponentially from `startLearningRate` to `endLearningRate`; it records each step's loss,
 * smooths it, and stops early when the loss diverges:
 *
 * ```text
 * lr_i       = start · (end / start)^(i / (steps - 1))
 * loss_i, g  = lossAndGrad(x_i)
 * avg_i      = β·avg_{i-1} + (1 - β)·loss_i          (avg_{-1} = 0)
 * smooth_i   = avg_i / (1 - β^(i+1))                   (bias correction)
 * stop when    loss_i is not finite, or smooth_i > divergeFactor · min_{j<=i} smooth_j
 * x_{i+1}    = x_i + optimizer(lr).update(g, state, x_i, { value: loss_i })
 * suggestion = lr_k,  k = argmin over kept k of (smooth_{k+1} - smooth_k) / (log lr_{k+1} - log lr_k)
 * ```
 *
 * The suggestion is the steepest descent of the smoothed loss (fastai's `steep`), a rate where
 * training makes the most progress per step; a common alternative reads the plot and takes
 * about a tenth of the rate at the minimum of the loss. Defaults (fastai's): rates 1e-7 to
 * 10 over 100 steps, divergence at 4× the best smoothed loss, β = 0.98, the first 10% and the
 * last 5 points left out of the suggestion.
 *
 * ```ts
 * const { suggestion, learningRates, smoothedLosses } = lrFinder({
 *   params,
 *   lossAndGrad: (p) => lossAndGradient(p, nextBatch()), // { loss, grads }
 *   optimizer: (learningRate) => adamw({ learningRate, weightDecay: 1e-4 }),
 * });
 * ```
 *
 * **Nothing of the caller's is touched**: the sweep trains a copy of `params` (and hands
 * `lossAndGrad` only that copy), with a fresh optimizer and state from `optimizer`; the caller
 * then starts the real training from its own params. The loss is also passed to every update
 * as `{ value }`, so optimizers that read it (`polyakSgd`) can be swept too.
 *
 * The divergence test assumes a positive loss (a loss that can go negative needs a
 * `divergeFactor` read against that). Throws a `HyperparameterError` for bad options.
 * @category Tools
 */
export function lrFinder<P extends TreeLike<P>>(options: LrFinderOptions<P>): LrFinderResult {
  if (typeof options !== 'object' || options === null) throw new HyperparameterError(OWNER, 'options', 'an object { params, lossAndGrad, optimizer, ... }', options);
  requireKnownKeys(OWNER, options, KEYS);
  const { params, lossAndGrad, optimizer } = options;
  if (typeof params !== 'object' || params === null) throw new HyperparameterError(OWNER, 'params', 'a tree of params', params);
  if (typeof lossAndGrad !== 'function') throw new HyperparameterError(OWNER, 'lossAndGrad', 'a function (params) => { loss, grads }', lossAndGrad);
  if (typeof optimizer !== 'function') throw new HyperparameterError(OWNER, 'optimizer', 'a function (learningRate) => gradient transformation', optimizer);
  const start = requirePositive(OWNER, 'startLearningRate', options.startLearningRate ?? 1e-7);
  const end = requirePositive(OWNER, 'endLearningRate', options.endLearningRate ?? 10);
  if (end <= start) throw new HyperparameterError(OWNER, 'endLearningRate', `a number > startLearningRate (${String(start)})`, end);
  const steps = requireInteger(OWNER, 'steps', options.steps ?? 100, 2);
  const divergeFactor = requirePositive(OWNER, 'divergeFactor', options.divergeFactor ?? 4);
  if (divergeFactor <= 1) throw new HyperparameterError(OWNER, 'divergeFactor', 'a number > 1', divergeFactor);
  const beta = requireInRange(OWNER, 'beta', options.beta ?? 0.98, 0, 1, { hiOpen: true });
  const skipStart = requireInteger(OWNER, 'skipStart', options.skipStart ?? Math.floor(steps / 10), 0);
  const skipEnd = requireInteger(OWNER, 'skipEnd', options.skipEnd ?? 5, 0);

  const schedule = exponentialSweep(start, end, steps);
  const opt = optimizer(schedule);
  if (typeof opt !== 'object' || opt === null || typeof opt.init !== 'function' || typeof opt.update !== 'function') {
    throw new HyperparameterError(OWNER, 'optimizer', 'a function returning a gradient transformation { init, update }', opt);
  }

  let x = cloneTree(params);
  let state = opt.init(x);
  const learningRates: number[] = [];
  const losses: number[] = [];
  const smoothedLosses: number[] = [];
  let avg = 0;
  let best = Infinity;
  let stoppedBy: LrFinderStop = 'completed';
  for (let i = 0; i < steps; i++) {
    const { loss, grads } = lossAndGrad(x);
    if (typeof loss !== 'number' || !Number.isFinite(loss)) {
      stoppedBy = 'nonFinite';
      break;
    }
    avg = beta * avg + (1 - beta) * loss;
    const smoothed = avg / (1 - beta ** (i + 1));
    learningRates.push(schedule(i));
    losses.push(loss);
    smoothedLosses.push(smoothed);
    if (smoothed < best) best = smoothed;
    if (smoothed > divergeFactor * best) {
      stoppedBy = 'diverged';
      break;
    }
    if (i === steps - 1) break; // the last point is measured, no step after it
    const [updates, next] = opt.update(grads, state, x, { value: loss });
    x = applyUpdates(x, updates);
    state = next;
  }

  const suggestionIndex = steepest(learningRates, smoothedLosses, skipStart, skipEnd);
  return {
    learningRates,
    losses,
    smoothedLosses,
    suggestion: suggestionIndex < 0 ? undefined : learningRates[suggestionIndex],
    suggestionIndex,
    stoppedBy,
  };
}

/**
 * The index `k` (within the kept points) where `(y[k+1] - y[k]) / (log x[k+1] - log x[k])` is
 * the smallest, or -1 with fewer than two kept points. When skipping leaves fewer than two,
 * all the points are used.
 */
function steepest(x: readonly number[], y: readonly number[], skipStart: number, skipEnd: number): number {
  let lo = skipStart;
  let hi = y.length - skipEnd; // exclusive
  if (hi - lo < 2) {
    lo = 0;
    hi = y.length;
  }
  let at = -1;
  let min = Infinity;
  for (let k = lo; k + 1 < hi; k++) {
    const slope = ((y[k + 1] as number) - (y[k] as number)) / (Math.log(x[k + 1] as number) - Math.log(x[k] as number));
    if (slope < min) {
      min = slope;
      at = k;
    }
  }
  return at;
}
