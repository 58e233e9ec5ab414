import { adam, applyUpdates, chain, freeze, masked, maskByPath, scale, selectiveTransform } from '../../src/index.js';

const params = { encoder: { w: Float64Array.from([1, 2]) }, head: { w: Float64Array.from([3, 4]) } };
const grads = { encoder: { w: Float64Array.from([1, 1]) }, head: { w: Float64Array.from([1, 1]) } };

// masked: leaves where the mask is false pass through UNCHANGED (here: the raw gradient).
const halfOnHead = masked(scale(0.5), { encoder: false, head: true });
const [u1] = halfOnHead.update(grads, halfOnHead.init(params), params);
console.log(Array.from(u1.encoder.w), Array.from(u1.head.w)); // [ 1, 1 ] [ 0.5, 0.5 ]

// freeze: the leaves where the mask is TRUE get zero updates (fine-tune the head only).
const fineTune = chain(freeze({ encoder: true, head: false }), adam({ learningRate: 0.1 }));
const [u2] = fineTune.update(grads, fineTune.init(params), params);
console.log(Array.from(applyUpdates(params, u2).encoder.w)); // [ 1, 2 ]: the encoder did not move

// selectiveTransform: the optimizer never sees the frozen leaves (no moments kept for them).
// A mask may also be a function of each leaf's path: here, every path under "encoder".
const frozen = maskByPath((path) => path.startsWith('encoder.'));
const selective = selectiveTransform(adam({ learningRate: 0.1 }), { freezeMask: frozen });
const [u3] = selective.update(grads, selective.init(params), params);
console.log(Array.from(u3.encoder.w), Array.from(u3.head.w, (x) => x.toFixed(4))); // [ 0, 0 ] [ '-0.1000', '-0.1000' ]
