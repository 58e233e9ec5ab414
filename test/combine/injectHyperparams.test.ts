import { describe, expect, it } from 'vitest';
import { injectHyperparams } from '../../src/combine/injectHyperparams.js';
import { adamw } from '../../src/optimizers/adam.js';
import { sgd } from '../../src/optimizers/sgd.js';
import { chain } from '../../src/combine/chain.js';
import { clipByGlobalNorm } from '../../src/transforms/clipping.js';
import { warmupCosineDecay } from '../../src/schedules/warmup.js';
import { HyperparameterError, StateMismatchError } from '../../src/errors.js';
import { applyUpdates } from '../../src/update.js';
import { toSpec } from '../../src/spec/spec.js';
import { allValues } from '../helpers/arbitraries.js';

const schedule = warmupCosineDecay({ initValue: 0, peakValue: 0.1, warmupSteps: 3, decaySteps: 10 });
const params = { w: Float64Array.from([1, -2, 3]), b: Float64Array.from([0.5]) };
const grads = (k: number) => ({ w: Float64Array.from([0.1 * k, -0.2, 0.3]), b: Float64Array.from([1 / (k + 1)]) });

describe('injectHyperparams', () => {
  it('gives the same trajectory as the plain optimizer, bit for bit', () => {
    const plain = adamw({ learningRate: schedule, weightDecay: 1e-2 });
    const injected = injectHyperparams(adamw)({ learningRate: schedule, weightDecay: 1e-2 });
    let p1 = params;
    let p2 = params;
    let s1 = plain.init(params);
    let s2 = injected.init(params);
    for (let k = 0; k < 6; k++) {
      const [u1, n1] = plain.update(grads(k), s1, p1);
      const [u2, n2] = injected.update(grads(k), s2, p2);
      p1 = applyUpdates(p1, u1);
      p2 = applyUpdates(p2, u2);
      s1 = n1;
      s2 = n2;
      expect(allValues(p2)).toEqual(allValues(p1));
    }
  });

  it('keeps the learning rate in state: schedule(0) after init, schedule(k-1) after k updates', () => {
    const opt = injectHyperparams(adamw)({ learningRate: schedule });
    let state = opt.init(params);
    expect(state.hyperparams.learningRate).toBe(schedule(0));
    for (let k = 1; k <= 4; k++) {
      state = opt.update(grads(k), state, params)[1];
      expect(state.hyperparams.learningRate).toBe(schedule(k - 1));
      expect(state.count).toBe(k);
    }
    // Every numeric option is injected, defaults included (read from the optimizer's spec).
    expect(Object.keys(state.hyperparams).sort()).toEqual(['b1', 'b2', 'eps', 'epsRoot', 'learningRate', 'weightDecay']);
    expect(state.hyperparams.weightDecay).toBe(1e-4);
  });

  it('uses a value changed in the state at the next update', () => {
    const opt = injectHyperparams(sgd)({ learningRate: 0.1 });
    const state = opt.init(params);
    const [u1] = opt.update(grads(1), state, params);
    const [u2] = opt.update(grads(1), { ...state, hyperparams: { ...state.hyperparams, learningRate: 0.5 } }, params);
    expect(u2.w[0]).toBeCloseTo(5 * (u1.w[0] ?? NaN), 14);
  });

  it('validates a changed value through the constructor, before computing anything', () => {
    const opt = injectHyperparams(adamw)({ learningRate: 0.1, b1: 0.9 });
    const state = opt.init(params);
    expect(() => opt.update(grads(1), { ...state, hyperparams: { ...state.hyperparams, b1: 1.5 } }, params)).toThrow(/scaleByAdam: b1 must be a number in \[0, 1\)/);
    expect(() => opt.update(grads(1), { ...state, hyperparams: { learningRate: 0.1 } }, params)).toThrow(StateMismatchError);
  });

  it('rejects a value that changes the structure', () => {
    const opt = injectHyperparams(sgd)({ learningRate: 0.1, momentum: 0.9 });
    const state = opt.init(params);
    expect(() => opt.update(grads(1), { ...state, hyperparams: { ...state.hyperparams, momentum: 0 } }, params)).toThrow(HyperparameterError);
  });

  it('is fusable, carrying the values to the stages through ctx.hyper', () => {
    const opt = injectHyperparams(adamw)({ learningRate: 0.1, weightDecay: 1e-4 });
    const fusable = opt.fusable;
    expect(fusable?.stages.map((s) => s.name)).toEqual(['scaleByAdam', 'addDecayedWeights', 'scaleByLearningRate']);
    const init = opt.init(params);
    const state = { ...init, hyperparams: { ...init.hyperparams, learningRate: 0.25 } };
    const stageStates = fusable?.toStageStates(state) ?? [];
    expect(stageStates[2]?.hyper).toEqual(state.hyperparams);
    expect(fusable?.stages[2]?.scalars({ count: 0, reductions: {}, hyper: state.hyperparams })).toEqual({ lr: -0.25 });
    expect(fusable?.fromStageStates(stageStates)).toEqual(state);
  });

  it('works inside a chain and has a spec naming the inner optimizer', () => {
    const opt = chain(clipByGlobalNorm(1), injectHyperparams(adamw)({ learningRate: schedule }));
    const spec = toSpec(opt);
    expect(spec.transforms).toMatchObject([{ op: 'clipByGlobalNorm' }, { op: 'injectHyperparams', transform: {} }]);
    const state = opt.init(params);
    expect(state[1].hyperparams.learningRate).toBe(0);
  });
});
