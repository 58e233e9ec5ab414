// Imports the built package by its own name, as ESM, and runs one optimizer step.
import { adamw, applyUpdates, chain, clipByGlobalNorm } from 'gradfuse';

const params = { w: new Float32Array([1, -2, 3]) };
const opt = chain(clipByGlobalNorm(1), adamw({ learningRate: 0.1 }));
const [updates] = opt.update({ w: new Float32Array([0.5, 0.5, 0.5]) }, opt.init(params), params);
const next = applyUpdates(params, updates);
if (!(next.w instanceof Float32Array) || !(next.w[0] < 1)) throw new Error('ESM smoke test failed');
console.log('esm ok', Array.from(next.w).map((x) => x.toFixed(4)).join(' '));

const { formatFloatArray } = await import('gradfuse/testing');
if (formatFloatArray(Float32Array.of(0.1)) !== 'Float32Array(1) [0.1]') throw new Error('gradfuse/testing ESM smoke test failed');
console.log('esm gradfuse/testing ok');

const tf = await import('@tensorflow/tfjs-core');
await import('@tensorflow/tfjs-backend-cpu');
const { tfjsOptimizer } = await import('gradfuse/tfjs');
const v = tf.variable(tf.tensor1d([1, 2, 3]));
const tfOpt = tfjsOptimizer(tf, adamw({ learningRate: 0.1 }), { v });
tfOpt.applyGradients({ v: tf.tensor1d([1, 1, 1]) });
if (!(v.dataSync()[0] < 1)) throw new Error('gradfuse/tfjs ESM smoke test failed');
console.log('esm gradfuse/tfjs ok');
