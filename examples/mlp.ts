/**
 * A small multi-layer perceptron with a hand-written forward and backward pass, for the
 * examples. Parameters are a gradfuse pytree `{ dense1: { w, b }, dense2: { w, b } }` of
 * Float32Arrays, so any gradfuse optimizer (pure or compiled) can train it.
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
