import { adamw, chain, clipByGlobalNorm, compile, warmupCosineDecay } from '../../src/index.js';

const optimizer = chain(
  clipByGlobalNorm(1),
  adamw({ learningRate: warmupCosineDecay({ initValue: 0, peakValue: 1e-3, warmupSteps: 10, decaySteps: 1000 }) }),
);
const initial = { dense: { w: new Float32Array(256).fill(0.1), b: new Float64Array(16) } };

// 'auto' takes WebAssembly SIMD where it runs (else js, else closure); 'wasm' insists on it.
// Left out, `backend` is js: the same numbers as optimizer.update, bit for bit.
const fast = compile(optimizer, initial, { backend: 'auto' });
const exact = compile(optimizer, initial, { backend: 'js' });
console.log(fast.backend, exact.backend); // 'wasm' 'js' (Node 20+, current browsers)

// The flat storage lives in a WebAssembly.Memory; params and grads are views into it, as usual.
console.log(Object.prototype.toString.call(fast.storage.memory));
for (let step = 0; step < 20; step++) {
  for (const c of [fast, exact]) {
    c.grads.dense.w.fill(0.5 - step / 40);
    c.grads.dense.b.fill(-0.25);
    c.step();
  }
}

// float32 leaves run in f32x4 lanes, float64 leaves in f64x2 lanes: within a few float32 ulps
// of the exact backend here; float64 leaves only differ through the reordered sum of squares.
const relative = (a: ArrayLike<number>, b: ArrayLike<number>): number =>
  Math.max(...Array.from(a, (x, i) => Math.abs(x - (b[i] ?? 0)) / Math.abs(b[i] ?? 1)));
console.log(relative(fast.params.dense.w, exact.params.dense.w) < 1e-6, relative(fast.params.dense.b, exact.params.dense.b) < 1e-14);

// The module's text form (WAT): one exported function per pass, for printing and debugging.
const wat = fast.source.split('\n');
console.log(wat.slice(0, 3).join('\n'));
console.log(wat.filter((line) => line.includes('(func ')).join('\n'));
