/**
 * A PyTorch training loop ported line by line (`npm run example:pytorch-port`): AdamW, gradient
 * clipping, and a SequentialLR of a LinearLR warm-up and a CosineAnnealingLR, training a small
 * tanh MLP to fit y = sin(3x). Each gradfuse line carries the PyTorch line it replaces as a
 * comment; docs/pytorch.md has the full table of optimizers, options and schedules.
 *
 * Three things change shape in the port:
 * - the optimizer is one value, `chain(clip, adamw)`: clipping is its first member, not a
 *   separate call between `backward()` and `step()`;
 * - the schedule is part of the optimizer, a function of its step count: there is no
 *   `scheduler.step()` to call, and none to forget;
 * - the compiled optimizer owns flat storage: the backward pass writes `compiled.grads`
 *   (overwriting them, so there is no `zero_grad()`), and `compiled.step()` updates
 *   `compiled.params` in place, as `optimizer.step()` does.
 *
 * Defaults that differ are set explicitly: torch's AdamW decays with λ = 1e-2 (optax's default
 * is 1e-4) and its clip_grad_norm_ divides by `norm + 1e-6` (optax's by `norm`).
 */
import { pathToFileURL } from 'node:url';
import { adamw, chain, clipByGlobalNorm, compile, cosineAnnealingLR, linearLR, sequentialLR } from '../src/index.js';
import { initMlp, mseLossAndGrad, rng, shuffled, zeroGrads } from './mlp.js';

/** Options of {@link main}. */
export interface PortOptions {
  /** Passes over the 256 samples (8 minibatches of 32 each). Default 50. */
  readonly epochs?: number;
}

/** What {@link main} measured. */
export interface PortResult {
  /** Full-data loss after each epoch. */
  readonly epochLosses: Float64Array;
  /** Full-data loss before training. */
  readonly initialLoss: number;
  /** The learning rate of every step. */
  readonly learningRates: Float64Array;
}

/** Trains the model and prints the loss and learning rate per epoch. */
export function main(options: PortOptions = {}): PortResult {
  const epochs = options.epochs ?? 50;
  const [n, batchSize, warmupSteps] = [256, 32, 20];
  const totalSteps = epochs * (n / batchSize);

  // torch.manual_seed(0)
  const random = rng(0);
  // x = torch.rand(256, 1) * 2 - 1; y = torch.sin(3 * x)
  const x = Float32Array.from({ length: n }, () => random() * 2 - 1);
  const y = x.map((v) => Math.sin(3 * v));

  // model = nn.Sequential(nn.Linear(1, 32), nn.Tanh(), nn.Linear(32, 1))   (Glorot init here, Kaiming-uniform in torch)
  const model = initMlp(1, 32, 1, 0);
  // loss_fn = nn.MSELoss()                                                 (examples/mlp.ts: mseLossAndGrad, forward and backward)

  // lr = 3e-2   (torch's schedulers read it from the optimizer; gradfuse's schedules take it, and come first)
  const lr = 3e-2;
  // warmup = LinearLR(optimizer, start_factor=0.1, total_iters=20)
  const warmup = linearLR({ lr, startFactor: 0.1, totalIters: warmupSteps });
  // cosine = CosineAnnealingLR(optimizer, T_max=total_steps - 20, eta_min=1e-4)
  const cosine = cosineAnnealingLR({ lr, tMax: totalSteps - warmupSteps, etaMin: 1e-4 });
  // scheduler = SequentialLR(optimizer, schedulers=[warmup, cosine], milestones=[20])
  const schedule = sequentialLR({ schedules: [warmup, cosine], milestones: [warmupSteps] });
  // optimizer = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2)
  // torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)     (called before each optimizer.step())
  const optimizer = chain(clipByGlobalNorm(1, { eps: 1e-6 }), adamw({ learningRate: schedule, b1: 0.9, b2: 0.999, eps: 1e-8, weightDecay: 1e-2 }));
  // (compiled: one fused loop over flat storage; params and grads are views into it, model's shape)
  const compiled = compile(optimizer, model, { backend: 'auto' });
  const { params, grads } = compiled;

  // with torch.no_grad(): loss_fn(model(x), y).item()
  const fullLoss = (): number => mseLossAndGrad(params, x, y, n, zeroGrads(params));
  const initialLoss = fullLoss();
  const epochLosses = new Float64Array(epochs);
  const learningRates = new Float64Array(totalSteps);
  const xb = new Float32Array(batchSize);
  const yb = new Float32Array(batchSize);
  let step = 0;
  // for epoch in range(epochs):
  for (let epoch = 0; epoch < epochs; epoch++) {
    // for xb, yb in DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True):
    const order = shuffled(n, random);
    for (let start = 0; start < n; start += batchSize) {
      order.subarray(start, start + batchSize).forEach((s, i) => { xb[i] = x[s] as number; yb[i] = y[s] as number; });
      // optimizer.zero_grad()                                             (nothing: the backward pass overwrites grads)
      // loss = loss_fn(model(xb), yb); loss.backward()
      mseLossAndGrad(params, xb, yb, batchSize, grads);
      // lr = scheduler.get_last_lr()[0]
      learningRates[step] = schedule(step);
      // clip_grad_norm_(...); optimizer.step()
      compiled.step();
      // scheduler.step()                                                  (nothing: the schedule reads the step count)
      step++;
    }
    epochLosses[epoch] = fullLoss();
    // print(f"epoch {epoch + 1}: loss {loss:.5f}, lr {lr:.2e}")
    if ((epoch + 1) % 10 === 0 || epoch === 0) {
      console.log(`epoch ${String(epoch + 1).padStart(2)}: loss ${(epochLosses[epoch] as number).toFixed(5)}, lr ${(learningRates[step - 1] as number).toExponential(2)}`);
    }
  }
  console.log(`loss ${initialLoss.toFixed(4)} -> ${(epochLosses[epochs - 1] as number).toFixed(5)} in ${String(totalSteps)} steps (${compiled.backend} backend)`);
  return { epochLosses, initialLoss, learningRates };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main();
