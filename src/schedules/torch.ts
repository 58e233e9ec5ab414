/**
 * PyTorch's `torch.optim.lr_scheduler` schedules, in torch's parameterisation, as schedules of
 * the update count giving the learning rate itself (so each takes the base `lr` as an option).
 *
 * The count is the number of `scheduler.step()` calls made so far: with the usual loop
 * (`optimizer.step(); scheduler.step()` once per update) that is the update count before
 * increment, which is what gradfuse passes to a schedule. A script that steps its scheduler
 * once per epoch must map `count -> floor(count / stepsPerEpoch)` itself.
 *
 * torch computes most of these recursively (each lr from the previous one); gradfuse uses the
 * closed forms, which differ from torch by a few ulps (well within a relative 1e-12). The
 * cyclic ones (`OneCycleLR`, `CyclicLR`) live in `torchCyclic.ts`.
 *
 * @module
 */
import { HyperparameterError } from '../errors.js';
import { requireFinite, requireInRange, requireInteger, requireNonNegative } from '../validate.js';
import { childSpecs, clampCount, joinFn, orDefault, requireBoundaries, requireOptions, requireSchedules } from './common.js';
import { describeSchedule, type Schedule } from './schedule.js';

// -------------------------------------------------------------------------------------------------
// step, multi-step, exponential
// -------------------------------------------------------------------------------------------------

/** Options of {@link stepLR}. */
export interface StepLROptions {
  /** $\eta_0$, the base learning rate (>= 0). */
  readonly lr: number;
  /** $s$, the period of the decay in steps (integer >= 1). */
  readonly stepSize: number;
  /** $\gamma$, the factor applied every `stepSize` steps (>= 0). Default 0.1. */
  readonly gamma?: number;
}

/**
 * PyTorch `StepLR`: $\eta_t = \eta_0\,\gamma^{\lfloor t/s \rfloor}$. Default `gamma` 0.1.
 *
 * @remarks
 * optax: `exponentialDecay({ initValue: lr, transitionSteps: stepSize, decayRate: gamma, staircase: true })`.
 * @category Schedules
 */
export function stepLR(options: StepLROptions): Schedule {
  const owner = 'stepLR';
  requireOptions(owner, options, ['lr', 'stepSize', 'gamma']);
  const lr = requireNonNegative(owner, 'lr', options.lr);
  const stepSize = requireInteger(owner, 'stepSize', options.stepSize, 1);
  const gamma = requireNonNegative(owner, 'gamma', orDefault(options.gamma, 0.1));
  return describeSchedule((count) => lr * gamma ** Math.floor(clampCount(count) / stepSize), {
    schedule: owner,
    options: { lr, stepSize, gamma },
  });
}

/** Options of {@link multiStepLR}. */
export interface MultiStepLROptions {
  /** $\eta_0$, the base learning rate (>= 0). */
  readonly lr: number;
  /** The steps at which the lr is multiplied by `gamma` (integers >= 0, any order; a step listed $k$ times applies $\gamma^k$). */
  readonly milestones: readonly number[];
  /** $\gamma$ (>= 0). Default 0.1. */
  readonly gamma?: number;
}

/**
 * PyTorch `MultiStepLR`: $\eta_t = \eta_0\,\gamma^{\#\{i : m_i \le t\}}$, counting repeated
 * milestones. Default `gamma` 0.1.
 *
 * @remarks
 * optax's `piecewiseConstantSchedule` takes one scale per step, so it cannot express a repeated
 * milestone; torch (a `Counter` of milestones) compounds it as $\gamma^k$.
 * @category Schedules
 */
export function multiStepLR(options: MultiStepLROptions): Schedule {
  const owner = 'multiStepLR';
  requireOptions(owner, options, ['lr', 'milestones', 'gamma']);
  const lr = requireNonNegative(owner, 'lr', options.lr);
  const raw: unknown = options.milestones;
  if (!Array.isArray(raw)) throw new HyperparameterError(owner, 'milestones', 'an array of integer steps >= 0', raw);
  const milestones = raw.map((m: unknown, i) => requireInteger(owner, `milestones[${String(i)}]`, m));
  const gamma = requireNonNegative(owner, 'gamma', orDefault(options.gamma, 0.1));
  const fn = (count: number): number => {
    const c = clampCount(count);
    let k = 0;
    for (const m of milestones) if (m <= c) k++;
    return lr * gamma ** k;
  };
  return describeSchedule(fn, { schedule: owner, options: { lr, milestones, gamma } });
}

/** Options of {@link exponentialLR}. */
export interface ExponentialLROptions {
  /** $\eta_0$, the base learning rate (>= 0). */
  readonly lr: number;
  /** $\gamma$, the factor per step (>= 0). */
  readonly gamma: number;
}

/**
 * PyTorch `ExponentialLR`: $\eta_t = \eta_0\,\gamma^{t}$.
 *
 * @remarks
 * optax: `exponentialDecay({ initValue: lr, transitionSteps: 1, decayRate: gamma })`.
 * @category Schedules
 */
export function exponentialLR(options: ExponentialLROptions): Schedule {
  const owner = 'exponentialLR';
  requireOptions(owner, options, ['lr', 'gamma']);
  const lr = requireNonNegative(owner, 'lr', options.lr);
  const gamma = requireNonNegative(owner, 'gamma', options.gamma);
  return describeSchedule((count) => lr * gamma ** clampCount(count), { schedule: owner, options: { lr, gamma } });
}

// -------------------------------------------------------------------------------------------------
// linear, constant, polynomial
// -------------------------------------------------------------------------------------------------

/** Options of {@link linearLR}. */
export interface LinearLROptions {
  /** $\eta_0$, the base learning rate (>= 0). */
  readonly lr: number;
  /** $f_s$, the factor at count 0, in (0, 1]. Default 1/3. */
  readonly startFactor?: number;
  /** $f_e$, the factor from `totalIters` on, in [0, 1]. Default 1. */
  readonly endFactor?: number;
  /** $N$, the length of the ramp (integer >= 1). Default 5. */
  readonly totalIters?: number;
}

/**
 * PyTorch `LinearLR`:
 * $\eta_t = \eta_0\left(f_s + \frac{(f_e - f_s)\min(t, N)}{N}\right)$.
 * Defaults: `startFactor` 1/3, `endFactor` 1, `totalIters` 5.
 *
 * @remarks
 * torch rejects `startFactor` outside (0, 1] and `endFactor` outside [0, 1], and so does
 * gradfuse (torch 1.13 also divides by zero with `startFactor` 0). optax:
 * `linearSchedule({ initValue: fs*lr, endValue: fe*lr, transitionSteps: N })`, which also
 * allows starting at 0.
 * @category Schedules
 */
export function linearLR(options: LinearLROptions): Schedule {
  const owner = 'linearLR';
  requireOptions(owner, options, ['lr', 'startFactor', 'endFactor', 'totalIters']);
  const lr = requireNonNegative(owner, 'lr', options.lr);
  const startFactor = requireInRange(owner, 'startFactor', orDefault(options.startFactor, 1 / 3), 0, 1, { loOpen: true });
  const endFactor = requireInRange(owner, 'endFactor', orDefault(options.endFactor, 1), 0, 1);
  const totalIters = requireInteger(owner, 'totalIters', orDefault(options.totalIters, 5), 1);
  const fn = (count: number): number =>
    lr * (startFactor + ((endFactor - startFactor) * Math.min(totalIters, clampCount(count))) / totalIters);
  return describeSchedule(fn, { schedule: owner, options: { lr, startFactor, endFactor, totalIters } });
}

/** Options of {@link constantLR}. */
export interface ConstantLROptions {
  /** $\eta_0$, the base learning rate (>= 0). */
  readonly lr: number;
  /** $f$, the factor applied before `totalIters`, in [0, 1]. Default 1/3. */
  readonly factor?: number;
  /** $N$, how many steps use the reduced lr (integer >= 1). Default 5. */
  readonly totalIters?: number;
}

/**
 * PyTorch `ConstantLR`: $\eta_t = \eta_0 f$ for $t < N$, $\eta_0$ after.
 * Defaults: `factor` 1/3, `totalIters` 5.
 *
 * @remarks
 * optax: `piecewiseConstantSchedule({ initValue: f*lr, boundariesAndScales: { [N]: 1/f } })`
 * (up to rounding).
 * @category Schedules
 */
export function constantLR(options: ConstantLROptions): Schedule {
  const owner = 'constantLR';
  requireOptions(owner, options, ['lr', 'factor', 'totalIters']);
  const lr = requireNonNegative(owner, 'lr', options.lr);
  const factor = requireInRange(owner, 'factor', orDefault(options.factor, 1 / 3), 0, 1);
  const totalIters = requireInteger(owner, 'totalIters', orDefault(options.totalIters, 5), 1);
  return describeSchedule((count) => (clampCount(count) < totalIters ? lr * factor : lr), {
    schedule: owner,
    options: { lr, factor, totalIters },
  });
}

/** Options of {@link polynomialLR}. */
export interface PolynomialLROptions {
  /** $\eta_0$, the base learning rate (>= 0). */
  readonly lr: number;
  /** $N$, the count at which the lr reaches 0 (integer >= 1). Default 5. */
  readonly totalIters?: number;
  /** $p$ (>= 0). Default 1. */
  readonly power?: number;
}

/**
 * PyTorch `PolynomialLR`: $\eta_t = \eta_0\left(1 - \frac{\min(t, N)}{N}\right)^{p}$, which
 * ends at 0. Defaults: `totalIters` 5, `power` 1.
 *
 * @remarks
 * optax: `polynomialSchedule({ initValue: lr, endValue: 0, power, transitionSteps: N })`.
 * @category Schedules
 */
export function polynomialLR(options: PolynomialLROptions): Schedule {
  const owner = 'polynomialLR';
  requireOptions(owner, options, ['lr', 'totalIters', 'power']);
  const lr = requireNonNegative(owner, 'lr', options.lr);
  const totalIters = requireInteger(owner, 'totalIters', orDefault(options.totalIters, 5), 1);
  const power = requireNonNegative(owner, 'power', orDefault(options.power, 1));
  return describeSchedule((count) => lr * (1 - Math.min(totalIters, clampCount(count)) / totalIters) ** power, {
    schedule: owner,
    options: { lr, totalIters, power },
  });
}

// -------------------------------------------------------------------------------------------------
// cosine annealing
// -------------------------------------------------------------------------------------------------

/** Options of {@link cosineAnnealingLR}. */
export interface CosineAnnealingLROptions {
  /** $\eta_0$, the base learning rate (>= 0). */
  readonly lr: number;
  /** $T$, the half period (integer >= 1). */
  readonly tMax: number;
  /** $\eta_{min}$, the value at $T$. Default 0. */
  readonly etaMin?: number;
}

/**
 * PyTorch `CosineAnnealingLR`:
 * $\eta_t = \eta_{min} + (\eta_0 - \eta_{min})\,\frac{1 + \cos(\pi t / T)}{2}$ for **every**
 * $t$. Default `etaMin` 0.
 *
 * @remarks
 * Not clamped at `tMax`: past it the lr rises again, with period $2T$, as torch does (a
 * torch run that trains past `T_max` silently re-warms). optax's `cosineDecaySchedule` holds
 * its final value instead.
 * @category Schedules
 */
export function cosineAnnealingLR(options: CosineAnnealingLROptions): Schedule {
  const owner = 'cosineAnnealingLR';
  requireOptions(owner, options, ['lr', 'tMax', 'etaMin']);
  const lr = requireNonNegative(owner, 'lr', options.lr);
  const tMax = requireInteger(owner, 'tMax', options.tMax, 1);
  const etaMin = requireFinite(owner, 'etaMin', orDefault(options.etaMin, 0));
  return describeSchedule((count) => etaMin + ((lr - etaMin) * (1 + Math.cos((Math.PI * clampCount(count)) / tMax))) / 2, {
    schedule: owner,
    options: { lr, tMax, etaMin },
  });
}

/** Options of {@link cosineAnnealingWarmRestarts}. */
export interface CosineAnnealingWarmRestartsOptions {
  /** $\eta_0$, the base learning rate (>= 0), restored at each restart. */
  readonly lr: number;
  /** $T_0$, the length of the first cycle (integer >= 1). */
  readonly t0: number;
  /** Each cycle is `tMult` times longer than the previous (integer >= 1). Default 1. */
  readonly tMult?: number;
  /** $\eta_{min}$. Default 0. */
  readonly etaMin?: number;
}

/**
 * PyTorch `CosineAnnealingWarmRestarts`. Cycle $i$ has length $T_i = T_0\,m^i$; with
 * $T_{cur}$ the steps since the last restart,
 * $\eta_t = \eta_{min} + (\eta_0 - \eta_{min})\,\frac{1 + \cos(\pi T_{cur} / T_i)}{2}$.
 * Defaults: `tMult` 1, `etaMin` 0.
 *
 * @remarks
 * optax writes the same cycles as {@link sgdrSchedule} with one entry per cycle
 * (`{ initValue: lr, peakValue: lr, warmupSteps: 0, decaySteps: T_i, endValue: etaMin }`);
 * past its last listed cycle sgdr holds `endValue`, while torch restarts forever.
 * @category Schedules
 */
export function cosineAnnealingWarmRestarts(options: CosineAnnealingWarmRestartsOptions): Schedule {
  const owner = 'cosineAnnealingWarmRestarts';
  requireOptions(owner, options, ['lr', 't0', 'tMult', 'etaMin']);
  const lr = requireNonNegative(owner, 'lr', options.lr);
  const t0 = requireInteger(owner, 't0', options.t0, 1);
  const tMult = requireInteger(owner, 'tMult', orDefault(options.tMult, 1), 1);
  const etaMin = requireFinite(owner, 'etaMin', orDefault(options.etaMin, 0));
  const fn = (count: number): number => {
    let tCur = clampCount(count);
    let tI = t0;
    if (tMult === 1) {
      tCur = tCur % t0;
    } else {
      // Cycle lengths grow geometrically, so this loop runs O(log count) times.
      while (tCur >= tI) {
        tCur -= tI;
        tI *= tMult;
      }
    }
    return etaMin + ((lr - etaMin) * (1 + Math.cos((Math.PI * tCur) / tI))) / 2;
  };
  return describeSchedule(fn, { schedule: owner, options: { lr, t0, tMult, etaMin } });
}

// -------------------------------------------------------------------------------------------------
// sequential
// -------------------------------------------------------------------------------------------------

/** Options of {@link sequentialLR}. */
export interface SequentialLROptions {
  /** The schedules, in order (at least one). */
  readonly schedules: readonly Schedule[];
  /** The counts at which each next schedule takes over: one fewer than `schedules`, integers >= 0, non-decreasing. */
  readonly milestones: readonly number[];
}

/**
 * PyTorch `SequentialLR`: schedule $k$ runs from `milestones[k-1]` on, with its count
 * **restarted** there (torch calls `step(0)` on it):
 * $\eta_t = s_k(t - m_k)$, $k = \#\{i : m_i \le t\}$, $m_0 = 0$.
 *
 * The spec holds the children's specs, as {@link joinSchedules} (no spec if a child has none).
 *
 * @remarks
 * Same semantics as optax's `join_schedules` ({@link joinSchedules}). The usual warm-up +
 * cosine, `sequentialLR({ schedules: [linearLR({ lr, startFactor: s, totalIters: W }),
 * cosineAnnealingLR({ lr, tMax: T - W, etaMin })], milestones: [W] })`, equals optax's
 * `warmupCosineDecay({ initValue: s*lr, peakValue: lr, warmupSteps: W, decaySteps: T, endValue: etaMin })`
 * up to count `T`.
 * @category Schedules
 */
export function sequentialLR(options: SequentialLROptions): Schedule {
  const owner = 'sequentialLR';
  requireOptions(owner, options, ['schedules', 'milestones']);
  const schedules = requireSchedules(owner, 'schedules', options.schedules);
  const milestones = requireBoundaries(owner, 'milestones', options.milestones, schedules.length);
  const fn = joinFn(schedules, milestones);
  const specs = childSpecs(schedules);
  if (specs === undefined) return fn;
  return describeSchedule(fn, { schedule: owner, options: { schedules: specs, milestones } });
}
