import { addDecayedWeights, applyUpdates, chain, clipByGlobalNorm, scaleByAdam, scaleByLearningRate } from '../../src/index.js';

// adamw, spelled out: clip, Adam's moments, decoupled weight decay (not on biases), then -lr.
const optimizer = chain(
  clipByGlobalNorm(1),
  scaleByAdam({ b1: 0.9, b2: 0.999 }),
  addDecayedWeights({ weightDecay: 1e-2, mask: { w: true, b: false } }),
  scaleByLearningRate(1e-3),
);

const params = { w: Float64Array.from([0.5, -0.5]), b: Float64Array.from([0.1]) };
const state = optimizer.init(params); // [clipState, adamState, decayState, lrState]
const [updates, next] = optimizer.update({ w: Float64Array.from([3, 4]), b: Float64Array.from([0]) }, state, params);
console.log(applyUpdates(params, updates).w, next[1].count);
