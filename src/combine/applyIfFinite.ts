/**
 * `applyIfFinite`: skips the steps whose incoming updates hold a NaN or an infinity.
 *
 * @module
 */
import type { GradientTransformation, UpdateExtras } from '../base.js';
import { HyperparameterError, StateMismatchError } from '../errors.js';
import { NO_SPEC } from '../spec/spec.js';
import { type TreeLike, flatten, zerosLike } from '../tree/tree.js';
import { requireInteger, requireKnownKeys } from '../validate.js';
import { requireStateCount, requireStateObject, requireTransformation } from './rewrite.js';

/** Options of {@link applyIfFinite}. */
export interface ApplyIfFiniteOptions {
  /**
   * How many consecutive non-finite steps are skipped: the next one is applied anyway (an
   * integer >= 0; 0 skips nothing). Required: optax has no default.
   */
  readonly maxConsecutiveErrors: number;
}

/** The state of {@link applyIfFinite} (optax's `ApplyIfFiniteState`). */
export interface ApplyIfFiniteState<S> {
  /** Consecutive steps with a non-finite update, up to and including the last; 0 after a finite one. */
  readonly notfiniteCount: number;
  /** Whether the last step's updates were all finite (true after `init`). */
  readonly lastFinite: boolean;
  /** Steps with a non-finite update since `init`, never reset. */
  readonly totalNotfinite: number;
  /** The inner transformation's state, untouched by skipped steps (its count included). */
  readonly inner: S;
}

/**
 * Makes a transformation robust to the occasional NaN or infinity (optax's `apply_if_finite`):
 * when any incoming update is not finite, the step is **skipped**: it returns zero updates and
 * keeps the inner state as it was (so the inner count, bias corrections and schedules do not
 * advance). After more than `maxConsecutiveErrors` consecutive bad steps the update is applied
 * anyway (a persistent NaN is a bug to see, not to hide).
 *
 * ```text
 * finite = every element of every update leaf is finite
 * notfiniteCount ← finite ? 0 : notfiniteCount + 1
 * apply = finite or notfiniteCount > maxConsecutiveErrors
 * apply:     u, inner ← inner.update(g, inner, params)
 * otherwise: u = 0,  inner unchanged
 * lastFinite ← finite;  totalNotfinite += finite ? 0 : 1
 * ```
 *
 * ```ts
 * // mixed-precision training: skip steps whose gradients overflowed
 * const opt = applyIfFinite(adamw({ learningRate: 1e-3 }), { maxConsecutiveErrors: 5 });
 * ```
 *
 * Not fusable: whether the inner stages run depends on a reduction over the incoming updates,
 * and the inner count advances only on applied steps, neither of which the stage IR expresses
 * yet; `compile` throws a `CompileError` for it. The inner transformation can still be
 * compiled on its own.
 * @category Combinators
 */
export function applyIfFinite<S>(inner: GradientTransformation<S>, options: ApplyIfFiniteOptions): GradientTransformation<ApplyIfFiniteState<S>> {
  const owner = 'applyIfFinite';
  requireTransformation(owner, 'inner', inner);
  if (typeof options !== 'object' || options === null) throw new HyperparameterError(owner, 'options', 'an object { maxConsecutiveErrors }', options);
  requireKnownKeys(owner, options, ['maxConsecutiveErrors']);
  const maxConsecutiveErrors = requireInteger(owner, 'maxConsecutiveErrors', options.maxConsecutiveErrors, 0);

  const checkState = (state: unknown): ApplyIfFiniteState<S> => {
    const s = requireStateObject(owner, state, ['notfiniteCount', 'lastFinite', 'totalNotfinite', 'inner']);
    requireStateCount(owner, 'notfiniteCount', s.notfiniteCount);
    requireStateCount(owner, 'totalNotfinite', s.totalNotfinite);
    if (typeof s.lastFinite !== 'boolean') throw new StateMismatchError(owner, 'a state whose lastFinite is a boolean', s.lastFinite);
    return s as unknown as ApplyIfFiniteState<S>;
  };

  return {
    init: (params) => ({ notfiniteCount: 0, lastFinite: true, totalNotfinite: 0, inner: inner.init(params) }),
    update: <P extends TreeLike<P>>(updates: P, state: ApplyIfFiniteState<S>, params?: P, extra?: UpdateExtras): readonly [P, ApplyIfFiniteState<S>] => {
      const s = checkState(state);
      const finite = flatten(updates).leaves.every((leaf) => {
        const d = leaf.data;
        for (let i = 0; i < d.length; i++) {
          const x = d[i] as number;
          if (x - x !== 0) return false;
        }
        return true;
      });
      const notfiniteCount = finite ? 0 : s.notfiniteCount + 1;
      const counters = { notfiniteCount, lastFinite: finite, totalNotfinite: finite ? s.totalNotfinite : s.totalNotfinite + 1 };
      if (finite || notfiniteCount > maxConsecutiveErrors) {
        const [u, innerState] = inner.update(updates, s.inner, params, extra);
        return [u, { ...counters, inner: innerState }];
      }
      return [zerosLike(updates), { ...counters, inner: s.inner }];
    },
    spec: { op: owner, transform: inner.spec ?? NO_SPEC, maxConsecutiveErrors },
  };
}
