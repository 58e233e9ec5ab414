/**
 * scheduleFreeSgd / scheduleFreeAdamw and the scheduleFree wrapper: optax's doctest values,
 * plain float64 JavaScript written from the paper's update (3 steps, float32 and float64),
 * the zero-rate case, convergence on optax's parabola and Rosenbrock, compiled == reference,
 * purity, dtypes, snapshots, validation and specs.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { GradientTransformation } from '../../src/base.js';
import { HyperparameterError, MissingParamsError, StateMismatchError } from '../../src/errors.js';
import { injectHyperparams } from '../../src/combine/injectHyperparams.js';
import { adamw } from '../../src/optimizers/adam.js';
import { linearSchedule } from '../../src/schedules/decay.js';
import { type ScheduleFreeAdamwOptions, scheduleFreeAdamw, scheduleFreeSgd } from '../../src/optimizers/scheduleFree.js';
import { toSpec } from '../../src/spec/spec.js';
import { loadState, saveState } from '../../src/state/snapshot.js';
import { type ScheduleFreeState, scheduleFree, scheduleFreeEvalParams } from '../../src/transforms/scheduleFree.js';
import { type FloatArray, tensor } from '../../src/tree/leaf.js';
import { cloneTree } from '../../src/tree/tree.js';
import { applyUpdates } from '../../src/update.js';
import { assertCompiledMatches, compiledDifference } from '../combine/compileCheck.js';
import { DTYPES, expectClose, GRADS, mixedDtypeInputs } from '../transforms/adaptiveSupport.js';
import { type TargetName, doctestObjectives, expectConverges as expectConvergesAt } from '../helpers/convergence.js';

type SfState = ScheduleFreeState<unknown>;

/** The point schedule-free is judged at: its eval params. */
const evaluate = (state: SfState, params: { x: FloatArray }): FloatArray => scheduleFreeEvalParams(state, params).x;

/** optax's doctest: 5 steps on Σx² from [1, 2, 3] in float32; the objective at the eval params. */
const doctest = (opt: GradientTransformation<SfState>): number[] => doctestObjectives(opt, evaluate);

/** Asserts that the eval params reach a target within optax's tolerance (3e-2). */
const expectConverges = (opt: GradientTransformation<SfState>, target: TargetName, steps: number): void => {
  expectConvergesAt(opt, target, steps, { evaluate });
};

describe('scheduleFreeSgd / scheduleFreeAdamw', () => {
  it("matches optax's doctest for schedule_free_sgd() on x·x from [1, 2, 3]", () => {
    const f = doctest(scheduleFreeSgd());
    expect(f[0]?.toExponential(2)).toBe('1.40e+1');
    // optax prints 1.75E-14: x is 0 up to rounding after the second step.
    expect(f[1]).toBeLessThan(1e-12);
    expect(f.slice(2).map((v) => v.toExponential(2))).toEqual(['9.96e-1', '8.06e-1', '2.41e-1']);
  });

  it("matches optax's doctest for schedule_free_adamw(1.0) on x·x from [1, 2, 3]", () => {
    expect(doctest(scheduleFreeAdamw({ learningRate: 1 })).map((v) => v.toExponential(2))).toEqual(['5.00e+0', '3.05e+0', '1.73e+0', '8.94e-1', '4.13e-1']);
  });

  for (const dt of DTYPES) {
    for (const wd of [0, 0.1]) {
      it(`follows the paper's z/x/y recursion with the AdamW base for 3 steps (weightDecay ${String(wd)}, ${dt.name})`, () => {
        const [lr, b1, b2, eps, power, warm] = [0.1, 0.8, 0.99, 1e-8, 2, 2];
        const opt = scheduleFreeAdamw({ learningRate: lr, warmupSteps: warm, b1, b2, eps, weightDecay: wd, weightLrPower: power });
        const size = GRADS[0]?.length ?? 0;
        let params = { w: dt.make(GRADS[0]?.map((_, i) => 1 - 0.5 * i) ?? []) };
        let state = opt.init(params);
        // Reference state, plain numbers.
        let z = Array.from(params.w);
        let v = new Array<number>(size).fill(0);
        let maxLr = 0;
        let total = 0;
        const rate = (c: number): number => lr * Math.min(c, warm) / warm;
        GRADS.forEach((raw, k) => {
          const g = raw.map(dt.round);
          const y = Array.from(params.w);
          // base: bias-corrected RMS, decay on y, -γ_k at the base count k.
          const vNew = g.map((gi, i) => b2 * (v[i] as number) + (1 - b2) * gi * gi);
          const step = g.map((gi, i) => {
            const scaled = dt.round(gi / (Math.sqrt((vNew[i] as number) / (1 - b2 ** (k + 1))) + eps));
            const decayed = wd === 0 ? scaled : dt.round(scaled + wd * (y[i] as number));
            return dt.round(-rate(k) * decayed);
          });
          // weights at optax's step_count k + 1
          maxLr = Math.max(maxLr, rate(k + 1));
          const weight = maxLr ** power;
          total += weight;
          const c = weight / total;
          const zNew = z.map((zi, i) => zi + (step[i] as number));
          const expected = y.map((yi, i) => {
            const xPrev = (yi - (1 - b1) * (z[i] as number)) / b1;
            const x = (1 - c) * xPrev + c * (zNew[i] as number);
            return dt.round(b1 * x + (1 - b1) * (zNew[i] as number) - yi);
          });
          const [u, next] = opt.update({ w: dt.make(raw) }, state, params);
          expectClose(u.w, expected, dt.rtol * 10, `update ${String(k + 1)}`);
          expectClose((next.z as { readonly w: Float64Array }).w, zNew.map(dt.round), dt.rtol, `z ${String(k + 1)}`);
          expect(next.count).toBe(k + 1);
          z = zNew.map(dt.round);
          v = vNew.map(dt.round);
          params = applyUpdates(params, u);
          state = next;
        });
        // eval params: x = (y - (1 - β₁) z) / β₁
        const e = scheduleFreeEvalParams(state, params);
        expectClose(e.w, Array.from(params.w, (yi, i) => dt.round((yi - (1 - b1) * (z[i] as number)) / b1)), dt.rtol, 'eval');
      });
    }
  }

  it('keeps the params (and eval params) where they are with a zero learning rate', () => {
    const opt = scheduleFreeSgd({ learningRate: 0 });
    const start = { x: Float32Array.from([-1, 10, 1]) };
    let params = cloneTree(start);
    let state = opt.init(params);
    for (let i = 0; i < 50; i++) {
      const [u, s] = opt.update({ x: params.x.map((v) => 2 * v) }, state, params);
      params = applyUpdates(params, u);
      state = s;
    }
    expectClose(scheduleFreeEvalParams(state, params).x, Array.from(start.x), 1e-6, 'eval');
  });

  it('starts z at a copy of the params, and the eval params at the params', () => {
    const params = { a: Float64Array.from([1, -2, 3]), b: tensor(Float32Array.from([0.5, 4]), [1, 2]) };
    const state = scheduleFreeAdamw().init(params);
    expect(state.z).toEqual(params);
    expect((state.z as typeof params).a).not.toBe(params.a);
    const e = scheduleFreeEvalParams(state, params);
    expectClose(e.a, [1, -2, 3], 1e-15, 'a');
    expect(e.b.data).toBeInstanceOf(Float32Array);
    expect(e.b.shape).toEqual([1, 2]);
  });

  it('equals the scheduleFree wrapper around adamw with b1 = 0 (optax test_schedule_free_adamw)', () => {
    const run = (opt: GradientTransformation<SfState>): Float64Array => {
      let params = { x: Float64Array.from([-1, 10, 1]) };
      let state = opt.init(params);
      for (let i = 0; i < 5; i++) {
        const [u, s] = opt.update({ x: params.x.map((v, j) => 2 * (v - ([1, -1, 1][j] as number))) }, state, params);
        params = applyUpdates(params, u);
        state = s;
      }
      return params.x;
    };
    const preset = run(scheduleFreeAdamw({ learningRate: 1, b1: 0.9, weightDecay: 0.25 }));
    const wrapped = run(scheduleFree(adamw({ learningRate: 1, b1: 0, weightDecay: 0.25 }), { learningRate: 1, b1: 0.9 }));
    expectClose(preset, Array.from(wrapped), 1e-12, 'params');
  });

  it("converges on optax's parabola and Rosenbrock", () => {
    expectConverges(scheduleFreeSgd({ learningRate: 0.1 }), 'parabola', 1000);
    expectConverges(scheduleFreeAdamw({ learningRate: 0.3 }), 'parabola', 1000);
    expectConverges(scheduleFreeAdamw({ learningRate: 0.01, warmupSteps: 100 }), 'rosenbrock', 5000);
    // SGD's average lags on Rosenbrock's valley (≈ 0.05 off after 10⁴ steps); the rate matters, not a schedule.
    expectConverges(scheduleFreeSgd({ learningRate: 2e-3, warmupSteps: 100 }), 'rosenbrock', 20000);
  });

  it('compiles to the reference numbers (fusable: every member is a kernel)', () => {
    const { params, grads } = mixedDtypeInputs();
    for (const opt of [scheduleFreeAdamw({ learningRate: 0.05, warmupSteps: 2, weightDecay: 0.01 }), scheduleFreeSgd({ learningRate: 0.1, weightDecay: 0.1 }), scheduleFreeSgd({ learningRate: 0 })]) {
      expect(opt.fusable?.stages.map((s) => s.name).at(-1)).toBe('scheduleFreeAverage');
      expect(compiledDifference(opt as GradientTransformation<unknown>, params, grads)).toBeUndefined();
    }
  });

  it('gives the same averaging weights whatever order the counts come in (memoised sums)', () => {
    const scalarsOf = (opt: GradientTransformation<SfState>) => {
      const stage = opt.fusable?.stages.at(-1);
      if (stage === undefined) throw new Error('not fusable');
      return (count: number) => stage.scalars({ count, reductions: {}, hyper: {} });
    };
    const counts = [3000, 5, 2500, 1023, 1024, 0, 4096, 2047];
    const shuffled = scalarsOf(scheduleFreeSgd({ learningRate: 0.5, warmupSteps: 1500 }));
    const got = counts.map((c) => shuffled(c));
    const fresh = counts.map((c) => scalarsOf(scheduleFreeSgd({ learningRate: 0.5, warmupSteps: 1500 }))(c));
    expect(got).toEqual(fresh);
    // c_t = w_t / Σ w: after the warmup w is constant, so c = (peak²) / (Σ_{k<1500} (0.5·(k+1)/1500)² + (t - 1499)·0.25)
    let total = 0;
    for (let k = 0; k <= 3000; k++) total += (0.5 * Math.min(k + 1, 1500) / 1500) ** 2;
    expect(got[0]?.ck).toBeCloseTo(0.25 / total, 15);
  });

  it('compiles to the reference numbers bit for bit over random trees, dtypes, options and special values', () => {
    const arb = fc
      .record({
        adam: fc.boolean(),
        learningRate: fc.double({ min: 0, max: 2, noNaN: true }),
        warmupSteps: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
        b1: fc.double({ min: 0.05, max: 1, noNaN: true }),
        weightDecay: fc.constantFrom(0, 0.01, 0.5),
        weightLrPower: fc.constantFrom(0, 1, 2, 3.5),
      })
      .map((o) => {
        const options = { learningRate: o.learningRate, b1: o.b1, weightDecay: o.weightDecay, weightLrPower: o.weightLrPower, ...(o.warmupSteps === undefined ? {} : { warmupSteps: o.warmupSteps }) };
        const tx = (o.adam ? scheduleFreeAdamw(options) : scheduleFreeSgd(options)) as GradientTransformation<unknown>;
        return { tx, spec: tx.spec };
      });
    assertCompiledMatches(arb, 42, 25);
  });

  it('compiles under injectHyperparams too, and a changed learning rate takes effect', () => {
    const { params, grads } = mixedDtypeInputs();
    const opt = injectHyperparams(scheduleFreeAdamw)({ learningRate: 0.05, weightDecay: 0.01 });
    expect(compiledDifference(opt as GradientTransformation<unknown>, params, grads)).toBeUndefined();
    const state = opt.init(params);
    const [u] = opt.update(grads[0] ?? params, { ...state, hyperparams: { ...state.hyperparams, learningRate: 0 } }, params);
    for (const v of u.b) expect(Math.abs(v)).toBeLessThan(1e-15);
    const [moved] = opt.update(grads[0] ?? params, state, params);
    expect(Math.abs(moved.b[0] ?? 0)).toBeGreaterThan(1e-3);
  });

  it('is pure, keeps dtypes and forms, and needs params', () => {
    const params = { a: Float32Array.from([1, -2, 3]), b: tensor(Float64Array.from([0.5, 0, -1, 2]), [2, 2]) };
    const grads = { a: Float32Array.from([0.1, 0.2, -0.3]), b: tensor(Float64Array.from([1, -1, 0.5, 0]), [2, 2]) };
    const opt = scheduleFreeAdamw({ learningRate: 0.1 });
    const state = opt.init(params);
    const before = JSON.stringify(saveState({ params, grads, state }));
    const [u, next] = opt.update(grads, state, params);
    scheduleFreeEvalParams(next, params);
    expect(JSON.stringify(saveState({ params, grads, state }))).toBe(before);
    expect(u.a).toBeInstanceOf(Float32Array);
    expect(u.b.data).toBeInstanceOf(Float64Array);
    expect(u.b.shape).toEqual([2, 2]);
    expect(() => opt.update(grads, state)).toThrow(MissingParamsError);
    expect(() => opt.update(grads, { ...state, count: -1 }, params)).toThrow(StateMismatchError);
  });

  it('saves and loads its state: a resumed run continues bit for bit', () => {
    const opt = scheduleFreeAdamw({ learningRate: 0.1, warmupSteps: 3 });
    let params = { w: Float32Array.from([1, -2, 3, 0.5, 0, 7]) };
    let state = opt.init(params);
    const step = (s: typeof state, k: number): [typeof params, typeof state] => {
      const [u, n] = opt.update({ w: Float32Array.from(GRADS[k % 3] ?? []) }, s, params);
      return [applyUpdates(params, u), n];
    };
    for (let k = 0; k < 2; k++) [params, state] = step(state, k);
    const restored = loadState(JSON.parse(JSON.stringify(saveState(state, opt))), opt, params);
    const [p1, s1] = step(state, 2);
    const [p2, s2] = step(restored, 2);
    expect(p2).toEqual(p1);
    expect(saveState(s2)).toEqual(saveState(s1));
  });

  it('records its options, defaults filled in, in its spec', () => {
    expect(toSpec(scheduleFreeSgd({ learningRate: linearSchedule({ initValue: 1, endValue: 0, transitionSteps: 5 }) })).learningRate).toMatchObject({ schedule: 'linearSchedule' });
    expect(scheduleFreeSgd().spec).toEqual({ op: 'scheduleFreeSgd', learningRate: 1, b1: 0.9, weightDecay: 0, weightLrPower: 2 });
    expect(scheduleFreeAdamw({ warmupSteps: 10 }).spec).toEqual({
      op: 'scheduleFreeAdamw', learningRate: 0.0025, warmupSteps: 10, b1: 0.9, b2: 0.999, eps: 1e-8, weightDecay: 0, weightLrPower: 2,
    });
    expect(toSpec(scheduleFree(adamw({ learningRate: 1, b1: 0 }), { learningRate: 1 }))).toMatchObject({
      op: 'scheduleFree', learningRate: 1, b1: 0.9, weightLrPower: 2, transform: { op: 'adamw', b1: 0 },
    });
  });

  it('rejects bad options, naming them', () => {
    const cases: readonly [() => unknown, RegExp][] = [
      [() => scheduleFreeAdamw({ b1: 0 }), /^scheduleFreeAdamw: b1 must be a number in \(0, 1\]/],
      [() => scheduleFreeAdamw({ b2: 1 }), /^scheduleFreeAdamw: b2 must be/],
      [() => scheduleFreeAdamw({ eps: -1 }), /^scheduleFreeAdamw: eps must be/],
      [() => scheduleFreeAdamw({ learningRate: -1 }), /^scheduleFreeAdamw: learningRate must be/],
      [() => scheduleFreeAdamw({ warmupSteps: 0 }), /^scheduleFreeAdamw: warmupSteps must be an integer >= 1/],
      [() => scheduleFreeAdamw({ learningRate: (c: number) => c, warmupSteps: 5 }), /^scheduleFreeAdamw: learningRate must be a number when warmupSteps/],
      [() => scheduleFreeAdamw({ weightLrPower: Number.NaN }), /^scheduleFreeAdamw: weightLrPower must be/],
      [() => scheduleFreeAdamw({ mask: true } as unknown as ScheduleFreeAdamwOptions), /^scheduleFreeAdamw: mask must be one of the options/],
      [() => scheduleFreeSgd({ weightDecay: -0.1 }), /^scheduleFreeSgd: weightDecay must be/],
      [() => scheduleFree(adamw({ learningRate: 1 }), { learningRate: 1, b1: 1.5 }), /^scheduleFree: b1 must be/],
      [() => scheduleFree({} as GradientTransformation, { learningRate: 1 }), /^scheduleFree: base must be/],
    ];
    for (const [build, message] of cases) {
      expect(build).toThrow(HyperparameterError);
      expect(build).toThrow(message);
    }
    expect(() => scheduleFreeEvalParams({ b1: 0, z: {} } as unknown as SfState, {})).toThrow(StateMismatchError);
  });
});
