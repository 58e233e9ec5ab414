import {
  adabelief,
  adan,
  applyUpdates,
  cosineDecaySchedule,
  fromage,
  type GradientTransformation,
  lamb,
  lars,
  maskByPath,
  novograd,
  optimisticGradientDescent,
  signSgd,
  yogi,
} from '../../src/index.js';

// A small least-squares problem: a weight matrix and a bias, loss = Σ (w - 0.5)² + Σ (b + 1)².
type Params = { w: { shape: number[]; data: Float64Array }; b: Float64Array };
const start = (): Params => ({ w: { shape: [2, 2], data: Float64Array.from([1, -1, 2, 0.25]) }, b: Float64Array.from([0.1, -0.1]) });
const loss = (p: Params): number => p.w.data.reduce((s, x) => s + (x - 0.5) ** 2, 0) + p.b.reduce((s, x) => s + (x + 1) ** 2, 0);
const grad = (p: Params): Params => ({ w: { shape: p.w.shape, data: p.w.data.map((x) => 2 * (x - 0.5)) }, b: p.b.map((x) => 2 * (x + 1)) });

function train(optimizer: GradientTransformation<unknown>, steps = 200): number {
  let params = start();
  let state = optimizer.init(params);
  for (let k = 0; k < steps; k++) {
    const [updates, next] = optimizer.update(grad(params), state, params);
    params = applyUpdates(params, updates);
    state = next;
  }
  return loss(params);
}

// Layer-wise optimizers: no weight decay and no trust ratio on the bias (a leaf of rank 1).
const matrices = maskByPath((path, leaf) => leaf.shape.length > 1);
const optimizers: Record<string, GradientTransformation<unknown>> = {
  lamb: lamb({ learningRate: 0.05, weightDecay: 1e-4, mask: matrices }),
  lars: lars({ learningRate: 0.5, trustCoefficient: 0.1, weightDecay: 1e-4, weightDecayMask: matrices, trustRatioMask: matrices }),
  adabelief: adabelief({ learningRate: 0.05 }),
  yogi: yogi({ learningRate: 0.05 }),
  novograd: novograd({ learningRate: 0.05 }),
  adan: adan({ learningRate: 0.05 }),
  // signSGD moves every element by the full rate: decay it to converge.
  signSgd: signSgd({ learningRate: cosineDecaySchedule({ initValue: 0.05, decaySteps: 200 }) }),
  fromage: fromage({ learningRate: 0.05 }),
  optimisticGradientDescent: optimisticGradientDescent({ learningRate: 0.05 }),
};
console.log(`initial loss ${loss(start()).toFixed(3)}`);
for (const [name, optimizer] of Object.entries(optimizers)) console.log(`${name.padEnd(26)} ${train(optimizer).toExponential(2)}`);
