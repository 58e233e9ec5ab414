/**
 * adabelief: the chain against plain float64 JavaScript from optax's formula for 3 steps
 * (float32 and float64), optax's published doctest values, weight decay, validation,
 * convergence on optax's alias_test parabola and Rosenbrock.
 */
import { describe, expect, it } from 'vitest';
import type { GradientTransformation } from '../../src/base.js';
import { HyperparameterError, MissingParamsError } from '../../src/errors.js';
import { type AdabeliefOptions, adabelief } from '../../src/optimizers/adabelief.js';
import { applyUpdates } from '../../src/update.js';
import { compiledDifference } from '../combine/compileCheck.js';
import { DTYPES, type DtypeCase, GRADS, expectClose } from '../transforms/adaptiveSupport.js';

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

/** AdaBelief's direction for 3 steps (optax's `scale_by_belief`), rounded as stored. */
function refBeliefDirections(b1: number, b2: number, eps: number, epsRoot: number, dt: DtypeCase): number[][] {
  const n = GRADS[0]?.length ?? 0;
  let mu = new Array<number>(n).fill(0);
  let nu = new Array<number>(n).fill(0);
  return GRADS.map((raw, k) => {
    const t = k + 1;
    const g = raw.map(dt.round);
    const muNew = g.map((gi, i) => b1 * (mu[i] as number) + (1 - b1) * gi);
    const nuNew = g.map((gi, i) => b2 * (nu[i] as number) + (1 - b2) * (gi - (muNew[i] as number)) ** 2 + epsRoot);
    const d = g.map((_, i) => dt.round((muNew[i] as number) / (1 - b1 ** t) / (Math.sqrt((nuNew[i] as number) / (1 - b2 ** t)) + eps)));
    mu = muNew.map(dt.round);
    nu = nuNew.map(dt.round);
    return d;
  });
}

describe('adabelief', () => {
  for (const dt of DTYPES) {
    for (const wd of [0, 0.05]) {
      it(`takes -η(m̂/(√ŝ + ε) + λp) for 3 steps (weightDecay ${String(wd)}, ${dt.name})`, () => {
        const eta = 0.01;
        const opt = adabelief({ learningRate: eta, weightDecay: wd });
        const params = { w: dt.make(GRADS[0]?.map((_, i) => i - 2) ?? []) };
        let state = opt.init(params);
        const directions = refBeliefDirections(0.9, 0.999, 1e-16, 1e-16, dt);
        GRADS.forEach((g, k) => {
          const [u, next] = opt.update({ w: dt.make(g) }, state, params);
          const expected = (directions[k] ?? []).map((d, i) => dt.round(-eta * (wd === 0 ? d : dt.round(d + wd * (params.w[i] as number)))));
          expectClose(u.w, expected, dt.rtol, `step ${String(k + 1)}`);
          state = next;
        });
      });
    }
  }

  it('matches optax\'s doctest: adabelief(0.003) on Σx² from [1, 2, 3]', () => {
    expect(doctest(adabelief({ learningRate: 0.003 }))).toEqual(['1.40e+1', '1.39e+1', '1.39e+1', '1.38e+1', '1.38e+1']);
  });

  it('needs params only with weight decay, which it applies to the masked leaves only', () => {
    const g = { a: Float64Array.from([0]), b: Float64Array.from([0]) };
    const plain = adabelief({ learningRate: 0.1 });
    expect(plain.update(g, plain.init(g))[0].a[0]).toBe(-0);
    const decayed = adabelief({ learningRate: 1, weightDecay: 0.5, weightDecayMask: { a: true, b: false } });
    expect(() => decayed.update(g, decayed.init(g))).toThrow(MissingParamsError);
    const params = { a: Float64Array.from([4]), b: Float64Array.from([4]) };
    const [u] = decayed.update(g, decayed.init(params), params);
    expect(u.a[0]).toBe(-2);
    expect(u.b[0]).toBe(-0);
  });

  it('converges on optax\'s parabola and Rosenbrock at optax\'s learning rate 1e-2', () => {
    const opt = adabelief({ learningRate: 1e-2 });
    expectConverges(opt, 'parabola', 2000);
    expectConverges(opt, 'rosenbrock', 2000);
  });

  it('rejects bad options, naming them', () => {
    const cases: readonly [Record<string, unknown>, RegExp][] = [
      [{ learningRate: -1 }, /^scaleByLearningRate: learningRate must be/],
      [{ learningRate: 0.1, b1: 1 }, /^scaleByBelief: b1 must be/],
      [{ learningRate: 0.1, epsRoot: -1 }, /^scaleByBelief: epsRoot must be/],
      [{ learningRate: 0.1, weightDecay: -1 }, /^addDecayedWeights: weightDecay must be/],
      [{ learningRate: 0.1, mask: true }, /^adabelief: mask must be one of the options/],
    ];
    for (const [options, message] of cases) {
      expect(() => adabelief(options as unknown as AdabeliefOptions)).toThrow(HyperparameterError);
      expect(() => adabelief(options as unknown as AdabeliefOptions)).toThrow(message);
    }
  });

  it('records optax\'s defaults in its spec and compiles to the reference\'s numbers', () => {
    expect(adabelief({ learningRate: 0.01 }).spec).toEqual({ op: 'adabelief', learningRate: 0.01, b1: 0.9, b2: 0.999, eps: 1e-16, epsRoot: 1e-16, nesterov: false, weightDecay: 0 });
    const params = { a: Float32Array.from([1, -2, 3]), b: Float64Array.from([0.5, 0, -1]) };
    const grads = GRADS.map((g) => ({ a: Float32Array.from(g.slice(0, 3)), b: Float64Array.from(g.slice(3)) }));
    expect(compiledDifference(adabelief({ learningRate: 0.05, weightDecay: 0.01, nesterov: true }), params, grads)).toBeUndefined();
  });
});
