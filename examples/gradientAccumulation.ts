/**
 * Gradient accumulation (`npm run example:gradient-accumulation`): `multiSteps(opt, { everyK: k })`
 * on micro-batches of b samples takes the same steps as `opt` on batches of k·b samples.
 *
 * When a batch of 32 does not fit (in memory, in a GPU, in a worker), split it into k = 4
 * micro-batches of 8: `multiSteps` averages their gradients and steps the inner optimizer once
 * every 4 calls, returning zero updates in between; Adam's bias correction and the learning-rate
 * schedule count inner steps only. With a loss that is a mean over the batch and equal-sized
 * micro-batches, the mean of the micro-batch gradients *is* the big-batch gradient, so the two
 * runs agree up to rounding (float64 here). This example trains a linear regression both ways
 * and prints the largest difference between the two runs' params after every step.
 */
import { pathToFileURL } from 'node:url';
import { type GradientTransformation, adam, applyUpdates, multiSteps, warmupCosineDecay } from '../src/index.js';
import { rng } from './mlp.js';

type Params = { w: Float64Array; b: Float64Array };

/** Samples `x` (row-major, n × 3) and targets `y = x·[2, -1, 0.5] + 0.3 + noise`. */
export function makeData(n: number, seed: number): { readonly x: Float64Array; readonly y: Float64Array } {
  const random = rng(seed);
  const x = Float64Array.from({ length: n * 3 }, () => random() * 4 - 2);
  const y = Float64Array.from({ length: n }, (_, s) => 2 * (x[3 * s] as number) - (x[3 * s + 1] as number) + 0.5 * (x[3 * s + 2] as number) + 0.3 + 0.1 * (random() - 0.5));
  return { x, y };
}

/** Mean squared error over samples `[from, to)` and its gradient. */
export function lossAndGrad(params: Params, x: Float64Array, y: Float64Array, from: number, to: number): [number, Params] {
  const grads = { w: new Float64Array(3), b: new Float64Array(1) };
  const n = to - from;
  let loss = 0;
  for (let s = from; s < to; s++) {
    let err = (params.b[0] as number) - (y[s] as number);
    for (let f = 0; f < 3; f++) err += (params.w[f] as number) * (x[3 * s + f] as number);
    loss += (err * err) / n;
    for (let f = 0; f < 3; f++) grads.w[f] = (grads.w[f] as number) + (2 * err * (x[3 * s + f] as number)) / n;
    grads.b[0] = (grads.b[0] as number) + (2 * err) / n;
  }
  return [loss, grads];
}

/** Options of {@link main}. */
export interface AccumulationOptions {
  /** Micro-batches per step, k. Default 4. */
  readonly everyK?: number;
  /** Samples per micro-batch, b. Default 8. */
  readonly microBatch?: number;
  /** Passes over the 128 samples. Default 30. */
  readonly epochs?: number;
}

/** What {@link main} measured. */
export interface AccumulationResult {
  /** Optimizer steps taken by each run. */
  readonly steps: number;
  /** The largest |difference| between the two runs' params, over every step and element. */
  readonly maxDifference: number;
  /** Full-data loss before and after training (big-batch run). */
  readonly lossBefore: number;
  readonly lossAfter: number;
  readonly bigBatch: Params;
  readonly accumulated: Params;
}

/** Trains the regression with big batches and with accumulated micro-batches, side by side. */
export function main(options: AccumulationOptions = {}): AccumulationResult {
  const k = options.everyK ?? 4;
  const b = options.microBatch ?? 8;
  const epochs = options.epochs ?? 30;
  const n = 128;
  const { x, y } = makeData(n, 0);
  // The inner optimizer counts its own steps: the schedule runs over optimizer steps, not calls.
  const stepsPerEpoch = n / (k * b);
  const makeOptimizer = (): GradientTransformation =>
    adam({ learningRate: warmupCosineDecay({ initValue: 0, peakValue: 0.1, warmupSteps: 5, decaySteps: epochs * stepsPerEpoch }) });

  const start: Params = { w: new Float64Array(3), b: new Float64Array(1) };
  const big = makeOptimizer();
  const accumulate = multiSteps(makeOptimizer(), { everyK: k });
  let bigParams = start;
  let bigState = big.init(bigParams);
  let accParams = start;
  let accState = accumulate.init(accParams);
  let steps = 0;
  let maxDifference = 0;
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (let from = 0; from < n; from += k * b) {
      // One step on a batch of k·b samples...
      const [, grads] = lossAndGrad(bigParams, x, y, from, from + k * b);
      const [updates, next] = big.update(grads, bigState, bigParams);
      bigParams = applyUpdates(bigParams, updates);
      bigState = next;
      steps++;

      // ...and k calls on its micro-batches of b: zero updates, then the step on the mean gradient.
      for (let micro = 0; micro < k; micro++) {
        const [, microGrads] = lossAndGrad(accParams, x, y, from + micro * b, from + (micro + 1) * b);
        const [microUpdates, microNext] = accumulate.update(microGrads, accState, accParams);
        accParams = applyUpdates(accParams, microUpdates);
        accState = microNext;
        if (accumulate.hasUpdated(accState) !== (micro === k - 1)) throw new Error('multiSteps stepped off its schedule');
      }
      const diffs = [...bigParams.w, ...bigParams.b].map((v, i) => Math.abs(v - ([...accParams.w, ...accParams.b][i] as number)));
      maxDifference = Math.max(maxDifference, ...diffs);
    }
  }
  const [lossBefore] = lossAndGrad(start, x, y, 0, n);
  const [lossAfter] = lossAndGrad(bigParams, x, y, 0, n);
  const show = (p: Params): string => [...p.w, ...p.b].map((v) => v.toFixed(6)).join(', ');
  console.log(`linear regression, ${String(n)} samples: ${String(steps)} adam steps on batches of ${String(k * b)} vs multiSteps(adam, { everyK: ${String(k)} }) on micro-batches of ${String(b)}`);
  console.log(`loss: ${lossBefore.toFixed(4)} -> ${lossAfter.toFixed(6)}`);
  console.log(`big batch:   w, b = ${show(bigParams)}`);
  console.log(`accumulated: w, b = ${show(accParams)}`);
  console.log(`largest difference over all ${String(steps)} steps: ${maxDifference.toExponential(2)}`);
  return { steps, maxDifference, lossBefore, lossAfter, bigBatch: bigParams, accumulated: accParams };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main();
