/**
 * Adafactor's parts: the factored second-moment estimate (`scaleByFactoredRms`, a host
 * transformation: its statistics are row and column means, not element-wise) and the
 * per-leaf parameter-RMS scaling (`scaleByParamBlockRms`, a fusable kernel).
 *
 * @module
 */
import type { GradientTransformation } from '../base.js';
import { HyperparameterError, StateMismatchError } from '../errors.js';
import { type KernelState, defineTransform } from '../kernel/define.js';
import { g, mul, p, scalar } from '../kernel/dsl.js';
import type { TransformSpec } from '../spec/spec.js';
import { type Dtype, type FloatArray, type Tensor, allocate, isTensor } from '../tree/leaf.js';
import { type FlatLeaf, type Tree, type TreeDef, type TreeLike, buildFromDef, flatten, unflatten } from '../tree/tree.js';
import { requireBoolean, requireInteger, requireKnownKeys, requireNonNegative, requirePositive } from '../validate.js';

// ---------------------------------------------------------------------------------------------
// shared helpers for host transformations over flat leaf data
// ---------------------------------------------------------------------------------------------


/** The leaves of `tree` in `def`'s order, each checked to be a tensor of `shape`/`dtype`. */
export function stateLeaves(owner: string, name: string, tree: unknown, count: number): unknown[] {
  if (typeof tree !== 'object' || tree === null) throw new StateMismatchError(owner, `a state whose ${name} is a tree`, tree);
  const out: unknown[] = [];
  const walk = (node: unknown): void => {
    if (isTensor(node) || ArrayBuffer.isView(node)) {
      out.push(node);
      return;
    }
    if (Array.isArray(node)) {
      (node as readonly unknown[]).forEach(walk);
      return;
    }
    if (typeof node === 'object' && node !== null) {
      for (const k of Object.keys(node).sort()) walk((node as Record<string, unknown>)[k]);
      return;
    }
    throw new StateMismatchError(owner, `a state whose ${name} holds only leaves`, node);
  };
  walk(tree);
  if (out.length !== count) throw new StateMismatchError(owner, `a state whose ${name} has ${String(count)} leaves, like the updates`, tree);
  return out;
}

/** The shape without `axis`. */
const without = (shape: readonly number[], axis: number): number[] => shape.filter((_, k) => k !== axis);

// ---------------------------------------------------------------------------------------------
// scaleByFactoredRms
// ---------------------------------------------------------------------------------------------

/** Options of {@link scaleByFactoredRms}. */
export interface ScaleByFactoredRmsOptions {
  /** Use factored estimates for leaves that qualify. Default true. */
  readonly factored?: boolean;
  /** Exponent `c` of the decay schedule `β_t = 1 - (t+1)^(-c)`, > 0. Default 0.8. */
  readonly decayRate?: number;
  /** For fine-tuning: the step the schedule restarts at (an integer >= 0). Default 0. */
  readonly stepOffset?: number;
  /** Factor a leaf only when its two largest dimensions are both at least this (integer >= 1). Default 128. */
  readonly minDimSizeToFactor?: number;
  /** `ε₁`, added to `g²` (>= 0). Default 1e-30. */
  readonly epsilon?: number;
}

/**
 * The state of {@link scaleByFactoredRms} (optax's `FactoredState`). `vRow`, `vCol` and `v` have
 * the params' structure, one tensor per leaf in the leaf's dtype: for a factored leaf, `vRow`
 * and `vCol` hold its row and column statistics (shape without the largest, resp. the second
 * largest dimension) and `v` is a `[1]` placeholder; for the others, `v` has the leaf's shape
 * and `vRow`, `vCol` are `[1]` placeholders.
 */
export interface ScaleByFactoredRmsState {
  readonly count: number;
  readonly vRow: Tree;
  readonly vCol: Tree;
  readonly v: Tree;
}

/** The two dimensions a leaf's statistics are factored over, `[d1, d0]` (second largest, largest), or undefined. */
export function factoredDims(shape: readonly number[], factored: boolean, minDimSizeToFactor: number): readonly [number, number] | undefined {
  if (!factored || shape.length < 2) return undefined;
  // Ascending by size; ties keep axis order (so of two equal dims the later one is "largest").
  const sorted = shape.map((s, k) => [s, k] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const second = sorted[sorted.length - 2] as readonly [number, number];
  const first = sorted[sorted.length - 1] as readonly [number, number];
  if (second[0] < minDimSizeToFactor) return undefined;
  return [second[1], first[1]];
}

const tensorOf = (dtype: Dtype, shape: readonly number[]): Tensor => ({ shape: [...shape], data: allocate(dtype, shape.reduce((a, b) => a * b, 1)) });

/**
 * Scales updates by a factored estimate of their root mean square, the core of Adafactor
 * (Shazeer & Stern, "Adafactor: Adaptive Learning Rates with Sublinear Memory Cost", 2018;
 * optax's `scale_by_factored_rms`). With `t` the count before this step and `k = t − stepOffset`:
 *
 * ```text
 * β_t = 1 − (k + 1)^(−decayRate)                (0 at the first step)
 * G   = g² + ε₁
 * factored leaf (the two largest dims d1 ≤ d0 both >= minDimSizeToFactor):
 *   R ← β_t R + (1 − β_t) mean_{d0}(G)         (vRow: one value per row)
 *   C ← β_t C + (1 − β_t) mean_{d1}(G)         (vCol: one value per column)
 *   u = g · √(mean_{d1}(R) / R) · (1/√C)         (R, C broadcast back along d0, d1)
 * other leaves:
 *   v ← β_t v + (1 − β_t) G
 *   u = g / √v
 * ```
 *
 * Defaults (optax's): `factored = true`, `decayRate = 0.8`, `stepOffset = 0`,
 * `minDimSizeToFactor = 128`, `epsilon = 1e-30`. A bare typed-array leaf is 1-D (never
 * factored); give a tensor `{ shape, data }` for a matrix.
 *
 * Not element-wise (row and column means), so it has no kernel definition: `compile` runs it on
 * the host, between the fused parts of a chain. Means and factors are computed in float64 and
 * stored in the leaf's dtype.
 *
 * @remarks optax computes `β_t` in float32 and reads the shapes from `params` (which it
 * requires); here `β_t` is a float64 and the shapes are the updates' (the same), so `params`
 * are not needed. The choice of `[d1, d0]` among equal dimensions follows a stable sort (the
 * later axis counts as the larger).
 * @category Transformations
 */
export function scaleByFactoredRms(options: ScaleByFactoredRmsOptions = {}): GradientTransformation<ScaleByFactoredRmsState> {
  const owner = 'scaleByFactoredRms';
  if (typeof options !== 'object' || options === null) throw new HyperparameterError(owner, 'options', 'an object', options);
  requireKnownKeys(owner, options, ['factored', 'decayRate', 'stepOffset', 'minDimSizeToFactor', 'epsilon']);
  const factored = requireBoolean(owner, 'factored', options.factored ?? true);
  const decayRate = requirePositive(owner, 'decayRate', options.decayRate ?? 0.8);
  const stepOffset = requireInteger(owner, 'stepOffset', options.stepOffset ?? 0);
  const minDimSizeToFactor = requireInteger(owner, 'minDimSizeToFactor', options.minDimSizeToFactor ?? 128, 1);
  const epsilon = requireNonNegative(owner, 'epsilon', options.epsilon ?? 1e-30);
  const spec = { op: owner, factored, decayRate, stepOffset, minDimSizeToFactor, epsilon };

  const init = (tree: object): ScaleByFactoredRmsState => {
    const { def } = flatten(tree);
    const dims = (d: Extract<TreeDef, { kind: 'leaf' }>): readonly [number, number] | undefined => factoredDims(d.shape, factored, minDimSizeToFactor);
    return {
      count: 0,
      vRow: buildFromDef(def, (d) => {
        const fd = dims(d);
        return tensorOf(d.dtype, fd === undefined ? [1] : without(d.shape, fd[1]));
      }) as Tree,
      vCol: buildFromDef(def, (d) => {
        const fd = dims(d);
        return tensorOf(d.dtype, fd === undefined ? [1] : without(d.shape, fd[0]));
      }) as Tree,
      v: buildFromDef(def, (d) => tensorOf(d.dtype, dims(d) === undefined ? d.shape : [1])) as Tree,
    };
  };

  const update = <P extends TreeLike<P>>(updates: P, state: ScaleByFactoredRmsState): readonly [P, ScaleByFactoredRmsState] => {
    if (typeof state !== 'object' || (state as unknown) === null) throw new StateMismatchError(owner, 'an object { count, vRow, vCol, v }', state);
    const count: unknown = state.count;
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) throw new StateMismatchError(owner, 'a state with an integer count >= 0', count);
    const { leaves, def } = flatten(updates);
    const rows = stateLeaves(owner, 'vRow', state.vRow, leaves.length);
    const cols = stateLeaves(owner, 'vCol', state.vCol, leaves.length);
    const vs = stateLeaves(owner, 'v', state.v, leaves.length);
    const beta = 1 - (count - stepOffset + 1) ** -decayRate;
    const outs: FloatArray[] = [];
    const newRows: Tensor[] = [];
    const newCols: Tensor[] = [];
    const newVs: Tensor[] = [];
    const need = (what: string, leaf: FlatLeaf, value: unknown, shape: readonly number[]): FloatArray => {
      const data = isTensor(value) ? value.data : (value as FloatArray);
      if (!(data instanceof Float32Array || data instanceof Float64Array) || data.length !== shape.reduce((a, b) => a * b, 1)) {
        throw new StateMismatchError(owner, `a state whose ${what} at ${leaf.path || '(root)'} has shape [${shape.join(', ')}]`, value);
      }
      return data;
    };
    leaves.forEach((leaf, l) => {
      const gd = leaf.data;
      const out = allocate(leaf.dtype, gd.length);
      const fd = factoredDims(leaf.shape, factored, minDimSizeToFactor);
      if (fd === undefined) {
        const v = need('v', leaf, vs[l], leaf.shape);
        const nv = allocate(leaf.dtype, gd.length);
        for (let i = 0; i < gd.length; i++) {
          const x = gd[i] as number;
          nv[i] = beta * (v[i] as number) + (1 - beta) * (x * x + epsilon);
          out[i] = x / Math.sqrt(nv[i] as number);
        }
        outs.push(out);
        newVs.push({ shape: [...leaf.shape], data: nv });
        newRows.push(tensorOf(leaf.dtype, [1]));
        newCols.push(tensorOf(leaf.dtype, [1]));
        return;
      }
      const [d1, d0] = fd;
      const shape = leaf.shape;
      const rowShape = without(shape, d0);
      const colShape = without(shape, d1);
      const r = need('vRow', leaf, rows[l], rowShape);
      const c = need('vCol', leaf, cols[l], colShape);
      // The leaf as blocks [A, na, B, nb, C] around its two factored axes a < b.
      const a = Math.min(d0, d1);
      const b = Math.max(d0, d1);
      const size = (from: number, to: number): number => shape.slice(from, to).reduce((x, y) => x * y, 1);
      const A = size(0, a);
      const na = shape[a] as number;
      const B = size(a + 1, b);
      const nb = shape[b] as number;
      const C = size(b + 1, shape.length);
      const d0IsB = d0 === b;
      const n0 = shape[d0] as number;
      const n1 = shape[d1] as number;
      // Sums of G along d0 (one per row statistic) and d1 (one per column statistic), in float64.
      const rowSum = new Float64Array(r.length);
      const colSum = new Float64Array(c.length);
      let i = 0;
      for (let al = 0; al < A; al++) {
        for (let x = 0; x < na; x++) {
          for (let be = 0; be < B; be++) {
            for (let y = 0; y < nb; y++) {
              const dropB = ((al * na + x) * B + be) * C;
              const dropA = ((al * B + be) * nb + y) * C;
              const rowAt = d0IsB ? dropB : dropA;
              const colAt = d0IsB ? dropA : dropB;
              for (let ga = 0; ga < C; ga++, i++) {
                const v = gd[i] as number;
                const G = v * v + epsilon;
                rowSum[rowAt + ga] = (rowSum[rowAt + ga] as number) + G;
                colSum[colAt + ga] = (colSum[colAt + ga] as number) + G;
              }
            }
          }
        }
      }
      const nr = allocate(leaf.dtype, r.length);
      const nc = allocate(leaf.dtype, c.length);
      for (let j = 0; j < r.length; j++) nr[j] = beta * (r[j] as number) + (1 - beta) * ((rowSum[j] as number) / n0);
      for (let j = 0; j < c.length; j++) nc[j] = beta * (c[j] as number) + (1 - beta) * ((colSum[j] as number) / n1);
      // Row factors √(mean_{d1}(R) / R) and column factors 1/√C.
      const rowOffset = (al: number, k: number, be: number): number => (d0IsB ? ((al * na + k) * B + be) * C : ((al * B + be) * nb + k) * C);
      const rowMeanSum = new Float64Array(A * B * C);
      for (let al = 0; al < A; al++) {
        for (let be = 0; be < B; be++) {
          for (let k = 0; k < n1; k++) {
            const at = rowOffset(al, k, be);
            for (let ga = 0; ga < C; ga++) rowMeanSum[(al * B + be) * C + ga] = (rowMeanSum[(al * B + be) * C + ga] as number) + (nr[at + ga] as number);
          }
        }
      }
      const rowFactor = new Float64Array(r.length);
      for (let al = 0; al < A; al++) {
        for (let be = 0; be < B; be++) {
          for (let k = 0; k < n1; k++) {
            const at = rowOffset(al, k, be);
            for (let ga = 0; ga < C; ga++) rowFactor[at + ga] = Math.sqrt((rowMeanSum[(al * B + be) * C + ga] as number) / n1 / (nr[at + ga] as number));
          }
        }
      }
      const colFactor = new Float64Array(c.length);
      for (let j = 0; j < c.length; j++) colFactor[j] = 1 / Math.sqrt(nc[j] as number);
      i = 0;
      for (let al = 0; al < A; al++) {
        for (let x = 0; x < na; x++) {
          for (let be = 0; be < B; be++) {
            for (let y = 0; y < nb; y++) {
              const dropB = ((al * na + x) * B + be) * C;
              const dropA = ((al * B + be) * nb + y) * C;
              const rowAt = d0IsB ? dropB : dropA;
              const colAt = d0IsB ? dropA : dropB;
              for (let ga = 0; ga < C; ga++, i++) out[i] = (gd[i] as number) * (rowFactor[rowAt + ga] as number) * (colFactor[colAt + ga] as number);
            }
          }
        }
      }
      outs.push(out);
      newRows.push({ shape: rowShape, data: nr });
      newCols.push({ shape: colShape, data: nc });
      newVs.push(tensorOf(leaf.dtype, [1]));
    });
    return [
      unflatten(def, outs) as P,
      {
        count: count + 1,
        vRow: buildFromDef(def, (_, l) => newRows[l]) as Tree,
        vCol: buildFromDef(def, (_, l) => newCols[l]) as Tree,
        v: buildFromDef(def, (_, l) => newVs[l]) as Tree,
      },
    ];
  };

  return { init, update, spec: spec as TransformSpec };
}

// ---------------------------------------------------------------------------------------------
// scaleByParamBlockRms
// ---------------------------------------------------------------------------------------------

/** Options of {@link scaleByParamBlockRms}. */
export interface ScaleByParamBlockRmsOptions {
  /** The smallest scale (so zero-initialised params still move), >= 0. Default 1e-3. */
  readonly minScale?: number;
}

/**
 * Scales each leaf's update by the root mean square of its parameter (optax's
 * `scale_by_param_block_rms`, used by Adafactor's `multiplyByParameterScale`):
 *
 * ```text
 * u = g · max(√(Σ_leaf p² / n), minScale)       (n = the leaf's element count)
 * ```
 *
 * Default `minScale = 1e-3`. Needs `params`. A kernel with a per-leaf reduction (fusable).
 * @category Transformations
 */
export function scaleByParamBlockRms(options: ScaleByParamBlockRmsOptions = {}): GradientTransformation<KernelState> {
  const owner = 'scaleByParamBlockRms';
  if (typeof options !== 'object' || (options as unknown) === null) throw new HyperparameterError(owner, 'options', 'an object', options);
  requireKnownKeys(owner, options, ['minScale']);
  const minScale = requireNonNegative(owner, 'minScale', options.minScale ?? 1e-3);
  return defineTransform({
    name: owner,
    options: { minScale },
    reductions: [{ name: 'paramSquares', kind: 'sumSquares', of: p, scope: 'leaf' }],
    scalars: () => ({}),
    leafScalars: ({ leafReductions, size }) => ({ paramScale: Math.max(Math.sqrt((leafReductions.paramSquares ?? 0) / size), minScale) }),
    body: () => ({ update: mul(g, scalar('paramScale')), next: {} }),
  });
}
