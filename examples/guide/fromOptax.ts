import { adamw, addDecayedWeights, applyUpdates, chain, clipByGlobalNorm, injectHyperparams, masked, warmupCosineDecay } from '../../src/index.js';

// schedule = optax.warmup_cosine_decay_schedule(init_value=0.0, peak_value=1e-3, warmup_steps=100, decay_steps=1000)
const schedule = warmupCosineDecay({ initValue: 0, peakValue: 1e-3, warmupSteps: 100, decaySteps: 1000 });

// optimizer = optax.chain(optax.clip_by_global_norm(1.0),
//                         optax.inject_hyperparams(optax.adamw)(learning_rate=schedule, weight_decay=1e-2))
const optimizer = chain(clipByGlobalNorm(1), injectHyperparams(adamw)({ learningRate: schedule, weightDecay: 1e-2 }));

// params: a pytree of float arrays; opt_state = optimizer.init(params)
let params = { dense: { w: new Float32Array([0.5, -0.25, 1]), b: new Float32Array([0]) } };
let state = optimizer.init(params);

// updates, opt_state = optimizer.update(grads, opt_state, params); params = optax.apply_updates(params, updates)
for (let step = 0; step < 3; step++) {
  const grads = { dense: { w: params.dense.w.map((w) => 2 * w), b: new Float32Array([0.1]) } };
  const [updates, next] = optimizer.update(grads, state, params);
  params = applyUpdates(params, updates);
  state = next;
}

// opt_state[1].hyperparams['learning_rate']: the state is a tuple, indexed the same way
console.log(state[1].hyperparams.learningRate, params.dense.w);

// optax.masked(optax.add_decayed_weights(1e-2), mask): a mask is a tree of booleans (or a prefix, or a function)
export const decayWeightsOnly = masked(addDecayedWeights({ weightDecay: 1e-2 }), { dense: { w: true, b: false } });
