import {
  adagrad,
  adagradLrDecay,
  adamax,
  adamw,
  addDecayedWeights,
  amsgrad,
  chain,
  clipByGlobalNorm,
  linearLR,
  cosineAnnealingLR,
  nadam,
  radam,
  rmsprop,
  sequentialLR,
  sgd,
} from '../../src/index.js';

// torch.optim.SGD(params, lr=0.05, momentum=0.9, dampening=0.1, weight_decay=1e-2, nesterov=False)
export const torchSgd = sgd({ learningRate: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 1e-2 });

// torch.optim.AdamW(params, lr=1e-3) -- torch's default weight decay is 1e-2 (optax's 1e-4)
export const torchAdamw = adamw({ learningRate: 1e-3, weightDecay: 1e-2 });

// torch.optim.Adam(params, lr=1e-3, weight_decay=1e-4, amsgrad=True): L2 decay coupled into the gradient
export const torchAdamAmsgrad = chain(addDecayedWeights({ weightDecay: 1e-4 }), amsgrad({ learningRate: 1e-3, maxOf: 'raw' }));

// torch.optim.Adamax(params), NAdam(params), RAdam(params)
export const torchAdamax = adamax({ learningRate: 2e-3 });
export const torchNadam = nadam({ learningRate: 2e-3, form: 'momentumDecay', momentumDecay: 4e-3 });
export const torchRadam = radam({ learningRate: 1e-3, strictThreshold: true, epsOnUncorrectedRoot: true });

// torch.optim.RMSprop(params, lr=1e-2, alpha=0.99, eps=1e-8, momentum=0.9, centered=True)
export const torchRmsprop = rmsprop({
  learningRate: 1e-2,
  decay: 0.99,
  eps: 1e-8,
  epsInSqrt: false,
  momentum: 0.9,
  centered: true,
  lrPlacement: 'afterMomentum',
});

// torch.optim.Adagrad(params, lr=1e-2, lr_decay=1e-3)
export const torchAdagrad = adagrad({
  learningRate: adagradLrDecay({ learningRate: 1e-2, lrDecay: 1e-3 }),
  initialAccumulatorValue: 0,
  eps: 1e-10,
  epsInSqrt: false,
});

// clip_grad_norm_(params, 1.0) before AdamW + SequentialLR([LinearLR(0.1, 5), CosineAnnealingLR(25)], [5])
export const torchHeadline = chain(
  clipByGlobalNorm(1, { eps: 1e-6 }),
  adamw({
    learningRate: sequentialLR({
      schedules: [linearLR({ lr: 0.02, startFactor: 0.1, totalIters: 5 }), cosineAnnealingLR({ lr: 0.02, tMax: 25, etaMin: 1e-4 })],
      milestones: [5],
    }),
    weightDecay: 0.05,
  }),
);
