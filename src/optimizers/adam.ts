/**
 * The Adam family of optimizers: Adam, AdamW, AMSGrad, Adamax, RAdam, NAdam and NAdamW. Each
 * is a thin chain of a moment scaler from `transforms/adam.ts`, optional decoupled weight
 * decay and the learning rate.
 *
 * @module
 */
import type { GradientTransformation } from '../base.js';
import { chain } from '../combine/chain.js';
import type { KernelState } from '../kernel/define.js';
import type { ScalarOrSchedule } from '../schedules/schedule.js';
import type { Mask } from '../tree/mask.js';
import { HyperparameterError } from '../errors.js';
import {
  type ScaleByAdamOptions,
  type ScaleByAdamState,
  type ScaleByAdamaxOptions,
  type ScaleByAdamaxState,
  type ScaleByAmsgradOptions,
  type ScaleByAmsgradState,
  type ScaleByNadamState,
  type ScaleByRadamOptions,
  type ScaleByRadamState,
  scaleByAdam,
  scaleByAdamax,
  scaleByAmsgrad,
  scaleByNadam,
  scaleByRadam,
} from '../transforms/adam.js';
import { addDecayedWeights } from '../transforms/decay.js';
import { scaleByLearningRate } from '../transforms/scale.js';
import { type JsonValue, specOptions, withSpec } from '../spec/spec.js';
import { requireKnownKeys, requireOneOf } from '../validate.js';

/** The moment options every member of the family records in its spec. */
const MOMENT_KEYS = ['b1', 'b2', 'eps', 'epsRoot'] as const;

/** Options of {@link adam}. */
export interface AdamOptions extends ScaleByAdamOptions {
  /** η, a number >= 0 or a schedule. */
  readonly learningRate: ScalarOrSchedule;
}

/** The state of {@link adam}. */
export type AdamState = readonly [ScaleByAdamState, KernelState];

/**
 * Adam: {@link scaleByAdam} then `-η_t`. Defaults follow optax (`b1 0.9`, `b2 0.999`,
 * `eps 1e-8`, `epsRoot 0`).
 *
 * ```ts
 * const opt = adam({ learningRate: 1e-3 });
 * ```
 * @remarks PyTorch's `Adam(weight_decay=λ)` is L2 decay coupled into the gradient:
 * `chain(addDecayedWeights({ weightDecay: λ }), adam(...))`.
 * @category Optimizers
 */
export function adam(options: AdamOptions): GradientTransformation<AdamState> {
  requireKnownKeys('adam', options, ['learningRate', 'b1', 'b2', 'eps', 'epsRoot', 'nesterov']);
  const { learningRate, ...moments } = options;
  const scaler = scaleByAdam(moments);
  const lr = scaleByLearningRate(learningRate);
  return withSpec(chain(scaler, lr), {
    op: 'adam',
    ...specOptions(lr, ['learningRate']),
    ...specOptions(scaler, [...MOMENT_KEYS, 'nesterov']),
  });
}

/** Options of {@link adamw}. */
export interface AdamwOptions extends AdamOptions {
  /** Decoupled weight decay λ (>= 0, or a schedule). Default 1e-4 (optax; PyTorch's is 1e-2). */
  readonly weightDecay?: ScalarOrSchedule;
  /** Leaves to decay; default all. */
  readonly mask?: Mask;
}

/** The state of {@link adamw}. */
export type AdamwState = readonly [ScaleByAdamState, KernelState, KernelState];

/**
 * AdamW (Loshchilov & Hutter, 2019): Adam with decoupled weight decay,
 * `u = -η_t·(m̂/(√v̂ + ε) + λ·p)` (see {@link scaleByAdam} for m̂, v̂).
 *
 * @remarks Equal to PyTorch's `AdamW` (which first multiplies `p` by `1 - η_t·λ`) up to
 * rounding; pass `weightDecay: 1e-2` for PyTorch's default.
 * @category Optimizers
 */
export function adamw(options: AdamwOptions): GradientTransformation<AdamwState> {
  requireKnownKeys('adamw', options, ['learningRate', 'b1', 'b2', 'eps', 'epsRoot', 'nesterov', 'weightDecay', 'mask']);
  const { learningRate, weightDecay, mask, ...moments } = options;
  const scaler = scaleByAdam(moments);
  const decay = addDecayedWeights({ weightDecay: weightDecay ?? 1e-4, ...(mask === undefined ? {} : { mask }) });
  const lr = scaleByLearningRate(learningRate);
  return withSpec(chain(scaler, decay, lr), {
    op: 'adamw',
    ...specOptions(lr, ['learningRate']),
    ...specOptions(scaler, [...MOMENT_KEYS, 'nesterov']),
    ...specOptions(decay, ['weightDecay', 'mask']),
  });
}

// ---------------------------------------------------------------------------------------------
// AMSGrad, Adamax, RAdam
// ---------------------------------------------------------------------------------------------

/** Options of {@link amsgrad}. */
export interface AmsgradOptions extends ScaleByAmsgradOptions {
  /** η, a number >= 0 or a schedule (no default, as in optax). */
  readonly learningRate: ScalarOrSchedule;
}

/** The state of {@link amsgrad}. */
export type AmsgradState = readonly [ScaleByAmsgradState, KernelState];

/**
 * AMSGrad (Reddi et al., 2018): {@link scaleByAmsgrad} then `-η_t`,
 * `u = -η_t·m̂/(√(ν^max_t + ε_root) + ε)`. Defaults follow optax's `amsgrad` (`b1 0.9`,
 * `b2 0.999`, `eps 1e-8`, `epsRoot 0`, `maxOf 'biasCorrected'`).
 *
 * ```ts
 * const opt = amsgrad({ learningRate: 1e-3 });
 * ```
 * @remarks PyTorch preset: `Adam(lr, amsgrad=True)` is
 * `amsgrad({ learningRate: 1e-3, maxOf: 'raw' })` (torch's defaults: lr 1e-3, betas
 * (0.9, 0.999), eps 1e-8). optax's default `maxOf: 'biasCorrected'` takes the maximum of the
 * bias-corrected second moment instead, a different trajectory. torch's `weight_decay` is L2:
 * `chain(addDecayedWeights({ weightDecay }), amsgrad(...))`.
 * @category Optimizers
 */
export function amsgrad(options: AmsgradOptions): GradientTransformation<AmsgradState> {
  requireKnownKeys('amsgrad', options, ['learningRate', 'b1', 'b2', 'eps', 'epsRoot', 'maxOf']);
  const { learningRate, ...moments } = options;
  const scaler = scaleByAmsgrad(moments);
  const lr = scaleByLearningRate(learningRate);
  return withSpec(chain(scaler, lr), {
    op: 'amsgrad',
    ...specOptions(lr, ['learningRate']),
    ...specOptions(scaler, [...MOMENT_KEYS, 'maxOf']),
  });
}

/** Options of {@link adamax}. */
export interface AdamaxOptions extends ScaleByAdamaxOptions {
  /** η, a number >= 0 or a schedule (no default, as in optax). */
  readonly learningRate: ScalarOrSchedule;
}

/** The state of {@link adamax}. */
export type AdamaxState = readonly [ScaleByAdamaxState, KernelState];

/**
 * Adamax (Kingma & Ba, 2015, Section 7.1): {@link scaleByAdamax} then `-η_t`,
 * `u = -η_t·(μ_t/(1-β₁ᵗ))/ν_t` with `ν_t = max(|g| + ε, β₂ν_{t-1})`. Defaults follow optax's
 * `adamax` (`b1 0.9`, `b2 0.999`, `eps 1e-8`).
 *
 * ```ts
 * const opt = adamax({ learningRate: 2e-3 });
 * ```
 * @remarks Same formula as PyTorch's `Adamax`. PyTorch preset:
 * `adamax({ learningRate: 2e-3 })` (torch's default lr is 2e-3; betas and eps are optax's).
 * torch's `weight_decay` is L2: `chain(addDecayedWeights({ weightDecay }), adamax(...))`.
 * @category Optimizers
 */
export function adamax(options: AdamaxOptions): GradientTransformation<AdamaxState> {
  requireKnownKeys('adamax', options, ['learningRate', 'b1', 'b2', 'eps']);
  const { learningRate, ...moments } = options;
  const scaler = scaleByAdamax(moments);
  const lr = scaleByLearningRate(learningRate);
  return withSpec(chain(scaler, lr), {
    op: 'adamax',
    ...specOptions(lr, ['learningRate']),
    ...specOptions(scaler, ['b1', 'b2', 'eps']),
  });
}

/** Options of {@link radam}. */
export interface RadamOptions extends ScaleByRadamOptions {
  /** η, a number >= 0 or a schedule (no default, as in optax). */
  readonly learningRate: ScalarOrSchedule;
}

/** The state of {@link radam}. */
export type RadamState = readonly [ScaleByRadamState, KernelState];

/**
 * Rectified Adam (Liu et al., 2020): {@link scaleByRadam} then `-η_t`; momentum SGD
 * `-η_t·m̂` while `ρ_t` is below the threshold, `-η_t·r_t·m̂/(√(v̂ + ε_root) + ε)` after.
 * Defaults follow optax's `radam` (`b1 0.9`, `b2 0.999`, `eps 1e-8`, `epsRoot 0`,
 * `threshold 5`, `nesterov false`).
 *
 * ```ts
 * const opt = radam({ learningRate: 1e-3 });
 * ```
 * @remarks PyTorch preset: `RAdam(lr)` is
 * `radam({ learningRate: 1e-3, strictThreshold: true, epsOnUncorrectedRoot: true })`
 * (torch's defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8; it rectifies when `ρ_t > 5` and
 * adds eps to the uncorrected `√ν`). torch 1.13's `foreach=True` path omits eps altogether:
 * `eps: 0` with the preset. torch's `weight_decay` is L2:
 * `chain(addDecayedWeights({ weightDecay }), radam(...))`.
 * @category Optimizers
 */
export function radam(options: RadamOptions): GradientTransformation<RadamState> {
  requireKnownKeys('radam', options, [
    'learningRate',
    'b1',
    'b2',
    'eps',
    'epsRoot',
    'threshold',
    'nesterov',
    'strictThreshold',
    'epsOnUncorrectedRoot',
  ]);
  const { learningRate, ...moments } = options;
  const scaler = scaleByRadam(moments);
  const lr = scaleByLearningRate(learningRate);
  return withSpec(chain(scaler, lr), {
    op: 'radam',
    ...specOptions(lr, ['learningRate']),
    ...specOptions(scaler, [...MOMENT_KEYS, 'threshold', 'nesterov', 'strictThreshold', 'epsOnUncorrectedRoot']),
  });
}

// ---------------------------------------------------------------------------------------------
// NAdam
// ---------------------------------------------------------------------------------------------

/** Which NAdam {@link nadam} computes. */
export type NadamForm = 'dozat' | 'momentumDecay';

/** Options of {@link nadam}. */
export interface NadamOptions {
  /** η, a number >= 0 or a schedule (no default, as in optax). */
  readonly learningRate: ScalarOrSchedule;
  /** β₁, in [0, 1). Default 0.9. */
  readonly b1?: number;
  /** β₂, in [0, 1). Default 0.999. */
  readonly b2?: number;
  /** Added outside the square root. Default 1e-8. */
  readonly eps?: number;
  /** Added inside the square root. Default 0. */
  readonly epsRoot?: number;
  /**
   * `'dozat'` (default, optax's `nadam`): {@link scaleByAdam} with `nesterov: true`.
   * `'momentumDecay'` (PyTorch's `NAdam`): {@link scaleByNadam}, with the schedule
   * `μ_t = β₁(1 - 0.5·0.96^(t·ψ))` and its running product.
   */
  readonly form?: NadamForm;
  /** ψ of the momentum schedule; only with `form: 'momentumDecay'`. Default 0.004. */
  readonly momentumDecay?: number;
  /** PyTorch 1.13's single-tensor product (see {@link scaleByNadam}); only with `form: 'momentumDecay'`. Default false. */
  readonly doubleCountMu?: boolean;
}

/** The state of {@link nadam} (both forms keep `count`, `mu`, `nu`). */
export type NadamState = readonly [ScaleByAdamState | ScaleByNadamState, KernelState];

const NADAM_KEYS = ['learningRate', 'b1', 'b2', 'eps', 'epsRoot', 'form', 'momentumDecay', 'doubleCountMu'] as const;

/** The NAdam moment scaler of the chosen form; rejects momentum-decay options with `'dozat'`. */
function nadamScaler(owner: string, options: Omit<NadamOptions, 'learningRate'>): GradientTransformation<ScaleByAdamState> {
  const { form, momentumDecay, doubleCountMu, ...moments } = options;
  const f = requireOneOf<NadamForm>(owner, 'form', form ?? 'dozat', ['dozat', 'momentumDecay']);
  if (f === 'momentumDecay') {
    return scaleByNadam({
      ...moments,
      ...(momentumDecay === undefined ? {} : { momentumDecay }),
      ...(doubleCountMu === undefined ? {} : { doubleCountMu }),
    });
  }
  if (momentumDecay !== undefined) {
    throw new HyperparameterError(owner, 'momentumDecay', "absent unless form is 'momentumDecay'", momentumDecay);
  }
  if (doubleCountMu !== undefined) {
    throw new HyperparameterError(owner, 'doubleCountMu', "absent unless form is 'momentumDecay'", doubleCountMu);
  }
  return scaleByAdam({ ...moments, nesterov: true });
}

/**
 * The NAdam options of a spec, read from the scaler that was built: the moments, the form, and
 * the momentum-decay options only with `form: 'momentumDecay'` (`'dozat'` rejects them).
 */
function nadamSpecOptions(scaler: GradientTransformation<unknown>): Record<string, JsonValue> {
  const form: NadamForm = scaler.spec?.op === 'scaleByNadam' ? 'momentumDecay' : 'dozat';
  return {
    ...specOptions(scaler, MOMENT_KEYS),
    form,
    ...(form === 'momentumDecay' ? specOptions(scaler, ['momentumDecay', 'doubleCountMu']) : {}),
  };
}

/**
 * NAdam: Adam with Nesterov momentum, in one of two forms, then `-η_t`.
 *
 * - `form: 'dozat'` (default) is optax's `nadam`: {@link scaleByAdam} with `nesterov: true`,
 *   `m̂ = β₁μ_t/(1-β₁ᵗ⁺¹) + (1-β₁)g/(1-β₁ᵗ)`, `u = -η_t·m̂/(√(v̂ + ε_root) + ε)`.
 * - `form: 'momentumDecay'` is PyTorch's `NAdam`: {@link scaleByNadam}, with the momentum
 *   schedule `μ_t = β₁(1 - 0.5·0.96^(t·ψ))` and the product `Π μ_i`.
 *
 * Defaults `b1 0.9`, `b2 0.999`, `eps 1e-8`, `epsRoot 0` (optax), `momentumDecay 0.004`.
 *
 * ```ts
 * const opt = nadam({ learningRate: 1e-3 });
 * const torchLike = nadam({ learningRate: 2e-3, form: 'momentumDecay' });
 * ```
 * @remarks The two forms are different algorithms (optax's has no momentum schedule).
 * PyTorch preset: `NAdam(lr)` is `nadam({ learningRate: 2e-3, form: 'momentumDecay' })`
 * (torch's defaults: lr 2e-3, betas (0.9, 0.999), eps 1e-8, momentum_decay 4e-3); add
 * `doubleCountMu: true` to match torch 1.13's default `foreach=False` path. torch's
 * `weight_decay` is L2: `chain(addDecayedWeights({ weightDecay }), nadam(...))`; its
 * `decoupled_weight_decay=True` is {@link nadamw}.
 * @category Optimizers
 */
export function nadam(options: NadamOptions): GradientTransformation<NadamState> {
  requireKnownKeys('nadam', options, NADAM_KEYS);
  const { learningRate, ...rest } = options;
  const scaler = nadamScaler('nadam', rest);
  const lr = scaleByLearningRate(learningRate);
  return withSpec(chain(scaler, lr), { op: 'nadam', ...specOptions(lr, ['learningRate']), ...nadamSpecOptions(scaler) });
}

/** Options of {@link nadamw}. */
export interface NadamwOptions extends NadamOptions {
  /** Decoupled weight decay λ (>= 0, or a schedule). Default 1e-4 (optax). */
  readonly weightDecay?: ScalarOrSchedule;
  /** Leaves to decay; default all. */
  readonly mask?: Mask;
}

/** The state of {@link nadamw}. */
export type NadamwState = readonly [ScaleByAdamState | ScaleByNadamState, KernelState, KernelState];

/**
 * NAdamW: {@link nadam} with decoupled weight decay (as {@link adamw}),
 * `u = -η_t·(n_t + λ·p)` where `n_t` is the NAdam direction of the chosen `form`. With the
 * default `form: 'dozat'` this is optax's `nadamw`.
 *
 * @remarks PyTorch ≥ 2.1's `NAdam(decoupled_weight_decay=True)` first multiplies `p` by
 * `1 - η_t·λ` and then takes the NAdam step: `nadamw({ form: 'momentumDecay', weightDecay })`
 * is the same up to rounding (torch's own default λ is 0).
 * @category Optimizers
 */
export function nadamw(options: NadamwOptions): GradientTransformation<NadamwState> {
  requireKnownKeys('nadamw', options, [...NADAM_KEYS, 'weightDecay', 'mask']);
  const { learningRate, weightDecay, mask, ...rest } = options;
  const scaler = nadamScaler('nadamw', rest);
  const decay = addDecayedWeights({ weightDecay: weightDecay ?? 1e-4, ...(mask === undefined ? {} : { mask }) });
  const lr = scaleByLearningRate(learningRate);
  return withSpec(chain(scaler, decay, lr), {
    op: 'nadamw',
    ...specOptions(lr, ['learningRate']),
    ...nadamSpecOptions(scaler),
    ...specOptions(decay, ['weightDecay', 'mask']),
  });
}
