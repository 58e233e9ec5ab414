/**
 * Test helper: every schedule constructor with a valid option set, the spec options it must
 * produce (defaults filled in), and bad values for each option with the parameter name the
 * error must carry. Shared by the validation and spec tests (optax's `ALL_MODULES` idea).
 */
import { constantSchedule, cosineDecaySchedule, exponentialDecay, linearSchedule, polynomialSchedule } from '../../src/schedules/decay.js';
import { joinSchedules } from '../../src/schedules/join.js';
import { cosineOnecycleSchedule, linearOnecycleSchedule } from '../../src/schedules/onecycle.js';
import { piecewiseConstantSchedule, piecewiseInterpolateSchedule } from '../../src/schedules/piecewise.js';
import type { Schedule } from '../../src/schedules/schedule.js';
import { sgdrSchedule } from '../../src/schedules/sgdr.js';
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
} from '../../src/schedules/torch.js';
import { cyclicLR, cyclicMomentum, oneCycleLR, oneCycleMomentum } from '../../src/schedules/torchCyclic.js';
import { warmupCosineDecay, warmupExponentialDecay } from '../../src/schedules/warmup.js';

export interface RegistryEntry {
  readonly name: string;
  readonly ctor: (options: never) => Schedule;
  readonly valid: Readonly<Record<string, unknown>>;
  /** `spec.options` expected for `valid`. */
  readonly filled: Readonly<Record<string, unknown>>;
  /** `[option, bad value, parameter named in the error (default: option)]`. */
  readonly bad: readonly (readonly [string, unknown, string?])[];
}

/** Values no numeric option accepts (`undefined` only for a required option: it means "default" otherwise). */
const nonFinite = (option: string, optional = false): (readonly [string, unknown])[] =>
  [NaN, Infinity, -Infinity, '1', null, ...(optional ? [] : [undefined])].map((v) => [option, v] as const);
/** Bad values for a step-count option whose minimum is `min`. */
const steps = (option: string, min = 0, optional = false): (readonly [string, unknown])[] => [
  ...nonFinite(option, optional),
  [option, min - 1],
  [option, 2.5],
];

const c1 = constantSchedule({ value: 1 });
const lin = linearSchedule({ initValue: 0, endValue: 1, transitionSteps: 4 });

export const REGISTRY: readonly RegistryEntry[] = [
  {
    name: 'constantSchedule',
    ctor: constantSchedule,
    valid: { value: 0.5 },
    filled: { value: 0.5 },
    bad: nonFinite('value'),
  },
  {
    name: 'linearSchedule',
    ctor: linearSchedule,
    valid: { initValue: 1, endValue: 0, transitionSteps: 10 },
    filled: { initValue: 1, endValue: 0, transitionSteps: 10, transitionBegin: 0 },
    bad: [...nonFinite('initValue'), ...nonFinite('endValue'), ...steps('transitionSteps'), ['transitionBegin', -1]],
  },
  {
    name: 'polynomialSchedule',
    ctor: polynomialSchedule,
    valid: { initValue: 1, endValue: 0.1, power: 2, transitionSteps: 10, transitionBegin: 3 },
    filled: { initValue: 1, endValue: 0.1, power: 2, transitionSteps: 10, transitionBegin: 3 },
    bad: [...nonFinite('power'), ['power', -1], ...steps('transitionSteps'), ...steps('transitionBegin', 0, true)],
  },
  {
    name: 'exponentialDecay',
    ctor: exponentialDecay,
    valid: { initValue: 1, transitionSteps: 10, decayRate: 0.5 },
    filled: { initValue: 1, transitionSteps: 10, decayRate: 0.5, transitionBegin: 0, staircase: false },
    bad: [
      ...nonFinite('initValue'),
      ...steps('transitionSteps'),
      ['decayRate', -0.5],
      ['decayRate', NaN],
      ['transitionBegin', -2],
      ['staircase', 1],
      ['endValue', NaN],
    ],
  },
  {
    name: 'cosineDecaySchedule',
    ctor: cosineDecaySchedule,
    valid: { initValue: 0.1, decaySteps: 100 },
    filled: { initValue: 0.1, decaySteps: 100, alpha: 0, exponent: 1 },
    bad: [...steps('decaySteps', 1), ['alpha', NaN], ['exponent', 0], ['exponent', -1], ['initValue', Infinity]],
  },
  {
    name: 'warmupCosineDecay',
    ctor: warmupCosineDecay,
    valid: { initValue: 0, peakValue: 1, warmupSteps: 10, decaySteps: 100 },
    filled: { initValue: 0, peakValue: 1, warmupSteps: 10, decaySteps: 100, endValue: 0, exponent: 1 },
    bad: [
      ...steps('warmupSteps'),
      ['decaySteps', 10],
      ['decaySteps', 5],
      ['decaySteps', NaN],
      ['peakValue', Infinity],
      ['endValue', NaN],
      ['exponent', 0],
    ],
  },
  {
    name: 'warmupExponentialDecay',
    ctor: warmupExponentialDecay,
    valid: { initValue: 0, peakValue: 1, warmupSteps: 10, transitionSteps: 5, decayRate: 0.9, endValue: 0.1 },
    filled: {
      initValue: 0,
      peakValue: 1,
      warmupSteps: 10,
      transitionSteps: 5,
      decayRate: 0.9,
      transitionBegin: 0,
      staircase: false,
      endValue: 0.1,
    },
    bad: [...steps('warmupSteps'), ...steps('transitionSteps'), ['decayRate', -1], ['staircase', 'yes'], ['endValue', Infinity]],
  },
  {
    name: 'piecewiseConstantSchedule',
    ctor: piecewiseConstantSchedule,
    valid: { initValue: 1, boundariesAndScales: { 200: 0.1, 100: 0.5 } },
    filled: { initValue: 1, boundariesAndScales: { 100: 0.5, 200: 0.1 } },
    bad: [
      ['initValue', NaN],
      ['boundariesAndScales', { 5: -3 }, 'boundariesAndScales[5]'],
      ['boundariesAndScales', { 5: NaN }, 'boundariesAndScales[5]'],
      ['boundariesAndScales', { '1.5': 1 }, 'boundariesAndScales key "1.5"'],
      ['boundariesAndScales', [[5, 1]]],
    ],
  },
  {
    name: 'piecewiseInterpolateSchedule',
    ctor: piecewiseInterpolateSchedule,
    valid: { interpolateType: 'cosine', initValue: 1, boundariesAndScales: { 10: 2 } },
    filled: { interpolateType: 'cosine', initValue: 1, boundariesAndScales: { 10: 2 } },
    bad: [
      ['interpolateType', 'linar'],
      ['interpolateType', undefined],
      ['boundariesAndScales', { 5: -3 }, 'boundariesAndScales[5]'],
    ],
  },
  {
    name: 'cosineOnecycleSchedule',
    ctor: cosineOnecycleSchedule,
    valid: { transitionSteps: 100, peakValue: 0.1 },
    filled: { transitionSteps: 100, peakValue: 0.1, pctStart: 0.3, divFactor: 25, finalDivFactor: 1e4 },
    bad: [...steps('transitionSteps', 1), ['pctStart', 1.5], ['pctStart', -0.1], ['divFactor', 0], ['finalDivFactor', -1]],
  },
  {
    name: 'linearOnecycleSchedule',
    ctor: linearOnecycleSchedule,
    valid: { transitionSteps: 100, peakValue: 0.1 },
    filled: { transitionSteps: 100, peakValue: 0.1, pctStart: 0.3, pctFinal: 0.85, divFactor: 25, finalDivFactor: 1e4 },
    bad: [['transitionSteps', 0], ['pctFinal', 2], ['peakValue', NaN]],
  },
  {
    name: 'sgdrSchedule',
    ctor: sgdrSchedule,
    valid: {
      cosineKwargs: [
        { initValue: 0, peakValue: 1, warmupSteps: 5, decaySteps: 20 },
        { initValue: 0, peakValue: 0.5, warmupSteps: 5, decaySteps: 30, endValue: 0.01, exponent: 2 },
      ],
    },
    filled: {
      cosineKwargs: [
        { initValue: 0, peakValue: 1, warmupSteps: 5, decaySteps: 20, endValue: 0, exponent: 1 },
        { initValue: 0, peakValue: 0.5, warmupSteps: 5, decaySteps: 30, endValue: 0.01, exponent: 2 },
      ],
    },
    bad: [
      ['cosineKwargs', []],
      ['cosineKwargs', [{ initValue: 0, peakValue: 1, warmupSteps: -1, decaySteps: 20 }], 'cosineKwargs[0].warmupSteps'],
      ['cosineKwargs', [{ initValue: 0, peakValue: 1, warmupSteps: 1, decaySteps: 20, extra: 1 }], 'cosineKwargs[0].extra'],
      ['cosineKwargs', [null], 'cosineKwargs[0]'],
    ],
  },
  {
    name: 'joinSchedules',
    ctor: joinSchedules,
    valid: { schedules: [lin, c1], boundaries: [4] },
    filled: { schedules: [lin.spec, c1.spec], boundaries: [4] },
    bad: [
      ['schedules', []],
      ['schedules', [lin, 2], 'schedules[1]'],
      ['boundaries', [4, 5]],
      ['boundaries', [-1], 'boundaries[0]'],
      ['boundaries', [1.5], 'boundaries[0]'],
    ],
  },
  {
    name: 'stepLR',
    ctor: stepLR,
    valid: { lr: 0.1, stepSize: 10 },
    filled: { lr: 0.1, stepSize: 10, gamma: 0.1 },
    bad: [...nonFinite('lr'), ['lr', -0.1], ...steps('stepSize', 1), ['gamma', -0.5]],
  },
  {
    name: 'multiStepLR',
    ctor: multiStepLR,
    valid: { lr: 0.1, milestones: [30, 10, 30] },
    filled: { lr: 0.1, milestones: [30, 10, 30], gamma: 0.1 },
    bad: [['milestones', 5], ['milestones', [1, -1], 'milestones[1]'], ['milestones', [1.5], 'milestones[0]'], ['gamma', NaN]],
  },
  {
    name: 'exponentialLR',
    ctor: exponentialLR,
    valid: { lr: 0.1, gamma: 0.9 },
    filled: { lr: 0.1, gamma: 0.9 },
    bad: [['gamma', undefined], ['gamma', -1], ['lr', NaN]],
  },
  {
    name: 'linearLR',
    ctor: linearLR,
    valid: { lr: 0.1 },
    filled: { lr: 0.1, startFactor: 1 / 3, endFactor: 1, totalIters: 5 },
    bad: [
      ['startFactor', 0],
      ['startFactor', -0.1],
      ['startFactor', 1.01],
      ['endFactor', -0.1],
      ['endFactor', 2],
      ...steps('totalIters', 1, true),
    ],
  },
  {
    name: 'constantLR',
    ctor: constantLR,
    valid: { lr: 0.1 },
    filled: { lr: 0.1, factor: 1 / 3, totalIters: 5 },
    bad: [['factor', 1.5], ['factor', -0.5], ['totalIters', 0]],
  },
  {
    name: 'polynomialLR',
    ctor: polynomialLR,
    valid: { lr: 0.1 },
    filled: { lr: 0.1, totalIters: 5, power: 1 },
    bad: [['totalIters', 0], ['power', -1], ['power', NaN]],
  },
  {
    name: 'cosineAnnealingLR',
    ctor: cosineAnnealingLR,
    valid: { lr: 0.1, tMax: 50 },
    filled: { lr: 0.1, tMax: 50, etaMin: 0 },
    bad: [...steps('tMax', 1), ['etaMin', NaN]],
  },
  {
    name: 'cosineAnnealingWarmRestarts',
    ctor: cosineAnnealingWarmRestarts,
    valid: { lr: 0.1, t0: 10, tMult: 2 },
    filled: { lr: 0.1, t0: 10, tMult: 2, etaMin: 0 },
    bad: [...steps('t0', 1), ['tMult', 0], ['tMult', 1.5], ['etaMin', Infinity]],
  },
  {
    name: 'sequentialLR',
    ctor: sequentialLR,
    valid: { schedules: [lin, c1], milestones: [4] },
    filled: { schedules: [lin.spec, c1.spec], milestones: [4] },
    bad: [
      ['schedules', undefined],
      ['milestones', []],
      ['milestones', [NaN], 'milestones[0]'],
    ],
  },
  {
    name: 'oneCycleLR',
    ctor: oneCycleLR,
    valid: { maxLr: 0.1, totalSteps: 100 },
    filled: {
      maxLr: 0.1,
      totalSteps: 100,
      pctStart: 0.3,
      annealStrategy: 'cos',
      divFactor: 25,
      finalDivFactor: 1e4,
      threePhase: false,
      cycleMomentum: true,
      baseMomentum: 0.85,
      maxMomentum: 0.95,
    },
    bad: [
      ['maxLr', -1],
      ...steps('totalSteps', 1),
      ['pctStart', 1.2],
      ['annealStrategy', 'cosine'],
      ['divFactor', 0],
      ['finalDivFactor', NaN],
      ['threePhase', 'no'],
      ['cycleMomentum', 0],
      ['baseMomentum', 1.5],
      ['maxMomentum', -0.1],
    ],
  },
  {
    name: 'oneCycleMomentum',
    ctor: oneCycleMomentum,
    valid: { maxLr: 0.1, totalSteps: 100, threePhase: true },
    filled: {
      maxLr: 0.1,
      totalSteps: 100,
      pctStart: 0.3,
      annealStrategy: 'cos',
      divFactor: 25,
      finalDivFactor: 1e4,
      threePhase: true,
      cycleMomentum: true,
      baseMomentum: 0.85,
      maxMomentum: 0.95,
    },
    bad: [['cycleMomentum', false], ['totalSteps', 0]],
  },
  {
    name: 'cyclicLR',
    ctor: cyclicLR,
    valid: { baseLr: 0.001, maxLr: 0.1, stepSizeUp: 10, mode: 'exp_range', gamma: 0.99 },
    filled: {
      baseLr: 0.001,
      maxLr: 0.1,
      stepSizeUp: 10,
      stepSizeDown: 10,
      mode: 'exp_range',
      gamma: 0.99,
      cycleMomentum: true,
      baseMomentum: 0.8,
      maxMomentum: 0.9,
    },
    bad: [
      ['baseLr', NaN],
      ['maxLr', -1],
      ['stepSizeUp', 0],
      ['stepSizeDown', -1],
      ['mode', 'triangle'],
      ['gamma', 0],
      ['baseMomentum', 2],
    ],
  },
  {
    name: 'cyclicMomentum',
    ctor: cyclicMomentum,
    valid: { baseLr: 0.001, maxLr: 0.1, stepSizeUp: 4, stepSizeDown: 6, mode: 'triangular2' },
    filled: {
      baseLr: 0.001,
      maxLr: 0.1,
      stepSizeUp: 4,
      stepSizeDown: 6,
      mode: 'triangular2',
      gamma: 1,
      cycleMomentum: true,
      baseMomentum: 0.8,
      maxMomentum: 0.9,
    },
    bad: [['cycleMomentum', false], ['maxMomentum', NaN]],
  },
];
