/**
 * reduceOnPlateau: optax's unit tests (contrib/_reduce_on_plateau_test.py), accumulation,
 * tolerances, minScale, mode 'max', PyTorch's ReduceLROnPlateau (patience + 1) on random value
 * sequences, convergence on a parabola and Rosenbrock, purity, snapshots, validation.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { GradientTransformation } from '../../src/base.js';
import { ExtraArgError } from '../../src/errors.js';
import { chain } from '../../src/combine/chain.js';
import { CompileError, compile } from '../../src/compile/index.js';
import { HyperparameterError, StateMismatchError } from '../../src/errors.js';
import { adam } from '../../src/optimizers/adam.js';
import { toSpec } from '../../src/spec/spec.js';
import { loadState, loadStateBinary, saveState, saveStateBinary } from '../../src/state/index.js';
import { type ReduceOnPlateauOptions, type ReduceOnPlateauState, reduceOnPlateau } from '../../src/transforms/plateau.js';
import { scaleByLearningRate } from '../../src/transforms/scale.js';
import { scaleBySign } from '../../src/transforms/sign.js';
import { copyTree, sameBits } from '../helpers/arbitraries.js';
import { TARGETS, expectConverges, minimize } from '../helpers/convergence.js';

const f64 = (...xs: number[]): Float64Array => Float64Array.from(xs);
const one = { params: f64(1) };

/** Runs the values through `tx` on the dummy update 1 (as optax's test does); the last state and output. */
function feed(tx: GradientTransformation<ReduceOnPlateauState>, values: readonly number[], state = tx.init(one)): { state: ReduceOnPlateauState; out: number } {
  let out = NaN;
  for (const value of values) {
    const [u, s] = tx.update(one, state, undefined, { value });
    out = u.params[0] as number;
    state = s;
  }
  return { state, out };
}

const at = (over: Partial<ReduceOnPlateauState>): ReduceOnPlateauState => ({ scale: 1, bestValue: Infinity, plateauCount: 0, cooldownCount: 0, count: 0, avgValue: 0, ...over });

describe('reduceOnPlateau: optax\'s tests (factor 0.1, patience 5, rtol 1e-4, cooldown 5)', () => {
  const tx = reduceOnPlateau({ factor: 0.1, patience: 5, rtol: 1e-4, atol: 0, cooldown: 5 });

  it('reduces the scale once patience runs out, then counts the cooldown down', () => {
    const { state, out } = feed(tx, [1, 1, 1, 1, 1, 1]);
    expect(state).toEqual(at({ scale: 0.1, bestValue: 1, plateauCount: 0, cooldownCount: 5 }));
    expect(out).toBeCloseTo(0.1, 15);
    const after = feed(tx, [1], state).state;
    expect(after).toEqual(at({ scale: 0.1, bestValue: 1, plateauCount: 0, cooldownCount: 4 }));
  });

  it('does not reduce one step early', () => {
    expect(feed(tx, [1, 1, 1, 1, 1]).state).toEqual(at({ bestValue: 1, plateauCount: 4 }));
  });

  it('resets the plateau count when a new best value comes', () => {
    const { state } = feed(tx, [0.1], at({ scale: 0.1, bestValue: 1, plateauCount: 3 }));
    expect(state).toEqual(at({ scale: 0.1, bestValue: 0.1, plateauCount: 0 }));
  });

  it('does not reduce, nor count the plateau, during the cooldown', () => {
    const { state } = feed(tx, [2], at({ scale: 0.1, bestValue: 1, plateauCount: 0, cooldownCount: 3 }));
    expect(state).toEqual(at({ scale: 0.1, bestValue: 1, plateauCount: 0, cooldownCount: 2 }));
  });

  it('still records a new best during the cooldown', () => {
    expect(feed(tx, [0.5], at({ bestValue: 1, cooldownCount: 2 })).state).toEqual(at({ bestValue: 0.5, cooldownCount: 1 }));
  });
});

describe('reduceOnPlateau: the recurrence', () => {
  it('averages accumulationSize values into one evaluation', () => {
    const tx = reduceOnPlateau({ accumulationSize: 3, patience: 1 });
    let { state } = feed(tx, [4]);
    expect(state).toEqual(at({ count: 1, avgValue: 4 }));
    ({ state } = feed(tx, [2], state));
    expect(state).toEqual(at({ count: 2, avgValue: 3 }));
    ({ state } = feed(tx, [0], state));
    expect(state).toEqual(at({ bestValue: 2 })); // (4 + 2 + 0) / 3
    // the next three average to 3 > 2: one bad evaluation with patience 1 reduces
    ({ state } = feed(tx, [3, 3], state));
    expect(state.scale).toBe(1);
    ({ state } = feed(tx, [3], state));
    expect(state).toEqual(at({ scale: 0.1, bestValue: 2 }));
  });

  it('needs an improvement beyond (1 - rtol)·best - atol', () => {
    const rel = reduceOnPlateau({ rtol: 0.1, patience: 2 });
    expect(feed(rel, [1, 0.95]).state).toEqual(at({ bestValue: 1, plateauCount: 1 }));
    expect(feed(rel, [1, 0.89]).state).toEqual(at({ bestValue: 0.89 }));
    const abs = reduceOnPlateau({ rtol: 0, atol: 0.5, patience: 2 });
    expect(feed(abs, [3, 2.6]).state).toEqual(at({ bestValue: 3, plateauCount: 1 }));
    expect(feed(abs, [3, 2.4]).state).toEqual(at({ bestValue: 2.4 }));
  });

  it('multiplies by factor on each plateau, never below minScale', () => {
    const tx = reduceOnPlateau({ factor: 0.5, patience: 1, minScale: 0.2 });
    const scales: number[] = [];
    let state = tx.init(one);
    for (let k = 0; k < 5; k++) {
      ({ state } = feed(tx, [1], state));
      scales.push(state.scale);
    }
    expect(scales).toEqual([1, 0.5, 0.25, 0.2, 0.2]);
  });

  it('mode max: higher is better, from -Infinity', () => {
    const tx = reduceOnPlateau({ mode: 'max', patience: 2, rtol: 0.1 });
    expect(tx.init(one).bestValue).toBe(-Infinity);
    expect(feed(tx, [0.5, 0.6]).state).toEqual(at({ bestValue: 0.6 }));
    // 0.54 does not beat 1.1·0.5: two bad evaluations reduce
    expect(feed(tx, [0.5, 0.54, 0.3]).state).toEqual(at({ bestValue: 0.5, scale: 0.1 }));
  });

  it('never counts NaN or an infinite loss as an improvement', () => {
    const tx = reduceOnPlateau({ patience: 2 });
    expect(feed(tx, [NaN, Infinity]).state).toEqual(at({ scale: 0.1, bestValue: Infinity }));
    expect(feed(tx, [1, NaN]).state).toEqual(at({ bestValue: 1, plateauCount: 1 }));
  });

  it('scales every leaf by the new scale, rounded to the leaf\'s dtype', () => {
    const tx = reduceOnPlateau({ factor: 0.3, patience: 1 });
    const g = { w: Float32Array.of(1 / 3, -7), b: { shape: [1], data: f64(2.5) } };
    let state = feed(tx, [1]).state;
    const [u, next] = tx.update(g, state, undefined, { value: 2 });
    state = next;
    expect(state.scale).toBe(0.3);
    expect(Array.from(u.w)).toEqual([Math.fround(0.3 * Math.fround(1 / 3)), Math.fround(0.3 * -7)]);
    expect(u.w).toBeInstanceOf(Float32Array);
    expect(u.b.shape).toEqual([1]);
    expect(Array.from(u.b.data)).toEqual([0.3 * 2.5]);
  });
});

/** PyTorch's ReduceLROnPlateau.step (eps 0, min_lr 0), tracking the learning-rate factor. */
function torchFactors(values: readonly number[], o: { mode: 'min' | 'max'; thresholdMode: 'rel' | 'abs'; threshold: number; patience: number; cooldown: number; factor: number }): number[] {
  let best = o.mode === 'min' ? Infinity : -Infinity;
  let bad = 0;
  let cooldownCounter = 0;
  let lr = 1;
  const isBetter = (a: number): boolean => {
    if (o.mode === 'min') return o.thresholdMode === 'rel' ? a < best * (1 - o.threshold) : a < best - o.threshold;
    return o.thresholdMode === 'rel' ? a > best * (o.threshold + 1) : a > best + o.threshold;
  };
  return values.map((v) => {
    if (isBetter(v)) {
      best = v;
      bad = 0;
    } else bad += 1;
    if (cooldownCounter > 0) {
      cooldownCounter -= 1;
      bad = 0;
    }
    if (bad > o.patience) {
      lr = Math.max(lr * o.factor, 0);
      cooldownCounter = o.cooldown;
      bad = 0;
    }
    return lr;
  });
}

describe('reduceOnPlateau against PyTorch\'s ReduceLROnPlateau', () => {
  it('matches with patience + 1, threshold as rtol (rel) or atol (abs), on random loss sequences', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 1, maxLength: 80 }),
        fc.constantFrom('min' as const, 'max' as const),
        fc.constantFrom('rel' as const, 'abs' as const),
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 0, max: 3 }),
        (ints, mode, thresholdMode, patience, cooldown) => {
          const values = ints.map((i) => i / 4);
          const threshold = thresholdMode === 'rel' ? 0.05 : 0.3;
          const torch = torchFactors(values, { mode, thresholdMode, threshold, patience, cooldown, factor: 0.5 });
          const tx = reduceOnPlateau({
            mode,
            patience: patience + 1,
            cooldown,
            factor: 0.5,
            ...(thresholdMode === 'rel' ? { rtol: threshold, atol: 0 } : { rtol: 0, atol: threshold }),
          });
          let state = tx.init(one);
          const ours = values.map((value) => {
            [, state] = tx.update(one, state, undefined, { value });
            return state.scale;
          });
          expect(ours).toEqual(torch);
        },
      ),
      { seed: 42, numRuns: 300 },
    );
  });
});

/** reduceOnPlateau reads the loss: float64 params, the loss handed to `update` as `{ value }`. */
const FLOAT64_WITH_LOSS = { dtype: 'float64', withValue: true } as const;

const distance = (x: readonly number[], y: readonly number[]): number => Math.hypot(...x.map((v, i) => v - (y[i] as number)));

describe('reduceOnPlateau: convergence', () => {
  it('sign descent with a fixed rate stalls within the rate of the parabola\'s minimum; with reduceOnPlateau it converges', () => {
    const fixed = chain(scaleBySign(), scaleByLearningRate(0.1));
    const plateau = chain(scaleBySign(), scaleByLearningRate(0.1), reduceOnPlateau({ patience: 5, factor: 0.5 }));
    const end = TARGETS.parabola.end;
    const start = [-1.03, 10.07, 1.05]; // not a multiple of the rate away from the minimum
    expect(distance(minimize(fixed, 'parabola', 600, { ...FLOAT64_WITH_LOSS, start }), end)).toBeGreaterThan(0.02);
    expect(distance(minimize(plateau, 'parabola', 600, { ...FLOAT64_WITH_LOSS, start }), end)).toBeLessThan(1e-4);
  });

  it('adam on Rosenbrock reaches optax\'s tolerance (3e-2)', () => {
    const opt = chain(adam({ learningRate: 0.05 }), reduceOnPlateau({ patience: 20, factor: 0.5, rtol: 1e-3 }));
    expectConverges(opt, 'rosenbrock', 5000, FLOAT64_WITH_LOSS);
  });
});

describe('reduceOnPlateau: purity, state, spec', () => {
  it('leaves its inputs untouched and returns fresh arrays', () => {
    const tx = chain(adam({ learningRate: 0.1 }), reduceOnPlateau({ patience: 1 }));
    const params = { w: Float32Array.of(1, -2), b: f64(0.5) };
    const grads = { w: Float32Array.of(0.25, 3), b: f64(-1) };
    let state = tx.init(params);
    for (const value of [3, 3, 3]) [, state] = tx.update(grads, state, params, { value });
    const [p0, g0, s0] = [copyTree(params), copyTree(grads), structuredClone(state)];
    const [u, next] = tx.update(grads, state, params, { value: 3 });
    expect(sameBits(params, p0)).toBe(true);
    expect(sameBits(grads, g0)).toBe(true);
    expect(state).toEqual(s0);
    expect(next).not.toBe(state);
    expect(u.w).not.toBe(grads.w);
    expect(u.b).not.toBe(grads.b);
  });

  it('saves and loads its state (JSON and binary) exactly, Infinity included', () => {
    const tx = chain(adam({ learningRate: 0.1 }), reduceOnPlateau({ accumulationSize: 2 }));
    const params = { w: f64(1, 2) };
    const fresh = tx.init(params);
    expect(loadState(JSON.parse(JSON.stringify(saveState(fresh, tx))), tx, params)[1]).toEqual(fresh[1]);
    let state = fresh;
    for (const value of [2, 1.5, 3]) [, state] = tx.update({ w: f64(0.1, 0.2) }, state, params, { value });
    expect(state[1]).toEqual(at({ bestValue: 1.75, count: 1, avgValue: 3 }));
    expect(loadState(JSON.parse(JSON.stringify(saveState(state, tx))), tx, params)[1]).toEqual(state[1]);
    expect(loadStateBinary(saveStateBinary(state, tx), tx, params)[1]).toEqual(state[1]);
  });

  it('has a spec with every option, defaults filled in (optax\'s)', () => {
    expect(toSpec(reduceOnPlateau())).toEqual({ op: 'reduceOnPlateau', factor: 0.1, patience: 10, rtol: 1e-4, atol: 0, cooldown: 0, accumulationSize: 1, minScale: 0, mode: 'min' });
    expect(toSpec(reduceOnPlateau({ factor: 0.5, mode: 'max', accumulationSize: 4 }))).toMatchObject({ factor: 0.5, mode: 'max', accumulationSize: 4 });
  });

  it('throws ExtraArgError without the value, and StateMismatchError for a foreign state', () => {
    const tx = reduceOnPlateau();
    expect(() => tx.update(one, tx.init(one))).toThrow(ExtraArgError);
    expect(() => tx.update(one, tx.init(one), undefined, {})).toThrow(/reduceOnPlateau: update needs extra\.value/);
    expect(() => tx.update(one, [] as unknown as ReduceOnPlateauState, undefined, { value: 1 })).toThrow(StateMismatchError);
    expect(() => tx.update(one, at({ plateauCount: -1 }), undefined, { value: 1 })).toThrow(/plateauCount/);
    expect(() => tx.update(one, at({ scale: '1' as unknown as number }), undefined, { value: 1 })).toThrow(/scale/);
    expect(() => reduceOnPlateau({ accumulationSize: 2 }).update(one, at({ count: 2 }), undefined, { value: 1 })).toThrow(/count is below accumulationSize/);
  });

  it('is not fusable: compile with requireFusable refuses it', () => {
    const tx = chain(adam({ learningRate: 0.1 }), reduceOnPlateau());
    expect(tx.fusable).toBeUndefined();
    expect(() => compile(tx, { w: f64(1) }, { requireFusable: true })).toThrow(CompileError);
  });
});

describe('reduceOnPlateau: validation', () => {
  const bad: readonly (readonly [ReduceOnPlateauOptions, string])[] = [
    [{ factor: 0 }, 'factor'],
    [{ factor: 1 }, 'factor'],
    [{ factor: NaN }, 'factor'],
    [{ patience: 0 }, 'patience'],
    [{ patience: 2.5 }, 'patience'],
    [{ rtol: -1e-3 }, 'rtol'],
    [{ rtol: 1.5 }, 'rtol'],
    [{ rtol: 0, atol: 0 }, 'rtol'],
    [{ atol: -1 }, 'atol'],
    [{ cooldown: -1 }, 'cooldown'],
    [{ accumulationSize: 0 }, 'accumulationSize'],
    [{ minScale: 2 }, 'minScale'],
    [{ mode: 'lowest' as 'min' }, 'mode'],
    [{ patienceSteps: 3 } as ReduceOnPlateauOptions, 'patienceSteps'],
  ];
  it.each(bad)('rejects %o naming %s', (options, parameter) => {
    let error: unknown;
    try {
      reduceOnPlateau(options);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(HyperparameterError);
    expect((error as HyperparameterError).owner).toBe('reduceOnPlateau');
    expect((error as HyperparameterError).parameter).toBe(parameter);
  });

  it('accepts rtol 0 with a positive atol, and atol 0 with a positive rtol', () => {
    expect(() => reduceOnPlateau({ rtol: 0, atol: 1e-3 })).not.toThrow();
    expect(() => reduceOnPlateau({ rtol: 1, atol: 0 })).not.toThrow();
    expect(() => reduceOnPlateau(null as unknown as ReduceOnPlateauOptions)).toThrow(HyperparameterError);
  });
});
