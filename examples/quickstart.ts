import { adamw, applyUpdates, chain, clipByGlobalNorm, warmupCosineDecay } from '../src/index.js';

// Parameters are a pytree: nested records/arrays of Float32Array or Float64Array leaves.
let params = { w: Float32Array.from([0.5, -1.5, 2.0]), b: Float32Array.from([0]) };

// An optimizer is a value: a chain of small, pure gradient transformations.
const optimizer = chain(
  clipByGlobalNorm(1),
  adamw({
    learningRate: warmupCosineDecay({ initValue: 0, peakValue: 0.1, warmupSteps: 10, decaySteps: 200 }),
    weightDecay: 1e-4,
  }),
);

// Minimise (w - 1)² + (b + 2)², element-wise, with hand-written gradients.
let state = optimizer.init(params);
for (let step = 0; step < 200; step++) {
  const grads = { w: params.w.map((w) => 2 * (w - 1)), b: params.b.map((b) => 2 * (b + 2)) };
  const [updates, next] = optimizer.update(grads, state, params);
  params = applyUpdates(params, updates);
  state = next;
}
console.log(Array.from(params.w, (w) => w.toFixed(3)), Array.from(params.b, (b) => b.toFixed(3)));
