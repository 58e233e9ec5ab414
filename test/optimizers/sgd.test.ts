import { describe, expect, it } from 'vitest';
import { sgd } from '../../src/optimizers/sgd.js';
import { applyUpdates } from '../../src/update.js';
import { HyperparameterError } from '../../src/errors.js';

describe('sgd', () => {
  it('sgd(0.11) on Σ(x-1)² from [1,2,3] gives [1, 1.78, 2.56] (jax-js test)', () => {
    const opt = sgd({ learningRate: 0.11 });
    let params = { x: Float64Array.from([1, 2, 3]) };
    const state = opt.init(params);
    const grads = { x: params.x.map((v) => 2 * (v - 1)) };
    params = applyUpdates(params, opt.update(grads, state, params)[0]);
    expect(Array.from(params.x).map((v) => Number(v.toFixed(12)))).toEqual([1, 1.78, 2.56]);
  });

  it('converges on a quadratic with momentum and Nesterov, in float32', () => {
    const opt = sgd({ learningRate: 0.05, momentum: 0.9, nesterov: true });
    let params = { x: Float32Array.from([5, -5, 0]) };
    let state = opt.init(params);
    for (let i = 0; i < 300; i++) {
      const grads = { x: params.x.map((v) => 2 * (v - 3)) };
      const [u, s] = opt.update(grads, state, params);
      params = applyUpdates(params, u);
      state = s;
    }
    expect(params.x).toBeInstanceOf(Float32Array);
    for (const v of params.x) expect(v).toBeCloseTo(3, 4);
  });

  it('rejects bad options when built', () => {
    expect(() => sgd({ learningRate: -1 })).toThrow(HyperparameterError);
    expect(() => sgd({ learningRate: 0.1, momentum: 2 })).toThrow(/trace: decay/);
    expect(() => sgd({ learningRate: 0.1, lr: 1 } as never)).toThrow(/sgd: lr must be one of the options/);
  });
});
