/**
 * The kernel IR: the element-wise body of a transformation as a small expression DAG.
 *
 * Nodes are plain tagged objects with no behaviour; the semantics live in the op table
 * (`ops.ts`). A node referenced twice (by object identity) is computed once, by the interpreter
 * and by every compiler backend.
 *
 * @module
 */

/** Unary operations. */
export type UnaryOp = 'neg' | 'abs' | 'sqrt' | 'sign' | 'tanh' | 'exp' | 'log' | 'isNaN' | 'isFinite';
/** Binary operations; comparisons give 1 or 0. */
export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'max' | 'min' | 'pow' | 'lt' | 'le' | 'gt' | 'ge' | 'eq';
/** Ternary: `select(cond, a, b)` is `a` where `cond !== 0`, else `b`. */
export type TernaryOp = 'select';
/** Every operation of the IR. */
export type Op = UnaryOp | BinaryOp | TernaryOp;

/** An expression of the IR. */
export type Expr =
  /** A structural constant chosen by the transformation's author (never a user value). */
  | { readonly tag: 'const'; readonly value: number }
  /** The incoming update `g` of the element (the gradient, for the first transformation). */
  | { readonly tag: 'update' }
  /** The parameter `p` of the element. */
  | { readonly tag: 'param' }
  /** The value of a state slot before this step. */
  | { readonly tag: 'slot'; readonly name: string }
  /** A per-step scalar (hyperparameter, bias correction, schedule value, clip coefficient). */
  | { readonly tag: 'scalar'; readonly name: string }
  /** An operation on sub-expressions. */
  | { readonly tag: 'op'; readonly op: Op; readonly args: readonly Expr[] };

/** Every node reachable from the roots, each once, children before parents. */
export function topoOrder(roots: readonly Expr[]): Expr[] {
  const seen = new Set<Expr>();
  const order: Expr[] = [];
  const visit = (e: Expr): void => {
    if (seen.has(e)) return;
    seen.add(e);
    if (e.tag === 'op') e.args.forEach(visit);
    order.push(e);
  };
  roots.forEach(visit);
  return order;
}

/** Nodes referenced more than once from the roots (by identity): candidates for a temporary. */
export function sharedNodes(roots: readonly Expr[]): Set<Expr> {
  const counts = new Map<Expr, number>();
  const seen = new Set<Expr>();
  const visit = (e: Expr): void => {
    counts.set(e, (counts.get(e) ?? 0) + 1);
    if (seen.has(e)) return;
    seen.add(e);
    if (e.tag === 'op') e.args.forEach(visit);
  };
  roots.forEach(visit);
  return new Set([...counts].filter(([e, n]) => n > 1 && e.tag === 'op').map(([e]) => e));
}

/** The names of the scalars, slots and inputs an expression reads. */
export function references(roots: readonly Expr[]): {
  readonly scalars: ReadonlySet<string>;
  readonly slots: ReadonlySet<string>;
  readonly readsUpdate: boolean;
  readonly readsParam: boolean;
} {
  const scalars = new Set<string>();
  const slots = new Set<string>();
  let readsUpdate = false;
  let readsParam = false;
  for (const e of topoOrder(roots)) {
    if (e.tag === 'scalar') scalars.add(e.name);
    else if (e.tag === 'slot') slots.add(e.name);
    else if (e.tag === 'update') readsUpdate = true;
    else if (e.tag === 'param') readsParam = true;
  }
  return { scalars, slots, readsUpdate, readsParam };
}
