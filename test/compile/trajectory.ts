/**
 * The generic compiled-vs-reference check of the compiler's properties: the reference
 * interpreter and every compiled path (pure and in place, on each backend asked for) run the
 * same gradients side by side, and the first difference in params, updates or state is reported.
 */
import { type Backend, compile } from '../../src/compile/index.js';
import type { Tree } from '../../src/tree/tree.js';
import { applyUpdates } from '../../src/update.js';
import type { Built } from './registry.js';
import { type TreeRecipe, buildTree, copyLeaves, fillValues, firstDifference, gradsLike } from './trees.js';

/** One generated case: a chain, a tree, a number of steps, and whether gradients hold specials. */
export interface TrajectoryCase {
  readonly built: Built;
  readonly tree: TreeRecipe;
  readonly steps: number;
  readonly specials: boolean;
}

/** Compares two values; a description of the first difference, or undefined when they agree. */
export type Same = (a: unknown, b: unknown, path: string) => string | undefined;

export interface TrajectoryOptions {
  readonly backends: readonly Backend[];
  /** How values are compared: bit for bit by default. */
  readonly same?: Same;
  /** Fail unless the compiled step has a host member (the mixed-chain properties). */
  readonly requireHost?: boolean;
}

/** Runs the reference and every compiled path side by side; returns the first difference. */
export function compareTrajectories(c: TrajectoryCase, options: TrajectoryOptions): string | undefined {
  const same = options.same ?? firstDifference;
  const params0 = buildTree(c.tree, (data, i) => {
    fillValues(data, c.tree.leaves[i]?.seed ?? 1, false);
  });
  const tx = c.built.tx;
  let refParams = params0;
  let refState = tx.init(params0);
  const pure = options.backends.map((backend) => ({ backend, compiled: compile(tx, params0, { backend }), params: params0, state: tx.init(params0) }));
  const inPlace = options.backends.map((backend) => ({ backend, compiled: compile(tx, params0, { backend }) }));
  if (options.requireHost === true) {
    for (const p of pure) if (!p.compiled.segments.some((s) => s.kind === 'host')) return `${p.backend}: no host segment`;
  }
  for (const p of inPlace) {
    const d = firstDifference(p.compiled.params, params0, 'params');
    if (d !== undefined) return `packed params (${p.backend}): ${d}`;
  }
  for (let step = 0; step < c.steps; step++) {
    const grads = gradsLike(params0, 1 + step * 31 + (c.tree.shapeSeed % 1000), c.specials);
    const [refUpdates, nextRefState] = tx.update(grads, refState, refParams);
    const nextRefParams = applyUpdates(refParams, refUpdates);
    for (const p of pure) {
      const [u, s] = p.compiled.update(grads, p.state, p.params);
      const du = same(u, refUpdates, 'updates');
      if (du !== undefined) return `step ${String(step)}, pure ${p.backend}: ${du}`;
      const ds = same(s, nextRefState, 'state');
      if (ds !== undefined) return `step ${String(step)}, pure ${p.backend}: ${ds}`;
      p.params = applyUpdates(p.params, u);
      p.state = s;
    }
    for (const p of inPlace) {
      copyLeaves(p.compiled.grads as Tree, grads);
      p.compiled.step();
      const dp = same(p.compiled.params, nextRefParams, 'params');
      if (dp !== undefined) return `step ${String(step)}, in place ${p.backend}: ${dp}`;
      const ds = same(p.compiled.state, nextRefState, 'state');
      if (ds !== undefined) return `step ${String(step)}, in place ${p.backend}: ${ds}`;
    }
    refParams = nextRefParams;
    refState = nextRefState;
  }
  return undefined;
}

/** A fast-check predicate: throws with the chain's spec, the tree and the steps on a difference. */
export const expectSameTrajectories =
  (options: TrajectoryOptions) =>
  (c: TrajectoryCase): boolean => {
    const diff = compareTrajectories(c, options);
    if (diff !== undefined) {
      throw new Error(`compiled != reference: ${diff}\nchain: ${JSON.stringify(c.built.spec)}\ntree: ${JSON.stringify(c.tree)}\nsteps: ${String(c.steps)}, specials: ${String(c.specials)}`);
    }
    return true;
  };
