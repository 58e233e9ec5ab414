/**
 * The TensorFlow.js adapter: gradfuse optimizers on tf.Variables, state keyed by variable name,
 * bit for bit gradfuse's numbers, no tensor leaks, checks before any change.
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type TfParams, tfjsOptimizer } from '../../src/adapters/tfjs.js';
import {
  type GradientTransformation,
  ExtraArgError,
  HyperparameterError,
  TreeMismatchError,
  adamw,
  applyUpdates,
  chain,
  clipByGlobalNorm,
  loadState,
  reduceOnPlateau,
  saveState,
  sgd,
  tensor,
  warmupCosineDecay,
} from '../../src/index.js';

beforeAll(async () => {
  tf.env().set('IS_TEST', true); // no "install tfjs-node" banner
  await tf.setBackend('cpu');
});

afterEach(() => {
  tf.disposeVariables();
});

/** Variable names are global in tfjs: every test gets fresh ones. */
let serial = 0;
function variable(values: Float32Array, shape: readonly number[]): tf.Variable {
  serial++;
  return tf.variable(tf.tensor(values, [...shape], 'float32'), true, `v${String(serial)}`);
}

/** A seeded uniform generator in [-1, 1). */
function uniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  };
}

const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

const headline = (): GradientTransformation<unknown> =>
  chain(
    clipByGlobalNorm(1),
    adamw({ learningRate: warmupCosineDecay({ initValue: 0, peakValue: 0.05, warmupSteps: 3, decaySteps: 30, endValue: 1e-3 }), weightDecay: 1e-2 }),
  );

/** A variable set with shapes [3, 4], [4] and [] (a scalar). */
function model(seed: number): { readonly shapes: Readonly<Record<string, readonly number[]>>; readonly initial: Readonly<Record<string, Float32Array>> } {
  const random = uniform(seed);
  const shapes = { w: [3, 4], b: [4], scale: [] } as const;
  const initial = Object.fromEntries(Object.entries(shapes).map(([k, s]) => [k, Float32Array.from({ length: size(s) }, random)]));
  return { shapes, initial };
}

const variablesOf = (shapes: Readonly<Record<string, readonly number[]>>, initial: Readonly<Record<string, Float32Array>>): Record<string, tf.Variable> =>
  Object.fromEntries(Object.keys(shapes).map((k) => [k, variable(initial[k] as Float32Array, shapes[k] as readonly number[])]));

const valuesOf = (variables: Readonly<Record<string, tf.Variable>>): Record<string, number[]> =>
  Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, Array.from(v.dataSync())]));

/** gradfuse on plain Float32Array tensors: the reference the adapter must equal bit for bit. */
function reference<S>(tx: GradientTransformation<S>, shapes: Readonly<Record<string, readonly number[]>>, initial: Readonly<Record<string, Float32Array>>) {
  let params: TfParams = Object.fromEntries(Object.keys(shapes).map((k) => [k, tensor((initial[k] as Float32Array).slice(), shapes[k] as readonly number[])]));
  let state = tx.init(params);
  return {
    step(grads: Readonly<Record<string, Float32Array>>): void {
      const g: TfParams = Object.fromEntries(Object.keys(shapes).map((k) => [k, tensor(grads[k] as Float32Array, shapes[k] as readonly number[])]));
      const [updates, next] = tx.update(g, state, params);
      params = applyUpdates(params, updates);
      state = next;
    },
    values: (): Record<string, number[]> => Object.fromEntries(Object.entries(params).map(([k, l]) => [k, Array.from(l.data)])),
    get state(): S {
      return state;
    },
  };
}

/** Gradients as Float32Arrays and as tensors (the caller disposes the tensors). */
function gradients(shapes: Readonly<Record<string, readonly number[]>>, random: () => number, scale = 3): { readonly arrays: Record<string, Float32Array>; readonly tensors: Record<string, tf.Tensor> } {
  const arrays = Object.fromEntries(Object.entries(shapes).map(([k, s]) => [k, Float32Array.from({ length: size(s) }, () => random() * scale)]));
  const tensors = Object.fromEntries(Object.entries(arrays).map(([k, a]) => [k, tf.tensor(a, [...(shapes[k] as readonly number[])], 'float32')]));
  return { arrays, tensors };
}

/** Bit-for-bit equality of number arrays (Object.is, so -0 and NaN count). */
function expectSameBits(actual: Record<string, number[]>, expected: Record<string, number[]>): void {
  expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
  for (const k of Object.keys(expected)) {
    const a = actual[k] as number[];
    const e = expected[k] as number[];
    expect(a.length).toBe(e.length);
    a.forEach((x, i) => {
      if (!Object.is(x, e[i])) expect.fail(`${k}[${String(i)}]: ${String(x)} !== ${String(e[i])}`);
    });
  }
}

describe('tfjsOptimizer: numbers', () => {
  for (const compiled of [false, true] as const) {
    it(`equals gradfuse on the same Float32Arrays, bit for bit (${compiled ? 'compiled' : 'reference update'})`, () => {
      const { shapes, initial } = model(1);
      const vars = variablesOf(shapes, initial);
      const tx = headline();
      const opt = tfjsOptimizer(tf, tx, vars, { compiled });
      const ref = reference(tx, shapes, initial);
      const random = uniform(2);
      for (let step = 0; step < 25; step++) {
        const { arrays, tensors } = gradients(shapes, random);
        opt.applyGradients(tensors);
        ref.step(arrays);
        tf.dispose(Object.values(tensors));
        expectSameBits(valuesOf(vars), ref.values());
      }
      expect(opt.state).toEqual(ref.state);
      expect(opt.backend).toBe(compiled ? 'js' : undefined);
    });
  }

  it('property: any variables, shapes and steps give gradfuse\'s numbers, both paths', () => {
    const shape = fc.oneof(fc.constant([] as number[]), fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 3 }));
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(fc.constantFrom('kernel', 'bias', 'w', 'b', 'gamma', 'odd key', '__proto__', 'z9'), shape), { minLength: 1, maxLength: 4, selector: ([k]) => k }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 0, max: 1000 }),
        fc.boolean(),
        (entries, steps, seed, compiled) => {
          const shapes: Record<string, readonly number[]> = {};
          for (const [k, s] of entries) Object.defineProperty(shapes, k, { value: s, enumerable: true, writable: true, configurable: true });
          const random = uniform(seed);
          const initial: Record<string, Float32Array> = {};
          for (const [k, s] of entries) Object.defineProperty(initial, k, { value: Float32Array.from({ length: size(s) }, random), enumerable: true, writable: true, configurable: true });
          const vars: Record<string, tf.Variable> = {};
          for (const [k, s] of entries) Object.defineProperty(vars, k, { value: variable(initial[k] as Float32Array, s), enumerable: true, writable: true, configurable: true });
          const tx = headline();
          const opt = tfjsOptimizer(tf, tx, vars, { compiled });
          const ref = reference(tx, shapes, initial);
          for (let step = 0; step < steps; step++) {
            const arrays: Record<string, Float32Array> = {};
            const tensors: Record<string, tf.Tensor> = {};
            // Insertion order reversed: names, not positions, decide.
            for (const [k, s] of [...entries].reverse()) {
              const a = Float32Array.from({ length: size(s) }, () => random() * 4);
              Object.defineProperty(arrays, k, { value: a, enumerable: true, writable: true, configurable: true });
              Object.defineProperty(tensors, k, { value: tf.tensor(a, [...s], 'float32'), enumerable: true, writable: true, configurable: true });
            }
            opt.applyGradients(tensors);
            ref.step(arrays);
            tf.dispose(Object.values(tensors));
          }
          const actual: Record<string, number[]> = {};
          for (const [k] of entries) Object.defineProperty(actual, k, { value: Array.from((vars[k] as tf.Variable).dataSync()), enumerable: true });
          expectSameBits(actual, ref.values());
          tf.disposeVariables();
        },
      ),
      { seed: 61, numRuns: 40 },
    );
  });

  it('the wasm backend stays within float32 rounding of the reference', () => {
    const { shapes, initial } = model(3);
    const vars = variablesOf(shapes, initial);
    const tx = headline();
    const opt = tfjsOptimizer(tf, tx, vars, { compiled: 'auto' });
    const ref = reference(tx, shapes, initial);
    const random = uniform(4);
    for (let step = 0; step < 10; step++) {
      const { arrays, tensors } = gradients(shapes, random);
      opt.applyGradients(tensors);
      ref.step(arrays);
      tf.dispose(Object.values(tensors));
    }
    const expected = ref.values();
    for (const [k, values] of Object.entries(valuesOf(vars))) {
      values.forEach((x, i) => {
        expect(Math.abs(x - ((expected[k] as number[])[i] as number))).toBeLessThan(1e-5);
      });
    }
    expect(['wasm', 'js', 'closure']).toContain(opt.backend);
  });

  it('works with a transformation that is not kernel-defined (reference path, and compiled as a host member)', () => {
    const negate: GradientTransformation<{ readonly count: number }> = {
      init: () => ({ count: 0 }),
      update: (updates, state) => [updates, { count: state.count + 1 }],
    };
    const w = variable(Float32Array.from([1, 2]), [2]);
    const opt = tfjsOptimizer(tf, negate, { w });
    const g = tf.tensor1d([0.5, -0.25]);
    opt.applyGradients({ w: g });
    g.dispose();
    expect(Array.from(w.dataSync())).toEqual([1.5, 1.75]);
    expect(opt.state).toEqual({ count: 1 });
    // Compiled, it runs as a host member of the compiled step: the same numbers.
    const v = variable(Float32Array.from([1, 2]), [2]);
    const compiled = tfjsOptimizer(tf, negate, { v }, { compiled: true });
    const h = tf.tensor1d([0.5, -0.25]);
    compiled.applyGradients({ v: h });
    h.dispose();
    expect(Array.from(v.dataSync())).toEqual([1.5, 1.75]);
  });
});

describe('tfjsOptimizer: state is keyed by variable name', () => {
  it("tfjs's own Adam keys moments by position: a different subset mixes them up (why the adapter does not)", () => {
    const a = variable(Float32Array.from([1, 1]), [2]);
    const b = variable(Float32Array.from([1, 1]), [2]);
    const own = tf.train.adam(0.1);
    const ga = tf.tensor1d([100, 100]);
    const gb = tf.tensor1d([-1, -1]);
    own.applyGradients([{ name: a.name, tensor: ga }]);
    own.applyGradients([{ name: b.name, tensor: gb }]);
    // b's gradient is negative, so b must grow; tfjs gave it a's moments and it shrank.
    expect((b.dataSync()[0] as number) < 1).toBe(true);
    own.dispose();

    const c = variable(Float32Array.from([1, 1]), [2]);
    const d = variable(Float32Array.from([1, 1]), [2]);
    const forC = tfjsOptimizer(tf, adamw({ learningRate: 0.1, weightDecay: 0 }), { c });
    const forD = tfjsOptimizer(tf, adamw({ learningRate: 0.1, weightDecay: 0 }), { d });
    forC.applyGradients({ c: ga });
    forD.applyGradients({ d: gb });
    expect(Array.from(d.dataSync())).toEqual([Math.fround(1.1), Math.fround(1.1)]);
    expect(Array.from(c.dataSync())).toEqual([Math.fround(0.9), Math.fround(0.9)]);
    tf.dispose([ga, gb]);
  });

  it('gradients in any order give the same step', () => {
    const { shapes, initial } = model(5);
    const first = variablesOf(shapes, initial);
    const second = variablesOf(shapes, initial);
    const tx = headline();
    const inOrder = tfjsOptimizer(tf, tx, first);
    const reversed = tfjsOptimizer(tf, tx, Object.fromEntries(Object.entries(second).reverse()));
    const random = uniform(6);
    for (let step = 0; step < 5; step++) {
      const { tensors } = gradients(shapes, random);
      inOrder.applyGradients(tensors);
      reversed.applyGradients(Object.fromEntries(Object.entries(tensors).reverse()));
      tf.dispose(Object.values(tensors));
    }
    expectSameBits(valuesOf(second), valuesOf(first));
    expect(inOrder.names).toEqual(['b', 'scale', 'w']);
  });

  it('a missing gradient (a subset) is a TreeMismatchError naming it, and changes nothing', () => {
    const { shapes, initial } = model(7);
    for (const compiled of [false, true]) {
      const vars = variablesOf(shapes, initial);
      const opt = tfjsOptimizer(tf, headline(), vars, { compiled });
      const random = uniform(8);
      const warm = gradients(shapes, random);
      opt.applyGradients(warm.tensors);
      tf.dispose(Object.values(warm.tensors));
      const before = valuesOf(vars);
      const stateBefore = saveState(opt.state);
      const { tensors } = gradients(shapes, random);
      const { b, ...subset } = tensors;
      let error: unknown;
      try {
        opt.applyGradients(subset);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(TreeMismatchError);
      expect((error as TreeMismatchError).path).toBe('b');
      expect((error as Error).message).toMatch(/at b: expected a gradient for every variable.*own optimizer.*got none/);
      expect(valuesOf(vars)).toEqual(before);
      expect(saveState(opt.state)).toEqual(stateBefore);
      tf.dispose([b as tf.Tensor, ...Object.values(subset)]);
    }
  });

  it('an optimizer per subset of the variables keeps each subset to itself', () => {
    const { shapes, initial } = model(9);
    const vars = variablesOf(shapes, initial);
    const { w, ...rest } = vars;
    const tx = headline();
    const forW = tfjsOptimizer(tf, tx, { w: w as tf.Variable });
    const forRest = tfjsOptimizer(tf, tx, rest);
    const refW = reference(tx, { w: shapes.w as readonly number[] }, { w: initial.w as Float32Array });
    const restShapes = { b: shapes.b as readonly number[], scale: shapes.scale as readonly number[] };
    const refRest = reference(tx, restShapes, { b: initial.b as Float32Array, scale: initial.scale as Float32Array });
    const random = uniform(10);
    for (let step = 0; step < 6; step++) {
      const { arrays, tensors } = gradients(shapes, random);
      // Alternate: w on even steps, the rest on odd ones.
      if (step % 2 === 0) {
        forW.applyGradients({ w: tensors.w as tf.Tensor });
        refW.step({ w: arrays.w as Float32Array });
      } else {
        forRest.applyGradients({ b: tensors.b as tf.Tensor, scale: tensors.scale as tf.Tensor });
        refRest.step({ b: arrays.b as Float32Array, scale: arrays.scale as Float32Array });
      }
      tf.dispose(Object.values(tensors));
    }
    expectSameBits(valuesOf(vars), { ...refW.values(), ...refRest.values() });
  });
});

describe('tfjsOptimizer: memory', () => {
  for (const compiled of [false, true] as const) {
    it(`leaks no tensors (${compiled ? 'compiled' : 'reference update'})`, () => {
      const { shapes, initial } = model(11);
      const vars = variablesOf(shapes, initial);
      const opt = tfjsOptimizer(tf, headline(), vars, { compiled });
      const random = uniform(12);
      const { tensors } = gradients(shapes, random);
      opt.applyGradients(tensors);
      const tensorsAfterOne = tf.memory().numTensors;
      const bytesAfterOne = tf.memory().numBytes;
      for (let step = 0; step < 10; step++) opt.applyGradients(tensors);
      expect(tf.memory().numTensors).toBe(tensorsAfterOne);
      expect(tf.memory().numBytes).toBe(bytesAfterOne);
      // A step that throws allocates nothing either.
      expect(() => opt.applyGradients({ ...tensors, extra: tensors.w as tf.Tensor })).toThrow(TreeMismatchError);
      expect(tf.memory().numTensors).toBe(tensorsAfterOne);
      tf.dispose(Object.values(tensors));
    });
  }
});

describe('tfjsOptimizer: checks', () => {
  it('rejects gradients that do not fit, naming the variable', () => {
    const w = variable(new Float32Array(6), [2, 3]);
    const opt = tfjsOptimizer(tf, sgd({ learningRate: 0.1 }), { w });
    const wrongShape = tf.zeros([3, 2]);
    const ints = tf.zeros([2, 3], 'int32');
    const disposed = tf.zeros([2, 3]);
    disposed.dispose();
    expect(() => opt.applyGradients({ w: wrongShape })).toThrow('tfjsOptimizer.applyGradients: gradients against variables: at w: expected shape [2, 3], got shape [3, 2]');
    expect(() => opt.applyGradients({ w: ints })).toThrow('expected dtype float32, got dtype int32');
    expect(() => opt.applyGradients({ w: disposed })).toThrow('expected a live tensor, got a disposed tensor');
    expect(() => opt.applyGradients({ w: tf.zeros([2, 3]), v: tf.zeros([1]) })).toThrow(/at v: expected only the optimizer's variables \("w"\), got a gradient for an unknown variable/);
    expect(() => opt.applyGradients([tf.zeros([2, 3])] as never)).toThrow(/expected a record of tensors, name -> tf.Tensor, got an array/);
    expect(() => opt.applyGradients({ w: new Float32Array(6) } as never)).toThrow(/at w: expected a tf.Tensor/);
    expect(Array.from(w.dataSync())).toEqual([0, 0, 0, 0, 0, 0]);
    tf.dispose([wrongShape, ints]);
  });

  it('rejects bad arguments when it is built', () => {
    const w = variable(new Float32Array(2), [2]);
    const i = tf.variable(tf.zeros([2], 'int32'), true, `int${String(++serial)}`);
    const tx = sgd({ learningRate: 0.1 });
    const built = (f: () => unknown): HyperparameterError => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(HyperparameterError);
        return e as HyperparameterError;
      }
      return expect.fail('no error');
    };
    expect(built(() => tfjsOptimizer({} as never, tx, { w })).parameter).toBe('tf');
    expect(built(() => tfjsOptimizer(tf, {} as never, { w })).parameter).toBe('optimizer');
    expect(built(() => tfjsOptimizer(tf, tx, {})).message).toBe('tfjsOptimizer: variables must be at least one variable, got "an empty record"');
    expect(built(() => tfjsOptimizer(tf, tx, [w] as never)).parameter).toBe('variables');
    expect(built(() => tfjsOptimizer(tf, tx, { w: tf.zeros([2]) as never })).message).toMatch(/variables\.w must be a tf\.Variable/);
    expect(built(() => tfjsOptimizer(tf, tx, { i })).message).toMatch(/variables\.i must be a float32 variable, got "a int32 variable"/);
    expect(built(() => tfjsOptimizer(tf, tx, { w, again: w })).message).toMatch(/variables\.again must be a variable not also given as "w"/);
    expect(built(() => tfjsOptimizer(tf, tx, { w }, { compiled: 'gpu' as never })).parameter).toBe('compiled');
    expect(built(() => tfjsOptimizer(tf, tx, { w }, { backend: 'js' } as never)).parameter).toBe('backend');
    const gone = variable(new Float32Array(1), [1]);
    gone.dispose();
    expect(built(() => tfjsOptimizer(tf, tx, { gone })).message).toMatch(/disposed/);
  });
});

describe('tfjsOptimizer: state', () => {
  for (const compiled of [false, true] as const) {
    it(`saves and loads: a resumed optimizer continues bit for bit (${compiled ? 'compiled' : 'reference update'})`, () => {
      const { shapes, initial } = model(13);
      const vars = variablesOf(shapes, initial);
      const tx = headline();
      const opt = tfjsOptimizer(tf, tx, vars, { compiled });
      const random = uniform(14);
      const steps = Array.from({ length: 8 }, () => gradients(shapes, random).tensors);
      steps.slice(0, 4).forEach((g) => { opt.applyGradients(g); });
      const snapshot = JSON.parse(JSON.stringify(saveState(opt.state, tx))) as unknown;
      const resumedVars = variablesOf(shapes, Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, Float32Array.from(v.dataSync())])));
      const resumed = tfjsOptimizer(tf, tx, resumedVars, { compiled });
      resumed.setState(loadState(snapshot, tx, resumed.params()));
      steps.slice(4).forEach((g) => {
        opt.applyGradients(g);
        resumed.applyGradients(g);
      });
      expectSameBits(valuesOf(resumedVars), valuesOf(vars));
      steps.forEach((g) => { tf.dispose(Object.values(g)); });
    });
  }

  it('setState checks the state against the variables and keeps the old one when it does not fit', () => {
    const w = variable(new Float32Array(3), [3]);
    const v = variable(new Float32Array(4), [4]);
    const tx = adamw({ learningRate: 0.1 });
    for (const compiled of [false, true]) {
      const opt = tfjsOptimizer(tf, tx, { w }, { compiled });
      const other = tfjsOptimizer(tf, tx, { w: v }, { compiled });
      const before = saveState(opt.state);
      expect(() => { opt.setState(other.state); }).toThrow(TreeMismatchError);
      expect(saveState(opt.state)).toEqual(before);
    }
  });
});

describe('tfjsOptimizer: extra update arguments', () => {
  it.each([false, true] as const)('hands the loss to reduceOnPlateau (compiled: %s), same numbers as gradfuse', (compiled) => {
    const make = () => chain(sgd({ learningRate: 0.1 }), reduceOnPlateau({ patience: 1, factor: 0.5 }));
    const w = variable(Float32Array.from([1, 2]), [2]);
    const opt = tfjsOptimizer(tf, make(), { w }, { compiled });
    const reference = make();
    let params: TfParams = { w: tensor(Float32Array.from([1, 2]), [2]) };
    let state = reference.init(params);
    const losses = [3, 2, 2, 2, 2, 1];
    for (const value of losses) {
      const g = tf.tensor1d([1, -1]);
      opt.applyGradients({ w: g }, { value });
      g.dispose();
      const [updates, next] = reference.update({ w: tensor(Float32Array.from([1, -1]), [2]) }, state, params, { value });
      params = applyUpdates(params, updates);
      state = next;
    }
    expect(Array.from(w.dataSync())).toEqual(Array.from((params.w as { data: Float32Array }).data));
    // The plateau cut the step: the total move is less than six full steps of 0.1.
    expect(1 - (w.dataSync()[0] as number)).toBeLessThan(0.6 - 1e-6);
    const g = tf.tensor1d([1, -1]);
    expect(() => opt.applyGradients({ w: g })).toThrow(ExtraArgError);
    g.dispose();
  });
});
