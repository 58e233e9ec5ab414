/**
 * yogi: the chain against plain float64 JavaScript from optax's formula for 3 steps (float32
 * and float64), optax's published doctest values, validation, convergence on optax's
 * alias_test parabola and Rosenbrock.
 */
import { describe, expect, it } from 'vitest';
import type { GradientTransformation } from '../../src/base.js';
import { HyperparameterError } from '../../src/errors.js';
import { type YogiOptions, yogi } from '../../src/optimizers/yogi.js';
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

describe('yogi', () => {
  for (const dt of DTYPES) {
    it(`takes -η·m̂/(√v̂ + ε) with Yogi's additive second moment for 3 steps (${dt.name})`, () => {
      const [eta, b1, b2, eps] = [0.05, 0.9, 0.999, 1e-3];
      const opt = yogi({ learningRate: eta });
      const n = GRADS[0]?.length ?? 0;
      let mu = new Array<number>(n).fill(dt.round(1e-6));
      let nu = new Array<number>(n).fill(dt.round(1e-6));
      let state = opt.init({ w: dt.make(new Array<number>(n).fill(0)) });
      GRADS.forEach((raw, k) => {
        const t = k + 1;
        const g = raw.map(dt.round);
        const muNew = g.map((gi, i) => b1 * (mu[i] as number) + (1 - b1) * gi);
        const nuNew = g.map((gi, i) => (nu[i] as number) - (1 - b2) * Math.sign((nu[i] as number) - gi * gi) * gi * gi);
        const expected = g.map((_, i) => dt.round(-eta * dt.round((muNew[i] as number) / (1 - b1 ** t) / (Math.sqrt((nuNew[i] as number) / (1 - b2 ** t)) + eps))));
        const [u, next] = opt.update({ w: dt.make(raw) }, state);
        expectClose(u.w, expected, dt.rtol, `step ${String(k + 1)}`);
        mu = muNew.map(dt.round);
        nu = nuNew.map(dt.round);
        state = next;
      });
    });
  }

  it('matches optax\'s doctest: yogi(0.002) on Σx² from [1, 2, 3]', () => {
    expect(doctest(yogi({ learningRate: 0.002 }))).toEqual(['1.40e+1', '1.40e+1', '1.39e+1', '1.39e+1', '1.39e+1']);
  });

  it('converges on optax\'s parabola and Rosenbrock at optax\'s learning rate 0.1', () => {
    const opt = yogi({ learningRate: 0.1 });
    expectConverges(opt, 'parabola', 2000);
    expectConverges(opt, 'rosenbrock', 2000);
  });

  it('rejects bad options, naming them', () => {
    const cases: readonly [Record<string, unknown>, RegExp][] = [
      [{ learningRate: -1 }, /^scaleByLearningRate: learningRate must be/],
      [{ learningRate: 0.1, b2: 1 }, /^scaleByYogi: b2 must be/],
      [{ learningRate: 0.1, eps: Number.NaN }, /^scaleByYogi: eps must be/],
      [{ learningRate: 0.1, initialAccumulatorValue: 0 }, /^scaleByYogi: initialAccumulatorValue must be/],
      [{ learningRate: 0.1, weightDecay: 0.1 }, /^yogi: weightDecay must be one of the options/],
    ];
    for (const [options, message] of cases) {
      expect(() => yogi(options as unknown as YogiOptions)).toThrow(HyperparameterError);
      expect(() => yogi(options as unknown as YogiOptions)).toThrow(message);
    }
  });

  it('records optax\'s defaults in its spec and compiles to the reference\'s numbers', () => {
    expect(yogi({ learningRate: 0.01 }).spec).toEqual({ op: 'yogi', learningRate: 0.01, b1: 0.9, b2: 0.999, eps: 1e-3, epsRoot: 0, initialAccumulatorValue: 1e-6 });
    const params = { a: Float32Array.from([1, -2, 3]), b: Float64Array.from([0.5, 0, -1]) };
    const grads = GRADS.map((g) => ({ a: Float32Array.from(g.slice(0, 3)), b: Float64Array.from(g.slice(3)) }));
    expect(compiledDifference(yogi({ learningRate: (c) => 0.1 / (1 + c) }), params, grads)).toBeUndefined();
  });
});
