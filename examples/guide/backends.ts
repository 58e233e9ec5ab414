import { adamw, canEvaluate, chain, clipByGlobalNorm, compile, printKernel, wasmSimdAvailable } from '../../src/index.js';

const optimizer = chain(clipByGlobalNorm(1), adamw({ learningRate: 1e-3, weightDecay: 1e-2 }));
const params = { w: new Float32Array(8).fill(0.5), b: new Float32Array(2) };

// The math of every member, as the compiler sees it: the same for all backends.
console.log(printKernel(optimizer));

// What this runtime offers: WebAssembly SIMD, and `new Function` (a CSP without 'unsafe-eval' forbids it).
console.log({ wasmSimd: wasmSimdAvailable(), newFunction: canEvaluate() });

for (const backend of ['js', 'closure', 'wasm', 'auto'] as const) {
  const compiled = compile(optimizer, params, { backend });
  compiled.grads.w.fill(0.25); // the backward pass writes the gradients here
  compiled.step(); // the fused step, in place
  console.log(`${backend} runs as ${compiled.backend}: ${String(compiled.passCount)} passes, w[0] = ${String(compiled.params.w[0])}`);
}

// The generated code: JavaScript for 'js' (and the loop IR behind 'closure'), the module's text (WAT) for 'wasm'.
console.log(compile(optimizer, params, { backend: 'js' }).source);
