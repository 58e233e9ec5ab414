/**
 * Newton–Schulz orthogonalisation against its action on singular values (matrices built as
 * R(θ)·diag(s)·R(φ)ᵀ, where the iteration maps each s/‖X‖_F through the scalar quintic), the
 * exact polar factor for the convergent cubic, scaleByMuon against plain JavaScript from
 * optax's formulas for 3 steps (float32, float64, nesterov on/off, adaptive), scaleByShape,
 * purity, dtypes, validation.
 */
import { describe, expect, it } from 'vitest';
import { HyperparameterError, InvalidTreeError, StateMismatchError } from '../../src/errors.js';
import { DEFAULT_NS_COEFFS, type NsCoefficients, type ScaleByMuonOptions, orthogonalizeViaNewtonSchulz, scaleByMuon, scaleByShape } from '../../src/transforms/muon.js';
import { type FloatArray, tensor } from '../../src/tree/leaf.js';
import { cloneTree } from '../../src/tree/tree.js';
import { DTYPES, expectClose } from './adaptiveSupport.js';

type Matrix = number[][];

const matmul = (a: Matrix, b: Matrix): Matrix => a.map((row) => (b[0] ?? []).map((_, j) => row.reduce((s, x, k) => s + x * ((b[k] as number[])[j] as number), 0)));
const transpose = (a: Matrix): Matrix => (a[0] ?? []).map((_, j) => a.map((row) => row[j] as number));
const rotation = (t: number): Matrix => [[Math.cos(t), -Math.sin(t)], [Math.sin(t), Math.cos(t)]];
const flat = (a: Matrix): number[] => a.flat();
const quintic = ([a, b, c]: NsCoefficients, s: number): number => a * s + b * s ** 3 + c * s ** 5;

/** U·diag(s)·Vᵀ for a 2×n result (n = 2 or 3: V is a rotation, padded with e₃). */
function svdMatrix(theta: number, s: readonly number[], phi: number, cols: 2 | 3): Matrix {
  const u = rotation(theta);
  const sigma: Matrix = [[s[0] as number, 0, 0].slice(0, cols), [0, s[1] as number, 0].slice(0, cols)];
  const r = rotation(phi);
  const v: Matrix = cols === 2 ? r : [[...(r[0] as number[]), 0], [...(r[1] as number[]), 0], [0, 0, 1]];
  return matmul(matmul(u, sigma), transpose(v));
}

/** Naive reference: the Newton–Schulz steps with 2-D arrays, written from optax's code. */
function refNewtonSchulz(x: Matrix, steps: readonly NsCoefficients[], eps: number): Matrix {
  const tall = x.length > (x[0]?.length ?? 0);
  let m = tall ? transpose(x) : x;
  const norm = Math.sqrt(flat(m).reduce((s, v) => s + v * v, 0)) + eps;
  m = m.map((row) => row.map((v) => v / norm));
  for (const [a, b, c] of steps) {
    const A = matmul(m, transpose(m));
    const AA = matmul(A, A);
    const B = A.map((row, i) => row.map((v, j) => b * v + c * ((AA[i] as number[])[j] as number)));
    const BX = matmul(B, m);
    m = m.map((row, i) => row.map((v, j) => a * v + ((BX[i] as number[])[j] as number)));
  }
  return tall ? transpose(m) : m;
}

describe('orthogonalizeViaNewtonSchulz', () => {
  const five = Array.from({ length: 5 }, () => DEFAULT_NS_COEFFS);

  for (const cols of [2, 3] as const) {
    it(`maps each singular value s/‖X‖_F through the quintic five times (2×${String(cols)}, and transposed)`, () => {
      const s = [3, 1];
      const x = svdMatrix(0.3, s, -1.1, cols);
      const norm = Math.hypot(...s);
      const mapped = s.map((v) => five.reduce((acc, k) => quintic(k, acc), v / norm));
      const expected = svdMatrix(0.3, mapped, -1.1, cols);
      expectClose(orthogonalizeViaNewtonSchulz(flat(x), 2, cols, five, 0), flat(expected), 1e-12, 'wide');
      const xt = transpose(x);
      expectClose(orthogonalizeViaNewtonSchulz(flat(xt), cols, 2, five, 0), flat(transpose(expected)), 1e-12, 'tall');
    });
  }

  it('gives the polar factor U·Vᵀ with the convergent cubic (1.5, -0.5, 0), 40 steps', () => {
    const x = svdMatrix(2.1, [5, 0.5], 0.4, 3);
    const polar = svdMatrix(2.1, [1, 1], 0.4, 3);
    const cubic = Array.from({ length: 40 }, (): NsCoefficients => [1.5, -0.5, 0]);
    expectClose(orthogonalizeViaNewtonSchulz(flat(x), 2, 3, cubic, 1e-8), flat(polar), 1e-9, 'polar');
  });

  it("orthonormalises a tall 4×3 matrix with optax's test coefficients (2, -1.5, 0.5), 20 steps: OᵀO = I", () => {
    const x = [0.3, -1.2, 0.8, 1.5, 0.1, -0.4, -0.7, 0.9, 2.0, 0.2, -0.3, 0.6];
    const steps = Array.from({ length: 20 }, (): NsCoefficients => [2, -1.5, 0.5]);
    const o = orthogonalizeViaNewtonSchulz(x, 4, 3, steps, 1e-12);
    const rows = [0, 1, 2, 3].map((i) => Array.from(o.slice(3 * i, 3 * i + 3)));
    const gram = matmul(transpose(rows), rows);
    expectClose(flat(gram).map((v, i) => (i % 4 === 0 ? v - 1 : v) + 1), [1, 1, 1, 1, 1, 1, 1, 1, 1], 1e-5, 'OᵀO');
  });

  it('leaves a zero matrix at zero (ε keeps the division finite)', () => {
    expect(Array.from(orthogonalizeViaNewtonSchulz([0, 0, 0, 0, 0, 0], 3, 2, five))).toEqual([0, 0, 0, 0, 0, 0]);
  });
});

/** Three steps of gradients for a 2×3 matrix. */
const GRADS: readonly (readonly number[])[] = [
  [1, -2, 0.5, 3, 0, -1],
  [0.25, 4, -1, 2, 1e-3, 0.5],
  [-3, 0.5, 2, -0.125, 10, 1],
];

describe('scaleByMuon', () => {
  const variants: readonly [string, ScaleByMuonOptions][] = [
    ['defaults', {}],
    ['no nesterov, beta 0.9, 3 steps', { nesterov: false, beta: 0.9, nsSteps: 3 }],
    ['adaptive, per-step coefficients', { adaptive: true, nsCoeffs: [[3.4445, -4.775, 2.0315], [2, -1.5, 0.5]] }],
  ];
  for (const dt of DTYPES) {
    for (const [name, options] of variants) {
      it(`matches optax's formula for 3 steps (${name}, ${dt.name})`, () => {
        const beta = options.beta ?? 0.95;
        const nesterov = options.nesterov ?? true;
        const coeffs = options.nsCoeffs as readonly NsCoefficients[] | undefined;
        const steps = coeffs ?? Array.from({ length: options.nsSteps ?? 5 }, () => DEFAULT_NS_COEFFS);
        const tx = scaleByMuon(options);
        const params = { w: tensor(dt.make(new Array<number>(6).fill(0)), [2, 3]) };
        let state = tx.init(params);
        let mu = new Array<number>(6).fill(0);
        GRADS.forEach((raw, k) => {
          const t = k + 1;
          const g = raw.map(dt.round);
          const muNew = g.map((gi, i) => beta * (mu[i] as number) + (1 - beta) * gi);
          const muHat = muNew.map((m, i) => (nesterov ? (beta * m) / (1 - beta ** (t + 1)) + ((1 - beta) * (g[i] as number)) / (1 - beta ** t) : m / (1 - beta ** t)));
          const o = flat(refNewtonSchulz([muHat.slice(0, 3), muHat.slice(3)], steps, 1e-8));
          const factor = options.adaptive === true ? muHat.reduce((s, m, i) => s + m * (o[i] as number), 0) : 1;
          const [u, next] = tx.update({ w: tensor(dt.make(raw), [2, 3]) }, state);
          expectClose(u.w.data, o.map((v) => dt.round(factor * v)), dt.name === 'float32' ? 1e-5 : 1e-11, `update ${String(t)}`);
          expectClose((next.mu as { w: { data: FloatArray } }).w.data, muNew.map(dt.round), dt.rtol, `mu ${String(t)}`);
          expect(next.count).toBe(t);
          expect(u.w.data).toBeInstanceOf(dt.name === 'float32' ? Float32Array : Float64Array);
          mu = muNew.map(dt.round);
          state = next;
        });
      });
    }
  }

  it('is pure and keeps forms; rejects leaves that are not 2-D, naming the path', () => {
    const tx = scaleByMuon();
    const g = { a: tensor(Float32Array.from([1, 2, 3, 4, 5, 6]), [3, 2]) };
    const copy = cloneTree(g);
    const state = tx.init(g);
    const stateCopy = cloneTree(state.mu as typeof g);
    const [u] = tx.update(g, state);
    expect(g).toEqual(copy);
    expect(state.mu).toEqual(stateCopy);
    expect(u.a.shape).toEqual([3, 2]);
    expect(() => tx.init({ v: Float32Array.from([1, 2]) })).toThrow(InvalidTreeError);
    expect(() => tx.init({ v: Float32Array.from([1, 2]) })).toThrow(/at v: expected a 2-D leaf/);
    expect(() => tx.update(g, { count: -1, mu: state.mu })).toThrow(StateMismatchError);
  });

  it('rejects bad options, naming them; records its spec', () => {
    const cases: readonly [ScaleByMuonOptions, string][] = [
      [{ beta: 1 }, 'beta'],
      [{ nsSteps: 1.5 }, 'nsSteps'],
      [{ nsSteps: 1e9 }, 'nsSteps'],
      [{ eps: -1 }, 'eps'],
      [{ nesterov: 1 as unknown as boolean }, 'nesterov'],
      [{ nsCoeffs: [1, 2] as unknown as NsCoefficients }, 'nsCoeffs'],
      [{ nsCoeffs: [] as unknown as NsCoefficients }, 'nsCoeffs'],
      [{ nsCoeffs: [[1, 2, 3], [1, 2]] as unknown as NsCoefficients[] }, 'nsCoeffs'],
      [{ momentum: 0.9 } as unknown as ScaleByMuonOptions, 'momentum'],
    ];
    for (const [options, parameter] of cases) {
      expect(() => scaleByMuon(options), JSON.stringify(options)).toThrow(HyperparameterError);
      expect(() => scaleByMuon(options)).toThrow(new RegExp(`^scaleByMuon: ${parameter} must be`));
    }
    expect(scaleByMuon().spec).toEqual({ op: 'scaleByMuon', nsCoeffs: [3.4445, -4.775, 2.0315], nsSteps: 5, beta: 0.95, eps: 1e-8, nesterov: true, adaptive: false });
  });
});

describe('scaleByShape', () => {
  it('scales by √max(1, fanOut/fanIn), or √max(fanIn, fanOut)·consistentRms', () => {
    const g = { wide: tensor(Float64Array.from(new Array<number>(16).fill(1)), [2, 8]), tall: tensor(Float32Array.from(new Array<number>(16).fill(1)), [8, 2]) };
    const [u] = scaleByShape().update(g, {});
    expect(Array.from(u.wide.data)).toEqual(new Array<number>(16).fill(2));
    expect(Array.from(u.tall.data)).toEqual(new Array<number>(16).fill(1));
    expect(u.tall.data).toBeInstanceOf(Float32Array);
    const [v] = scaleByShape({ consistentRms: 0.2 }).update(g, {});
    expect(v.wide.data[0]).toBe(Math.sqrt(8) * 0.2);
    expect(v.tall.data[0]).toBe(Math.fround(Math.sqrt(8) * 0.2));
    expect(g.wide.data[0]).toBe(1);
    expect(scaleByShape({ consistentRms: 0.2 }).spec).toEqual({ op: 'scaleByShape', consistentRms: 0.2 });
    expect(() => scaleByShape({ consistentRms: 0 })).toThrow(/^scaleByShape: consistentRms must be/);
  });
});
