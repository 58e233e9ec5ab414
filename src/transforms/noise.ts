/**
 * Annealed Gaussian gradient noise, from a seeded counter-based generator.
 *
 * @module
 */
import type { GradientTransformation } from '../base.js';
import { HyperparameterError, StateMismatchError } from '../errors.js';
import { fillNormal, isSeed } from '../random.js';
import { allocate, dtypeOf } from '../tree/leaf.js';
import { type TreeLike, mapTree } from '../tree/tree.js';
import { requireKnownKeys, requireNonNegative } from '../validate.js';

/** Options of {@link addNoise}. */
export interface AddNoiseOptions {
  /** η, the base variance of the noise, >= 0. */
  readonly eta: number;
  /** γ, the decay exponent of the variance, >= 0. */
  readonly gamma: number;
  /** The generator's seed: an integer in [0, 2⁵³). Default 0 (optax falls back to key 0 too). */
  readonly seed?: number;
}

/**
 * The state of {@link addNoise}: the update `count` and the generator's key `rngKey` (the
 * seed). Both are plain numbers, so a snapshot holds the generator exactly.
 */
export interface AddNoiseState {
  readonly count: number;
  readonly rngKey: number;
}

/**
 * Adds annealed Gaussian noise to the updates (Neelakantan et al., "Adding Gradient Noise
 * Improves Learning for Very Deep Networks", 2015):
 *
 * ```text
 * t = count + 1
 * σ_t = √(η / t^γ)
 * u = g + σ_t · n,        n ~ N(0, 1) element-wise
 * ```
 *
 * optax's `add_noise(eta, gamma, key)`. The normal draws come from `fillNormal` (src/random.ts): stream
 * `count` of the generator keyed by `state.rngKey`, element `j` being the `j`-th element of the
 * flattened updates (leaves in flatten order). The noise of a step is therefore a pure
 * function of `(rngKey, count, position)`: the same seed gives the same trajectory, and a run
 * resumed from a saved state continues bit for bit. (optax splits a JAX key every step
 * instead; the draws differ from optax's, the distribution is the same.)
 *
 * No defaults for `eta`, `gamma` (the `noisySgd` optimizer has `eta = 0.01`, `gamma = 0.55`);
 * `seed` defaults to 0. Not fusable (it draws random numbers); it runs through the reference
 * path. σ_t is computed once per step in float64; `g + σ_t·n` is rounded to the leaf's dtype.
 * @category Transformations
 */
export function addNoise(options: AddNoiseOptions): GradientTransformation<AddNoiseState> {
  const owner = 'addNoise';
  if (typeof options !== 'object' || options === null) throw new HyperparameterError(owner, 'options', 'an object { eta, gamma, seed }', options);
  requireKnownKeys(owner, options, ['eta', 'gamma', 'seed']);
  const eta = requireNonNegative(owner, 'eta', options.eta);
  const gamma = requireNonNegative(owner, 'gamma', options.gamma);
  const seed = options.seed ?? 0;
  if (!isSeed(seed)) throw new HyperparameterError(owner, 'seed', 'an integer in [0, 2^53)', seed);

  const checkState = (state: unknown): AddNoiseState => {
    if (typeof state !== 'object' || state === null || Array.isArray(state)) throw new StateMismatchError(owner, 'an object { count, rngKey }', state);
    const s = state as Partial<AddNoiseState>;
    if (typeof s.count !== 'number' || !Number.isSafeInteger(s.count) || s.count < 0) {
      throw new StateMismatchError(owner, 'a state whose count is an integer >= 0', s.count);
    }
    if (!isSeed(s.rngKey)) throw new StateMismatchError(owner, 'a state whose rngKey is an integer in [0, 2^53)', s.rngKey);
    return { count: s.count, rngKey: s.rngKey };
  };

  return {
    init: () => ({ count: 0, rngKey: seed }),
    update: <P extends TreeLike<P>>(updates: P, state: AddNoiseState): readonly [P, AddNoiseState] => {
      const { count, rngKey } = checkState(state);
      const sigma = Math.sqrt(eta / (count + 1) ** gamma);
      let offset = 0;
      const out = mapTree(updates, (data) => {
        const noise = new Float64Array(data.length);
        fillNormal(noise, rngKey, count, offset);
        offset += data.length;
        const result = allocate(dtypeOf(data), data.length);
        for (let i = 0; i < data.length; i++) result[i] = (data[i] as number) + sigma * (noise[i] as number);
        return result;
      });
      return [out, { count: count + 1, rngKey }];
    },
    spec: { op: owner, eta, gamma, seed },
  };
}
