/**
 * The learning-rate finder on a small regression (`npx tsx examples/lrFinder.ts`): a linear
 * model fitted to 1024 synthetic points with 8 features of different scales, minibatches of 128,
 * SGD with momentum. `lrFinder` sweeps the learning rate from 1e-6 to 10 in at most 100 steps,
 * stops when the loss blows up, and suggests the rate where the smoothed loss falls fastest;
 * the example then trains with it, prints both, and plots the loss against the learning rate
 * (log scale) to `out/lr-finder.svg` with vega-lite.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { View, parse } from 'vega';
import { type TopLevelSpec, compile } from 'vega-lite';
import { type LrFinderResult, applyUpdates, lrFinder, sgd } from '../src/index.js';

type Params = { readonly w: Float32Array; readonly b: Float32Array };
const [FEATURES, SAMPLES, BATCH] = [8, 1024, 128];

/** A seeded generator of uniform numbers in [0, 1) (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** y = x·w* + 0.5 + noise, feature j scaled by (j + 1) / 4 (so the problem is ill-conditioned). */
function makeData(seed: number): { x: Float32Array; y: Float32Array } {
  const random = rng(seed);
  const wStar = Array.from({ length: FEATURES }, () => random() * 2 - 1);
  const x = new Float32Array(SAMPLES * FEATURES);
  const y = new Float32Array(SAMPLES);
  for (let s = 0; s < SAMPLES; s++) {
    let t = 0.5 + 0.1 * (random() - 0.5);
    for (let j = 0; j < FEATURES; j++) {
      const v = ((random() * 2 - 1) * (j + 1)) / 4;
      x[s * FEATURES + j] = v;
      t += v * (wStar[j] as number);
    }
    y[s] = t;
  }
  return { x, y };
}

/** Mean squared error over samples [from, from + n) and its gradient. */
function mse(p: Params, data: { x: Float32Array; y: Float32Array }, from: number, n: number): { loss: number; grads: Params } {
  const gw = new Float32Array(FEATURES);
  let gb = 0;
  let loss = 0;
  for (let s = from; s < from + n; s++) {
    let r = (p.b[0] as number) - (data.y[s] as number);
    for (let j = 0; j < FEATURES; j++) r += (data.x[s * FEATURES + j] as number) * (p.w[j] as number);
    loss += r * r;
    for (let j = 0; j < FEATURES; j++) gw[j] = (gw[j] as number) + (2 * r * (data.x[s * FEATURES + j] as number)) / n;
    gb += (2 * r) / n;
  }
  return { loss: loss / n, grads: { w: gw, b: Float32Array.of(gb) } };
}

/** The loss on the next minibatch each call (cycling through the data). */
function minibatches(data: { x: Float32Array; y: Float32Array }): (p: Params) => { loss: number; grads: Params } {
  let next = 0;
  return (p) => {
    const out = mse(p, data, next, BATCH);
    next = (next + BATCH) % SAMPLES;
    return out;
  };
}

/** The plot: raw and smoothed loss against the learning rate, the suggestion marked. */
export function lrFinderSpec(r: LrFinderResult): TopLevelSpec {
  const values = r.learningRates.flatMap((lr, i) => [
    { lr, loss: r.losses[i], series: 'loss' },
    { lr, loss: r.smoothedLosses[i], series: 'smoothed loss' },
  ]);
  const x = { field: 'lr', type: 'quantitative', title: 'learning rate', scale: { type: 'log' } } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `Learning-rate finder: suggestion ${r.suggestion?.toExponential(1) ?? 'none'}`,
    width: 560,
    height: 300,
    background: 'white',
    layer: [
      {
        data: { values },
        mark: { type: 'line', strokeWidth: 1.5 },
        encoding: { x, y: { field: 'loss', type: 'quantitative', title: 'minibatch loss', scale: { type: 'log' } }, color: { field: 'series', type: 'nominal', title: null, legend: { orient: 'top-left' } } },
      },
      {
        data: { values: r.suggestion === undefined ? [] : [{ lr: r.suggestion }] },
        mark: { type: 'rule', strokeDash: [4, 4], color: 'black' },
        encoding: { x },
      },
    ],
  };
}

/** What {@link main} found. */
export interface LrFinderExampleResult {
  readonly finder: LrFinderResult;
  /** Full-data loss before and after 300 steps at the suggested rate. */
  readonly before: number;
  readonly after: number;
  /** The SVG written, if any. */
  readonly plot: string | undefined;
}

/** Runs the sweep, trains at the suggestion, plots to `outDir` (`null`: no plot). */
export async function main(outDir: string | null = 'out'): Promise<LrFinderExampleResult> {
  const data = makeData(7);
  const params: Params = { w: new Float32Array(FEATURES), b: new Float32Array(1) };
  const makeOptimizer = (learningRate: Parameters<typeof sgd>[0]['learningRate']) => sgd({ learningRate, momentum: 0.9 });

  const finder = lrFinder({ params, lossAndGrad: minibatches(data), optimizer: makeOptimizer, startLearningRate: 1e-6, endLearningRate: 10 });
  const lr = finder.suggestion ?? 1e-3;
  console.log(`swept ${String(finder.learningRates.length)} rates (${finder.stoppedBy}); suggested learning rate: ${lr.toExponential(2)}`);

  // Train for real from the untouched params, at the suggested rate.
  const optimizer = makeOptimizer(lr);
  const batches = minibatches(data);
  let p = params;
  let state = optimizer.init(p);
  for (let step = 0; step < 300; step++) {
    const [updates, next] = optimizer.update(batches(p).grads, state, p);
    p = applyUpdates(p, updates);
    state = next;
  }
  const before = mse(params, data, 0, SAMPLES).loss;
  const after = mse(p, data, 0, SAMPLES).loss;
  console.log(`loss ${before.toFixed(4)} -> ${after.toFixed(4)} after 300 steps`);

  let plot: string | undefined;
  if (outDir !== null) {
    mkdirSync(outDir, { recursive: true });
    plot = join(outDir, 'lr-finder.svg');
    const view = new View(parse(compile(lrFinderSpec(finder)).spec), { renderer: 'none' });
    writeFileSync(plot, await view.toSVG());
    view.finalize();
    console.log(`plot: ${plot}`);
  }
  return { finder, before, after, plot };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
