/**
 * Muon: orthogonalised momentum for matrices, AdamW for everything else.
 *
 * @module
 */
import type { EmptyState, GradientTransformation } from '../base.js';
import { chain } from '../combine/chain.js';
import { type MultiTransformState, labelsByPath, multiTransform } from '../combine/multiTransform.js';
import { HyperparameterError } from '../errors.js';
import type { ScalarOrSchedule } from '../schedules/schedule.js';
import { type JsonValue, type TransformSpec, specOptions, withSpec } from '../spec/spec.js';
import { addDecayedWeights } from '../transforms/decay.js';
import { identity } from '../transforms/identity.js';
import type { KernelState } from '../kernel/define.js';
import { type ScaleByMuonOptions, type ScaleByMuonState, scaleByMuon, scaleByShape } from '../transforms/muon.js';
import { scaleByLearningRate } from '../transforms/scale.js';
import type { Mask } from '../tree/mask.js';
import { requireScalarOrSchedule } from '../transforms/hyper.js';
import { requireInRange, requireKnownKeys, requireNonNegative } from '../validate.js';
import { type AdamwState, adamw } from './adam.js';

/** Options of {@link muon}. */
export interface MuonOptions extends ScaleByMuonOptions {
  /** η, a number >= 0 or a schedule (both groups, unless `adamLearningRate` is given). */
  readonly learningRate: ScalarOrSchedule;
  /** λ, decoupled weight decay of the matrices (multiplied by η), >= 0. Default 0. */
  readonly weightDecay?: number;
  /** Which matrices to decay (a mask over the params); default all. */
  readonly weightDecayMask?: Mask;
  /** `√max(fanIn, fanOut)·consistentRms` instead of the width scaling (see `scaleByShape`). Default absent. */
  readonly consistentRms?: number;
  /** Adam's β₁ for the other leaves. Default 0.9. */
  readonly adamB1?: number;
  /** Adam's β₂. Default 0.999. */
  readonly adamB2?: number;
  /** Adam's ε (outside the root). Default: `eps` (optax shares one ε). */
  readonly adamEps?: number;
  /** Adam's ε inside the root. Default 0. */
  readonly adamEpsRoot?: number;
  /** Adam's decoupled weight decay. Default 0. */
  readonly adamWeightDecay?: number;
  /** Adam's learning rate. Default: `learningRate`. */
  readonly adamLearningRate?: ScalarOrSchedule;
}

const KEYS = [
  'learningRate', 'nsCoeffs', 'nsSteps', 'beta', 'eps', 'nesterov', 'adaptive', 'weightDecay', 'weightDecayMask', 'consistentRms',
  'adamB1', 'adamB2', 'adamEps', 'adamEpsRoot', 'adamWeightDecay', 'adamLearningRate',
] as const;

function build(options: MuonOptions) {
  const owner = 'muon';
  if (typeof options !== 'object' || options === null) throw new HyperparameterError(owner, 'options', 'an object { learningRate, ... }', options);
  requireKnownKeys(owner, options, KEYS);
  const { learningRate, weightDecay, weightDecayMask, consistentRms, adamB1, adamB2, adamEps, adamEpsRoot, adamWeightDecay, adamLearningRate, ...muonOptions } = options;
  const scaler = scaleByMuon(muonOptions);
  const shape = scaleByShape(consistentRms === undefined ? {} : { consistentRms });
  const wd = requireNonNegative(owner, 'weightDecay', weightDecay ?? 0);
  const decay = wd === 0 && weightDecayMask === undefined ? identity() : addDecayedWeights({ weightDecay: wd, ...(weightDecayMask === undefined ? {} : { mask: weightDecayMask }) });
  const lr = scaleByLearningRate(learningRate);
  const eps = scaler.spec?.eps as number;
  // The Adam group's options, checked under their own names (not as adamw's b1, b2, ...).
  const adamDecay = (name: string, value: number): number => requireInRange(owner, name, value, 0, 1, { hiOpen: true });
  const adam = adamw({
    learningRate: requireScalarOrSchedule(owner, 'adamLearningRate', adamLearningRate ?? learningRate, { min: 0 }),
    b1: adamDecay('adamB1', adamB1 ?? 0.9),
    b2: adamDecay('adamB2', adamB2 ?? 0.999),
    eps: requireNonNegative(owner, 'adamEps', adamEps ?? eps),
    epsRoot: requireNonNegative(owner, 'adamEpsRoot', adamEpsRoot ?? 0),
    weightDecay: requireNonNegative(owner, 'adamWeightDecay', adamWeightDecay ?? 0),
    nesterov: scaler.spec?.nesterov as boolean,
  });
  const tx = multiTransform({
    transforms: { muon: chain(scaler, shape, decay, lr), adam },
    paramLabels: labelsByPath((_path, leaf) => (leaf.shape.length === 2 ? 'muon' : 'adam')),
  });
  const spec: Record<string, JsonValue> = {
    op: owner,
    ...specOptions(lr, ['learningRate']),
    ...specOptions(scaler, ['nsCoeffs', 'nsSteps', 'beta', 'eps', 'nesterov', 'adaptive']),
    weightDecay: wd,
    ...specOptions(decay, { mask: 'weightDecayMask' }),
    ...specOptions(shape, ['consistentRms']),
    ...specOptions(adam, { b1: 'adamB1', b2: 'adamB2', eps: 'adamEps', epsRoot: 'adamEpsRoot', weightDecay: 'adamWeightDecay', learningRate: 'adamLearningRate' }),
  };
  return { tx, spec };
}

/** The state of {@link muon}: one masked state per group (`muon`: the matrices, `adam`: the rest). */
export type MuonState = MultiTransformState<{
  readonly muon: GradientTransformation<readonly [ScaleByMuonState, EmptyState, KernelState, KernelState]>;
  readonly adam: GradientTransformation<AdamwState>;
}>;

/**
 * Muon (Jordan, "modded-nanogpt", 2024), optax's `contrib.muon`: every 2-D leaf (a tensor
 * `{ shape: [fanIn, fanOut], data }`) gets momentum orthogonalised by Newton–Schulz
 * ({@link scaleByMuon}), scaled by its shape ({@link scaleByShape}), decoupled weight decay
 * and `-η`; every other leaf (bare arrays, vectors, scalars, higher ranks) gets AdamW (NAdamW
 * when `nesterov`, as in optax):
 *
 * ```text
 * matrices:  u = -η (√max(1, fanOut/fanIn) · NewtonSchulz(μ̂) + λ p)
 * others:    u = -η_adam (adam(adamB1, adamB2, adamEps, adamEpsRoot, nesterov) + λ_adam p)
 * ```
 *
 * Defaults `nsCoeffs = (3.4445, -4.7750, 2.0315)`, `nsSteps = 5`, `beta = 0.95`, `eps = 1e-8`,
 * `nesterov = true`, `adaptive = false`, `weightDecay = 0`, `adamB1 = 0.9`, `adamB2 = 0.999`,
 * `adamEps = eps`, `adamEpsRoot = 0`, `adamWeightDecay = 0`, `adamLearningRate = learningRate`
 * (optax). `weightDecayMask` is a mask over the whole params (leaves that are not matrices are
 * ignored). It is a {@link multiTransform} with labels `muon` and `adam`.
 *
 * ```ts
 * const opt = muon({ learningRate: 0.02, weightDecay: 1e-2 });
 * ```
 * @remarks Not fully fusable: the Newton–Schulz matrix products run on the host, leaf by
 * leaf, in float64; the Adam group is element-wise. optax's `preconditioning` (other than its
 * default Frobenius scaling), `mu_dtype` and `muon_weight_dimension_numbers` (matrices other
 * than the 2-D leaves) are not offered.
 * @category Optimizers
 */
export function muon(options: MuonOptions): GradientTransformation<MuonState> {
  const { tx, spec } = build(options);
  return withSpec(tx, spec as TransformSpec);
}
