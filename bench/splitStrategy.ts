/**
 * Why the planner RECOMPUTES the stages before a global reduction instead of STAGING their
 * output in a scratch buffer: a measurement on the worst case for recomputing, a reduction after
 * the expensive stage, `chain(scaleByAdam(), clipByGlobalNorm(1), scaleByLearningRate(lr))`,
 * float32, 20 leaves.
 *
 *   recompute (compiled)   pass 0: Adam (no stores) + Σu²; pass 1: Adam again, clip, lr, stores
 *   stage (hand-written)   pass 0: Adam, store u in scratch and mu/nu; pass 1: read u, clip, lr
 *   stage, atomic (hand)   as `stage`, but mu/nu also go to scratch first and are copied in
 *                          pass 1 (what atomicity costs a staging planner)
 *
 *   npx tsx bench/splitStrategy.ts [--quick]
 */
import { chain } from '../src/combine/chain.js';
import { compile } from '../src/compile/index.js';
import { scaleByAdam } from '../src/transforms/adam.js';
import { clipByGlobalNorm } from '../src/transforms/clipping.js';
import { scaleByLearningRate } from '../src/transforms/scale.js';

const quick = process.argv.includes('--quick');
const B1 = 0.9;
const B2 = 0.999;
const EPS = 1e-8;
const LR = 1e-3;

function stagedStep(p: Float32Array, g: Float32Array, mu: Float32Array, nu: Float32Array, scratch: Float32Array, muS: Float32Array | undefined, nuS: Float32Array | undefined, t: number): void {
  const rbc1 = 1 / (1 - B1 ** t);
  const rbc2 = 1 / (1 - B2 ** t);
  let ss = 0;
  const muOut = muS ?? mu;
  const nuOut = nuS ?? nu;
  for (let i = 0; i < p.length; i++) {
    const gi = g[i] as number;
    const m = B1 * (mu[i] as number) + (1 - B1) * gi;
    const v = B2 * (nu[i] as number) + (1 - B2) * (gi * gi);
    const u = Math.fround((m * rbc1) / (Math.sqrt(v * rbc2 + 0) + EPS));
    muOut[i] = m;
    nuOut[i] = v;
    scratch[i] = u;
    ss = ss + u * u;
  }
  const coef = Math.min(1, 1 / (Math.sqrt(ss) + 0));
  for (let i = 0; i < p.length; i++) {
    const u = Math.fround((scratch[i] as number) * coef);
    p[i] = (p[i] as number) + Math.fround(u * -LR);
    if (muS !== undefined && nuS !== undefined) {
      mu[i] = muS[i] as number;
      nu[i] = nuS[i] as number;
    }
  }
}

function time(n: number, run: () => void, reps: number): number {
  for (let i = 0; i < 3; i++) run();
  const xs: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = process.hrtime.bigint();
    run();
    xs.push(Number(process.hrtime.bigint() - t0) / n);
  }
  xs.sort((a, b) => a - b);
  return xs[Math.floor(xs.length / 2)] as number;
}

for (const n of quick ? [1e6] : [1e5, 1e6, 1e7]) {
  const params = Object.fromEntries(Array.from({ length: 20 }, (_, l) => [`l${String(l).padStart(2, '0')}`, new Float32Array(n / 20).fill(0.5)]));
  const c = compile(chain(scaleByAdam(), clipByGlobalNorm(1), scaleByLearningRate(LR)), params);
  c.storage.grads.float32.forEach((_, i, a) => {
    a[i] = Math.sin(i);
  });
  const p = new Float32Array(n).fill(0.5);
  const g = Float32Array.from(c.storage.grads.float32);
  const mu = new Float32Array(n);
  const nu = new Float32Array(n);
  const scratch = new Float32Array(n);
  const muS = new Float32Array(n);
  const nuS = new Float32Array(n);
  let t = 0;
  const reps = quick ? 9 : n >= 1e7 ? 7 : 21;
  const rows = {
    recompute: time(n, () => c.step(), reps),
    stage: time(n, () => stagedStep(p, g, mu, nu, scratch, undefined, undefined, ++t), reps),
    stageAtomic: time(n, () => stagedStep(p, g, mu, nu, scratch, muS, nuS, ++t), reps),
  };
  console.log(`N=${n.toExponential(0)}  ns/param: recompute (compiled) ${rows.recompute.toFixed(2)}  stage ${rows.stage.toFixed(2)}  stage+atomic ${rows.stageAtomic.toFixed(2)}  (passes: ${String(c.passCount)})`);
}
