/**
 * `injectHyperparams`: hyperparameters that live in the optimizer state, for logging the
 * current learning rate and changing values between steps without rebuilding anything.
 *
 * @module
 */
import type { Fusable, GradientTransformation, UpdateExtras } from '../base.js';
import { HyperparameterError, StateMismatchError } from '../errors.js';
import type { ScalarContext, Stage, StageState } from '../kernel/stage.js';
import type { Schedule } from '../schedules/schedule.js';
import { NO_SPEC } from '../spec/spec.js';
import type { TreeLike } from '../tree/tree.js';

/**
 * The state of an injected optimizer: the update count, the hyperparameter values (the ones
 * used by the last update; right after `init`, the ones the first update will use), and the
 * inner optimizer's state.
 */
export interface InjectHyperparamsState<S> {
  readonly count: number;
  readonly hyperparams: Readonly<Record<string, number>>;
  readonly inner: S;
}

/** Options of {@link injectHyperparams}. */
export interface InjectHyperparamsConfig<O> {
  /** Options kept fixed even when they are numbers. `mask` is always fixed. */
  readonly staticArgs?: readonly (keyof O & string)[];
}

const isSchedule = (v: unknown): v is Schedule => typeof v === 'function';

/**
 * Wraps an optimizer constructor so that its numeric and scheduled options become state:
 *
 * ```ts
 * const opt = injectHyperparams(adamw)({ learningRate: warmupCosineDecay({...}), weightDecay: 1e-2 });
 * let state = opt.init(params);
 * state.hyperparams.learningRate;                       // the rate of the next (first) update
 * state = { ...state, hyperparams: { ...state.hyperparams, weightDecay: 0 } }; // change it
 * ```
 *
 * Numbers are read from `state.hyperparams` at each update (so a value written there is used,
 * and validated by the constructor, before anything is computed). Schedules are evaluated at the
 * pre-increment count, and the value used is written back for logging: after `k` updates
 * `hyperparams.learningRate` is `schedule(k - 1)`. Booleans, strings and masks stay fixed, as do
 * `staticArgs`. A value that would change the optimizer's structure (e.g. momentum 0, which
 * drops the momentum buffer) is rejected.
 *
 * Compiled steps read the values through the per-step scalars, so changing them never
 * regenerates code.
 * @category Combinators
 */
export function injectHyperparams<O extends object, S>(
  factory: (options: O) => GradientTransformation<S>,
  config: InjectHyperparamsConfig<O> = {},
): (options: O) => GradientTransformation<InjectHyperparamsState<S>> {
  return (options: O) => {
    const owner = 'injectHyperparams';
    const fixed = new Set<string>(['mask', ...(config.staticArgs ?? [])]);
    const base = factory(options);
    // The numeric options with their defaults filled in, read from the optimizer's spec when it
    // has one (so `adamw({ learningRate })` injects b1, b2, eps, weightDecay... too).
    const described: Record<string, unknown> = { ...(base.spec ?? {}) };
    delete described.op;
    const source: Record<string, unknown> = { ...described, ...(options as Record<string, unknown>) };
    const entries = Object.entries(source);
    const numeric = entries.filter(([k, v]) => !fixed.has(k) && typeof v === 'number').map(([k]) => k);
    const scheduled = entries.filter(([k, v]) => !fixed.has(k) && isSchedule(v)).map(([k]) => k);

    const valuesAt = (stored: Readonly<Record<string, number>>, count: number): Record<string, number> => {
      const values: Record<string, number> = {};
      for (const k of numeric) values[k] = stored[k] ?? (source[k] as number);
      for (const k of scheduled) values[k] = (source[k] as Schedule)(count);
      return values;
    };

    const shape = (tx: GradientTransformation<S>): string => (tx.fusable === undefined ? '' : tx.fusable.stages.map((s) => s.name).join(','));
    const baseShape = shape(base);
    let last: { key: string; tx: GradientTransformation<S> } | undefined;
    const build = (values: Readonly<Record<string, number>>): GradientTransformation<S> => {
      const key = JSON.stringify(values);
      if (last?.key === key) return last.tx;
      const tx = factory({ ...options, ...values });
      if (shape(tx) !== baseShape) {
        const changed = Object.keys(values).find((k) => values[k] !== source[k]) ?? '(a hyperparameter)';
        throw new HyperparameterError(owner, changed, 'a value that keeps the optimizer\'s structure (e.g. a non-zero momentum stays non-zero)', values[changed]);
      }
      last = { key, tx };
      return tx;
    };

    const checkState = (state: unknown): InjectHyperparamsState<S> => {
      const s = state as Partial<InjectHyperparamsState<S>> | null;
      if (typeof s !== 'object' || s === null || typeof s.count !== 'number' || typeof s.hyperparams !== 'object' || s.hyperparams === null || !('inner' in s)) {
        throw new StateMismatchError(owner, 'an object { count, hyperparams, inner }', state);
      }
      for (const k of numeric) {
        if (typeof s.hyperparams[k] !== 'number') throw new StateMismatchError(owner, `hyperparams.${k} to be a number`, s.hyperparams[k]);
      }
      return s as InjectHyperparamsState<S>;
    };

    let fusable: Fusable<InjectHyperparamsState<S>> | undefined;
    const baseFusable = base.fusable;
    if (baseFusable !== undefined && baseFusable.stages.length > 0) {
      const stageAt = (ctx: ScalarContext, i: number): Stage => {
        const built = build(valuesAt(ctx.hyper ?? {}, ctx.count)).fusable;
        const stage = built?.stages[i];
        if (stage === undefined) throw new StateMismatchError(owner, 'a fusable inner optimizer', built);
        return stage;
      };
      fusable = {
        stages: baseFusable.stages.map((stage, i) => {
          const { leafScalars } = stage;
          return {
            ...stage,
            scalars: (ctx) => stageAt(ctx, i).scalars(ctx),
            ...(leafScalars === undefined ? {} : { leafScalars: (ctx) => (stageAt(ctx, i).leafScalars ?? leafScalars)(ctx) }),
          };
        }),
        toStageStates: (state) => {
          const s = checkState(state);
          return baseFusable.toStageStates(s.inner).map((st) => ({ ...st, hyper: s.hyperparams }));
        },
        fromStageStates: (states: readonly StageState[]) => {
          const first = states[0];
          if (first === undefined) throw new StateMismatchError(owner, 'stage states', states);
          const count = first.count;
          const stored = first.hyper ?? {};
          const hyperparams = valuesAt(stored, Math.max(0, count - 1));
          const inner = baseFusable.fromStageStates(states.map(({ hyper: _hyper, ...rest }) => rest));
          return { count, hyperparams, inner };
        },
      };
    }

    return {
      init: (params) => ({ count: 0, hyperparams: valuesAt({}, 0), inner: base.init(params) }),
      update: <P extends TreeLike<P>>(updates: P, state: InjectHyperparamsState<S>, params?: P, extra?: UpdateExtras): readonly [P, InjectHyperparamsState<S>] => {
        const s = checkState(state);
        const values = valuesAt(s.hyperparams, s.count);
        const tx = build(values);
        const [u, inner] = tx.update(updates, s.inner, params, extra);
        return [u, { count: s.count + 1, hyperparams: values, inner }];
      },
      ...(fusable === undefined ? {} : { fusable }),
      spec: { op: owner, transform: base.spec ?? NO_SPEC, ...(config.staticArgs === undefined ? {} : { staticArgs: [...config.staticArgs] }) },
    };
  };
}
