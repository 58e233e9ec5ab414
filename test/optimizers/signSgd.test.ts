/**
 * signSgd: -η·sign(g) for 3 steps (float32 and float64), optax's published doctest values,
 * validation, convergence on optax's alias_test parabola.
 */
import { describe, expect, it } from 'vitest';
import type { GradientTransformation } from '../../src/base.js';
import { HyperparameterError } from '../../src/errors.js';
import { type SignSgdOptions, signSgd } from '../../src/optimizers/signSgd.js';
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

describe('signSgd', () => {
  for (const dt of DTYPES) {
    it(`takes -η_t·sign(g) for 3 steps with a schedule (${dt.name})`, () => {
      const rate = (count: number): number => 0.1 / (1 + count);
      const opt = signSgd({ learningRate: rate });
      let state = opt.init({ w: dt.make(GRADS[0]?.map(() => 0) ?? []) });
      GRADS.forEach((g, k) => {
        const [u, next] = opt.update({ w: dt.make(g) }, state);
        expectClose(u.w, g.map((gi) => dt.round(-rate(k) * Math.sign(dt.round(gi)))), dt.rtol, `step ${String(k + 1)}`);
        state = next;
      });
    });
  }

  it('matches optax\'s doctest: sign_sgd(0.003) on Σx² from [1, 2, 3]', () => {
    expect(doctest(signSgd({ learningRate: 0.003 }))).toEqual(['1.40e+1', '1.39e+1', '1.39e+1', '1.39e+1', '1.38e+1']);
  });

  it('converges on optax\'s parabola at optax\'s learning rate 0.1', () => {
    // optax's alias_test skips Rosenbrock for sign_sgd ("requires learning rate scheduling"):
    // sign steps move both coordinates by ±η and stall in the curved valley.
    expectConverges(signSgd({ learningRate: 0.1 }), 'parabola', 2000);
  });

  it('rejects bad options, naming them', () => {
    expect(() => signSgd({ learningRate: -0.1 })).toThrow(/^scaleByLearningRate: learningRate must be/);
    expect(() => signSgd({ learningRate: 0.1, momentum: 0.9 } as SignSgdOptions)).toThrow(HyperparameterError);
    expect(() => signSgd({ learningRate: 0.1, momentum: 0.9 } as SignSgdOptions)).toThrow(/^signSgd: momentum must be one of the options learningRate/);
  });

  it('records its spec and compiles to the reference\'s numbers', () => {
    expect(signSgd({ learningRate: 0.01 }).spec).toEqual({ op: 'signSgd', learningRate: 0.01 });
    const params = { a: Float32Array.from([1, -2, 3]), b: Float64Array.from([0.5, 0, -1]) };
    const grads = GRADS.map((g) => ({ a: Float32Array.from(g.slice(0, 3)), b: Float64Array.from(g.slice(3)) }));
    expect(compiledDifference(signSgd({ learningRate: 0.05 }), params, grads)).toBeUndefined();
  });
});
