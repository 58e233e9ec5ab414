import { adamw, applyUpdates, chain, clipByGlobalNorm, fromSpec, loadState, saveState, toSpec, warmupCosineDecay } from '../../src/index.js';

const optimizer = chain(
  clipByGlobalNorm(1),
  adamw({ learningRate: warmupCosineDecay({ initValue: 0, peakValue: 0.1, warmupSteps: 5, decaySteps: 50 }), weightDecay: 1e-2 }),
);

// The optimizer as JSON (every default filled in), and back: the same optimizer.
const specText = JSON.stringify(toSpec(optimizer));
const rebuilt = fromSpec(JSON.parse(specText));
console.log(JSON.stringify(toSpec(rebuilt)) === specText); // true

// A few steps, then a checkpoint of the state: versioned JSON with a checksum.
let params = { w: Float32Array.from([1, -2, 3]) };
let state = optimizer.init(params);
for (let step = 0; step < 10; step++) {
  const [updates, next] = optimizer.update({ w: params.w.map((w) => 2 * w) }, state, params);
  params = applyUpdates(params, updates);
  state = next;
}
const snapshot = JSON.stringify(saveState(state, optimizer));

// Loading checks the snapshot against the optimizer and the params, then the run goes on exactly.
const resumed = loadState(JSON.parse(snapshot), optimizer, params);
const [a] = optimizer.update({ w: params.w.map((w) => 2 * w) }, state, params);
const [b] = optimizer.update({ w: params.w.map((w) => 2 * w) }, resumed, params);
console.log(a.w.every((x, i) => Object.is(x, b.w[i]))); // true
