/**
 * adan: the chain against plain float64 JavaScript from optax's formula for 3 steps (float32
 * and float64), optax's published doctest values, weight decay, validation, convergence on
 * optax's alias_test parabola and Rosenbrock.
 */
import { describe, expect, it } from 'vitest';
import type { GradientTransformation } from '../../src/base.js';
import { HyperparameterError, MissingParamsError } from '../../src/errors.js';
import { type AdanOptions, adan } from '../../src/optimizers/adan.js';
import { applyUpdates } from '../../src/update.js';
import { compiledDifference } from '../combine/compileCheck.js';
import { DTYPES, GRADS, expectClose } from '../transforms/adaptiveSupport.js';

/** optax's `alias_test` targets: the parabola Σ(x - t)² and Rosenbrock (a = 1, b = 100). */
const TARGETS = {
  parabola: { start: [-1, 10, 1], end: [1, -1, 1], grad: (x: readonly number[]) => x.map((v, i) => 2 * (v - ([1, -1, 1][i] as number))) },
  rosenbrock: {
    start: [0, 0],
    end: [1, 1],
    grad: ([a = 0, b = 0]: readonly number[]) => [-2 * (1 - a) - 400 * a * (b - a * a), 200 * (b - a * a)],
  },
} as const;

/** Runs `opt` on a target for `steps` steps in float32; the final params. */
function minimize(opt: GradientTransformation<unknown>, target: keyof typeof TARGETS, steps: number): number[] {
  const t = TARGETS[target];
  let params = { x: Float32Array.from(t.start) };
  let state = opt.init(params);
  for (let i = 0; i < steps; i++) {
    const [u, s] = opt.update({ x: Float32Array.from(t.grad(Array.from(params.x))) }, state, params);
    params = applyUpdates(params, u);
    state = s;
  }
  return Array.from(params.x);
}

/** Asserts that `opt` reaches a target within optax's tolerance (3e-2) in `steps` steps. */
function expectConverges(opt: GradientTransformation<unknown>, target: keyof typeof TARGETS, steps: number): void {
  const end = TARGETS[target].end;
  minimize(opt, target, steps).forEach((v, i) => {
    expect(Math.abs(v - (end[i] as number)), `${target}[${String(i)}] = ${String(v)}`).toBeLessThan(3e-2);
  });
}

/** optax's doctest: 5 steps on Σx² from [1, 2, 3] in float32, the objective printed as `{:.2E}`. */
function doctest(opt: GradientTransformation<unknown>): string[] {
  let params = { x: Float32Array.from([1, 2, 3]) };
  let state = opt.init(params);
  const out: string[] = [];
  for (let i = 0; i < 5; i++) {
    const [u, s] = opt.update({ x: params.x.map((v) => 2 * v) }, state, params);
    params = applyUpdates(params, u);
    state = s;
    out.push(params.x.reduce((a, v) => Math.fround(a + Math.fround(v * v)), 0).toExponential(2));
  }
  return out;
}

describe('adan', () => {
  for (const dt of DTYPES) {
    for (const wd of [0, 0.02]) {
      it(`takes -η((m̂ + (1-β₂)v̂)/(√(n̂ + ε_root) + ε) + λp) for 3 steps (weightDecay ${String(wd)}, ${dt.name})`, () => {
        const [eta, b1, b2, b3, eps, epsRoot] = [0.1, 0.98, 0.92, 0.99, 1e-8, 1e-8];
        const opt = adan({ learningRate: eta, weightDecay: wd });
        const size = GRADS[0]?.length ?? 0;
        let params = { w: dt.make(GRADS[0]?.map((_, i) => 1 - i) ?? []) };
        let state = opt.init(params);
        let m = new Array<number>(size).fill(0);
        let v = new Array<number>(size).fill(0);
        let n = new Array<number>(size).fill(0);
        let prev = new Array<number>(size).fill(0);
        GRADS.forEach((raw, k) => {
          const t = k + 1;
          const g = raw.map(dt.round);
          const d = g.map((gi, i) => (t === 1 ? 0 : gi - (prev[i] as number)));
          const mNew = g.map((gi, i) => b1 * (m[i] as number) + (1 - b1) * gi);
          const vNew = d.map((di, i) => b2 * (v[i] as number) + (1 - b2) * di);
          const nNew = g.map((gi, i) => b3 * (n[i] as number) + (1 - b3) * (gi + (1 - b2) * (d[i] as number)) ** 2);
          const direction = g.map((_, i) =>
            dt.round(((mNew[i] as number) / (1 - b1 ** t) + ((1 - b2) * (vNew[i] as number)) / (1 - b2 ** t)) / (Math.sqrt((nNew[i] as number) / (1 - b3 ** t) + epsRoot) + eps)),
          );
          const expected = direction.map((x, i) => dt.round(-eta * (wd === 0 ? x : dt.round(x + wd * (params.w[i] as number)))));
          const [u, next] = opt.update({ w: dt.make(raw) }, state, params);
          expectClose(u.w, expected, dt.rtol, `step ${String(k + 1)}`);
          [m, v, n, prev] = [mNew.map(dt.round), vNew.map(dt.round), nNew.map(dt.round), g];
          params = applyUpdates(params, u);
          state = next;
        });
      });
    }
  }

  it('matches optax\'s doctest: adan(0.1) on x·x from [1, 2, 3]', () => {
    expect(doctest(adan({ learningRate: 0.1 }))).toEqual(['1.28e+1', '1.17e+1', '1.07e+1', '9.68e+0', '8.76e+0']);
  });

  it('needs params only with weight decay, which it applies to the masked leaves only', () => {
    const g = { a: Float64Array.from([0]), b: Float64Array.from([0]) };
    const plain = adan({ learningRate: 0.1 });
    expect(plain.update(g, plain.init(g))[0].a[0]).toBe(-0);
    const decayed = adan({ learningRate: 1, weightDecay: 0.5, mask: { a: true, b: false } });
    expect(() => decayed.update(g, decayed.init(g))).toThrow(MissingParamsError);
    const params = { a: Float64Array.from([4]), b: Float64Array.from([4]) };
    const [u] = decayed.update(g, decayed.init(params), params);
    expect(u.a[0]).toBe(-2);
    expect(u.b[0]).toBe(-0);
  });

  it('converges on optax\'s parabola and Rosenbrock at optax\'s learning rate 0.1', () => {
    const opt = adan({ learningRate: 0.1 });
    expectConverges(opt, 'parabola', 2000);
    expectConverges(opt, 'rosenbrock', 2000);
  });

  it('rejects bad options, naming them', () => {
    const cases: readonly [Record<string, unknown>, RegExp][] = [
      [{ learningRate: -1 }, /^scaleByLearningRate: learningRate must be/],
      [{ learningRate: 0.1, b3: 1 }, /^scaleByAdan: b3 must be/],
      [{ learningRate: 0.1, epsRoot: -1 }, /^scaleByAdan: epsRoot must be/],
      [{ learningRate: 0.1, weightDecay: -1 }, /^addDecayedWeights: weightDecay must be/],
      [{ learningRate: 0.1, weightDecayMask: true }, /^adan: weightDecayMask must be one of the options/],
    ];
    for (const [options, message] of cases) {
      expect(() => adan(options as unknown as AdanOptions)).toThrow(HyperparameterError);
      expect(() => adan(options as unknown as AdanOptions)).toThrow(message);
    }
  });

  it('records optax\'s defaults (epsRoot 1e-8) in its spec and compiles to the reference\'s numbers', () => {
    expect(adan({ learningRate: 0.01 }).spec).toEqual({ op: 'adan', learningRate: 0.01, b1: 0.98, b2: 0.92, b3: 0.99, eps: 1e-8, epsRoot: 1e-8, weightDecay: 0 });
    const params = { a: Float32Array.from([1, -2, 3]), b: Float64Array.from([0.5, 0, -1]) };
    const grads = GRADS.map((g) => ({ a: Float32Array.from(g.slice(0, 3)), b: Float64Array.from(g.slice(3)) }));
    expect(compiledDifference(adan({ learningRate: 0.05, weightDecay: 0.01 }), params, grads)).toBeUndefined();
  });
});
