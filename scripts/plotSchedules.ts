/**
 * One SVG per schedule constructor (those of `src/schedules/` and `adagradLrDecay`), for docs/guide.md: `npm run docs:plots` writes
 * `docs/img/schedules/<name>.svg`. Each chart is specified in vega-lite, compiled to vega and
 * rendered headless (no canvas, no browser). The files are committed; test/docs/schedulePlots.test.ts
 * checks that every exported schedule has one and that each is up to date (the SVG's first line
 * records the schedule specs and a digest of the plotted values).
 *
 * Usage: `tsx scripts/plotSchedules.ts [outDir]` (default `docs/img/schedules`).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { View, parse } from 'vega';
import { type TopLevelSpec, compile } from 'vega-lite';
import { constantSchedule, cosineDecaySchedule, exponentialDecay, linearSchedule, polynomialSchedule } from '../src/schedules/decay.js';
import { adagradLrDecay } from '../src/optimizers/adagrad.js';
import { joinSchedules } from '../src/schedules/join.js';
import { cosineOnecycleSchedule, linearOnecycleSchedule } from '../src/schedules/onecycle.js';
import { piecewiseConstantSchedule, piecewiseInterpolateSchedule } from '../src/schedules/piecewise.js';
import type { Schedule } from '../src/schedules/schedule.js';
import { sgdrSchedule } from '../src/schedules/sgdr.js';
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
} from '../src/schedules/torch.js';
import { cyclicLR, cyclicMomentum, oneCycleLR, oneCycleMomentum } from '../src/schedules/torchCyclic.js';
import { warmupCosineDecay, warmupExponentialDecay } from '../src/schedules/warmup.js';

/** One curve of a plot. */
export interface Curve {
  readonly label: string;
  readonly schedule: Schedule;
}

/** One plot: a schedule (the file name), its curves (one per variant of an option) over `steps` counts. */
export interface PlotCase {
  readonly name: string;
  readonly family: 'optax' | 'pytorch';
  /** The call shown as the chart's subtitle. */
  readonly call: string;
  readonly steps: number;
  readonly yTitle: string;
  readonly curves: readonly Curve[];
}

const one = (schedule: Schedule): readonly Curve[] => [{ label: '', schedule }];

/** Every schedule constructor (`src/schedules/` and `adagradLrDecay`), with representative options. */
export const PLOT_CASES: readonly PlotCase[] = [
  // optax ---------------------------------------------------------------------------------------
  {
    name: 'constantSchedule',
    family: 'optax',
    call: 'constantSchedule({ value: 1e-3 })',
    steps: 100,
    yTitle: 'learning rate',
    curves: one(constantSchedule({ value: 1e-3 })),
  },
  {
    name: 'linearSchedule',
    family: 'optax',
    call: 'linearSchedule({ initValue: 1e-3, endValue: 1e-4, transitionSteps: 60, transitionBegin: 20 })',
    steps: 100,
    yTitle: 'learning rate',
    curves: one(linearSchedule({ initValue: 1e-3, endValue: 1e-4, transitionSteps: 60, transitionBegin: 20 })),
  },
  {
    name: 'polynomialSchedule',
    family: 'optax',
    call: 'polynomialSchedule({ initValue: 1e-3, endValue: 1e-5, power, transitionSteps: 80, transitionBegin: 10 })',
    steps: 100,
    yTitle: 'learning rate',
    curves: [0.5, 1, 2].map((power) => ({
      label: `power ${String(power)}`,
      schedule: polynomialSchedule({ initValue: 1e-3, endValue: 1e-5, power, transitionSteps: 80, transitionBegin: 10 }),
    })),
  },
  {
    name: 'exponentialDecay',
    family: 'optax',
    call: 'exponentialDecay({ initValue: 1e-3, transitionSteps: 20, decayRate: 0.5, staircase })',
    steps: 100,
    yTitle: 'learning rate',
    curves: [false, true].map((staircase) => ({
      label: `staircase ${String(staircase)}`,
      schedule: exponentialDecay({ initValue: 1e-3, transitionSteps: 20, decayRate: 0.5, staircase }),
    })),
  },
  {
    name: 'cosineDecaySchedule',
    family: 'optax',
    call: 'cosineDecaySchedule({ initValue: 1e-3, decaySteps: 80, alpha: 0.1, exponent })',
    steps: 100,
    yTitle: 'learning rate',
    curves: [1, 2].map((exponent) => ({
      label: `exponent ${String(exponent)}`,
      schedule: cosineDecaySchedule({ initValue: 1e-3, decaySteps: 80, alpha: 0.1, exponent }),
    })),
  },
  {
    name: 'warmupCosineDecay',
    family: 'optax',
    call: 'warmupCosineDecay({ initValue: 0, peakValue: 1e-3, warmupSteps: 10, decaySteps: 100, endValue: 1e-5 })',
    steps: 110,
    yTitle: 'learning rate',
    curves: one(warmupCosineDecay({ initValue: 0, peakValue: 1e-3, warmupSteps: 10, decaySteps: 100, endValue: 1e-5 })),
  },
  {
    name: 'warmupExponentialDecay',
    family: 'optax',
    call: 'warmupExponentialDecay({ initValue: 0, peakValue: 1e-3, warmupSteps: 10, transitionSteps: 15, decayRate: 0.5, staircase })',
    steps: 100,
    yTitle: 'learning rate',
    curves: [false, true].map((staircase) => ({
      label: `staircase ${String(staircase)}`,
      schedule: warmupExponentialDecay({ initValue: 0, peakValue: 1e-3, warmupSteps: 10, transitionSteps: 15, decayRate: 0.5, staircase }),
    })),
  },
  {
    name: 'piecewiseConstantSchedule',
    family: 'optax',
    call: "piecewiseConstantSchedule({ initValue: 1e-3, boundariesAndScales: { '30': 0.5, '60': 0.5, '80': 0.2 } })",
    steps: 100,
    yTitle: 'learning rate',
    curves: one(piecewiseConstantSchedule({ initValue: 1e-3, boundariesAndScales: { '30': 0.5, '60': 0.5, '80': 0.2 } })),
  },
  {
    name: 'piecewiseInterpolateSchedule',
    family: 'optax',
    call: "piecewiseInterpolateSchedule({ interpolateType, initValue: 1e-4, boundariesAndScales: { '10': 10, '60': 0.1, '90': 0.5 } })",
    steps: 100,
    yTitle: 'learning rate',
    curves: (['linear', 'cosine'] as const).map((interpolateType) => ({
      label: interpolateType,
      schedule: piecewiseInterpolateSchedule({ interpolateType, initValue: 1e-4, boundariesAndScales: { '10': 10, '60': 0.1, '90': 0.5 } }),
    })),
  },
  {
    name: 'cosineOnecycleSchedule',
    family: 'optax',
    call: 'cosineOnecycleSchedule({ transitionSteps: 100, peakValue: 1e-3 })',
    steps: 110,
    yTitle: 'learning rate',
    curves: one(cosineOnecycleSchedule({ transitionSteps: 100, peakValue: 1e-3 })),
  },
  {
    name: 'linearOnecycleSchedule',
    family: 'optax',
    call: 'linearOnecycleSchedule({ transitionSteps: 100, peakValue: 1e-3 })',
    steps: 110,
    yTitle: 'learning rate',
    curves: one(linearOnecycleSchedule({ transitionSteps: 100, peakValue: 1e-3 })),
  },
  {
    name: 'joinSchedules',
    family: 'optax',
    call: 'joinSchedules({ schedules: [linearSchedule(0 → 1e-3 in 20), exponentialDecay(1e-3, 0.5 per 20 steps)], boundaries: [20] })',
    steps: 100,
    yTitle: 'learning rate',
    curves: one(
      joinSchedules({
        schedules: [
          linearSchedule({ initValue: 0, endValue: 1e-3, transitionSteps: 20 }),
          exponentialDecay({ initValue: 1e-3, transitionSteps: 20, decayRate: 0.5 }),
        ],
        boundaries: [20],
      }),
    ),
  },
  {
    name: 'sgdrSchedule',
    family: 'optax',
    call: 'sgdrSchedule({ cosineKwargs: three warmupCosineDecay cycles of 30, 40 and 50 steps, peaks 1e-3, 7e-4, 5e-4 })',
    steps: 120,
    yTitle: 'learning rate',
    curves: one(
      sgdrSchedule({
        cosineKwargs: [
          { initValue: 0, peakValue: 1e-3, warmupSteps: 5, decaySteps: 30, endValue: 1e-5 },
          { initValue: 0, peakValue: 7e-4, warmupSteps: 5, decaySteps: 40, endValue: 1e-5 },
          { initValue: 0, peakValue: 5e-4, warmupSteps: 5, decaySteps: 50, endValue: 1e-5 },
        ],
      }),
    ),
  },
  // PyTorch -------------------------------------------------------------------------------------
  {
    name: 'stepLR',
    family: 'pytorch',
    call: 'stepLR({ lr: 0.1, stepSize: 30, gamma: 0.5 })',
    steps: 100,
    yTitle: 'learning rate',
    curves: one(stepLR({ lr: 0.1, stepSize: 30, gamma: 0.5 })),
  },
  {
    name: 'multiStepLR',
    family: 'pytorch',
    call: 'multiStepLR({ lr: 0.1, milestones: [30, 60, 80], gamma: 0.5 })',
    steps: 100,
    yTitle: 'learning rate',
    curves: one(multiStepLR({ lr: 0.1, milestones: [30, 60, 80], gamma: 0.5 })),
  },
  {
    name: 'exponentialLR',
    family: 'pytorch',
    call: 'exponentialLR({ lr: 0.1, gamma: 0.97 })',
    steps: 100,
    yTitle: 'learning rate',
    curves: one(exponentialLR({ lr: 0.1, gamma: 0.97 })),
  },
  {
    name: 'linearLR',
    family: 'pytorch',
    call: 'linearLR({ lr: 0.1, startFactor: 0.1, endFactor: 1, totalIters: 40 })',
    steps: 100,
    yTitle: 'learning rate',
    curves: one(linearLR({ lr: 0.1, startFactor: 0.1, endFactor: 1, totalIters: 40 })),
  },
  {
    name: 'constantLR',
    family: 'pytorch',
    call: 'constantLR({ lr: 0.1, factor: 0.5, totalIters: 30 })',
    steps: 100,
    yTitle: 'learning rate',
    curves: one(constantLR({ lr: 0.1, factor: 0.5, totalIters: 30 })),
  },
  {
    name: 'polynomialLR',
    family: 'pytorch',
    call: 'polynomialLR({ lr: 0.1, totalIters: 80, power })',
    steps: 100,
    yTitle: 'learning rate',
    curves: [1, 2].map((power) => ({ label: `power ${String(power)}`, schedule: polynomialLR({ lr: 0.1, totalIters: 80, power }) })),
  },
  {
    name: 'cosineAnnealingLR',
    family: 'pytorch',
    call: 'cosineAnnealingLR({ lr: 0.1, tMax: 50, etaMin: 0.01 }) (rises again past tMax, as torch)',
    steps: 120,
    yTitle: 'learning rate',
    curves: one(cosineAnnealingLR({ lr: 0.1, tMax: 50, etaMin: 0.01 })),
  },
  {
    name: 'cosineAnnealingWarmRestarts',
    family: 'pytorch',
    call: 'cosineAnnealingWarmRestarts({ lr: 0.1, t0: 10, tMult: 2, etaMin: 1e-3 })',
    steps: 150,
    yTitle: 'learning rate',
    curves: one(cosineAnnealingWarmRestarts({ lr: 0.1, t0: 10, tMult: 2, etaMin: 1e-3 })),
  },
  {
    name: 'sequentialLR',
    family: 'pytorch',
    call: 'sequentialLR({ schedules: [linearLR({ lr: 0.1, startFactor: 0.1, totalIters: 10 }), cosineAnnealingLR({ lr: 0.1, tMax: 90 })], milestones: [10] })',
    steps: 100,
    yTitle: 'learning rate',
    curves: one(
      sequentialLR({
        schedules: [linearLR({ lr: 0.1, startFactor: 0.1, totalIters: 10 }), cosineAnnealingLR({ lr: 0.1, tMax: 90 })],
        milestones: [10],
      }),
    ),
  },
  {
    name: 'oneCycleLR',
    family: 'pytorch',
    call: 'oneCycleLR({ maxLr: 0.1, totalSteps: 100, annealStrategy, threePhase })',
    steps: 100,
    yTitle: 'learning rate',
    curves: [
      { label: "'cos'", schedule: oneCycleLR({ maxLr: 0.1, totalSteps: 100 }) },
      { label: "'linear'", schedule: oneCycleLR({ maxLr: 0.1, totalSteps: 100, annealStrategy: 'linear' }) },
      { label: "'cos', threePhase", schedule: oneCycleLR({ maxLr: 0.1, totalSteps: 100, threePhase: true }) },
    ],
  },
  {
    name: 'oneCycleMomentum',
    family: 'pytorch',
    call: 'oneCycleMomentum({ maxLr: 0.1, totalSteps: 100 }) (baseMomentum 0.85, maxMomentum 0.95)',
    steps: 100,
    yTitle: 'momentum',
    curves: one(oneCycleMomentum({ maxLr: 0.1, totalSteps: 100 })),
  },
  {
    name: 'cyclicLR',
    family: 'pytorch',
    call: "cyclicLR({ baseLr: 0.01, maxLr: 0.1, stepSizeUp: 15, stepSizeDown: 25, mode, gamma: 0.99 for 'exp_range' })",
    steps: 160,
    yTitle: 'learning rate',
    curves: (['triangular', 'triangular2', 'exp_range'] as const).map((mode) => ({
      label: `'${mode}'`,
      schedule: cyclicLR({ baseLr: 0.01, maxLr: 0.1, stepSizeUp: 15, stepSizeDown: 25, mode, ...(mode === 'exp_range' ? { gamma: 0.99 } : {}) }),
    })),
  },
  {
    name: 'cyclicMomentum',
    family: 'pytorch',
    call: 'cyclicMomentum({ baseLr: 0.01, maxLr: 0.1, stepSizeUp: 15, stepSizeDown: 25 }) (baseMomentum 0.8, maxMomentum 0.9)',
    steps: 160,
    yTitle: 'momentum',
    curves: one(cyclicMomentum({ baseLr: 0.01, maxLr: 0.1, stepSizeUp: 15, stepSizeDown: 25 })),
  },
  {
    name: 'adagradLrDecay',
    family: 'pytorch',
    call: 'adagradLrDecay({ learningRate: 0.1, lrDecay }) (torch Adagrad lr_decay)',
    steps: 100,
    yTitle: 'learning rate',
    curves: [0.01, 0.05].map((lrDecay) => ({ label: `lrDecay ${String(lrDecay)}`, schedule: adagradLrDecay({ learningRate: 0.1, lrDecay }) })),
  },
];

/** The plotted values: each curve at counts `0 .. steps - 1`. */
export function plotValues(c: PlotCase): { readonly step: number; readonly value: number; readonly curve: string }[] {
  return c.curves.flatMap((curve) => Array.from({ length: c.steps }, (_, step) => ({ step, value: curve.schedule(step), curve: curve.label })));
}

/**
 * The first line of each SVG: a digest of the curves' specs and the plotted values (to 12
 * significant digits, so a last-bit change in a Math function between runtimes does not count),
 * so a test can tell a stale plot from a current one without rendering.
 */
export function plotStamp(c: PlotCase): string {
  const specs = c.curves.map((curve) => curve.schedule.spec);
  const values = plotValues(c).map((v) => ({ ...v, value: Number(v.value.toPrecision(12)) }));
  const digest = createHash('sha256')
    .update(JSON.stringify({ steps: c.steps, yTitle: c.yTitle, call: c.call, specs, values }))
    .digest('hex');
  return `<!-- gradfuse schedule plot: ${c.name}; generated by scripts/plotSchedules.ts; sha256 ${digest} -->`;
}

/** The vega-lite spec of a case's chart. */
export function plotSpec(c: PlotCase): TopLevelSpec {
  const legend = c.curves.length > 1;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: c.name, subtitle: c.call, anchor: 'start', subtitleFontSize: 10, subtitleColor: '#555' },
    width: 520,
    height: 200,
    background: 'white',
    config: { font: 'sans-serif', view: { stroke: '#ddd' } },
    data: { values: plotValues(c) },
    mark: { type: 'line', strokeWidth: 1.75, interpolate: 'step-after', point: c.steps <= 40 },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'update count (schedule argument)' },
      y: { field: 'value', type: 'quantitative', title: c.yTitle, scale: { zero: c.yTitle !== 'momentum' } },
      color: legend
        ? { field: 'curve', type: 'nominal', title: null, sort: c.curves.map((curve) => curve.label), legend: { orient: 'right' } }
        : { value: '#1f77b4' },
    },
  };
}

/** Renders one case to an SVG document (stamp line first). */
export async function renderPlot(c: PlotCase): Promise<string> {
  const view = new View(parse(compile(plotSpec(c)).spec), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    return `${plotStamp(c)}\n${svg}\n`;
  } finally {
    view.finalize();
  }
}

/** The default output folder, relative to the repository root. */
export const PLOT_DIR = 'docs/img/schedules';

async function main(): Promise<void> {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const outDir = process.argv[2] ?? join(root, PLOT_DIR);
  mkdirSync(outDir, { recursive: true });
  const started = performance.now();
  for (const c of PLOT_CASES) {
    const file = join(outDir, `${c.name}.svg`);
    writeFileSync(file, await renderPlot(c));
  }
  const ms = performance.now() - started;
  console.log(`wrote ${String(PLOT_CASES.length)} schedule plots to ${outDir} in ${ms.toFixed(0)} ms`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
