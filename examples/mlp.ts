/**
 * A small multi-layer perceptron (one tanh hidden layer) with a hand-written forward and
 * backward pass, for the examples. Parameters are a gradfuse pytree
 * `{ dense1: { w, b }, dense2: { w, b } }` of Float32Arrays (weights row-major,
 * `w[i * outputs + j]` from input `i` to unit `j`), so any gradfuse optimizer, pure or compiled,
 * can train it: with `compile`, the model reads `compiled.params` and writes `compiled.grads`.
 *
 * Two heads: regression (`mseLossAndGrad`) and classification (`softmaxCrossEntropyLossAndGrad`,
 * `predict`, `accuracy`).
 */

export interface MlpParams {
  readonly dense1: { readonly w: Float32Array; readonly b: Float32Array };
  readonly dense2: { readonly w: Float32Array; readonly b: Float32Array };
}

/** A seeded generator of uniform numbers in [0, 1) (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Glorot-uniform weights, zero biases. */
export function initMlp(inputs: number, hidden: number, outputs: number, seed = 0): MlpParams {
  const random = rng(seed);
  const glorot = (fanIn: number, fanOut: number): Float32Array => {
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    return Float32Array.from({ length: fanIn * fanOut }, () => (random() * 2 - 1) * limit);
  };
  return {
    dense1: { w: glorot(inputs, hidden), b: new Float32Array(hidden) },
    dense2: { w: glorot(hidden, outputs), b: new Float32Array(outputs) },
  };
}

/**
 * Mean squared error of a tanh MLP over a batch (row-major `x`: n × inputs, `y`: n × outputs),
 * and its gradient written into `grads` (same structure as params).
 */
export function mseLossAndGrad(params: MlpParams, x: Float32Array, y: Float32Array, n: number, grads: MlpParams): number {
  const { w: w1, b: b1 } = params.dense1;
  const { w: w2, b: b2 } = params.dense2;
  const hidden = b1.length;
  const outputs = b2.length;
  const inputs = w1.length / hidden;
  for (const g of [grads.dense1.w, grads.dense1.b, grads.dense2.w, grads.dense2.b]) g.fill(0);
  const h = new Float64Array(hidden);
  const dh = new Float64Array(hidden);
  let loss = 0;
  for (let s = 0; s < n; s++) {
    for (let j = 0; j < hidden; j++) {
      let z = b1[j] as number;
      for (let i = 0; i < inputs; i++) z += (x[s * inputs + i] as number) * (w1[i * hidden + j] as number);
      h[j] = Math.tanh(z);
    }
    dh.fill(0);
    for (let k = 0; k < outputs; k++) {
      let out = b2[k] as number;
      for (let j = 0; j < hidden; j++) out += (h[j] as number) * (w2[j * outputs + k] as number);
      const err = out - (y[s * outputs + k] as number);
      loss += err * err;
      const dOut = (2 * err) / (n * outputs);
      grads.dense2.b[k] = (grads.dense2.b[k] as number) + dOut;
      for (let j = 0; j < hidden; j++) {
        grads.dense2.w[j * outputs + k] = (grads.dense2.w[j * outputs + k] as number) + dOut * (h[j] as number);
        dh[j] = (dh[j] as number) + dOut * (w2[j * outputs + k] as number);
      }
    }
    for (let j = 0; j < hidden; j++) {
      const dz = (dh[j] as number) * (1 - (h[j] as number) ** 2);
      grads.dense1.b[j] = (grads.dense1.b[j] as number) + dz;
      for (let i = 0; i < inputs; i++) grads.dense1.w[i * hidden + j] = (grads.dense1.w[i * hidden + j] as number) + dz * (x[s * inputs + i] as number);
    }
  }
  return loss / (n * outputs);
}

/** Fresh zero gradients shaped like the params. */
export function zeroGrads(params: MlpParams): MlpParams {
  return {
    dense1: { w: new Float32Array(params.dense1.w.length), b: new Float32Array(params.dense1.b.length) },
    dense2: { w: new Float32Array(params.dense2.w.length), b: new Float32Array(params.dense2.b.length) },
  };
}

/** A seeded permutation of `0 .. n-1` (Fisher-Yates over {@link rng}). */
export function shuffled(n: number, random: () => number): Int32Array {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = order[i] as number;
    order[i] = order[j] as number;
    order[j] = t;
  }
  return order;
}

/**
 * The hidden layer for sample `s` of row-major `x`, written into `h`: `tanh(x_s · w1 + b1)`.
 * Zero inputs are skipped (most pixels of a digit are 0), and `w1` is read row by row.
 */
function hiddenLayer(params: MlpParams, x: Float32Array, s: number, h: Float64Array): void {
  const { w: w1, b: b1 } = params.dense1;
  const hidden = b1.length;
  const inputs = w1.length / hidden;
  for (let j = 0; j < hidden; j++) h[j] = b1[j] as number;
  for (let i = 0; i < inputs; i++) {
    const xi = x[s * inputs + i] as number;
    if (xi === 0) continue;
    const row = i * hidden;
    for (let j = 0; j < hidden; j++) h[j] = (h[j] as number) + xi * (w1[row + j] as number);
  }
  for (let j = 0; j < hidden; j++) h[j] = Math.tanh(h[j] as number);
}

/** The logits of the output layer from the hidden activations, written into `logits`. */
function outputLayer(params: MlpParams, h: Float64Array, logits: Float64Array): void {
  const { w: w2, b: b2 } = params.dense2;
  const outputs = b2.length;
  for (let k = 0; k < outputs; k++) logits[k] = b2[k] as number;
  for (let j = 0; j < h.length; j++) {
    const hj = h[j] as number;
    const row = j * outputs;
    for (let k = 0; k < outputs; k++) logits[k] = (logits[k] as number) + hj * (w2[row + k] as number);
  }
}

/**
 * Mean softmax cross-entropy of a tanh MLP over the samples `batch` (indices into row-major
 * `x`: samples × inputs, and `labels`: class indices), and its gradient written into `grads`
 * (same structure as params). The softmax subtracts the largest logit first, so it never
 * overflows.
 */
export function softmaxCrossEntropyLossAndGrad(
  params: MlpParams,
  x: Float32Array,
  labels: Uint8Array,
  batch: ArrayLike<number>,
  grads: MlpParams,
): number {
  const { w: w2 } = params.dense2;
  const hidden = params.dense1.b.length;
  const inputs = params.dense1.w.length / hidden;
  const outputs = params.dense2.b.length;
  const gw1 = grads.dense1.w;
  const gb1 = grads.dense1.b;
  const gw2 = grads.dense2.w;
  const gb2 = grads.dense2.b;
  for (const g of [gw1, gb1, gw2, gb2]) g.fill(0);
  const h = new Float64Array(hidden);
  const dz = new Float64Array(hidden);
  const logits = new Float64Array(outputs);
  const n = batch.length;
  let loss = 0;
  for (let b = 0; b < n; b++) {
    const s = batch[b] as number;
    hiddenLayer(params, x, s, h);
    outputLayer(params, h, logits);
    let max = -Infinity;
    for (let k = 0; k < outputs; k++) max = Math.max(max, logits[k] as number);
    const label = labels[s] as number;
    const shiftedLabelLogit = (logits[label] as number) - max;
    let sum = 0;
    for (let k = 0; k < outputs; k++) {
      const e = Math.exp((logits[k] as number) - max);
      logits[k] = e; // from here on, logits holds exp(logit - max)
      sum += e;
    }
    loss += Math.log(sum) - shiftedLabelLogit;
    // d loss / d logit_k = (softmax_k - [k = label]) / n
    for (let k = 0; k < outputs; k++) logits[k] = ((logits[k] as number) / sum - (k === label ? 1 : 0)) / n;
    for (let k = 0; k < outputs; k++) gb2[k] = (gb2[k] as number) + (logits[k] as number);
    for (let j = 0; j < hidden; j++) {
      const hj = h[j] as number;
      const row = j * outputs;
      let dh = 0;
      for (let k = 0; k < outputs; k++) {
        const d = logits[k] as number;
        gw2[row + k] = (gw2[row + k] as number) + hj * d;
        dh += (w2[row + k] as number) * d;
      }
      dz[j] = dh * (1 - hj * hj);
    }
    for (let j = 0; j < hidden; j++) gb1[j] = (gb1[j] as number) + (dz[j] as number);
    for (let i = 0; i < inputs; i++) {
      const xi = x[s * inputs + i] as number;
      if (xi === 0) continue;
      const row = i * hidden;
      for (let j = 0; j < hidden; j++) gw1[row + j] = (gw1[row + j] as number) + xi * (dz[j] as number);
    }
  }
  return loss / n;
}

/** The most likely class of sample `s` of row-major `x`. */
export function predict(params: MlpParams, x: Float32Array, s: number): number {
  const h = new Float64Array(params.dense1.b.length);
  const logits = new Float64Array(params.dense2.b.length);
  hiddenLayer(params, x, s, h);
  outputLayer(params, h, logits);
  let best = 0;
  for (let k = 1; k < logits.length; k++) if ((logits[k] as number) > (logits[best] as number)) best = k;
  return best;
}

/** The fraction of the samples of row-major `x` whose predicted class is their label. */
export function accuracy(params: MlpParams, x: Float32Array, labels: Uint8Array): number {
  let correct = 0;
  for (let s = 0; s < labels.length; s++) if (predict(params, x, s) === labels[s]) correct++;
  return labels.length === 0 ? 0 : correct / labels.length;
}
