// Requires the built package by its own name, as CommonJS, and runs one optimizer step.
const { adamw, applyUpdates, chain, clipByGlobalNorm } = require('gradfuse');

const params = { w: new Float64Array([1, -2, 3]) };
const opt = chain(clipByGlobalNorm(1), adamw({ learningRate: 0.1 }));
const [updates] = opt.update({ w: new Float64Array([0.5, 0.5, 0.5]) }, opt.init(params), params);
const next = applyUpdates(params, updates);
if (!(next.w instanceof Float64Array) || !(next.w[0] < 1)) throw new Error('CJS smoke test failed');
console.log('cjs ok', Array.from(next.w).map((x) => x.toFixed(4)).join(' '));

const { formatFloatArray } = require('gradfuse/testing');
if (formatFloatArray(Float32Array.of(0.1)) !== 'Float32Array(1) [0.1]') throw new Error('gradfuse/testing CJS smoke test failed');
console.log('cjs gradfuse/testing ok');

const tf = require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-backend-cpu');
const { tfjsOptimizer } = require('gradfuse/tfjs');
const v = tf.variable(tf.tensor1d([1, 2, 3]));
tfjsOptimizer(tf, adamw({ learningRate: 0.1 }), { v }).applyGradients({ v: tf.tensor1d([1, 1, 1]) });
if (!(v.dataSync()[0] < 1)) throw new Error('gradfuse/tfjs CJS smoke test failed');
console.log('cjs gradfuse/tfjs ok');
