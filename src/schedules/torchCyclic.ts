/**
 * PyTorch's cyclic schedules, `OneCycleLR` and `CyclicLR`, each as a pair: a learning-rate
 * schedule and the momentum schedule torch drives alongside it (`cycle_momentum`). Both ignore
 * the optimizer's own lr: their options give every value. Pass the momentum schedule to the
 * optimizer's `momentum` (SGD) or `b1` (Adam family), which accept schedules.
 *
 * @module
 */
import { HyperparameterError } from '../errors.js';
import { requireBoolean, requireInRange, requireInteger, requireNonNegative, requireOneOf, requirePositive } from '../validate.js';
import { clampCount, orDefault, requireOptions } from './common.js';
import { describeSchedule, type Schedule } from './schedule.js';

// -------------------------------------------------------------------------------------------------
// OneCycleLR
// -------------------------------------------------------------------------------------------------

/** Options of {@link oneCycleLR} and {@link oneCycleMomentum} (torch's, camelCased). */
export interface OneCycleLROptions {
  /** $\eta_{max}$, the peak lr (>= 0). */
  readonly maxLr: number;
  /** $T$, the number of steps in the cycle (integer >= 1). */
  readonly totalSteps: number;
  /** Fraction of the cycle spent rising, in [0, 1]. Default 0.3. */
  readonly pctStart?: number;
  /** `'cos'` or `'linear'` annealing inside each phase. Default `'cos'`. */
  readonly annealStrategy?: 'cos' | 'linear';
  /** The start lr is $\eta_{max}/d$ (> 0). Default 25. */
  readonly divFactor?: number;
  /** The final lr is $\eta_{max}/(d f)$ (> 0). Default 1e4. */
  readonly finalDivFactor?: number;
  /** Three phases (up, back down to the start lr, then to the final lr) instead of two. Default false. */
  readonly threePhase?: boolean;
  /** Whether torch cycles the momentum too (only {@link oneCycleMomentum} reads it). Default true. */
  readonly cycleMomentum?: boolean;
  /** The momentum at the lr peak, in [0, 1]. Default 0.85. */
  readonly baseMomentum?: number;
  /** The momentum at the start and end, in [0, 1]. Default 0.95. */
  readonly maxMomentum?: number;
}

interface OneCycle {
  readonly options: Required<OneCycleLROptions>;
  /** Phase ends and the (start, end) values of lr and momentum in each phase. */
  readonly phases: readonly {
    readonly end: number;
    readonly lr: readonly [number, number];
    readonly momentum: readonly [number, number];
  }[];
}

function oneCycle(owner: string, options: OneCycleLROptions): OneCycle {
  requireOptions(owner, options, [
    'maxLr',
    'totalSteps',
    'pctStart',
    'annealStrategy',
    'divFactor',
    'finalDivFactor',
    'threePhase',
    'cycleMomentum',
    'baseMomentum',
    'maxMomentum',
  ]);
  const maxLr = requireNonNegative(owner, 'maxLr', options.maxLr);
  const totalSteps = requireInteger(owner, 'totalSteps', options.totalSteps, 1);
  const pctStart = requireInRange(owner, 'pctStart', orDefault(options.pctStart, 0.3), 0, 1);
  const annealStrategy = requireOneOf(owner, 'annealStrategy', orDefault(options.annealStrategy, 'cos'), ['cos', 'linear']);
  const divFactor = requirePositive(owner, 'divFactor', orDefault(options.divFactor, 25));
  const finalDivFactor = requirePositive(owner, 'finalDivFactor', orDefault(options.finalDivFactor, 1e4));
  const threePhase = requireBoolean(owner, 'threePhase', orDefault(options.threePhase, false));
  const cycleMomentum = requireBoolean(owner, 'cycleMomentum', orDefault(options.cycleMomentum, true));
  const baseMomentum = requireInRange(owner, 'baseMomentum', orDefault(options.baseMomentum, 0.85), 0, 1);
  const maxMomentum = requireInRange(owner, 'maxMomentum', orDefault(options.maxMomentum, 0.95), 0, 1);
  const initialLr = maxLr / divFactor;
  const minLr = initialLr / finalDivFactor;
  const e1 = pctStart * totalSteps - 1;
  const phases = threePhase
    ? [
        { end: e1, lr: [initialLr, maxLr] as const, momentum: [maxMomentum, baseMomentum] as const },
        { end: 2 * pctStart * totalSteps - 2, lr: [maxLr, initialLr] as const, momentum: [baseMomentum, maxMomentum] as const },
        { end: totalSteps - 1, lr: [initialLr, minLr] as const, momentum: [maxMomentum, maxMomentum] as const },
      ]
    : [
        { end: e1, lr: [initialLr, maxLr] as const, momentum: [maxMomentum, baseMomentum] as const },
        { end: totalSteps - 1, lr: [maxLr, minLr] as const, momentum: [baseMomentum, maxMomentum] as const },
      ];
  return {
    options: {
      maxLr,
      totalSteps,
      pctStart,
      annealStrategy,
      divFactor,
      finalDivFactor,
      threePhase,
      cycleMomentum,
      baseMomentum,
      maxMomentum,
    },
    phases,
  };
}

/** torch's `_schedule_phases` walk, picking the lr or the momentum pair of the phase. */
function oneCycleFn(cycle: OneCycle, which: 'lr' | 'momentum'): (count: number) => number {
  const last = cycle.options.totalSteps - 1;
  const anneal =
    cycle.options.annealStrategy === 'cos'
      ? (start: number, end: number, pct: number): number => end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1)
      : (start: number, end: number, pct: number): number => (end - start) * pct + start;
  return (count: number): number => {
    const t = Math.min(clampCount(count), last);
    let start = 0;
    for (let i = 0; i < cycle.phases.length; i++) {
      const phase = cycle.phases[i];
      if (phase === undefined) break;
      if (t <= phase.end || i === cycle.phases.length - 1) {
        const length = phase.end - start;
        // A zero-length phase (pctStart * totalSteps == 1) is at its end value; torch gives 0/0 = NaN.
        const pct = length === 0 ? 1 : (t - start) / length;
        const [from, to] = phase[which];
        return anneal(from, to, pct);
      }
      start = phase.end;
    }
    return NaN; // unreachable: the last phase always matches
  };
}

/**
 * PyTorch `OneCycleLR`'s learning rate. With $\eta_i = \eta_{max}/d$ and
 * $\eta_{min} = \eta_i / f$, the phases end at the **float** steps $e_1 = p T - 1$ and
 * $e_2 = T - 1$ (three phases: $e_1$, $2pT - 2$, $T - 1$), and inside a phase $[s, e]$ with
 * $\rho = (t - s)/(e - s)$:
 *
 * $$
 * \text{cos: } \eta = b + \tfrac{a - b}{2}(1 + \cos \pi\rho), \qquad \text{linear: } \eta = a + (b - a)\rho
 * $$
 *
 * going $\eta_i \to \eta_{max} \to \eta_{min}$ (three phases:
 * $\eta_i \to \eta_{max} \to \eta_i \to \eta_{min}$). Defaults: `pctStart` 0.3,
 * `annealStrategy` `'cos'`, `divFactor` 25, `finalDivFactor` 1e4, `threePhase` false (the
 * momentum options are accepted here so that one option object serves both schedules).
 *
 * @remarks
 * - torch raises when stepped past `totalSteps` and extrapolates at `totalSteps`; gradfuse holds
 *   the final value $\eta_{min}$ from count $T - 1$ on.
 * - optax's `cosineOnecycleSchedule` uses the integer knots $\lfloor pT \rfloor$ and $T$, so it
 *   runs one step behind torch and has neither the three-phase form nor momentum cycling.
 * - The optimizer's own lr is ignored by torch; here `maxLr` sets everything.
 * @category Schedules
 */
export function oneCycleLR(options: OneCycleLROptions): Schedule {
  const owner = 'oneCycleLR';
  const cycle = oneCycle(owner, options);
  return describeSchedule(oneCycleFn(cycle, 'lr'), { schedule: owner, options: { ...cycle.options } });
}

/**
 * The momentum that PyTorch `OneCycleLR` sets alongside {@link oneCycleLR} when
 * `cycleMomentum` is on: the same phases and annealing, going
 * `maxMomentum → baseMomentum → maxMomentum` (three phases: `max → base → max`, then held at
 * `max`). Takes the same options as {@link oneCycleLR}; `cycleMomentum` must be true (with
 * false torch leaves the momentum alone, so there is no schedule to build).
 *
 * @remarks
 * Feed it to SGD's `momentum` or to `b1` of the Adam family (torch sets `betas[0]` when the
 * optimizer has betas).
 * @category Schedules
 */
export function oneCycleMomentum(options: OneCycleLROptions): Schedule {
  const owner = 'oneCycleMomentum';
  const cycle = oneCycle(owner, options);
  if (!cycle.options.cycleMomentum) {
    throw new HyperparameterError(owner, 'cycleMomentum', 'true (with false the momentum is not scheduled)', false);
  }
  return describeSchedule(oneCycleFn(cycle, 'momentum'), { schedule: owner, options: { ...cycle.options } });
}

// -------------------------------------------------------------------------------------------------
// CyclicLR
// -------------------------------------------------------------------------------------------------

/** Options of {@link cyclicLR} and {@link cyclicMomentum} (torch's, camelCased). */
export interface CyclicLROptions {
  /** The lower lr of the cycle (>= 0). */
  readonly baseLr: number;
  /** The upper lr of the cycle (>= 0). */
  readonly maxLr: number;
  /** Steps from `baseLr` up to `maxLr` (> 0). Default 2000. */
  readonly stepSizeUp?: number;
  /** Steps back down (>= 0). Default `stepSizeUp`. */
  readonly stepSizeDown?: number;
  /** Amplitude scaling: 1, halved every cycle, or $\gamma^t$. Default `'triangular'`. */
  readonly mode?: 'triangular' | 'triangular2' | 'exp_range';
  /** $\gamma$ of `'exp_range'` (> 0). Default 1. */
  readonly gamma?: number;
  /** Whether torch cycles the momentum too (only {@link cyclicMomentum} reads it). Default true. */
  readonly cycleMomentum?: boolean;
  /** The momentum at the lr peak, in [0, 1]. Default 0.8. */
  readonly baseMomentum?: number;
  /** The momentum at `baseLr`, in [0, 1]. Default 0.9. */
  readonly maxMomentum?: number;
}

/** The triangle and the amplitude scale at a count (torch's `scale_factor` and `scale_fn(...)`). */
interface CyclicWave {
  readonly scaleFactor: number;
  readonly scale: number;
}

function cyclic(
  owner: string,
  options: CyclicLROptions,
): { readonly options: Required<CyclicLROptions>; readonly wave: (count: number) => CyclicWave } {
  requireOptions(owner, options, [
    'baseLr',
    'maxLr',
    'stepSizeUp',
    'stepSizeDown',
    'mode',
    'gamma',
    'cycleMomentum',
    'baseMomentum',
    'maxMomentum',
  ]);
  const baseLr = requireNonNegative(owner, 'baseLr', options.baseLr);
  const maxLr = requireNonNegative(owner, 'maxLr', options.maxLr);
  const stepSizeUp = requirePositive(owner, 'stepSizeUp', orDefault(options.stepSizeUp, 2000));
  const stepSizeDown = requireNonNegative(owner, 'stepSizeDown', orDefault(options.stepSizeDown, stepSizeUp));
  const mode = requireOneOf(owner, 'mode', orDefault(options.mode, 'triangular'), ['triangular', 'triangular2', 'exp_range']);
  const gamma = requirePositive(owner, 'gamma', orDefault(options.gamma, 1));
  const cycleMomentum = requireBoolean(owner, 'cycleMomentum', orDefault(options.cycleMomentum, true));
  const baseMomentum = requireInRange(owner, 'baseMomentum', orDefault(options.baseMomentum, 0.8), 0, 1);
  const maxMomentum = requireInRange(owner, 'maxMomentum', orDefault(options.maxMomentum, 0.9), 0, 1);
  const totalSize = stepSizeUp + stepSizeDown;
  const stepRatio = stepSizeUp / totalSize;
  const wave = (count: number): CyclicWave => {
    const t = clampCount(count);
    const cycleIndex = Math.floor(1 + t / totalSize);
    const x = 1 + t / totalSize - cycleIndex;
    const scaleFactor = x <= stepRatio ? x / stepRatio : (x - 1) / (stepRatio - 1);
    const scale = mode === 'triangular' ? 1 : mode === 'triangular2' ? 1 / 2 ** (cycleIndex - 1) : gamma ** t;
    return { scaleFactor, scale };
  };
  return {
    options: { baseLr, maxLr, stepSizeUp, stepSizeDown, mode, gamma, cycleMomentum, baseMomentum, maxMomentum },
    wave,
  };
}

/**
 * PyTorch `CyclicLR`'s learning rate. With $L = $ `stepSizeUp + stepSizeDown`,
 * $r = $ `stepSizeUp` $/L$, $c = \lfloor 1 + t/L \rfloor$ and $x = 1 + t/L - c$:
 *
 * $$
 * s = \begin{cases} x / r & x \le r \\ (x - 1)/(r - 1) & x > r \end{cases}, \qquad
 * \eta_t = \eta_{base} + (\eta_{max} - \eta_{base})\, s \cdot \kappa
 * $$
 *
 * with $\kappa = 1$ (`'triangular'`), $2^{-(c-1)}$ (`'triangular2'`) or $\gamma^t$
 * (`'exp_range'`). Defaults: `stepSizeUp` 2000, `stepSizeDown` = `stepSizeUp`, `mode`
 * `'triangular'`, `gamma` 1 (the momentum options are accepted so that one option object
 * serves both schedules).
 *
 * @remarks
 * torch overwrites the optimizer's lr with `baseLr`. torch's custom `scale_fn`/`scale_mode`
 * are not supported. optax has no cyclic schedule.
 * @category Schedules
 */
export function cyclicLR(options: CyclicLROptions): Schedule {
  const owner = 'cyclicLR';
  const { options: o, wave } = cyclic(owner, options);
  const fn = (count: number): number => {
    const { scaleFactor, scale } = wave(count);
    return o.baseLr + (o.maxLr - o.baseLr) * scaleFactor * scale;
  };
  return describeSchedule(fn, { schedule: owner, options: { ...o } });
}

/**
 * The momentum that PyTorch `CyclicLR` sets alongside {@link cyclicLR} when `cycleMomentum`
 * is on: $\mu_t = \mu_{max} - (\mu_{max} - \mu_{base})\, s \cdot \kappa$, low when the lr is
 * high. Takes the same options as {@link cyclicLR}; `cycleMomentum` must be true.
 *
 * @remarks
 * Feed it to SGD's `momentum` or to `b1` of the Adam family (torch sets `betas[0]` when the
 * optimizer has betas).
 * @category Schedules
 */
export function cyclicMomentum(options: CyclicLROptions): Schedule {
  const owner = 'cyclicMomentum';
  const { options: o, wave } = cyclic(owner, options);
  if (!o.cycleMomentum) {
    throw new HyperparameterError(owner, 'cycleMomentum', 'true (with false the momentum is not scheduled)', false);
  }
  const fn = (count: number): number => {
    const { scaleFactor, scale } = wave(count);
    return o.maxMomentum - (o.maxMomentum - o.baseMomentum) * scaleFactor * scale;
  };
  return describeSchedule(fn, { schedule: owner, options: { ...o } });
}
