import { GradfuseError, HyperparameterError, TreeMismatchError, adam } from '../../src/index.js';

try {
  adam({ learningRate: 1e-3, b1: 1.2 });
} catch (e) {
  if (e instanceof HyperparameterError) console.log(e.message); // scaleByAdam: b1 must be a number in [0, 1), got 1.2
}

const optimizer = adam({ learningRate: 1e-3 });
const params = { dense: { w: new Float32Array(12) } };
const state = optimizer.init(params);
try {
  optimizer.update({ dense: { w: new Float32Array(6) } }, state, params);
} catch (e) {
  if (e instanceof TreeMismatchError) console.log(e.path, e.message);
  if (e instanceof GradfuseError) console.log(e._tag);
}
