import { adam, applyUpdates, multiSteps } from '../../src/index.js';

// Gradient accumulation: four micro-batches per optimizer step (an effective batch 4x larger).
// PyTorch: call loss.backward() four times (dividing the loss by 4), then optimizer.step().
const optimizer = multiSteps(adam({ learningRate: 1e-2 }), { everyK: 4 });

let params = { w: Float64Array.from([1, -1]) };
let state = optimizer.init(params);
const microBatches = [
  [0.4, -0.2],
  [0.2, -0.4],
  [0.6, 0],
  [0.4, -0.2],
];
for (const g of microBatches) {
  const [updates, next] = optimizer.update({ w: Float64Array.from(g) }, state, params);
  params = applyUpdates(params, updates); // zero on the first three calls
  state = next;
  console.log(optimizer.hasUpdated(state), Array.from(params.w, (x) => x.toFixed(4)));
}
// One Adam step on the mean gradient [0.4, -0.2]: each weight moved by the learning rate.
// false [ '1.0000', '-1.0000' ] (three times), then true [ '0.9900', '-0.9900' ]
