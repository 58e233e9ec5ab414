/**
 * The Adam family of transformations: each one against its formula written out in plain
 * float64 JavaScript (independent of the kernel), for float64 and float32 leaves; optax's
 * published checks; eager validation; and the structural promises (hyperparameters only as
 * scalars, the RAdam branch as a scalar flag, the NAdam product independent of call order).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { GradientTransformation } from '../../src/base.js';
import { HyperparameterError } from '../../src/errors.js';
import type { KernelState } from '../../src/kernel/define.js';
import type { ScalarContext, Stage } from '../../src/kernel/stage.js';
import {
  type ScaleByAdamaxOptions,
  type ScaleByAmsgradOptions,
  type ScaleByNadamOptions,
  type ScaleByRadamOptions,
  scaleByAdam,
  scaleByAdamax,
  scaleByAmsgrad,
  scaleByNadam,
  scaleByRadam,
} from '../../src/transforms/adam.js';
import type { FloatArray, Tensor } from '../../src/tree/leaf.js';
import type { Tree } from '../../src/tree/tree.js';

// ---------------------------------------------------------------------------------------------
// a tiny tree, its dtypes, and running a transformation over it
// ---------------------------------------------------------------------------------------------

interface DtypeCase {
  readonly name: 'float64' | 'float32';
  readonly make: (values: readonly number[]) => FloatArray;
  /** Rounding on store into a leaf of this dtype. */
  readonly round: (x: number) => number;
  /** |got - want| <= abs + rel·|want|. */
  readonly rel: number;
  readonly abs: number;
}

const DTYPES: readonly DtypeCase[] = [
  { name: 'float64', make: (v) => Float64Array.from(v), round: (x) => x, rel: 1e-13, abs: 1e-15 },
  { name: 'float32', make: (v) => Float32Array.from(v), round: Math.fround, rel: 2e-6, abs: 1e-9 },
];

/** The tree `{ w: [4 elements], s: tensor [2] }`; elements 0..3 are `w`, 4..5 are `s`. */
interface Small {
  readonly w: FloatArray;
  readonly s: Tensor;
  readonly [key: string]: Tree;
}

const makeTree = (values: readonly number[], dt: DtypeCase): Small => ({
  w: dt.make(values.slice(0, 4)),
  s: { shape: [2], data: dt.make(values.slice(4, 6)) },
});
const readTree = (t: Small): number[] => [...t.w, ...t.s.data];

/** Per element: the gradient of step t is BASE[i]·FACTOR[t]. Large steps then small ones, a sign flip, and a zero element. */
const BASE = [0.5, -2, 3e-3, 0, 1.25, -0.75];
const FACTOR = [1, -0.1, 0.5, 2, -0.3, 0.05, 1, 0.4];
const gradsFor = (steps: number): number[][] => FACTOR.slice(0, steps).map((f) => BASE.map((b) => b * f));

interface Run<S> {
  readonly updates: number[][];
  readonly states: S[];
}

/** Runs `steps` updates on the tiny tree, returning the updates and the state after each step. */
function run<S>(tx: GradientTransformation<S>, dt: DtypeCase, steps: number): Run<S> {
  const params = makeTree(BASE.map(() => 1), dt);
  let state = tx.init(params);
  const updates: number[][] = [];
  const states: S[] = [];
  for (const g of gradsFor(steps)) {
    const [u, next] = tx.update(makeTree(g, dt), state, params);
    expect(u.w).toBeInstanceOf(dt.name === 'float64' ? Float64Array : Float32Array);
    expect(u.s.shape).toEqual([2]);
    updates.push(readTree(u));
    states.push(next);
    state = next;
  }
  return { updates, states };
}

/** The first element of a bare-array leaf. */
const first = (leaf: Tree): number => (leaf as FloatArray)[0] as number;
const slot = (state: Readonly<Record<string, unknown>>, name: string): number[] => readTree(state[name] as Small);

function expectClose(got: readonly number[], want: readonly number[], dt: DtypeCase, what: string): void {
  expect(got.length).toBe(want.length);
  got.forEach((a, i) => {
    const b = want[i] as number;
    if (!(Math.abs(a - b) <= dt.abs + dt.rel * Math.abs(b))) {
      expect.fail(`${what}[${String(i)}] (${dt.name}): got ${String(a)}, want ${String(b)}`);
    }
  });
}

/** The scalar context of a step with no reductions and no injected hyperparameters. */
const ctx = (count: number): ScalarContext => ({ count, reductions: {}, hyper: {} });

const stageOf = (tx: GradientTransformation<unknown>): Stage => {
  const stage = tx.fusable?.stages[0];
  if (stage === undefined) throw new Error('not a kernel transformation');
  return stage;
};

// ---------------------------------------------------------------------------------------------
// the formulas, per element, in plain float64 (state rounded to the dtype on store)
// ---------------------------------------------------------------------------------------------

interface Moments {
  readonly b1: number;
  readonly b2: number;
  readonly eps: number;
  readonly epsRoot: number;
}
const DEFAULTS: Moments = { b1: 0.9, b2: 0.999, eps: 1e-8, epsRoot: 0 };

interface RefResult {
  readonly updates: number[][];
  readonly slots: Record<string, number[]>[];
}

/** Runs a per-element reference over every element of `gradsFor(steps)`. */
function reference(
  steps: number,
  round: (x: number) => number,
  elementStep: (g: number, t: number, s: Record<string, number>) => { u: number; next: Record<string, number> },
  slotNames: readonly string[],
): RefResult {
  const grads = gradsFor(steps).map((row) => row.map(round));
  let state = BASE.map(() => Object.fromEntries(slotNames.map((n) => [n, 0])) as Record<string, number>);
  const updates: number[][] = [];
  const slots: Record<string, number[]>[] = [];
  grads.forEach((row, k) => {
    const results = row.map((g, i) => elementStep(g, k + 1, state[i] as Record<string, number>));
    updates.push(results.map((r) => round(r.u)));
    state = results.map((r) => Object.fromEntries(Object.entries(r.next).map(([n, v]) => [n, round(v)])));
    slots.push(Object.fromEntries(slotNames.map((n) => [n, state.map((s) => s[n] as number)])));
  });
  return { updates, slots };
}

const at = (s: Record<string, number>, name: string): number => s[name] as number;

function refAdam(o: Moments & { readonly nesterov: boolean }) {
  return (g: number, t: number, s: Record<string, number>) => {
    const mu = o.b1 * at(s, 'mu') + (1 - o.b1) * g;
    const nu = o.b2 * at(s, 'nu') + (1 - o.b2) * g * g;
    const mHat = o.nesterov ? (o.b1 * mu) / (1 - o.b1 ** (t + 1)) + ((1 - o.b1) * g) / (1 - o.b1 ** t) : mu / (1 - o.b1 ** t);
    const vHat = nu / (1 - o.b2 ** t);
    return { u: mHat / (Math.sqrt(vHat + o.epsRoot) + o.eps), next: { mu, nu } };
  };
}

function refAmsgrad(o: Moments & { readonly maxOf: 'biasCorrected' | 'raw' }) {
  return (g: number, t: number, s: Record<string, number>) => {
    const mu = o.b1 * at(s, 'mu') + (1 - o.b1) * g;
    const nu = o.b2 * at(s, 'nu') + (1 - o.b2) * g * g;
    const mHat = mu / (1 - o.b1 ** t);
    if (o.maxOf === 'raw') {
      // PyTorch: vmax = max(vmax, v); denom = sqrt(vmax)/sqrt(1 - b2^t) + eps
      const nuMax = Math.max(at(s, 'nuMax'), nu);
      const denom = Math.sqrt(nuMax + o.epsRoot * (1 - o.b2 ** t)) / Math.sqrt(1 - o.b2 ** t) + o.eps;
      return { u: mHat / denom, next: { mu, nu, nuMax } };
    }
    const nuMax = Math.max(at(s, 'nuMax'), nu / (1 - o.b2 ** t));
    return { u: mHat / (Math.sqrt(nuMax + o.epsRoot) + o.eps), next: { mu, nu, nuMax } };
  };
}

function refAdamax(o: { readonly b1: number; readonly b2: number; readonly eps: number }) {
  return (g: number, t: number, s: Record<string, number>) => {
    const mu = o.b1 * at(s, 'mu') + (1 - o.b1) * g;
    const nu = Math.max(Math.abs(g) + o.eps, o.b2 * at(s, 'nu'));
    return { u: mu / (1 - o.b1 ** t) / nu, next: { mu, nu } };
  };
}

interface RadamRef extends Moments {
  readonly threshold: number;
  readonly nesterov: boolean;
  readonly strictThreshold: boolean;
  readonly epsOnUncorrectedRoot: boolean;
}

/** ρ_t of RAdam. */
const rhoOf = (b2: number, t: number): number => 2 / (1 - b2) - 1 - (2 * t * b2 ** t) / (1 - b2 ** t);

function refRadam(o: RadamRef) {
  return (g: number, t: number, s: Record<string, number>) => {
    const mu = o.b1 * at(s, 'mu') + (1 - o.b1) * g;
    const nu = o.b2 * at(s, 'nu') + (1 - o.b2) * g * g;
    const mHat = o.nesterov ? (o.b1 * mu) / (1 - o.b1 ** (t + 1)) + ((1 - o.b1) * g) / (1 - o.b1 ** t) : mu / (1 - o.b1 ** t);
    const rhoInf = 2 / (1 - o.b2) - 1;
    const rho = rhoOf(o.b2, t);
    const rectify = o.strictThreshold ? rho > o.threshold : rho >= o.threshold;
    if (!rectify) return { u: mHat, next: { mu, nu } };
    const r = Math.sqrt(((rho - 4) * (rho - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rho));
    const u = o.epsOnUncorrectedRoot
      ? (r * mHat * Math.sqrt(1 - o.b2 ** t)) / (Math.sqrt(nu + o.epsRoot) + o.eps)
      : (r * mHat) / (Math.sqrt(nu / (1 - o.b2 ** t) + o.epsRoot) + o.eps);
    return { u, next: { mu, nu } };
  };
}

function refNadam(o: Moments & { readonly momentumDecay: number; readonly doubleCountMu: boolean }) {
  const muAt = (i: number): number => o.b1 * (1 - 0.5 * Math.pow(0.96, i * o.momentumDecay));
  return (g: number, t: number, s: Record<string, number>) => {
    let product = 1;
    for (let i = 1; i <= t; i++) product *= muAt(i);
    const next = product * (o.doubleCountMu ? muAt(t) : 1) * muAt(t + 1);
    const mu = o.b1 * at(s, 'mu') + (1 - o.b1) * g;
    const nu = o.b2 * at(s, 'nu') + (1 - o.b2) * g * g;
    const denom = Math.sqrt(nu / (1 - o.b2 ** t) + o.epsRoot) + o.eps;
    const u = ((1 - muAt(t)) / (1 - product)) * (g / denom) + (muAt(t + 1) / (1 - next)) * (mu / denom);
    return { u, next: { mu, nu } };
  };
}

/** Checks updates and every slot after every step against the reference. */
function checkAgainst<K extends string>(
  make: () => GradientTransformation<KernelState<K>>,
  steps: number,
  elementStep: (g: number, t: number, s: Record<string, number>) => { u: number; next: Record<string, number> },
  slotNames: readonly K[],
): void {
  for (const dt of DTYPES) {
    const got = run(make(), dt, steps);
    const want = reference(steps, dt.round, elementStep, slotNames);
    for (let k = 0; k < steps; k++) {
      expectClose(got.updates[k] as number[], want.updates[k] as number[], dt, `step ${String(k + 1)} update`);
      const state = got.states[k] as KernelState<K>;
      expect(state.count).toBe(k + 1);
      for (const n of slotNames) {
        expectClose(slot(state, n), (want.slots[k] as Record<string, number[]>)[n] as number[], dt, `step ${String(k + 1)} ${n}`);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// scaleByAdam (kept as it was)
// ---------------------------------------------------------------------------------------------

describe('scaleByAdam', () => {
  it('matches Adam written out, with and without Nesterov and epsRoot', () => {
    checkAgainst(() => scaleByAdam(), 3, refAdam({ ...DEFAULTS, nesterov: false }), ['mu', 'nu']);
    const o = { b1: 0.8, b2: 0.99, eps: 1e-6, epsRoot: 1e-7, nesterov: true };
    checkAgainst(() => scaleByAdam(o), 3, refAdam(o), ['mu', 'nu']);
  });

  it('gives g/(|g| + eps) on the first step', () => {
    const [u] = scaleByAdam().update(Float64Array.of(0.5, -2), scaleByAdam().init(Float64Array.of(0, 0)));
    expect([...u]).toEqual([0.5 / (0.5 + 1e-8), -2 / (2 + 1e-8)]);
  });
});

// ---------------------------------------------------------------------------------------------
// scaleByAmsgrad
// ---------------------------------------------------------------------------------------------

describe('scaleByAmsgrad', () => {
  it('matches the formula (maxOf biasCorrected, the default)', () => {
    checkAgainst(() => scaleByAmsgrad(), 3, refAmsgrad({ ...DEFAULTS, maxOf: 'biasCorrected' }), ['mu', 'nu', 'nuMax']);
    const o = { b1: 0.5, b2: 0.8, eps: 1e-4, epsRoot: 1e-6, maxOf: 'biasCorrected' as const };
    checkAgainst(() => scaleByAmsgrad(o), 3, refAmsgrad(o), ['mu', 'nu', 'nuMax']);
  });

  it("matches PyTorch's formula with maxOf raw", () => {
    checkAgainst(() => scaleByAmsgrad({ maxOf: 'raw' }), 3, refAmsgrad({ ...DEFAULTS, maxOf: 'raw' }), ['mu', 'nu', 'nuMax']);
    const o = { b1: 0.5, b2: 0.8, eps: 1e-4, epsRoot: 1e-6, maxOf: 'raw' as const };
    checkAgainst(() => scaleByAmsgrad(o), 3, refAmsgrad(o), ['mu', 'nu', 'nuMax']);
  });

  it('two steps by hand: g = 2 then g = 0.02 (ν falls, the maximum holds the first step)', () => {
    const b1 = 0.9;
    const b2 = 0.999;
    const eps = 1e-8;
    const nu1 = (1 - b2) * 4;
    const vHat1 = nu1 / (1 - b2);
    const mu2 = b1 * 0.2 + (1 - b1) * 0.02;
    const nu2 = b2 * nu1 + (1 - b2) * 0.02 ** 2;
    expect(nu2).toBeLessThan(nu1);
    for (const maxOf of ['biasCorrected', 'raw'] as const) {
      const tx = scaleByAmsgrad({ maxOf });
      const [u1, s1] = tx.update(Float64Array.of(2), tx.init(Float64Array.of(0)));
      expect(u1[0]).toBeCloseTo(2 / (2 + eps), 14);
      const [u2, s2] = tx.update(Float64Array.of(0.02), s1);
      // biasCorrected: ν^max = max(v̂₁, v̂₂) = v̂₁; raw: ν^max = max(ν₁, ν₂) = ν₁, then /(1 - β₂²)
      const nuMaxHat = maxOf === 'raw' ? nu1 / (1 - b2 ** 2) : vHat1;
      expect(u2[0]).toBeCloseTo(mu2 / (1 - b1 ** 2) / (Math.sqrt(nuMaxHat) + eps), 13);
      expect(first(s2.nuMax)).toBeCloseTo(maxOf === 'raw' ? nu1 : vHat1, 14);
      expect(first(s2.nu)).toBeCloseTo(nu2, 16);
      expect(s2.count).toBe(2);
    }
  });

  it('the two modes agree on the first step and part once the second moment falls', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: 1, maxLength: 6 }),
        (values) => {
          const g = Float64Array.from(values);
          const [a] = scaleByAmsgrad().update(g, scaleByAmsgrad().init(g));
          const [b] = scaleByAmsgrad({ maxOf: 'raw' }).update(g, scaleByAmsgrad({ maxOf: 'raw' }).init(g));
          expect([...a]).toEqual([...b]);
        },
      ),
      { seed: 20240611, numRuns: 50 },
    );
    const biased = run(scaleByAmsgrad(), DTYPES[0] as DtypeCase, 3).updates;
    const raw = run(scaleByAmsgrad({ maxOf: 'raw' }), DTYPES[0] as DtypeCase, 3).updates;
    // element 1 (g = -2, 0.2, -1): v̂ falls after step 1 (ν does not), so the maxima differ
    expect(Math.abs((biased[1] as number[])[1] as number - ((raw[1] as number[])[1] as number))).toBeGreaterThan(1e-3);
  });
});

// ---------------------------------------------------------------------------------------------
// scaleByAdamax
// ---------------------------------------------------------------------------------------------

describe('scaleByAdamax', () => {
  it('matches the formula', () => {
    checkAgainst(() => scaleByAdamax(), 3, refAdamax({ b1: 0.9, b2: 0.999, eps: 1e-8 }), ['mu', 'nu']);
    const o = { b1: 0.7, b2: 0.5, eps: 1e-3 };
    checkAgainst(() => scaleByAdamax(o), 3, refAdamax(o), ['mu', 'nu']);
  });

  it('two steps by hand: g = 2 then g = -1', () => {
    const tx = scaleByAdamax();
    const [u1, s1] = tx.update(Float64Array.of(2), tx.init(Float64Array.of(0)));
    // μ₁ = 0.2, ν₁ = 2 + 1e-8, u₁ = (0.2/0.1)/ν₁
    expect(u1[0]).toBeCloseTo(2 / (2 + 1e-8), 15);
    const [u2, s2] = tx.update(Float64Array.of(-1), s1);
    // μ₂ = 0.9·0.2 - 0.1 = 0.08, ν₂ = max(1 + 1e-8, 0.999·(2 + 1e-8))
    expect(first(s2.mu)).toBeCloseTo(0.08, 15);
    expect(first(s2.nu)).toBeCloseTo(0.999 * (2 + 1e-8), 15);
    expect(u2[0]).toBeCloseTo(0.08 / (1 - 0.81) / (0.999 * (2 + 1e-8)), 14);
  });

  // optax/_src/transform_test.py, test_update_infinity_moment, through the nu slot.
  describe('the infinity moment (optax test_update_infinity_moment)', () => {
    const values = Float64Array.of(5, 7);
    const nuAfter = (g: Float64Array, nu: Float64Array, eps: number): number[] => {
      const tx = scaleByAdamax({ b2: 0.9, eps });
      const [, s] = tx.update(g, { count: 0, mu: new Float64Array(2), nu });
      return [...(s.nu as Float64Array)];
    };
    it('is the identity when updated with itself', () => {
      expect(nuAfter(values, values, 0)).toEqual([5, 7]);
    });
    it('decays the maximum when updated with zeros', () => {
      nuAfter(new Float64Array(2), values, 0).forEach((x, i) => expect(x).toBeCloseTo(0.9 * (values[i] as number), 12));
    });
    it('takes absolute values', () => {
      expect(nuAfter(Float64Array.of(-5, -7), new Float64Array(2), 0)).toEqual([5, 7]);
    });
    it('is at least eps', () => {
      expect(nuAfter(new Float64Array(2), new Float64Array(2), 1e-2)).toEqual([1e-2, 1e-2]);
    });
  });

  it('keeps ν >= |g| + eps, so |u| is bounded by |m̂|/(|g| + eps)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -100, max: 100, noNaN: true }), { minLength: 1, maxLength: 8 }),
        (values) => {
          const tx = scaleByAdamax({ eps: 1e-6 });
          let state = tx.init(Float64Array.of(0));
          for (const v of values) {
            const [, next] = tx.update(Float64Array.of(v), state);
            expect(first(next.nu)).toBeGreaterThanOrEqual(Math.abs(v) + 1e-6);
            state = next;
          }
        },
      ),
      { seed: 7331, numRuns: 60 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// scaleByRadam
// ---------------------------------------------------------------------------------------------

const RADAM_DEFAULTS: RadamRef = {
  ...DEFAULTS,
  threshold: 5,
  nesterov: false,
  strictThreshold: false,
  epsOnUncorrectedRoot: false,
};

describe('scaleByRadam', () => {
  it('matches the formula over 7 steps (unrectified up to t = 5, rectified from t = 6)', () => {
    checkAgainst(() => scaleByRadam(), 7, refRadam(RADAM_DEFAULTS), ['mu', 'nu']);
  });

  it('matches with nesterov, epsRoot and a custom threshold', () => {
    // b2 = 0.99, threshold 4.5: rectified from t = 5
    const o = { ...RADAM_DEFAULTS, b1: 0.8, b2: 0.99, eps: 1e-6, epsRoot: 1e-7, nesterov: true, threshold: 4.5 };
    checkAgainst(() => scaleByRadam(o), 7, refRadam(o), ['mu', 'nu']);
  });

  it("matches PyTorch's form (eps on the uncorrected root, strict threshold)", () => {
    const o = { ...RADAM_DEFAULTS, strictThreshold: true, epsOnUncorrectedRoot: true, eps: 1e-3 };
    checkAgainst(
      () => scaleByRadam({ strictThreshold: true, epsOnUncorrectedRoot: true, eps: 1e-3 }),
      7,
      refRadam(o),
      ['mu', 'nu'],
    );
  });

  it('is m̂ (momentum SGD) before rectification', () => {
    const got = run(scaleByRadam(), DTYPES[0] as DtypeCase, 2).updates;
    // t = 1: m̂ = g; t = 2: m̂ = (0.9·0.1·g₁ + 0.1·g₂)/(1 - 0.81)
    expectClose(got[0] as number[], BASE.map((b) => b * (FACTOR[0] as number)), DTYPES[0] as DtypeCase, 't=1');
    const g1 = BASE.map((b) => b * (FACTOR[0] as number));
    const g2 = BASE.map((b) => b * (FACTOR[1] as number));
    expectClose(got[1] as number[], g1.map((x, i) => (0.09 * x + 0.1 * (g2[i] as number)) / 0.19), DTYPES[0] as DtypeCase, 't=2');
  });

  it('selects the branch with a scalar flag: 0 while ρ_t < 5, 1 from t = 6', () => {
    const stage = stageOf(scaleByRadam());
    const flags = [0, 1, 2, 3, 4, 5, 6, 7].map((count) => stage.scalars(ctx(count)).rectify);
    expect(flags).toEqual([0, 0, 0, 0, 0, 1, 1, 1]);
    const root = stage.update;
    expect(root.tag === 'op' && root.op === 'select' && root.args[0]?.tag === 'scalar' && root.args[0].name === 'rectify').toBe(true);
  });

  it('strictThreshold decides a step whose ρ_t equals the threshold exactly', () => {
    const threshold = rhoOf(0.999, 6);
    const loose = stageOf(scaleByRadam({ threshold }));
    const strict = stageOf(scaleByRadam({ threshold, strictThreshold: true }));
    expect(loose.scalars(ctx(5)).rectify).toBe(1);
    expect(strict.scalars(ctx(5)).rectify).toBe(0);
    expect(strict.scalars(ctx(6)).rectify).toBe(1);
    const dt = DTYPES[0] as DtypeCase;
    checkAgainst(() => scaleByRadam({ threshold, strictThreshold: true }), 7, refRadam({ ...RADAM_DEFAULTS, threshold, strictThreshold: true }), ['mu', 'nu']);
    const a = run(scaleByRadam({ threshold }), dt, 6).updates[5] as number[];
    const b = run(scaleByRadam({ threshold, strictThreshold: true }), dt, 6).updates[5] as number[];
    expect(Math.abs((a[1] as number) - (b[1] as number))).toBeGreaterThan(1e-3);
  });

  it('never rectifies when ρ∞ is below the threshold (b2 small)', () => {
    const stage = stageOf(scaleByRadam({ b2: 0.5 }));
    for (const count of [0, 10, 100, 10_000]) expect(stage.scalars(ctx(count)).rectify).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------
// scaleByNadam
// ---------------------------------------------------------------------------------------------

describe('scaleByNadam', () => {
  const torch = { ...DEFAULTS, momentumDecay: 0.004, doubleCountMu: false };

  it('matches the PyTorch NAdam formula', () => {
    checkAgainst(() => scaleByNadam(), 3, refNadam(torch), ['mu', 'nu']);
    const o = { b1: 0.8, b2: 0.99, eps: 1e-6, epsRoot: 1e-7, momentumDecay: 0.5, doubleCountMu: false };
    checkAgainst(() => scaleByNadam(o), 3, refNadam(o), ['mu', 'nu']);
  });

  it('matches the torch 1.13 single-tensor formula with doubleCountMu', () => {
    checkAgainst(() => scaleByNadam({ doubleCountMu: true }), 3, refNadam({ ...torch, doubleCountMu: true }), ['mu', 'nu']);
  });

  it('first step by hand', () => {
    const mu1 = 0.9 * (1 - 0.5 * 0.96 ** 0.004);
    const mu2 = 0.9 * (1 - 0.5 * 0.96 ** 0.008);
    const [u] = scaleByNadam().update(Float64Array.of(2), scaleByNadam().init(Float64Array.of(0)));
    // m₁ = 0.2, v̂₁ = 4: u = ((1-μ₁)/(1-μ₁)·2 + μ₂/(1-μ₁μ₂)·0.2)/(2 + ε)
    expect(u[0]).toBeCloseTo((2 + (mu2 / (1 - mu1 * mu2)) * 0.2) / (2 + 1e-8), 14);
    const [v] = scaleByNadam({ doubleCountMu: true }).update(Float64Array.of(2), scaleByNadam().init(Float64Array.of(0)));
    expect(v[0]).toBeCloseTo((2 + (mu2 / (1 - mu1 * mu1 * mu2)) * 0.2) / (2 + 1e-8), 14);
  });

  it.each([0.004, 2])('computes the momentum product identically whatever the order of the steps (ψ = %s)', (momentumDecay) => {
    // ψ = 0.004: the product underflows to 0 near t = 1050; ψ = 2: it stays > 0
    const sequential = stageOf(scaleByNadam({ momentumDecay }));
    const expected = Array.from({ length: 1200 }, (_, count) => sequential.scalars(ctx(count)));
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1199 }), { minLength: 1, maxLength: 30 }), (counts) => {
        const fresh = stageOf(scaleByNadam({ momentumDecay }));
        for (const count of counts) expect(fresh.scalars(ctx(count))).toEqual(expected[count]);
      }),
      { seed: 424242, numRuns: 40 },
    );
  });

  it('recomputes the product as an explicit loop would, far into training', () => {
    const b1 = 0.999;
    const psi = 10; // μ_i ≈ β₁ soon, so the product stays away from 0 for a long time
    const stage = stageOf(scaleByNadam({ b1, momentumDecay: psi }));
    const muAt = (i: number): number => b1 * (1 - 0.5 * 0.96 ** (i * psi));
    let product = 1;
    for (let t = 1; t <= 3000; t++) {
      product *= muAt(t);
      if (t % 499 === 0 || t === 3000) {
        const s = stage.scalars(ctx(t - 1));
        expect(s.gradCoef).toBe((1 - muAt(t)) / (1 - product));
        expect(s.momentCoef).toBe(muAt(t + 1) / (1 - product * muAt(t + 1)));
      }
    }
    expect(product).toBeGreaterThan(0);
  });
});

// ---------------------------------------------------------------------------------------------
// structure and validation
// ---------------------------------------------------------------------------------------------

type Factory = (o: Record<string, unknown>) => GradientTransformation<unknown>;
const FACTORIES: readonly (readonly [string, Factory, Record<string, unknown>])[] = [
  ['scaleByAmsgrad', (o) => scaleByAmsgrad(o as ScaleByAmsgradOptions), { b1: 0.5, b2: 0.6, eps: 1e-3, epsRoot: 1e-4 }],
  ['scaleByAmsgrad', (o) => scaleByAmsgrad({ ...(o as ScaleByAmsgradOptions), maxOf: 'raw' }), { b1: 0.5, b2: 0.6, eps: 1e-3, epsRoot: 1e-4 }],
  ['scaleByAdamax', (o) => scaleByAdamax(o as ScaleByAdamaxOptions), { b1: 0.5, b2: 0.6, eps: 1e-3 }],
  ['scaleByRadam', (o) => scaleByRadam(o as ScaleByRadamOptions), { b1: 0.5, b2: 0.6, eps: 1e-3, epsRoot: 1e-4, threshold: 6 }],
  ['scaleByRadam', (o) => scaleByRadam({ ...(o as ScaleByRadamOptions), epsOnUncorrectedRoot: true, nesterov: true }), { b1: 0.5, b2: 0.6, eps: 1e-3, epsRoot: 1e-4 }],
  ['scaleByNadam', (o) => scaleByNadam(o as ScaleByNadamOptions), { b1: 0.5, b2: 0.6, eps: 1e-3, epsRoot: 1e-4, momentumDecay: 0.1 }],
];

describe('structure', () => {
  it.each(FACTORIES)('%s: hyperparameters enter only as scalars (same expressions for new values)', (_, make, changed) => {
    const a = stageOf(make({}));
    const b = stageOf(make(changed));
    expect(JSON.stringify(b.update)).toBe(JSON.stringify(a.update));
    expect(JSON.stringify(b.next)).toBe(JSON.stringify(a.next));
    expect(JSON.stringify(a.update)).not.toMatch(/"const","value":0\.[0-9]/);
  });

  it.each(FACTORIES)('%s: finite updates of the params shape (optax test_scalers)', (_, make) => {
    const params = [Float64Array.of(1, 2), Float64Array.of(3, 4)];
    const tx = make({});
    const [u, s] = tx.update([Float64Array.of(500, 5), Float64Array.of(300, 3)], tx.init(params), params);
    expect(u.map((x) => x.length)).toEqual([2, 2]);
    for (const leaf of u) for (const x of leaf) expect(Number.isFinite(x)).toBe(true);
    expect((s as KernelState).count).toBe(1);
  });

  it('records the validated options with defaults filled in', () => {
    expect(stageOf(scaleByAmsgrad()).options).toEqual({ b1: 0.9, b2: 0.999, eps: 1e-8, epsRoot: 0, maxOf: 'biasCorrected' });
    expect(stageOf(scaleByAdamax()).options).toEqual({ b1: 0.9, b2: 0.999, eps: 1e-8 });
    expect(stageOf(scaleByRadam()).options).toEqual({
      b1: 0.9,
      b2: 0.999,
      eps: 1e-8,
      epsRoot: 0,
      threshold: 5,
      nesterov: false,
      strictThreshold: false,
      epsOnUncorrectedRoot: false,
    });
    expect(stageOf(scaleByNadam()).options).toEqual({ b1: 0.9, b2: 0.999, eps: 1e-8, epsRoot: 0, momentumDecay: 0.004, doubleCountMu: false });
    expect(stageOf(scaleByAmsgrad()).slots.map((s) => s.name)).toEqual(['mu', 'nu', 'nuMax']);
  });
});

describe('validation', () => {
  const expectRejects = (build: () => unknown, owner: string, parameter: string): void => {
    let error: unknown;
    try {
      build();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(HyperparameterError);
    expect((error as HyperparameterError).owner).toBe(owner);
    expect((error as HyperparameterError).parameter).toBe(parameter);
    expect((error as HyperparameterError).message).toContain(parameter);
  };
  const unchecked = <T>(f: (o: T) => unknown) => (o: Record<string, unknown>) => () => f(o as T);
  const CASES: readonly (readonly [string, (o: Record<string, unknown>) => () => unknown])[] = [
    ['scaleByAmsgrad', unchecked(scaleByAmsgrad)],
    ['scaleByAdamax', unchecked(scaleByAdamax)],
    ['scaleByRadam', unchecked(scaleByRadam)],
    ['scaleByNadam', unchecked(scaleByNadam)],
  ];

  it.each(CASES)('%s rejects b1/b2 outside [0, 1), negative or non-finite eps, unknown keys', (owner, build) => {
    for (const bad of [1, -0.1, 1.5, Number.NaN, Infinity, '0.9']) {
      expectRejects(build({ b1: bad }), owner, 'b1');
      expectRejects(build({ b2: bad }), owner, 'b2');
    }
    for (const bad of [-1e-9, Number.NaN, Infinity, -Infinity]) expectRejects(build({ eps: bad }), owner, 'eps');
    expectRejects(build({ learningRate: 0.1 }), owner, 'learningRate');
    expectRejects(build({ beta1: 0.9 }), owner, 'beta1');
    expect(build({ b1: 0, b2: 0, eps: 0 })).not.toThrow();
  });

  it('rejects bad epsRoot, maxOf, threshold, momentumDecay and flags', () => {
    for (const [owner, make] of [
      ['scaleByAmsgrad', unchecked(scaleByAmsgrad)],
      ['scaleByRadam', unchecked(scaleByRadam)],
      ['scaleByNadam', unchecked(scaleByNadam)],
    ] as const) {
      for (const bad of [-1, Number.NaN, Infinity]) expectRejects(make({ epsRoot: bad }), owner, 'epsRoot');
    }
    expectRejects(() => scaleByAmsgrad({ maxOf: 'max' as 'raw' }), 'scaleByAmsgrad', 'maxOf');
    for (const bad of [4, 3, -5, Number.NaN, Infinity]) expectRejects(() => scaleByRadam({ threshold: bad }), 'scaleByRadam', 'threshold');
    expect(() => scaleByRadam({ threshold: 4.001 })).not.toThrow();
    for (const flag of ['nesterov', 'strictThreshold', 'epsOnUncorrectedRoot']) {
      expectRejects(unchecked(scaleByRadam)({ [flag]: 'yes' }), 'scaleByRadam', flag);
    }
    for (const bad of [-0.004, Number.NaN, Infinity]) expectRejects(() => scaleByNadam({ momentumDecay: bad }), 'scaleByNadam', 'momentumDecay');
    expectRejects(unchecked(scaleByNadam)({ doubleCountMu: 1 }), 'scaleByNadam', 'doubleCountMu');
    expectRejects(unchecked(scaleByAdamax)({ epsRoot: 0 }), 'scaleByAdamax', 'epsRoot');
    expectRejects(unchecked(scaleByAmsgrad)({ nesterov: true }), 'scaleByAmsgrad', 'nesterov');
  });
});
