/**
 * The "overfit ten samples" sanity check (`npm run example:overfit-ten-samples`): before training on a whole
 * dataset, check that the model, its gradients and the optimizer are wired together correctly
 * by driving the loss to about zero on a handful of samples. Ten samples with random labels have
 * nothing to generalise: a model with more parameters than samples must memorise them, so a
 * loss that does not fall to ~0 points at a bug (a wrong sign, a gradient never written, an
 * update never applied, a learning rate off by orders of magnitude), not at the data.
 *
 * The model is the 8-32-3 tanh MLP of examples/mlp.ts, with Adam compiled (`backend: 'auto'`):
 * the backward pass writes `compiled.grads` and `compiled.step()` updates `compiled.params` in
 * place. `flipGradientSign: true` plants a typical bug, and the check catches it.
 */
import { pathToFileURL } from 'node:url';
import { type Backend, adam, compile } from '../src/index.js';
import { accuracy, initMlp, rng, softmaxCrossEntropyLossAndGrad } from './mlp.js';

/** Options of {@link main}. */
export interface OverfitOptions {
  /** Steps. Default 300. */
  readonly steps?: number;
  /** Seeds the samples, the labels and the weights. Default 0. */
  readonly seed?: number;
  /** Plants a bug: the optimizer gets `-gradient` (it climbs the loss). Default false. */
  readonly flipGradientSign?: boolean;
}

/** What {@link main} measured. */
export interface OverfitResult {
  /** The loss before each step, and after the last one at the end (`steps + 1` values). */
  readonly losses: Float64Array;
  /** Accuracy on the ten samples after training. */
  readonly accuracy: number;
  /** Whether the check passed: final loss below 0.01 and every sample classified right. */
  readonly passed: boolean;
  readonly backend: Backend;
}

/** Trains on ten random samples with random labels and reports whether the loss reached ~0. */
export function main(options: OverfitOptions = {}): OverfitResult {
  const steps = options.steps ?? 300;
  const seed = options.seed ?? 0;
  const random = rng(seed);
  const [samples, inputs, hidden, classes] = [10, 8, 32, 3];
  const x = Float32Array.from({ length: samples * inputs }, () => random() * 2 - 1);
  const labels = Uint8Array.from({ length: samples }, () => Math.floor(random() * classes));
  const all = Int32Array.from({ length: samples }, (_, i) => i);

  const compiled = compile(adam({ learningRate: 1e-2 }), initMlp(inputs, hidden, classes, seed), { backend: 'auto' });
  const { params, grads } = compiled;
  const sign = options.flipGradientSign === true ? -1 : 1;
  const losses = new Float64Array(steps + 1);
  for (let step = 0; step < steps; step++) {
    losses[step] = softmaxCrossEntropyLossAndGrad(params, x, labels, all, grads);
    if (sign < 0) for (const g of [grads.dense1.w, grads.dense1.b, grads.dense2.w, grads.dense2.b]) g.forEach((v, i) => { g[i] = -v; });
    compiled.step();
  }
  losses[steps] = softmaxCrossEntropyLossAndGrad(params, x, labels, all, grads);
  const final = losses[steps] as number;
  const acc = accuracy(params, x, labels);
  const passed = final < 0.01 && acc === 1;
  console.log(`${String(samples)} samples, random labels; ${String(inputs)}-${String(hidden)}-${String(classes)} MLP (${String(inputs * hidden + hidden + hidden * classes + classes)} parameters), adam(1e-2) compiled on ${compiled.backend}`);
  for (const step of [0, steps / 10, steps / 3, steps].map(Math.round)) console.log(`step ${String(step).padStart(4)}  loss ${(losses[step] as number).toExponential(3)}`);
  console.log(`accuracy on the ten: ${(100 * acc).toFixed(0)}%`);
  console.log(passed ? 'sanity check passed: the model can learn' : 'sanity check FAILED: the loss did not reach ~0; look for a bug before training for real');
  return { losses, accuracy: acc, passed, backend: compiled.backend };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { passed } = main({ flipGradientSign: process.argv.includes('--bug') });
  if (!passed) process.exitCode = 1;
}
