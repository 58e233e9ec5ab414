/**
 * Resume across backends: run K steps compiled in place on one backend, save the compiled
 * state (JSON), load it into a fresh optimizer, continue M steps on another path (the reference
 * interpreter, or compiled on another backend). The JavaScript backends and the interpreter
 * compute the same numbers, so the result must equal the run that never stopped, bit for bit.
 */
import { describe, expect, it } from 'vitest';
import type { GradientTransformation } from '../../src/base.js';
import { chain } from '../../src/combine/chain.js';
import { injectHyperparams } from '../../src/combine/injectHyperparams.js';
import { compile } from '../../src/compile/index.js';
import { adamw } from '../../src/optimizers/adam.js';
import { sgd } from '../../src/optimizers/sgd.js';
import { warmupCosineDecay } from '../../src/schedules/warmup.js';
import { loadState, saveState } from '../../src/state/snapshot.js';
import { clipByGlobalNorm } from '../../src/transforms/clipping.js';
import { flatten } from '../../src/tree/tree.js';
import { applyUpdates } from '../../src/update.js';
import { sameBits } from '../helpers/arbitraries.js';

const schedule = () => warmupCosineDecay({ initValue: 0, peakValue: 0.1, warmupSteps: 3, decaySteps: 20, endValue: 1e-3 });
const ROWS: readonly { readonly name: string; readonly make: () => GradientTransformation<unknown> }[] = [
  { name: 'clip + adamw(warmupCosineDecay)', make: () => chain(clipByGlobalNorm(1), adamw({ learningRate: schedule() })) },
  { name: 'sgd(momentum, nesterov)', make: () => sgd({ learningRate: 0.05, momentum: 0.9, nesterov: true }) },
  { name: 'injectHyperparams(adamw)', make: () => injectHyperparams(adamw)({ learningRate: schedule(), weightDecay: 1e-2 }) },
];

const params0 = (): { dense: { w: Float32Array; b: Float32Array }; scale: { shape: number[]; data: Float32Array } } => ({
  dense: { w: Float32Array.from({ length: 12 }, (_, i) => Math.sin(i + 1)), b: Float32Array.from([0.1, -0.2, 0.3]) },
  scale: { shape: [], data: Float32Array.of(1.5) },
});
type Params = ReturnType<typeof params0>;
const gradsAt = (k: number, p: Params): Params => ({
  dense: { w: p.dense.w.map((w, i) => Math.cos(w * (k + 1) + i)), b: p.dense.b.map((b) => b - 0.05 * k) },
  scale: { shape: [], data: p.scale.data.map((s) => s * 0.5 - 0.25) },
});

/** K + M steps through the reference path, without stopping. */
function reference(tx: GradientTransformation<unknown>, steps: number): { params: Params; state: unknown } {
  let params = params0();
  let state = tx.init(params);
  for (let k = 0; k < steps; k++) {
    const [u, next] = tx.update(gradsAt(k, params), state, params);
    params = applyUpdates(params, u);
    state = next;
  }
  return { params, state };
}

const K = 4;
const M = 5;

describe.each(ROWS)('$name', (row) => {
  for (const [from, to] of [['js', 'reference'], ['closure', 'js'], ['js', 'closure']] as const) {
    it(`compiled ${from} for ${String(K)} steps, saved, resumed on ${to} for ${String(M)}: bit-identical`, () => {
      const tx = row.make();
      const first = compile(tx, params0(), { backend: from });
      for (let k = 0; k < K; k++) {
        const g = gradsAt(k, first.params);
        flatten(first.grads).leaves.forEach((leaf, i) => { leaf.data.set(flatten(g).leaves[i]?.data ?? []); });
        first.step();
      }
      const snapshot = JSON.parse(JSON.stringify(saveState(first.copyState(), tx))) as unknown;
      const params = flatten(first.params).leaves.map((l) => l.data.slice());
      const fresh = row.make();
      let p: Params = params0();
      flatten(p).leaves.forEach((leaf, i) => { leaf.data.set(params[i] ?? []); });
      const loaded = loadState(snapshot, fresh, p);
      let finalState: unknown;
      if (to === 'reference') {
        let state = loaded;
        for (let k = K; k < K + M; k++) {
          const [u, next] = fresh.update(gradsAt(k, p), state, p);
          p = applyUpdates(p, u);
          state = next;
        }
        finalState = state;
      } else {
        const second = compile(fresh, p, { backend: to, state: loaded });
        for (let k = K; k < K + M; k++) {
          const g = gradsAt(k, second.params);
          flatten(second.grads).leaves.forEach((leaf, i) => { leaf.data.set(flatten(g).leaves[i]?.data ?? []); });
          second.step();
        }
        p = second.params;
        finalState = second.copyState();
      }
      const want = reference(row.make(), K + M);
      expect(sameBits(p, want.params)).toBe(true);
      expect(JSON.stringify(saveState(finalState, tx))).toBe(JSON.stringify(saveState(want.state, tx)));
    });
  }
});
