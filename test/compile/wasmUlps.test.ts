/**
 * Measured distance of the wasm backend's float32 results from the reference, per optimizer, in
 * float32 ulps (the table in docs/compiler.md): 8001 float32 params, ordinary gradients, 5 steps
 * from a state warmed up by 5 reference steps, the pure update (updates and every state slot).
 *
 * The rigorous per-element bound is the running error analysis (wasmVsReference.test.ts); this
 * is the distribution in practice. A chain without cancellation (sgd, rmsprop, adagrad, adadelta)
 * stays within a few ulps everywhere. An exponential moving average `β·μ + (1 − β)·g` cancels
 * where μ and g have opposite signs: there the error is a few ulps of the larger term, many ulps
 * of the small result; those elements are rare.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { GradientTransformation } from '../../src/base.js';
import { chain } from '../../src/combine/chain.js';
import { compile } from '../../src/compile/index.js';
import { adadelta } from '../../src/optimizers/adadelta.js';
import { adagrad } from '../../src/optimizers/adagrad.js';
import { adam, adamax, adamw, amsgrad, nadam, radam } from '../../src/optimizers/adam.js';
import { lion } from '../../src/optimizers/lion.js';
import { rmsprop } from '../../src/optimizers/rmsprop.js';
import { sgd } from '../../src/optimizers/sgd.js';
import { warmupCosineDecay } from '../../src/schedules/warmup.js';
import { clipByGlobalNorm } from '../../src/transforms/clipping.js';
import type { FloatArray } from '../../src/tree/leaf.js';
import { type Tree, flatten } from '../../src/tree/tree.js';
import { ulps } from './wasm/errorBound.js';
import { fillValues, gradsLike } from './trees.js';

type Tx = GradientTransformation<unknown>;
const lr = warmupCosineDecay({ initValue: 0, peakValue: 1e-3, warmupSteps: 3, decaySteps: 100, endValue: 1e-5 });

/**
 * Per optimizer: the share of update elements within 1, 2 and 4 ulps that must hold (a little
 * below what was measured), and the largest ulps allowed anywhere (updates and state) for the
 * chains that do not cancel (undefined: no cap, the element-wise bound holds instead).
 */
const CASES: readonly (readonly [string, () => Tx, readonly [number, number, number], number | undefined])[] = [
  ['sgd', () => sgd({ learningRate: 0.1 }) as Tx, [0.99, 0.99, 0.99], 2],
  ['sgd momentum 0.9', () => sgd({ learningRate: 0.1, momentum: 0.9 }) as Tx, [0.85, 0.93, 0.96], undefined],
  ['adam', () => adam({ learningRate: 1e-3 }) as Tx, [0.75, 0.9, 0.95], undefined],
  ['adamw', () => adamw({ learningRate: 1e-3 }) as Tx, [0.75, 0.9, 0.95], undefined],
  ['clip + adamw + warmupCosineDecay', () => chain(clipByGlobalNorm(1), adamw({ learningRate: lr })) as Tx, [0.75, 0.9, 0.95], undefined],
  ['amsgrad', () => amsgrad({ learningRate: 1e-3 }) as Tx, [0.75, 0.9, 0.95], undefined],
  ['adamax', () => adamax({ learningRate: 1e-3 }) as Tx, [0.75, 0.9, 0.95], undefined],
  ['nadam', () => nadam({ learningRate: 1e-3 }) as Tx, [0.75, 0.9, 0.95], undefined],
  ['radam', () => radam({ learningRate: 1e-3 }) as Tx, [0.72, 0.9, 0.95], undefined],
  ['rmsprop', () => rmsprop({ learningRate: 1e-3 }) as Tx, [0.8, 0.99, 0.99], 4],
  ['rmsprop centered, momentum', () => rmsprop({ learningRate: 1e-3, centered: true, momentum: 0.9 }) as Tx, [0.8, 0.9, 0.93], undefined],
  ['adagrad', () => adagrad({ learningRate: 1e-2 }) as Tx, [0.95, 0.99, 0.99], 4],
  ['adadelta', () => adadelta({ learningRate: 1 }) as Tx, [0.95, 0.99, 0.99], 4],
  ['lion', () => lion({ learningRate: 1e-4 }) as Tx, [0.99, 0.99, 0.99], undefined],
];

const slotLeaves = (tx: Tx, state: unknown): FloatArray[] =>
  (tx.fusable?.toStageStates(state) ?? []).flatMap((st) => Object.values(st.slots).flatMap((t) => flatten(t).leaves.map((l) => l.data)));

const rows: string[] = [];
afterAll(() => {
  if (rows.length > 0) console.log(['| optimizer | updates ≤1 ulp | ≤2 | ≤4 | max (updates) | max (state) |', '|---|---|---|---|---|---|', ...rows].join('\n'));
});

describe('wasm float32 results, in ulps of the reference, per optimizer', () => {
  for (const [name, make, [p1, p2, p4], cap] of CASES) {
    it(name, () => {
      const tx = make();
      const p: Tree = { a: new Float32Array(5000), b: new Float32Array(3001) };
      fillValues((p as { a: Float32Array }).a, 1, false);
      fillValues((p as { b: Float32Array }).b, 2, false);
      let state = tx.init(p);
      for (let s = 0; s < 5; s++) [, state] = tx.update(gradsLike(p, 10 + s, false), state, p);
      const c = compile(tx, p, { backend: 'wasm' });
      let within1 = 0;
      let within2 = 0;
      let within4 = 0;
      let total = 0;
      let maxU = 0;
      let maxS = 0;
      for (let s = 0; s < 5; s++) {
        const g = gradsLike(p, 100 + s, false);
        const [ru, rs] = tx.update(g, state, p);
        const [wu, ws] = c.update(g, state, p);
        const ref = flatten(ru).leaves;
        flatten(wu).leaves.forEach((l, i) =>
          l.data.forEach((x, k) => {
            const u = ulps(x, ref[i]?.data[k] as number, 'float32');
            total++;
            if (u <= 1) within1++;
            if (u <= 2) within2++;
            if (u <= 4) within4++;
            maxU = Math.max(maxU, u);
          }),
        );
        const refSlots = slotLeaves(tx, rs);
        slotLeaves(tx, ws).forEach((l, i) => l.forEach((x, k) => (maxS = Math.max(maxS, ulps(x, refSlots[i]?.[k] as number, 'float32')))));
        state = rs;
      }
      const pct = (n: number): string => `${((n / total) * 100).toFixed(1)}%`;
      rows.push(`| ${name} | ${pct(within1)} | ${pct(within2)} | ${pct(within4)} | ${String(maxU)} | ${String(maxS)} |`);
      expect(within1 / total).toBeGreaterThanOrEqual(p1);
      expect(within2 / total).toBeGreaterThanOrEqual(p2);
      expect(within4 / total).toBeGreaterThanOrEqual(p4);
      if (cap !== undefined) {
        expect(maxU).toBeLessThanOrEqual(cap);
        expect(maxS).toBeLessThanOrEqual(cap);
      }
    });
  }
});
