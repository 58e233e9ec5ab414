/**
 * `flatten`: runs a transformation as if all the leaves were one vector, so that its per-leaf
 * reductions (trust ratios, per-leaf norms) become global.
 *
 * @module
 */
import type { Fusable, GradientTransformation } from '../base.js';
import { HyperparameterError } from '../errors.js';
import { constant } from '../kernel/dsl.js';
import type { ReductionDef, Stage } from '../kernel/stage.js';
import { NO_SPEC } from '../spec/spec.js';
import type { TreeLike } from '../tree/tree.js';
import { requireTransformation, updateThroughStages } from './rewrite.js';

/** A name not in `taken` (which it joins), starting with `base`. */
function freshName(base: string, taken: Set<string>): string {
  let name = base;
  for (let i = 1; taken.has(name); i++) name = `${base}${String(i)}`;
  taken.add(name);
  return name;
}

/**
 * The stage run over one concatenated leaf: its per-leaf reductions become global ones (folded
 * over every leaf it applies to, in flatten order: the order of the concatenation), and its
 * per-leaf scalars are computed once per step from them, with `size` the total element count.
 */
function flattenStage(stage: Stage): Stage {
  const { leafScalars } = stage;
  if (leafScalars === undefined) return stage;
  const globals = stage.reductions.filter((r) => r.scope === 'global');
  const perLeaf = stage.reductions.filter((r) => r.scope === 'leaf');
  const taken = new Set(globals.map((r) => r.name));
  const renamed = perLeaf.map((r) => freshName(r.name, taken));
  const sizeName = freshName('flattenSize', taken);
  const reductions: ReductionDef[] = [
    ...globals,
    ...perLeaf.map((r, i): ReductionDef => ({ ...r, name: renamed[i] as string, scope: 'global' })),
    // Σ 1² over the elements: the element count of the leaves the stage applies to (exact).
    { name: sizeName, kind: 'sumSquares', of: constant(1), scope: 'global' },
  ];
  const { scalars } = stage;
  const { leafScalars: _dropped, ...rest } = stage;
  return {
    ...rest,
    reductions,
    scalars: (ctx) => {
      const global = scalars(ctx);
      const leafReductions: Record<string, number> = {};
      perLeaf.forEach((r, i) => { leafReductions[r.name] = ctx.reductions[renamed[i] as string] ?? 0; });
      return { ...global, ...leafScalars({ ...ctx, scalars: global, leafReductions, size: ctx.reductions[sizeName] ?? 0 }) };
    },
  };
}

/**
 * Runs `inner` as if the leaves were one concatenated vector (optax's `flatten`). Element-wise
 * work is the same either way; what changes is every **per-leaf reduction**: a trust ratio, a
 * per-leaf norm or RMS becomes one global value over all the leaves the stage applies to,
 * folded in flatten order (the concatenation's order), with the total element count as the
 * leaf size. A transformation without per-leaf reductions is unchanged by `flatten`.
 *
 * ```ts
 * // a LARS/LAMB-style trust ratio (a stage with per-leaf norms of p and g) computed over the
 * // whole model instead of per layer:
 * const globalTrust = flatten(trustRatio);
 * // a transformation without per-leaf reductions is unchanged: flatten(adam(...)) ≡ adam(...)
 * ```
 *
 * **Why it is not what optax's is for.** In optax `flatten` saves per-leaf dispatch overhead
 * by concatenating the leaves before the update. gradfuse's compiler already runs a fused
 * chain over one flat buffer per role (and the interpreter is the reference, not the fast
 * path), so here `flatten` only keeps its *semantic* effect. Every leaf keeps its own dtype
 * (the arithmetic is float64 either way; each element is rounded to its leaf's dtype on store),
 * where optax's concatenation would promote mixed dtypes.
 *
 * `inner` must be fusable (defined by kernel stages): its stages are rewritten. Masks inside
 * it still name leaves of the params tree. The state is `inner`'s own, unchanged in layout
 * (slots shaped like the params; optax's holds one flat vector).
 * @category Combinators
 */
export function flatten<S>(inner: GradientTransformation<S>): GradientTransformation<S> {
  const owner = 'flatten';
  requireTransformation(owner, 'inner', inner);
  const innerFusable = inner.fusable;
  if (innerFusable === undefined) {
    throw new HyperparameterError(
      owner,
      'inner',
      'a fusable transformation (defined by kernel stages, whose per-leaf reductions can be made global); wrap the other way round, e.g. applyIfFinite(flatten(x))',
      'a transformation without kernel stages',
    );
  }
  const fusable: Fusable<S> = {
    stages: innerFusable.stages.map(flattenStage),
    toStageStates: (state) => innerFusable.toStageStates(state),
    fromStageStates: (states) => innerFusable.fromStageStates(states),
  };
  return {
    init: (params) => inner.init(params),
    update: <P extends TreeLike<P>>(updates: P, state: S, params?: P) => updateThroughStages(fusable, owner, updates, state, params),
    fusable,
    spec: { op: owner, transform: inner.spec ?? NO_SPEC },
  };
}
