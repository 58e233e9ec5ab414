/**
 * The Adam-family optimizers: PyTorch conformance replays (float64, every step), the chains
 * they are built from, validation, and convergence (a quadratic, and optax's alias_test
 * parabola and Rosenbrock).
 */
import { describe, expect, it } from 'vitest';
import type { GradientTransformation } from '../../src/base.js';
import { HyperparameterError } from '../../src/errors.js';
import {
  type AdamaxOptions,
  type AmsgradOptions,
  type NadamOptions,
  type NadamwOptions,
  type RadamOptions,
  adamax,
  amsgrad,
  nadam,
  nadamw,
  radam,
} from '../../src/optimizers/adam.js';
import { scaleByAdam, scaleByAdamax, scaleByAmsgrad, scaleByNadam, scaleByRadam } from '../../src/transforms/adam.js';
import type { FloatArray } from '../../src/tree/leaf.js';
import { applyUpdates } from '../../src/update.js';
import { type TorchCase, loadTorchCase, num, replayTorchCase } from './localTorchReplay.js';

// The local replay of the PyTorch vectors is shared with the RMSprop/Adagrad/Adadelta tests.
const loadCase = loadTorchCase;
const replay = replayTorchCase;

/** The only op of a case's pipeline, checked to be `op` with no weight decay. */
function onlyOp(c: TorchCase, op: string): Readonly<Record<string, unknown>> {
  expect(c.pipeline).toHaveLength(1);
  const o = c.pipeline[0] as Readonly<Record<string, unknown>>;
  expect(o.op).toBe(op);
  expect(o.weight_decay).toBe(0);
  if ('maximize' in o) expect(o.maximize).toBe(false);
  for (const s of c.steps) expect(s.lr).toBe(o.lr);
  return o;
}

describe('PyTorch conformance (float64, params after every step)', () => {
  it('adam_amsgrad: amsgrad with maxOf raw', () => {
    const c = loadCase('adam_amsgrad');
    const o = onlyOp(c, 'adam');
    expect(o.amsgrad).toBe(true);
    const opts = { learningRate: num(o, 'lr'), b1: num(o, 'b1'), b2: num(o, 'b2'), eps: num(o, 'eps') };
    const r = replay(amsgrad({ ...opts, maxOf: 'raw' }), c);
    expect(r.failures).toEqual([]);
    expect(r.maxAbsError).toBeLessThan(1e-12);
    // optax's default (maximum of the bias-corrected ν) is a different trajectory
    expect(replay(amsgrad(opts), c).failures).not.toEqual([]);
  });

  it('adamax', () => {
    const c = loadCase('adamax');
    const o = onlyOp(c, 'adamax');
    const r = replay(adamax({ learningRate: num(o, 'lr'), b1: num(o, 'b1'), b2: num(o, 'b2'), eps: num(o, 'eps') }), c);
    expect(r.failures).toEqual([]);
    expect(r.maxAbsError).toBeLessThan(1e-12);
  });

  const nadamOptions = (o: Readonly<Record<string, unknown>>): NadamOptions => ({
    learningRate: num(o, 'lr'),
    b1: num(o, 'b1'),
    b2: num(o, 'b2'),
    eps: num(o, 'eps'),
    form: 'momentumDecay',
    momentumDecay: num(o, 'momentum_decay'),
  });

  it('nadam (torch ≥ 2.0 formula): nadam with form momentumDecay', () => {
    const c = loadCase('nadam');
    const opts = nadamOptions(onlyOp(c, 'nadam'));
    const r = replay(nadam(opts), c);
    expect(r.failures).toEqual([]);
    expect(r.maxAbsError).toBeLessThan(1e-12);
    expect(replay(nadam({ ...opts, doubleCountMu: true }), c).failures).not.toEqual([]);
    const { form: _form, momentumDecay: _psi, ...dozat } = opts;
    expect(replay(nadam(dozat), c).failures).not.toEqual([]);
  });

  it('nadam_torch113_default: nadam with doubleCountMu', () => {
    const c = loadCase('nadam_torch113_default');
    const opts = nadamOptions(onlyOp(c, 'nadam'));
    const r = replay(nadam({ ...opts, doubleCountMu: true }), c);
    expect(r.failures).toEqual([]);
    expect(r.maxAbsError).toBeLessThan(1e-12);
    expect(replay(nadam(opts), c).failures).not.toEqual([]);
  });

  it('radam: radam with strictThreshold and epsOnUncorrectedRoot', () => {
    const c = loadCase('radam');
    const o = onlyOp(c, 'radam');
    const opts = {
      learningRate: num(o, 'lr'),
      b1: num(o, 'b1'),
      b2: num(o, 'b2'),
      eps: num(o, 'eps'),
      threshold: num(o, 'rectify_threshold'),
    };
    const r = replay(radam({ ...opts, strictThreshold: true, epsOnUncorrectedRoot: true }), c);
    expect(r.failures).toEqual([]);
    expect(r.maxAbsError).toBeLessThan(1e-12);
    // optax's placement of eps (on the bias-corrected root) is a different trajectory
    expect(replay(radam({ ...opts, strictThreshold: true }), c).failures).not.toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// the chains
// ---------------------------------------------------------------------------------------------

const GRADS = [Float64Array.of(0.5, -2, 3e-3), Float64Array.of(-0.1, 0.4, 1), Float64Array.of(2, 0, -0.7)];
const PARAMS = Float64Array.of(1, -3, 0.25);

/** The updates of `opt` over GRADS (params fixed). */
function updatesOf<S>(opt: GradientTransformation<S>): number[][] {
  let state = opt.init(PARAMS);
  return GRADS.map((g) => {
    const [u, next] = opt.update(g, state, PARAMS);
    state = next;
    return [...u];
  });
}

describe('each optimizer is its scaler followed by -η (bit for bit)', () => {
  const lr = 0.03;
  const CASES: readonly (readonly [string, GradientTransformation<unknown>, GradientTransformation<unknown>])[] = [
    ['amsgrad', amsgrad({ learningRate: lr, b2: 0.9 }), scaleByAmsgrad({ b2: 0.9 })],
    ['amsgrad raw', amsgrad({ learningRate: lr, maxOf: 'raw' }), scaleByAmsgrad({ maxOf: 'raw' })],
    ['adamax', adamax({ learningRate: lr, eps: 1e-3 }), scaleByAdamax({ eps: 1e-3 })],
    ['radam', radam({ learningRate: lr, threshold: 4.5, b2: 0.5 }), scaleByRadam({ threshold: 4.5, b2: 0.5 })],
    ['radam torch', radam({ learningRate: lr, strictThreshold: true, epsOnUncorrectedRoot: true }), scaleByRadam({ strictThreshold: true, epsOnUncorrectedRoot: true })],
    ['nadam dozat', nadam({ learningRate: lr, epsRoot: 1e-9 }), scaleByAdam({ nesterov: true, epsRoot: 1e-9 })],
    ['nadam momentumDecay', nadam({ learningRate: lr, form: 'momentumDecay', momentumDecay: 0.1 }), scaleByNadam({ momentumDecay: 0.1 })],
    ['nadam torch 1.13', nadam({ learningRate: lr, form: 'momentumDecay', doubleCountMu: true }), scaleByNadam({ doubleCountMu: true })],
  ];
  it.each(CASES)('%s', (_, opt, scaler) => {
    expect(updatesOf(opt)).toEqual(updatesOf(scaler).map((u) => u.map((x) => x * -lr)));
  });

  it('nadam defaults to the Dozat form (optax), which differs from the momentumDecay form', () => {
    expect(updatesOf(nadam({ learningRate: lr }))).toEqual(updatesOf(scaleByAdam({ nesterov: true })).map((u) => u.map((x) => x * -lr)));
    expect(updatesOf(nadam({ learningRate: lr }))).not.toEqual(updatesOf(nadam({ learningRate: lr, form: 'momentumDecay' })));
  });

  it.each(['dozat', 'momentumDecay'] as const)('nadamw (%s) adds decoupled decay λ·p before -η, default λ = 1e-4', (form) => {
    const scaler = form === 'dozat' ? scaleByAdam({ nesterov: true }) : scaleByNadam();
    const plain = updatesOf(scaler);
    const p = [...PARAMS];
    for (const weightDecay of [undefined, 0.05]) {
      const lambda = weightDecay ?? 1e-4;
      const opt = nadamw({ learningRate: lr, form, ...(weightDecay === undefined ? {} : { weightDecay }) });
      expect(updatesOf(opt)).toEqual(plain.map((u) => u.map((x, i) => (x + lambda * (p[i] as number)) * -lr)));
    }
    const masked = nadamw({ learningRate: lr, form, weightDecay: 0.05, mask: { a: true, b: false } });
    const params = { a: Float64Array.of(2), b: Float64Array.of(2) };
    const [u] = masked.update({ a: Float64Array.of(1), b: Float64Array.of(1) }, masked.init(params), params);
    const [v] = scaler.update(Float64Array.of(1), scaler.init(Float64Array.of(2)));
    expect(u.a[0]).toBe(((v[0] as number) + 0.05 * 2) * -lr);
    expect(u.b[0]).toBe((v[0] as number) * -lr);
  });

  it('accepts a learning-rate schedule', () => {
    const schedule = (count: number): number => 0.1 / (1 + count);
    const got = updatesOf(radam({ learningRate: schedule }));
    const plain = updatesOf(scaleByRadam());
    expect(got).toEqual(plain.map((u, k) => u.map((x) => x * -schedule(k))));
  });
});

// ---------------------------------------------------------------------------------------------
// validation
// ---------------------------------------------------------------------------------------------

function expectRejects(build: () => unknown, owner: string, parameter: string): void {
  let error: unknown;
  try {
    build();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(HyperparameterError);
  expect((error as HyperparameterError).owner).toBe(owner);
  expect((error as HyperparameterError).parameter).toBe(parameter);
}

describe('validation', () => {
  const BUILDERS: readonly (readonly [string, (o: Record<string, unknown>) => unknown, string])[] = [
    ['amsgrad', (o) => amsgrad(o as unknown as AmsgradOptions), 'scaleByAmsgrad'],
    ['adamax', (o) => adamax(o as unknown as AdamaxOptions), 'scaleByAdamax'],
    ['nadam', (o) => nadam(o as unknown as NadamOptions), 'scaleByAdam'],
    ['nadamw', (o) => nadamw(o as unknown as NadamwOptions), 'scaleByAdam'],
    ['radam', (o) => radam(o as unknown as RadamOptions), 'scaleByRadam'],
  ];

  it.each(BUILDERS)('%s names the bad option', (owner, build, scaler) => {
    expectRejects(() => build({ learningRate: 0.1, lr: 0.1 }), owner, 'lr');
    expectRejects(() => build({}), 'scaleByLearningRate', 'learningRate');
    expectRejects(() => build({ learningRate: -0.1 }), 'scaleByLearningRate', 'learningRate');
    expectRejects(() => build({ learningRate: Number.NaN }), 'scaleByLearningRate', 'learningRate');
    expectRejects(() => build({ learningRate: 0.1, b1: 1 }), scaler, 'b1');
    expectRejects(() => build({ learningRate: 0.1, b2: -0.5 }), scaler, 'b2');
    expectRejects(() => build({ learningRate: 0.1, eps: -1e-8 }), scaler, 'eps');
    expectRejects(() => build({ learningRate: 0.1, eps: Infinity }), scaler, 'eps');
    expect(() => build({ learningRate: 0.1 })).not.toThrow();
  });

  it('nadam: form, and momentum-decay options only with the momentumDecay form', () => {
    expectRejects(() => nadam({ learningRate: 0.1, form: 'torch' as 'dozat' }), 'nadam', 'form');
    expectRejects(() => nadam({ learningRate: 0.1, momentumDecay: 0.004 }), 'nadam', 'momentumDecay');
    expectRejects(() => nadam({ learningRate: 0.1, form: 'dozat', doubleCountMu: true }), 'nadam', 'doubleCountMu');
    expectRejects(() => nadamw({ learningRate: 0.1, doubleCountMu: false }), 'nadamw', 'doubleCountMu');
    expectRejects(() => nadam({ learningRate: 0.1, form: 'momentumDecay', momentumDecay: -1 }), 'scaleByNadam', 'momentumDecay');
    expectRejects(() => nadam({ learningRate: 0.1, form: 'momentumDecay', b1: 1 }), 'scaleByNadam', 'b1');
    expectRejects(() => nadam({ learningRate: 0.1, nesterov: false } as NadamOptions), 'nadam', 'nesterov');
    expectRejects(() => nadamw({ learningRate: 0.1, weightDecay: -1 }), 'addDecayedWeights', 'weightDecay');
    expectRejects(() => amsgrad({ learningRate: 0.1, maxOf: 'rawThenCorrect' as 'raw' }), 'scaleByAmsgrad', 'maxOf');
    expectRejects(() => radam({ learningRate: 0.1, threshold: 4 }), 'scaleByRadam', 'threshold');
    expectRejects(() => adamax({ learningRate: 0.1, epsRoot: 0 } as AdamaxOptions), 'adamax', 'epsRoot');
  });
});

// ---------------------------------------------------------------------------------------------
// convergence
// ---------------------------------------------------------------------------------------------

const OPTIMIZERS: readonly (readonly [string, (lr: number) => GradientTransformation<unknown>])[] = [
  ['amsgrad', (lr) => amsgrad({ learningRate: lr })],
  ['amsgrad (raw)', (lr) => amsgrad({ learningRate: lr, maxOf: 'raw' })],
  ['adamax', (lr) => adamax({ learningRate: lr })],
  ['nadam', (lr) => nadam({ learningRate: lr })],
  ['nadam (momentumDecay)', (lr) => nadam({ learningRate: lr, form: 'momentumDecay' })],
  ['nadam (torch 1.13)', (lr) => nadam({ learningRate: lr, form: 'momentumDecay', doubleCountMu: true })],
  ['nadamw', (lr) => nadamw({ learningRate: lr })],
  ['nadamw (momentumDecay)', (lr) => nadamw({ learningRate: lr, form: 'momentumDecay' })],
  ['radam', (lr) => radam({ learningRate: lr })],
  ['radam (torch)', (lr) => radam({ learningRate: lr, strictThreshold: true, epsOnUncorrectedRoot: true })],
];

/** Runs `steps` steps of gradient descent on one leaf with the gradient function `grad`. */
function minimize(
  opt: GradientTransformation<unknown>,
  x0: FloatArray,
  grad: (x: FloatArray) => number[],
  steps: number,
): FloatArray {
  let x = x0;
  let state = opt.init(x);
  for (let k = 0; k < steps; k++) {
    const g = x instanceof Float32Array ? Float32Array.from(grad(x)) : Float64Array.from(grad(x));
    const [u, next] = opt.update(g, state, x);
    x = applyUpdates(x, u);
    state = next;
  }
  return x;
}

describe('convergence', () => {
  const loss = (x: FloatArray): number => [...x].reduce((a, v) => a + (v - 3) ** 2, 0);
  const grad = (x: FloatArray): number[] => [...x].map((v) => 2 * (v - 3));

  it.each(OPTIMIZERS)('%s reduces sum((x - 3)²) over 200 steps (float64 and float32)', (_, make) => {
    for (const x0 of [Float64Array.of(0, 1, -2, 5, 3.5), Float32Array.of(0, 1, -2, 5, 3.5)]) {
      const x = minimize(make(0.1), x0, grad, 200);
      expect(x).toBeInstanceOf(x0.constructor);
      expect(loss(x)).toBeLessThan(1e-3 * loss(x0));
    }
  });

  // optax/_src/alias_test.py, test_optimization: 10000 steps, float32, rtol = atol = 3e-2, with
  // optax's learning rate for each alias.
  const OPTAX: readonly (readonly [string, GradientTransformation<unknown>])[] = [
    ['amsgrad', amsgrad({ learningRate: 1e-1 })],
    ['adamax', adamax({ learningRate: 1e-1 })],
    ['nadam', nadam({ learningRate: 1e-2 })],
    ['nadamw', nadamw({ learningRate: 1e-2 })],
    ['radam', radam({ learningRate: 5e-3 })],
  ];
  const expectNear = (x: FloatArray, target: readonly number[]): void => {
    [...x].forEach((v, i) => {
      const t = target[i] as number;
      expect(Math.abs(v - t)).toBeLessThanOrEqual(3e-2 + 3e-2 * Math.abs(t));
    });
  };

  it.each(OPTAX)('%s solves optax’s parabola and Rosenbrock', (_, opt) => {
    const target = [1, -1, 1];
    const parabola = minimize(opt, Float32Array.of(-1, 10, 1), (x) => [...x].map((v, i) => 2 * (v - (target[i] as number))), 10_000);
    expectNear(parabola, target);
    const rosenbrock = minimize(
      opt,
      Float32Array.of(0, 0),
      ([a = 0, b = 0]) => [-2 * (1 - a) - 400 * a * (b - a * a), 200 * (b - a * a)],
      10_000,
    );
    expectNear(rosenbrock, [1, 1]);
  });
});
