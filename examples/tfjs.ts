import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { adamw, chain, clipByGlobalNorm, warmupCosineDecay } from '../src/index.js';
import { tfjsOptimizer } from '../src/adapters/tfjs.js';

tf.env().set('PROD', true); // no "install tfjs-node" banner
await tf.ready();

// Fit y = sin(3x) on [-1, 1] with a 1-32-1 tanh network of tf.Variables.
const x = tf.reshape(tf.linspace(-1, 1, 128), [128, 1]);
const y = tf.sin(tf.mul(x, 3));
const glorot = (rows: number, cols: number, seed: number): tf.Tensor =>
  tf.randomUniform([rows, cols], -Math.sqrt(6 / (rows + cols)), Math.sqrt(6 / (rows + cols)), 'float32', seed);
const vars = {
  w1: tf.variable(glorot(1, 32, 1)),
  b1: tf.variable(tf.zeros([32])),
  w2: tf.variable(glorot(32, 1, 2)),
  b2: tf.variable(tf.zeros([1])),
};

// Warm-up + cosine decay and decoupled weight decay: what tf.train lacks.
const steps = 400;
const learningRate = warmupCosineDecay({ initValue: 0, peakValue: 0.05, warmupSteps: 40, decaySteps: steps, endValue: 1e-4 });
const opt = tfjsOptimizer(tf, chain(clipByGlobalNorm(1), adamw({ learningRate, weightDecay: 1e-4 })), vars);

// The loss and its gradients, written out with functional ops (tfjs-core alone has no
// gradient registry; with the full @tensorflow/tfjs package, tf.variableGrads works too).
function lossAndGrads(): { loss: tf.Scalar; grads: Record<keyof typeof vars, tf.Tensor> } {
  return tf.tidy(() => {
    const h = tf.tanh(tf.add(tf.matMul(x, vars.w1), vars.b1));
    const err = tf.sub(tf.add(tf.matMul(h, vars.w2), vars.b2), y);
    const dOut = tf.mul(err, 2 / 128);
    const dz = tf.mul(tf.matMul(dOut, vars.w2, false, true), tf.sub(1, tf.square(h)));
    return {
      loss: tf.mean(tf.square(err)),
      grads: { w1: tf.matMul(x, dz, true), b1: tf.sum(dz, 0), w2: tf.matMul(h, dOut, true), b2: tf.sum(dOut, 0) },
    };
  });
}

const tensorsBefore = tf.memory().numTensors;
for (let step = 0; step <= steps; step++) {
  const { loss, grads } = lossAndGrads();
  if (step % 100 === 0) console.log(`step ${String(step).padStart(3)}  loss ${loss.dataSync()[0]?.toFixed(5) ?? ''}  lr ${learningRate(step).toExponential(2)}`);
  if (step < steps) opt.applyGradients(grads); // names, not positions, match gradients to variables
  tf.dispose([loss, ...Object.values(grads)]);
}
console.log(`tensors in memory: ${String(tensorsBefore)} before training, ${String(tf.memory().numTensors)} after`);

tf.dispose([x, y, ...Object.values(vars)]);
