/**
 * Muon's scalers: momentum orthogonalised by Newton–Schulz iterations
 * ({@link scaleByMuon}, {@link orthogonalizeViaNewtonSchulz}) and the shape factor
 * ({@link scaleByShape}). Matrix work on 2-D leaves: these run on the host, leaf by leaf.
 *
 * @module
 */
import type { EmptyState, GradientTransformation } from '../base.js';
import { HyperparameterError, InvalidTreeError, StateMismatchError } from '../errors.js';
import { type FlatLeaf, type Tree, type TreeLike, flatten, mapTree, unflatten, zipTrees } from '../tree/tree.js';
import { type FloatArray, allocate, dtypeOf, shapeToString } from '../tree/leaf.js';
import type { JsonValue } from '../spec/spec.js';
import { requireBoolean, requireFinite, requireInRange, requireInteger, requireKnownKeys, requireNonNegative, requirePositive } from '../validate.js';

/** The most Newton–Schulz steps `scaleByMuon` accepts (optax uses 5). */
const MAX_NS_STEPS = 100;

// ---------------------------------------------------------------------------------------------
// Newton–Schulz
// ---------------------------------------------------------------------------------------------

/** Coefficients `(a, b, c)` of one quintic Newton–Schulz step `aX + b(XXᵀ)X + c(XXᵀ)²X`. */
export type NsCoefficients = readonly [number, number, number];

/** Keller Jordan's coefficients (optax's default): `(3.4445, -4.7750, 2.0315)`. */
export const DEFAULT_NS_COEFFS: NsCoefficients = [3.4445, -4.775, 2.0315];

/**
 * Orthogonalises a matrix by quintic Newton–Schulz iterations (Jordan, modded-nanogpt, 2024;
 * optax's `contrib.orthogonalize_via_newton_schulz`):
 *
 * ```text
 * X ← Xᵀ if rows > cols
 * X ← X / (‖X‖_F + ε)
 * repeat, for each (a, b, c):   A = X Xᵀ,   X ← aX + (bA + cA²) X
 * X ← Xᵀ if it was transposed
 * ```
 *
 * `x` is row-major `rows × cols`; the result is a fresh float64 array of the same layout. With
 * the default coefficients the singular values land roughly in [0.7, 1.2] rather than at 1
 * (the iteration is tuned for speed, not exactness). Computed in float64.
 * @category Transformations
 */
export function orthogonalizeViaNewtonSchulz(x: ArrayLike<number>, rows: number, cols: number, steps: readonly NsCoefficients[], eps = 1e-8): Float64Array {
  const transposed = rows > cols;
  const r = transposed ? cols : rows;
  const c = transposed ? rows : cols;
  let m = new Float64Array(r * c);
  let sumSq = 0;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const v = x[i * cols + j] as number;
      sumSq += v * v;
      if (transposed) m[j * c + i] = v;
      else m[i * c + j] = v;
    }
  }
  const scale = Math.sqrt(sumSq) + eps;
  for (let i = 0; i < m.length; i++) m[i] = (m[i] as number) / scale;

  const a = new Float64Array(r * r);
  const b = new Float64Array(r * r);
  let next = new Float64Array(r * c);
  for (const [ca, cb, cc] of steps) {
    // A = X Xᵀ: symmetric, each entry a dot product of two rows.
    for (let i = 0; i < r; i++) {
      const ri = i * c;
      for (let j = i; j < r; j++) {
        const rj = j * c;
        let s = 0;
        for (let k = 0; k < c; k++) s += (m[ri + k] as number) * (m[rj + k] as number);
        a[i * r + j] = s;
        a[j * r + i] = s;
      }
    }
    // B = bA + cA²: A² is symmetric too, (A²)ᵢⱼ = Σₖ Aᵢₖ Aⱼₖ.
    for (let i = 0; i < r; i++) {
      const ri = i * r;
      for (let j = i; j < r; j++) {
        const rj = j * r;
        let s = 0;
        for (let k = 0; k < r; k++) s += (a[ri + k] as number) * (a[rj + k] as number);
        const v = cb * (a[ri + j] as number) + cc * s;
        b[ri + j] = v;
        b[rj + i] = v;
      }
    }
    // X ← aX + B X, row by row.
    for (let i = 0; i < r; i++) {
      const ri = i * c;
      for (let k = 0; k < c; k++) next[ri + k] = ca * (m[ri + k] as number);
      for (let j = 0; j < r; j++) {
        const bij = b[i * r + j] as number;
        const rj = j * c;
        for (let k = 0; k < c; k++) next[ri + k] = (next[ri + k] as number) + bij * (m[rj + k] as number);
      }
    }
    const done = m;
    m = next;
    next = done;
  }
  if (!transposed) return m;
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < r; i++) for (let k = 0; k < c; k++) out[k * cols + i] = m[i * c + k] as number;
  return out;
}

/** The 2-D shape of a leaf, or a typed error naming its path. */
function matrixShape(owner: string, leaf: FlatLeaf): readonly [number, number] {
  if (leaf.shape.length !== 2) {
    throw new InvalidTreeError(leaf.path, `a 2-D leaf (a tensor { shape: [rows, cols], data }) for ${owner}; the muon optimizer sends other leaves to Adam`, shapeToString(leaf.shape));
  }
  return [leaf.shape[0] as number, leaf.shape[1] as number];
}

// ---------------------------------------------------------------------------------------------
// scaleByMuon
// ---------------------------------------------------------------------------------------------

/** Options of {@link scaleByMuon}. */
export interface ScaleByMuonOptions {
  /**
   * Newton–Schulz coefficients: one `(a, b, c)` used for every step, or a list of them, one
   * per step (then `nsSteps` is ignored). Default `(3.4445, -4.7750, 2.0315)`.
   */
  readonly nsCoeffs?: NsCoefficients | readonly NsCoefficients[];
  /** Newton–Schulz steps, an integer in [0, 100]. Default 5. */
  readonly nsSteps?: number;
  /** β, the momentum's decay, in [0, 1). Default 0.95. */
  readonly beta?: number;
  /** ε added to the Frobenius norm before dividing. Default 1e-8. */
  readonly eps?: number;
  /** Nesterov momentum. Default true. */
  readonly nesterov?: boolean;
  /** Scale by the dual norm `⟨μ̂, O⟩` (Bernstein & Newhouse, 2024). Default false. */
  readonly adaptive?: boolean;
}

/** The state of {@link scaleByMuon}: the update `count` and the momentum `mu`, shaped like the params. */
export interface ScaleByMuonState {
  readonly count: number;
  readonly mu: Tree;
}

const isTriple = (v: unknown): v is NsCoefficients => Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number' && Number.isFinite(x));

/**
 * Rescales updates by Muon (Jordan, "modded-nanogpt", 2024; Bernstein & Newhouse, "Old
 * Optimizer, New Norm: An Anthology", 2024): momentum, then its orthogonalisation by
 * {@link orthogonalizeViaNewtonSchulz}, leaf by leaf, for 2-D leaves (matrices):
 *
 * ```text
 * t   = count + 1
 * μ_t = β μ_{t-1} + (1 - β) g
 * μ̂   = β μ_t / (1 - β^{t+1}) + (1 - β) g / (1 - βᵗ)     (nesterov; else μ_t / (1 - βᵗ))
 * O   = NewtonSchulz(μ̂)
 * u   = O                                              (adaptive: ⟨μ̂, O⟩_F · O)
 * ```
 *
 * Defaults `nsCoeffs = (3.4445, -4.7750, 2.0315)`, `nsSteps = 5`, `beta = 0.95`, `eps = 1e-8`,
 * `nesterov = true`, `adaptive = false` (optax's `contrib.scale_by_muon`). Every leaf must be
 * a 2-D tensor `{ shape: [rows, cols], data }` (row-major); others get an `InvalidTreeError`
 * naming their path (the `muon` optimizer routes them to Adam). The matrix work is computed
 * in float64 and rounded to the leaf's dtype; `mu` keeps the params' dtype. Not fusable: it
 * runs on the host (matrix products), pure, with fresh outputs.
 * @category Transformations
 */
export function scaleByMuon(options: ScaleByMuonOptions = {}): GradientTransformation<ScaleByMuonState> {
  const owner = 'scaleByMuon';
  requireKnownKeys(owner, options, ['nsCoeffs', 'nsSteps', 'beta', 'eps', 'nesterov', 'adaptive']);
  const given = options.nsCoeffs ?? DEFAULT_NS_COEFFS;
  const perStep = Array.isArray(given) && given.length > 0 && given.every((g) => Array.isArray(g));
  if (perStep ? !(given as readonly unknown[]).every(isTriple) : !isTriple(given)) {
    throw new HyperparameterError(owner, 'nsCoeffs', 'three finite numbers (a, b, c), or a non-empty list of such triples', given);
  }
  const nsSteps = requireInteger(owner, 'nsSteps', options.nsSteps ?? 5);
  // Each step is three matrix products per leaf: a bound keeps a spec from asking for years.
  if (nsSteps > MAX_NS_STEPS) throw new HyperparameterError(owner, 'nsSteps', `an integer in [0, ${String(MAX_NS_STEPS)}]`, nsSteps);
  const beta = requireInRange(owner, 'beta', options.beta ?? 0.95, 0, 1, { hiOpen: true });
  const eps = requireNonNegative(owner, 'eps', options.eps ?? 1e-8);
  const nesterov = requireBoolean(owner, 'nesterov', options.nesterov ?? true);
  const adaptive = requireBoolean(owner, 'adaptive', options.adaptive ?? false);
  const copy = (t: NsCoefficients): NsCoefficients => [t[0], t[1], t[2]];
  const perStepCoeffs: readonly NsCoefficients[] | undefined = perStep ? (given as unknown as readonly NsCoefficients[]).map(copy) : undefined;
  const single: NsCoefficients = perStepCoeffs === undefined ? copy(given as NsCoefficients) : DEFAULT_NS_COEFFS;
  const nsCoeffs: JsonValue = perStepCoeffs === undefined ? [...single] : perStepCoeffs.map((t) => [...t]);
  const steps: readonly NsCoefficients[] = perStepCoeffs ?? Array.from({ length: nsSteps }, () => single);

  const checkState = (state: unknown): ScaleByMuonState => {
    if (typeof state !== 'object' || state === null || Array.isArray(state) || !('mu' in state)) throw new StateMismatchError(owner, 'an object { count, mu }', state);
    const s = state as Partial<ScaleByMuonState>;
    if (typeof s.count !== 'number' || !Number.isSafeInteger(s.count) || s.count < 0) throw new StateMismatchError(owner, 'a state whose count is an integer >= 0', s.count);
    return s as ScaleByMuonState;
  };

  return {
    init: (params) => {
      const flat = flatten(params);
      for (const leaf of flat.leaves) matrixShape(owner, leaf);
      return { count: 0, mu: unflatten(flat.def, flat.leaves.map((l) => allocate(l.dtype, l.data.length))) };
    },
    update: <P extends TreeLike<P>>(updates: P, state: ScaleByMuonState): readonly [P, ScaleByMuonState] => {
      const s = checkState(state);
      const t = s.count + 1;
      const bc = 1 - beta ** t;
      const bcNext = 1 - beta ** (t + 1);
      const muLeaves: FloatArray[] = [];
      const out = zipTrees(
        updates,
        [s.mu as P],
        (g, [mu], leaf) => {
          const [rows, cols] = matrixShape(owner, leaf);
          const m = mu as FloatArray;
          const n = g.length;
          const muNew = new Float64Array(n);
          const muHat = new Float64Array(n);
          for (let i = 0; i < n; i++) {
            const gi = g[i] as number;
            const v = beta * (m[i] as number) + (1 - beta) * gi;
            muNew[i] = v;
            muHat[i] = nesterov ? (beta * v) / bcNext + ((1 - beta) * gi) / bc : v / bc;
          }
          const o = orthogonalizeViaNewtonSchulz(muHat, rows, cols, steps, eps);
          let factor = 1;
          if (adaptive) {
            factor = 0;
            for (let i = 0; i < n; i++) factor += (muHat[i] as number) * (o[i] as number);
          }
          const u = allocate(dtypeOf(g), n);
          for (let i = 0; i < n; i++) u[i] = factor * (o[i] as number);
          const stored = allocate(dtypeOf(m), n);
          stored.set(muNew);
          muLeaves.push(stored);
          return u;
        },
        `${owner}: updates against state.mu`,
      );
      return [out, { count: t, mu: unflatten(flatten(s.mu).def, muLeaves) }];
    },
    spec: { op: owner, nsCoeffs, nsSteps, beta, eps, nesterov, adaptive },
  };
}

// ---------------------------------------------------------------------------------------------
// scaleByShape
// ---------------------------------------------------------------------------------------------

/** Options of {@link scaleByShape}. */
export interface ScaleByShapeOptions {
  /**
   * Consistent-RMS scaling (Liu et al., "Muon is Scalable for LLM Training", 2025):
   * `√max(fanIn, fanOut) · consistentRms` (0.2 matches AdamW's update RMS). Default: absent,
   * the width scaling `√max(1, fanOut / fanIn)`.
   */
  readonly consistentRms?: number;
}

/**
 * Scales each 2-D leaf `[fanIn, fanOut]` by a factor of its shape, optax's
 * `contrib.scale_by_shape` (the default 2-D dimension numbers: rows are the reduction axis):
 *
 * ```text
 * u = √max(1, fanOut / fanIn) · g              (Jordan's width scaling; default)
 * u = √max(fanIn, fanOut) · consistentRms · g  (with consistentRms)
 * ```
 *
 * Leaves must be 2-D. Stateless (`{}`), pure, not fusable (it runs with {@link scaleByMuon}).
 * @category Transformations
 */
export function scaleByShape(options: ScaleByShapeOptions = {}): GradientTransformation<EmptyState> {
  const owner = 'scaleByShape';
  requireKnownKeys(owner, options, ['consistentRms']);
  const consistentRms = options.consistentRms === undefined ? undefined : requireFinite(owner, 'consistentRms', options.consistentRms);
  if (consistentRms !== undefined) requirePositive(owner, 'consistentRms', consistentRms);
  return {
    init: (params) => {
      for (const leaf of flatten(params).leaves) matrixShape(owner, leaf);
      return {};
    },
    update: <P extends TreeLike<P>>(updates: P, state: EmptyState): readonly [P, EmptyState] => {
      if (typeof state !== 'object' || state === null || Array.isArray(state)) throw new StateMismatchError(owner, 'an empty object {}', state);
      const out = mapTree(updates, (g, leaf) => {
        const [fanIn, fanOut] = matrixShape(owner, leaf);
        const factor = consistentRms === undefined ? Math.sqrt(Math.max(1, fanOut / fanIn)) : Math.sqrt(Math.max(fanIn, fanOut)) * consistentRms;
        const u = allocate(dtypeOf(g), g.length);
        for (let i = 0; i < g.length; i++) u[i] = factor * (g[i] as number);
        return u;
      });
      return [out, {}];
    },
    spec: { op: owner, ...(consistentRms === undefined ? {} : { consistentRms }) },
  };
}
