/**
 * Schedule-free learning: the wrapper {@link scheduleFree} and
 * {@link scheduleFreeEvalParams}.
 *
 * @module
 */
import type { Fusable, GradientTransformation, UpdateExtras } from '../base.js';
import { requireStateObject, requireTransformation } from '../combine/rewrite.js';
import { HyperparameterError, MissingParamsError, StateMismatchError } from '../errors.js';
import { runStage } from '../interpret/interpret.js';
import { defineStage } from '../kernel/define.js';
import { add, div, g, mul, p, scalar, sub } from '../kernel/dsl.js';
import type { Stage, StageState } from '../kernel/stage.js';
import type { ScalarOrSchedule } from '../schedules/schedule.js';
import { NO_SPEC, type TransformSpec } from '../spec/spec.js';
import { allocate, dtypeOf } from '../tree/leaf.js';
import { type Tree, type TreeLike, cloneTree, flatten, unflatten, zipTrees } from '../tree/tree.js';
import { requireFinite, requireInRange, requireKnownKeys, requireNonNegative } from '../validate.js';
import { describeHyper, hyperAt, requireScalarOrSchedule } from './hyper.js';

// ---------------------------------------------------------------------------------------------
// options and state
// ---------------------------------------------------------------------------------------------

/** Options of {@link scheduleFree}. */
export interface ScheduleFreeOptions {
  /**
   * γ_t, the base optimizer's learning rate (a number >= 0 or a schedule, with warmup but no
   * decay): it sets the averaging weights.
   */
  readonly learningRate: ScalarOrSchedule;
  /** β₁, the interpolation between `x` and `z` that gives the gradient point `y`, in (0, 1]. Default 0.9. */
  readonly b1?: number;
  /** The power `r` of the largest rate so far in the averaging weight `γ_max^r`, >= 0. Default 2. */
  readonly weightLrPower?: number;
}

/**
 * The state of {@link scheduleFree}: `b1` (kept for {@link scheduleFreeEvalParams}), the
 * update `count`, the base sequence `z` (shaped like the params, starts as a copy of them) and
 * the base optimizer's state. The averaging weights are a function of `count` and the
 * learning rate, so they are not stored.
 */
export interface ScheduleFreeState<B = unknown> {
  readonly b1: number;
  readonly count: number;
  readonly z: Tree;
  readonly base: B;
}

// ---------------------------------------------------------------------------------------------
// the averaging weights
// ---------------------------------------------------------------------------------------------

/**
 * `c_t = w_t / Σ_{k ≤ t} w_k` with `w_t = (max_{k ≤ t} γ_k)^r`, as optax computes it: NaN when
 * a weight or the sum is NaN, 0 for 0/0 (a zero learning rate so far).
 */
function averagingCoefficient(weight: number, total: number): number {
  if (Number.isNaN(weight) || Number.isNaN(total)) return NaN;
  const c = weight / total;
  return Number.isNaN(c) ? 0 : c;
}

/** The running maximum rate and weight sum after the weights of steps 0..count. */
interface WeightSums {
  readonly count: number;
  readonly maxLr: number;
  readonly weight: number;
  readonly total: number;
}

const START: WeightSums = { count: -1, maxLr: 0, weight: 0, total: 0 };
/** Every this many steps the sums are kept, so a count out of order restarts nearby. */
const CHECKPOINT_EVERY = 1024;

/**
 * The weight sums as a function of the count, memoised: a step is O(1) when counts come in
 * order (as in training); a count out of order restarts from the nearest kept checkpoint.
 * The sums are always added in step order, so the value at a count never depends on the
 * order of the calls.
 */
function weightsOf(owner: string, lr: ScalarOrSchedule, power: number): (count: number) => { readonly weight: number; readonly total: number } {
  let memo = START;
  const checkpoints: WeightSums[] = [];
  return (count) => {
    let m = memo;
    if (count < m.count) m = checkpoints[Math.floor((count + 1) / CHECKPOINT_EVERY) - 1] ?? START;
    while (m.count < count) {
      const k = m.count + 1;
      // optax evaluates the rate of the weights at its step_count, which starts at 1.
      const rate = hyperAt(owner, 'learningRate', lr, k + 1, { min: 0 });
      const maxLr = Math.max(m.maxLr, rate);
      const weight = maxLr ** power;
      m = { count: k, maxLr, weight, total: m.total + weight };
      if ((k + 1) % CHECKPOINT_EVERY === 0 && checkpoints.length === (k + 1) / CHECKPOINT_EVERY - 1) checkpoints.push(m);
    }
    memo = m;
    return { weight: m.weight, total: m.total };
  };
}

// ---------------------------------------------------------------------------------------------
// constructors
// ---------------------------------------------------------------------------------------------

/**
 * Makes an optimizer schedule-free (Defazio et al., "The Road Less Scheduled", NeurIPS 2024),
 * optax's `contrib.schedule_free`. The base optimizer's update (taken at the params `y`, with
 * its learning rate and no momentum) moves the base sequence `z`; the params become an
 * interpolation of `z` and the running average `x`:
 *
 * ```text
 * z_{t+1} = z_t + base_update(g_t)                         (z_0 = params)
 * x_t     = (y_t - (1 - β₁) z_t) / β₁                       (recomputed from y and z)
 * w_t     = (max_{k ≤ t} γ_k)^r,  c_t = w_t / Σ_{k ≤ t} w_k  (0 while every γ was 0)
 * x_{t+1} = (1 - c_t) x_t + c_t z_{t+1}
 * y_{t+1} = β₁ x_{t+1} + (1 - β₁) z_{t+1}
 * u       = y_{t+1} - y_t
 * ```
 *
 * Evaluate the model at `x` ({@link scheduleFreeEvalParams}), not at the params `y`. Defaults
 * `b1 = 0.9`, `weightLrPower = 2` (optax). Needs `params`. The base optimizer must not have
 * momentum of its own (use `b1: 0` in Adam; {@link scheduleFreeAdamw} and
 * {@link scheduleFreeSgd} are the usual presets).
 *
 * The averaging runs as one element-wise kernel after the base optimizer's: with a fusable
 * base the whole optimizer fuses into one loop. `c_t` and `1 - c_t` are per-step scalars
 * computed in float64 (optax computes them in the params' dtype).
 *
 * @remarks optax evaluates `learningRate` for the weights at `count + 1` (its step counter
 * starts at 1; optax PR #1744), while the base optimizer evaluates it at `count`; gradfuse does
 * the same, so a warmup schedule gives the same numbers as optax. The weights are recomputed
 * from the learning rate, not stored: under `injectHyperparams`, a changed learning rate acts
 * as if it had held from the first step.
 * @category Combinators
 */
export function scheduleFree<B>(base: GradientTransformation<B>, options: ScheduleFreeOptions): GradientTransformation<ScheduleFreeState<B>> {
  const owner = 'scheduleFree';
  requireTransformation(owner, 'base', base);
  if (typeof options !== 'object' || options === null) throw new HyperparameterError(owner, 'options', 'an object { learningRate, b1, weightLrPower }', options);
  requireKnownKeys(owner, options, ['learningRate', 'b1', 'weightLrPower']);
  const lr = requireScalarOrSchedule(owner, 'learningRate', options.learningRate, { min: 0 });
  const b1 = requireInRange(owner, 'b1', options.b1 ?? 0.9, 0, 1, { loOpen: true });
  const power = requireNonNegative(owner, 'weightLrPower', options.weightLrPower ?? 2);
  const weights = weightsOf(owner, lr, power);

  const stage: Stage = defineStage<'z'>({
    name: 'scheduleFreeAverage',
    options: { learningRate: describeHyper(lr), b1, weightLrPower: power },
    slots: { z: 0 },
    scalars: ({ count }) => {
      const { weight, total } = weights(count);
      const ck = averagingCoefficient(weight, total);
      return { b1, oneMinusB1: 1 - b1, ck, oneMinusCk: 1 - ck };
    },
    body: (s) => {
      const zNew = add(s.z, g);
      const xPrev = div(sub(p, mul(scalar('oneMinusB1'), s.z)), scalar('b1'));
      const x = add(mul(scalar('oneMinusCk'), xPrev), mul(scalar('ck'), zNew));
      const y = add(mul(scalar('b1'), x), mul(scalar('oneMinusB1'), zNew));
      return { update: sub(y, p), next: { z: zNew } };
    },
  });

  const checkState = (state: unknown): ScheduleFreeState<B> => {
    const s = requireStateObject(owner, state, ['b1', 'count', 'z', 'base']);
    if (typeof s.count !== 'number' || !Number.isSafeInteger(s.count) || s.count < 0) {
      throw new StateMismatchError(owner, 'a state whose count is an integer >= 0', s.count);
    }
    return s as unknown as ScheduleFreeState<B>;
  };
  const stageState = (s: ScheduleFreeState<B>): StageState => ({ count: s.count, slots: { z: s.z } });
  const fromStage = (st: StageState, baseState: B): ScheduleFreeState<B> => {
    const z = st.slots.z;
    if (z === undefined) throw new StateMismatchError(owner, 'a stage state with slot z', st.slots);
    return { b1, count: st.count, z, base: baseState };
  };

  const baseFusable = base.fusable;
  let fusable: Fusable<ScheduleFreeState<B>> | undefined;
  if (baseFusable !== undefined) {
    const n = baseFusable.stages.length;
    fusable = {
      stages: [...baseFusable.stages, stage],
      toStageStates: (state) => {
        const s = checkState(state);
        return [...baseFusable.toStageStates(s.base), stageState(s)];
      },
      fromStageStates: (states) => {
        const last = states[n];
        if (last === undefined || states.length !== n + 1) throw new StateMismatchError(owner, `${String(n + 1)} stage states`, states);
        return fromStage(last, baseFusable.fromStageStates(states.slice(0, n)));
      },
    };
  }

  return {
    init: (params) => ({ b1, count: 0, z: cloneTree(params as Tree), base: base.init(params) }),
    update: <P extends TreeLike<P>>(updates: P, state: ScheduleFreeState<B>, params?: P, extra?: UpdateExtras): readonly [P, ScheduleFreeState<B>] => {
      if (params === undefined) throw new MissingParamsError(owner);
      const s = checkState(state);
      const [baseUpdates, baseState] = base.update(updates, s.base, params, extra);
      const result = runStage(stage, baseUpdates as Tree, stageState(s), params as Tree);
      return [unflatten(flatten(updates).def, result.updates) as P, fromStage(result.state, baseState)];
    },
    ...(fusable === undefined ? {} : { fusable }),
    spec: { op: owner, transform: base.spec ?? NO_SPEC, learningRate: describeHyper(lr), b1, weightLrPower: power } as TransformSpec,
  };
}

/**
 * The parameters to evaluate a schedule-free model at: the average sequence
 * `x = (y - (1 - β₁) z) / β₁`, from the params `y` and the state of {@link scheduleFree} (or
 * of {@link scheduleFreeAdamw} / {@link scheduleFreeSgd}). optax's
 * `contrib.schedule_free_eval_params`. Fresh arrays of the params' dtypes and forms; computed
 * in float64 and rounded to the dtype.
 *
 * ```ts
 * const evalParams = scheduleFreeEvalParams(state, params);
 * ```
 * @category Combinators
 */
export function scheduleFreeEvalParams<P extends TreeLike<P>>(state: ScheduleFreeState<unknown>, params: P): P {
  const owner = 'scheduleFreeEvalParams';
  const s = requireStateObject(owner, state, ['b1', 'z']);
  const b1 = requireFinite(owner, 'state.b1', s.b1);
  if (!(b1 > 0 && b1 <= 1)) throw new StateMismatchError(owner, 'a state whose b1 is in (0, 1]', b1);
  return zipTrees(
    params,
    [s.z as P],
    (y, [z]) => {
      const out = allocate(dtypeOf(y), y.length);
      const zd = z ?? y;
      for (let i = 0; i < y.length; i++) out[i] = ((y[i] as number) - (1 - b1) * (zd[i] as number)) / b1;
      return out;
    },
    `${owner}: params against state.z`,
  );
}
