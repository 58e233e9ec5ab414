/**
 * Comparing gradfuse's results with the recorded PyTorch values, element by element, and
 * keeping the largest errors for the report.
 */
import { type FlatLeaf, type Tree, flatten } from '../../src/tree/tree.js';

/** numpy's `allclose` rule: `|a - b| <= atol + rtol·|b|` (b the reference). */
export interface Tolerance {
  readonly atol: number;
  readonly rtol: number;
}

/** Parameters in float64 (README "Tolerances"). */
export const F64: Tolerance = { atol: 1e-12, rtol: 1e-10 };
/** Parameters replayed with float32 leaves. */
export const F32: Tolerance = { atol: 1e-5, rtol: 1e-4 };
/** Learning rates, momenta and norms: relative 1e-12. */
export const SCALAR_RTOL = 1e-12;

/** The largest errors seen so far, and the mismatches. */
export class ErrorStats {
  /** max |a - b| */
  maxAbs = 0;
  /** max |a - b| / |b| over the elements with b ≠ 0 (a mismatch against b = 0 counts as ∞). */
  maxRel = 0;
  /** max |a - b| / (atol + rtol·|b|): at most 1 when everything passes. */
  maxRatio = 0;
  /** Elements compared. */
  count = 0;
  readonly failures: string[] = [];

  constructor(readonly tol: Tolerance) {}

  /** Records one comparison; `what` names it in a failure message. */
  add(actual: number, expected: number, what: () => string): void {
    this.count++;
    const err = Math.abs(actual - expected);
    const bound = this.tol.atol + this.tol.rtol * Math.abs(expected);
    // NaN anywhere is a failure (err > bound is false for NaN).
    const ok = err <= bound;
    if (!ok) {
      this.maxAbs = Math.max(this.maxAbs, Number.isNaN(err) ? Infinity : err);
      this.maxRatio = Infinity;
      this.maxRel = Infinity;
      if (this.failures.length < 20) this.failures.push(`${what()}: got ${String(actual)}, want ${String(expected)} (|diff| ${err.toExponential(2)} > ${bound.toExponential(2)})`);
      return;
    }
    this.maxAbs = Math.max(this.maxAbs, err);
    this.maxRatio = Math.max(this.maxRatio, err / bound);
    if (expected !== 0) this.maxRel = Math.max(this.maxRel, err / Math.abs(expected));
    else if (err !== 0) this.maxRel = Infinity;
  }

  /** Compares two trees leaf by leaf (same paths and shapes required). */
  addTrees(actual: Tree, expected: Tree, where: string): void {
    const a = flatten(actual).leaves;
    const e = flatten(expected).leaves;
    const paths = (ls: readonly FlatLeaf[]): string => ls.map((l) => `${l.path}[${l.shape.join(',')}]`).join(' ');
    if (paths(a) !== paths(e)) {
      this.failures.push(`${where}: tree structure ${paths(a)} differs from the expected ${paths(e)}`);
      this.maxRatio = Infinity;
      return;
    }
    a.forEach((leaf, i) => {
      const want = (e[i] as FlatLeaf).data;
      for (let k = 0; k < leaf.data.length; k++) {
        this.add(leaf.data[k] as number, want[k] as number, () => `${where} ${leaf.path}[${String(k)}]`);
      }
    });
  }
}

/** Relative closeness of scalars (learning rates, momenta, norms): `|a - b| <= rtol·|b|`. */
export function scalarStats(): ErrorStats {
  return new ErrorStats({ atol: 0, rtol: SCALAR_RTOL });
}

/** Formats numbers for the report table. */
export function fmt(x: number): string {
  if (x === 0) return '0';
  if (!Number.isFinite(x)) return String(x);
  return x.toExponential(2);
}
