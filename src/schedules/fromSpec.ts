/**
 * Rebuilding a schedule from its JSON `spec`: the inverse of the `spec` every gradfuse
 * schedule carries. Combinators (`joinSchedules`, `sequentialLR`) rebuild their children
 * from the child specs they hold.
 *
 * @module
 */
import { HyperparameterError } from '../errors.js';
import { constantSchedule, cosineDecaySchedule, exponentialDecay, linearSchedule, polynomialSchedule } from './decay.js';
import { joinSchedules } from './join.js';
import { cosineOnecycleSchedule, linearOnecycleSchedule } from './onecycle.js';
import { piecewiseConstantSchedule, piecewiseInterpolateSchedule } from './piecewise.js';
import type { Schedule } from './schedule.js';
import { sgdrSchedule } from './sgdr.js';
import {
  constantLR,
  cosineAnnealingLR,
  cosineAnnealingWarmRestarts,
  exponentialLR,
  linearLR,
  multiStepLR,
  polynomialLR,
  sequentialLR,
  stepLR,
} from './torch.js';
import { cyclicLR, cyclicMomentum, oneCycleLR, oneCycleMomentum } from './torchCyclic.js';
import { warmupCosineDecay, warmupExponentialDecay } from './warmup.js';

type Options = Readonly<Record<string, unknown>>;

/**
 * One builder per schedule name. The options are checked by the constructor itself (it
 * validates every option and rejects unknown keys), so the casts only hand them over.
 */
const BUILDERS: Readonly<Record<string, (options: Options) => Schedule>> = {
  constantSchedule: (o) => constantSchedule(o as never),
  linearSchedule: (o) => linearSchedule(o as never),
  polynomialSchedule: (o) => polynomialSchedule(o as never),
  exponentialDecay: (o) => exponentialDecay(o as never),
  cosineDecaySchedule: (o) => cosineDecaySchedule(o as never),
  warmupCosineDecay: (o) => warmupCosineDecay(o as never),
  warmupExponentialDecay: (o) => warmupExponentialDecay(o as never),
  piecewiseConstantSchedule: (o) => piecewiseConstantSchedule(o as never),
  piecewiseInterpolateSchedule: (o) => piecewiseInterpolateSchedule(o as never),
  cosineOnecycleSchedule: (o) => cosineOnecycleSchedule(o as never),
  linearOnecycleSchedule: (o) => linearOnecycleSchedule(o as never),
  sgdrSchedule: (o) => sgdrSchedule(o as never),
  joinSchedules: (o) => joinSchedules({ ...o, schedules: children('joinSchedules', o['schedules']) } as never),
  stepLR: (o) => stepLR(o as never),
  multiStepLR: (o) => multiStepLR(o as never),
  exponentialLR: (o) => exponentialLR(o as never),
  linearLR: (o) => linearLR(o as never),
  constantLR: (o) => constantLR(o as never),
  polynomialLR: (o) => polynomialLR(o as never),
  cosineAnnealingLR: (o) => cosineAnnealingLR(o as never),
  cosineAnnealingWarmRestarts: (o) => cosineAnnealingWarmRestarts(o as never),
  sequentialLR: (o) => sequentialLR({ ...o, schedules: children('sequentialLR', o['schedules']) } as never),
  oneCycleLR: (o) => oneCycleLR(o as never),
  oneCycleMomentum: (o) => oneCycleMomentum(o as never),
  cyclicLR: (o) => cyclicLR(o as never),
  cyclicMomentum: (o) => cyclicMomentum(o as never),
};

function children(owner: string, specs: unknown): readonly Schedule[] {
  if (!Array.isArray(specs)) throw new HyperparameterError(owner, 'schedules', 'an array of schedule specs', specs);
  return specs.map((s: unknown) => scheduleFromSpec(s));
}

/**
 * Rebuilds a schedule from its spec (`{ schedule: name, options }`), e.g. one read back from
 * JSON. Throws {@link HyperparameterError} for an unknown schedule name or invalid options.
 *
 * @example
 * ```ts
 * const s = warmupCosineDecay({ initValue: 0, peakValue: 1, warmupSteps: 10, decaySteps: 100 });
 * const t = scheduleFromSpec(JSON.parse(JSON.stringify(s.spec)));
 * t(50) === s(50); // true
 * ```
 * @category Schedules
 */
export function scheduleFromSpec(spec: unknown): Schedule {
  if (typeof spec !== 'object' || spec === null) {
    throw new HyperparameterError('scheduleFromSpec', 'spec', 'an object { schedule, options }', spec);
  }
  const { schedule, options } = spec as { schedule?: unknown; options?: unknown };
  const build = typeof schedule === 'string' && Object.hasOwn(BUILDERS, schedule) ? BUILDERS[schedule] : undefined;
  if (build === undefined) {
    throw new HyperparameterError('scheduleFromSpec', 'schedule', `one of ${Object.keys(BUILDERS).join(', ')}`, schedule);
  }
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new HyperparameterError('scheduleFromSpec', 'options', 'an options object', options);
  }
  return build(options as Options);
}

/**
 * The names {@link scheduleFromSpec} knows, i.e. every gradfuse schedule constructor.
 * @category Schedules
 */
export const SCHEDULE_NAMES: readonly string[] = /*#__PURE__*/ Object.freeze(Object.keys(BUILDERS));
