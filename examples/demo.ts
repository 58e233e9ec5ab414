/**
 * The main job, `npm run demo`: train a small MLP on synthetic data with the headline chain
 * `chain(clipByGlobalNorm(1), adamw({ learningRate: warmupCosineDecay(...) }))` and print the
 * loss falling.
 */
import { adamw, chain, clipByGlobalNorm, compile, warmupCosineDecay } from '../src/index.js';
import { initMlp, mseLossAndGrad, rng } from './mlp.js';

export interface DemoResult {
  readonly firstLoss: number;
  readonly lastLoss: number;
}

/** Fits y = sin(2·x0)·cos(x1) on 256 points; returns the first and last loss. */
export function runDemo(options: { readonly steps?: number; readonly log?: (line: string) => void } = {}): DemoResult {
  const steps = options.steps ?? 400;
  const log = options.log ?? ((line: string) => { console.log(line); });
  const n = 256;
  const random = rng(7);
  const x = Float32Array.from({ length: 2 * n }, () => random() * 4 - 2);
  const y = Float32Array.from({ length: n }, (_, s) => Math.sin(2 * (x[2 * s] as number)) * Math.cos(x[2 * s + 1] as number));

  const schedule = warmupCosineDecay({ initValue: 0, peakValue: 0.03, warmupSteps: Math.floor(steps / 10), decaySteps: steps, endValue: 1e-4 });
  const optimizer = chain(clipByGlobalNorm(1), adamw({ learningRate: schedule, weightDecay: 1e-4 }));

  // The compiled optimizer owns flat storage; the model reads `params` and writes `grads`
  // through views into it, and `step()` runs the whole chain as one fused loop, in place.
  const compiled = compile(optimizer, initMlp(2, 32, 1, 1));
  const { params, grads } = compiled;
  let firstLoss = Number.NaN;
  let loss = Number.NaN;
  log(`training a 2-32-1 tanh MLP on ${String(n)} points for ${String(steps)} steps`);
  log(`optimizer: chain(clipByGlobalNorm(1), adamw({ learningRate: warmupCosineDecay(0 -> 0.03 -> 1e-4) })), compiled (${compiled.backend} backend, ${String(compiled.passCount)} passes)`);
  for (let step = 0; step < steps; step++) {
    loss = mseLossAndGrad(params, x, y, n, grads);
    if (step === 0) firstLoss = loss;
    if (step % Math.max(1, Math.floor(steps / 10)) === 0) {
      log(`step ${String(step).padStart(4)}  loss ${loss.toFixed(5)}  lr ${schedule(step).toExponential(2)}`);
    }
    compiled.step();
  }
  loss = mseLossAndGrad(params, x, y, n, grads);
  log(`step ${String(steps).padStart(4)}  loss ${loss.toFixed(5)}`);
  log(`loss fell from ${firstLoss.toFixed(4)} to ${loss.toFixed(4)}`);
  return { firstLoss, lastLoss: loss };
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) runDemo();
