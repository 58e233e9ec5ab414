import { adam, adamw, applyUpdates, labelsByPath, multiTransform, tensor, toSpec } from '../../src/index.js';

// PyTorch's parameter groups: weight decay on the matrices only, none on biases and norm scales.
//   torch.optim.AdamW([{ params: matrices, weight_decay: 1e-2 }, { params: rest, weight_decay: 0 }], lr=1e-3)
const params = {
  dense: { w: tensor(Float32Array.from([0.5, -0.25, 1, 2]), [2, 2]), b: Float32Array.from([0.1, -0.1]) },
  norm: { scale: Float32Array.from([1, 1]) },
};

const optimizer = multiTransform({
  transforms: {
    decay: adamw({ learningRate: 1e-3, weightDecay: 1e-2 }),
    noDecay: adam({ learningRate: 1e-3 }),
  },
  // A label per leaf, from its path and shape: matrices get 'decay'.
  paramLabels: labelsByPath((path, leaf) => (leaf.shape.length > 1 ? 'decay' : 'noDecay')),
});

let state = optimizer.init(params);
const grads = {
  dense: { w: tensor(Float32Array.from([0.1, 0.2, -0.3, 0.4]), [2, 2]), b: Float32Array.from([0.5, -0.5]) },
  norm: { scale: Float32Array.from([0.01, -0.01]) },
};
const [updates, next] = optimizer.update(grads, state, params);
state = next;
console.log(applyUpdates(params, updates).dense.b); // each bias moved by about 1e-3

// Written as a label tree instead of a function, the optimizer is plain JSON (a prefix of the
// params tree: one label covers a whole subtree).
const described = multiTransform({
  transforms: { decay: adamw({ learningRate: 1e-3, weightDecay: 1e-2 }), noDecay: adam({ learningRate: 1e-3 }) },
  paramLabels: { dense: { w: 'decay', b: 'noDecay' }, norm: 'noDecay' },
});
console.log(JSON.stringify(toSpec(described).paramLabels)); // {"dense":{"w":"decay","b":"noDecay"},"norm":"noDecay"}
