import { adamw, injectHyperparams, warmupCosineDecay } from '../../src/index.js';

const params = { w: Float32Array.from([1, 2, 3]) };
const optimizer = injectHyperparams(adamw)({
  learningRate: warmupCosineDecay({ initValue: 0, peakValue: 0.01, warmupSteps: 10, decaySteps: 100 }),
  weightDecay: 1e-2,
});

let state = optimizer.init(params);
for (let step = 0; step < 20; step++) {
  const grads = { w: params.w.map((w) => 2 * w) };
  state = optimizer.update(grads, state, params)[1];
}
// The learning rate of the last update, for logging:
console.log(state.hyperparams.learningRate);
// Change the weight decay between steps, without rebuilding the optimizer:
state = { ...state, hyperparams: { ...state.hyperparams, weightDecay: 0 } };
console.log(state.hyperparams.weightDecay);
