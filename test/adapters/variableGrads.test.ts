/**
 * With the gradient registry loaded (as the full @tensorflow/tfjs package does; inside vitest
 * tfjs-core's register_all_gradients can be imported), `tf.variableGrads(f).grads` is keyed by
 * the variables' tfjs names: naming the variables after their keys makes it a valid argument of
 * `applyGradients` as it is.
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { beforeAll, describe, expect, it } from 'vitest';
import { tfjsOptimizer } from '../../src/adapters/tfjs.js';
import { TreeMismatchError, adamw, warmupCosineDecay } from '../../src/index.js';

beforeAll(async () => {
  tf.env().set('IS_TEST', true);
  await tf.setBackend('cpu');
});

describe('tfjsOptimizer with tf.variableGrads', () => {
  it('fits a linear model from variableGrads output', () => {
    const x = tf.randomNormal([64, 3], 0, 1, 'float32', 1);
    const trueW = tf.tensor2d([[2], [-1], [0.5]]);
    const y = tf.add(tf.matMul(x, trueW), 0.25);
    const vars = { vg_w: tf.variable(tf.zeros([3, 1]), true, 'vg_w'), vg_b: tf.variable(tf.zeros([1]), true, 'vg_b') };
    const steps = 200;
    const learningRate = warmupCosineDecay({ initValue: 0, peakValue: 0.1, warmupSteps: 10, decaySteps: steps, endValue: 1e-3 });
    const opt = tfjsOptimizer(tf, adamw({ learningRate, weightDecay: 0 }), vars, { compiled: true });
    const loss = (): tf.Scalar => tf.mean(tf.square(tf.sub(tf.add(tf.matMul(x, vars.vg_w), vars.vg_b), y)));
    const tensors = tf.memory().numTensors;
    for (let step = 0; step < steps; step++) {
      const { value, grads } = tf.variableGrads(loss);
      expect(Object.keys(grads).sort()).toEqual(['vg_b', 'vg_w']);
      opt.applyGradients(grads);
      tf.dispose([value, ...Object.values(grads)]);
    }
    expect(tf.memory().numTensors).toBe(tensors);
    const w = Array.from(vars.vg_w.dataSync());
    [2, -1, 0.5].forEach((e, i) => expect(w[i]).toBeCloseTo(e, 2));
    expect(vars.vg_b.dataSync()[0]).toBeCloseTo(0.25, 2);

    // Variables whose tfjs names differ from their keys do not match by accident.
    const other = tf.variable(tf.zeros([1]), true, 'vg_other');
    const mismatched = tfjsOptimizer(tf, adamw({ learningRate: 0.1 }), { bias: other });
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(tf.sub(other, 1))));
    expect(() => { mismatched.applyGradients(grads); }).toThrow(TreeMismatchError);
    tf.dispose([value, ...Object.values(grads), x, trueW, y, other, vars.vg_w, vars.vg_b]);
  });
});
