import { adamw, chain, clipByGlobalNorm, compile, warmupCosineDecay } from '../../src/index.js';

const optimizer = chain(
  clipByGlobalNorm(1),
  adamw({ learningRate: warmupCosineDecay({ initValue: 0, peakValue: 1e-3, warmupSteps: 100, decaySteps: 10_000 }) }),
);
const initial = { dense: { w: new Float32Array(4 * 3).fill(0.1), b: new Float32Array(3) } };

// One contiguous buffer per role (params, grads, each state slot); `params` and `grads` are
// views into them with the structure you passed.
const compiled = compile(optimizer, initial);
for (let step = 0; step < 10; step++) {
  compiled.grads.dense.w.fill(0.5); // your backward pass writes here
  compiled.grads.dense.b.fill(-0.5);
  compiled.step(); // the whole chain, fused, in place, allocation-free
}
console.log(compiled.params.dense.w[0], compiled.state[1][0].count);

// The generated code: one named function per pass, with a sourceURL for the debugger.
console.log(compiled.backend, compiled.passCount);
console.log(compiled.source.split('\n').slice(0, 12).join('\n'));

// The pure form gives the same numbers as optimizer.update, bit for bit.
const state = optimizer.init(initial);
const grads = { dense: { w: new Float32Array(12).fill(0.5), b: new Float32Array(3).fill(-0.5) } };
const [fused] = compile(optimizer, initial, { backend: 'closure' }).update(grads, state, initial);
const [reference] = optimizer.update(grads, state, initial);
console.log(fused.dense.w.every((x, i) => Object.is(x, reference.dense.w[i])));
