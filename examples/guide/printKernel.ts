import { adamw, chain, clipByGlobalNorm, printKernel } from '../../src/index.js';

// Each transformation is data: print the whole chain's element-wise math.
console.log(printKernel(chain(clipByGlobalNorm(1), adamw({ learningRate: 1e-3 }))));
