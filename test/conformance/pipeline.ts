/**
 * The PyTorch ↔ gradfuse mapping: how each `pipeline` op of the conformance vectors
 * (`shared/conformance/torch/*.json`) is written with gradfuse's public API.
 *
 * {@link OPS} is the table, one row per op: the torch call, the gradfuse expression, and the
 * builder that reads the op's fields. It is the reference the documentation cites for "how do I
 * get PyTorch's trajectory". Conventions shared by every row:
 *
 * - `maximize: true` → `scale(-1)` first (torch negates g before its L2 decay);
 * - `weight_decay` is L2 (coupled: added to the gradient before the moments) for every
 *   optimizer but AdamW → `addDecayedWeights({ weightDecay })` placed before the optimizer,
 *   omitted when 0 (SGD takes it as its own `weightDecay` option, which is that same stage);
 * - `lr_schedule` → the gradfuse schedule (built by `scheduleFromLrScheduleField` from
 *   `test/schedules/torchScheduleFromEntry.ts`) replaces `lr` as `learningRate`; OneCycleLR's
 *   `cycle_momentum` drives the momentum option with the momentum schedule.
 *
 * The builder is strict: an unknown op, an unknown or missing field, or a value it does not
 * understand throws. Every field of every op is read, except `convention` (documentation).
 */
import type { GradientTransformation } from '../../src/base.js';
import { chain } from '../../src/combine/chain.js';
import { adadelta } from '../../src/optimizers/adadelta.js';
import { adagrad, adagradLrDecay } from '../../src/optimizers/adagrad.js';
import { adam, adamax, adamw, amsgrad, nadam, radam } from '../../src/optimizers/adam.js';
import { rmsprop } from '../../src/optimizers/rmsprop.js';
import { sgd } from '../../src/optimizers/sgd.js';
import type { ScalarOrSchedule, Schedule } from '../../src/schedules/schedule.js';
import { scaleByAmsgrad } from '../../src/transforms/adam.js';
import { clip, clipByGlobalNorm } from '../../src/transforms/clipping.js';
import { addDecayedWeights } from '../../src/transforms/decay.js';
import { scale, scaleByLearningRate } from '../../src/transforms/scale.js';
import { scheduleFromLrScheduleField } from '../schedules/torchScheduleFromEntry.js';
import { type Json, isObject } from './format.js';

type Tx = GradientTransformation<unknown>;

// -------------------------------------------------------------------------------------------------
// reading an op's fields: every field must be read (or be documentation)
// -------------------------------------------------------------------------------------------------

/** Fields that describe and never configure. */
const DOCUMENTATION_FIELDS = ['op', 'convention'] as const;

/** Typed access to one op's fields that remembers which fields were read. */
export class OpFields {
  private readonly used = new Set<string>(DOCUMENTATION_FIELDS);

  constructor(
    private readonly fields: Json,
    /** Where the op sits, for error messages: `adamw_warmup_cosine_clip: pipeline[1] (adamw)`. */
    readonly where: string,
  ) {}

  /** True when the field is present (does not count as reading it). */
  has(key: string): boolean {
    return Object.hasOwn(this.fields, key);
  }

  private take(key: string): unknown {
    if (!this.has(key)) throw new Error(`${this.where}: missing field "${key}"`);
    this.used.add(key);
    return this.fields[key];
  }

  number(key: string): number {
    const v = this.take(key);
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${this.where}: ${key} must be a finite number, got ${JSON.stringify(v)}`);
    return v;
  }

  boolean(key: string): boolean {
    const v = this.take(key);
    if (typeof v !== 'boolean') throw new Error(`${this.where}: ${key} must be a boolean, got ${JSON.stringify(v)}`);
    return v;
  }

  /** A number that must be a whole number (torch's integer arguments written as `5.0`). */
  integer(key: string): number {
    const v = this.number(key);
    if (!Number.isInteger(v)) throw new Error(`${this.where}: ${key} must be an integer, got ${String(v)}`);
    return v;
  }

  /** `norm_type`: 2 (also written `2.0`) or the string `"inf"`. */
  normType(key: string): 2 | typeof Infinity {
    const v = this.take(key);
    if (v === 2) return 2;
    if (v === 'inf') return Infinity;
    throw new Error(`${this.where}: ${key} ${JSON.stringify(v)} is not supported (2.0 or "inf")`);
  }

  /** An object field, read whole (its own reader checks its fields). */
  object(key: string): Json {
    const v = this.take(key);
    if (!isObject(v)) throw new Error(`${this.where}: ${key} must be an object`);
    return v;
  }

  /** Throws when a field was not read: a field the builder does not understand. */
  finish(): void {
    const left = Object.keys(this.fields).filter((k) => !this.used.has(k));
    if (left.length > 0) {
      throw new Error(`${this.where}: field(s) ${left.map((k) => JSON.stringify(k)).join(', ')} not understood by the pipeline builder`);
    }
  }
}

// -------------------------------------------------------------------------------------------------
// what a file tells the builders besides the op's own fields
// -------------------------------------------------------------------------------------------------

/** The file-level facts some rows depend on (the NAdam code path). */
export interface FileContext {
  /** `source`, e.g. `torch 1.13.1, float64`. */
  readonly source: string;
  /** `torch`, the exact torch calls. */
  readonly torch: string;
}

/** What a built op reports besides its transformations. */
interface Built {
  readonly transforms: readonly Tx[];
  /** The learning-rate schedule the op was built with (from its `lr_schedule`). */
  readonly lr?: Schedule;
  /** An optimizer op's constant learning rate (no `lr_schedule`). */
  readonly constantLr?: number;
  /** The momentum schedule (OneCycleLR with `cycle_momentum`). */
  readonly momentum?: Schedule;
  /** The global-norm clip's norm type (for `steps[].grad_norm`). */
  readonly clipNormOrd?: 2 | typeof Infinity;
}

/** One row of the mapping. */
export interface OpMapping {
  /** The torch side (`torch.optim` / `torch.nn.utils`), with the op's field names. */
  readonly torch: string;
  /** The gradfuse side, in the public API. */
  readonly gradfuse: string;
  readonly build: (f: OpFields, file: FileContext) => Built;
}

// -------------------------------------------------------------------------------------------------
// shared pieces
// -------------------------------------------------------------------------------------------------

/** `maximize` (absent = false): `scale(-1)` before anything else of the op. */
function maximize(f: OpFields): readonly Tx[] {
  return f.has('maximize') && f.boolean('maximize') ? [scale(-1)] : [];
}

/** L2 `weight_decay`: `addDecayedWeights` before the optimizer, nothing when 0. */
function l2(f: OpFields): readonly Tx[] {
  const weightDecay = f.number('weight_decay');
  return weightDecay === 0 ? [] : [addDecayedWeights({ weightDecay })];
}

interface LearningRate {
  readonly learningRate: ScalarOrSchedule;
  readonly constant?: number;
  readonly lr?: Schedule;
  readonly momentum?: Schedule;
}

/**
 * `lr` and the optional `lr_schedule`. With a schedule, the schedule is the learning rate; a
 * `linear_warmup_then_cosine` schedule must start from the optimizer's `lr` (its `base_lr`),
 * while OneCycleLR ignores the optimizer's `lr`, as torch does.
 */
function learningRate(f: OpFields): LearningRate {
  const lr = f.number('lr');
  if (!f.has('lr_schedule')) return { learningRate: lr, constant: lr };
  const field = f.object('lr_schedule');
  if (field['kind'] === 'linear_warmup_then_cosine' && field['base_lr'] !== lr) {
    throw new Error(`${f.where}: lr_schedule.base_lr ${String(field['base_lr'])} differs from the optimizer's lr ${String(lr)}`);
  }
  const built = scheduleFromLrScheduleField(field);
  return { learningRate: built.lr, lr: built.lr, ...(built.momentum === undefined ? {} : { momentum: built.momentum }) };
}

/** For the optimizers without a momentum option a cycled momentum (torch: `betas[0]`) is not mapped. */
function noMomentumSchedule(f: OpFields, rate: LearningRate): void {
  if (rate.momentum !== undefined) throw new Error(`${f.where}: lr_schedule cycles the momentum, which this op cannot take (not mapped)`);
}

function schedules(rate: LearningRate): Pick<Built, 'lr' | 'constantLr' | 'momentum'> {
  return {
    ...(rate.lr === undefined ? {} : { lr: rate.lr }),
    ...(rate.constant === undefined ? {} : { constantLr: rate.constant }),
    ...(rate.momentum === undefined ? {} : { momentum: rate.momentum }),
  };
}

/** The text between the parentheses of the first `name(...)` call in `source` (nesting respected). */
function callArguments(source: string, name: string): string | undefined {
  const start = new RegExp(`\\b${name}\\(`).exec(source);
  if (start === null) return undefined;
  const open = start.index + start[0].length;
  let depth = 1;
  for (let i = open; i < source.length; i++) {
    if (source[i] === '(') depth++;
    else if (source[i] === ')' && --depth === 0) return source.slice(open, i);
  }
  return undefined;
}

/**
 * Whether the file's torch run took torch 1.x's single-tensor NAdam path (`foreach=False`, or
 * `foreach` left at its 1.x default), which counts `μ_t` twice in the second coefficient (see the
 * vectors' README, "NAdam"). Read from the file's `source` and `torch` fields.
 */
export function torch1SingleTensorNadam(file: FileContext, where: string): boolean {
  const version = /^torch (\d+)\.(\d+)/.exec(file.source);
  if (version === null) throw new Error(`${where}: cannot read the torch version from source ${JSON.stringify(file.source)}`);
  const args = callArguments(file.torch, 'NAdam');
  if (args === undefined) throw new Error(`${where}: the torch field has no NAdam(...) call: ${JSON.stringify(file.torch)}`);
  const foreach = /\bforeach=(\w+)/.exec(args);
  const value = foreach === null ? 'None' : foreach[1];
  if (value !== 'True' && value !== 'False' && value !== 'None') throw new Error(`${where}: cannot read foreach=${String(value)}`);
  // torch 1.x: foreach=None means the single-tensor path.
  return Number(version[1]) === 1 && value !== 'True';
}

// -------------------------------------------------------------------------------------------------
// the table
// -------------------------------------------------------------------------------------------------

/** One row per pipeline op. */
export const OPS: Readonly<Record<string, OpMapping>> = {
  clip_by_global_norm: {
    torch: 'clip_grad_norm_(params, max_norm, norm_type)  (adds torch_eps = 1e-6 to the norm)',
    gradfuse: "clipByGlobalNorm(max_norm, { eps: torch_eps, normType: 2 | Infinity })",
    build: (f) => {
      const maxNorm = f.number('max_norm');
      const normType = f.normType('norm_type');
      const eps = f.number('torch_eps');
      return { transforms: [clipByGlobalNorm(maxNorm, { eps, normType })], clipNormOrd: normType };
    },
  },

  clip_by_value: {
    torch: 'clip_grad_value_(params, clip_value)',
    gradfuse: 'clip(clip_value)',
    build: (f) => ({ transforms: [clip(f.number('clip_value'))] }),
  },

  sgd: {
    torch: 'SGD(params, lr, momentum, dampening, weight_decay, nesterov, maximize)',
    gradfuse: 'sgd({ learningRate: lr, momentum, dampening, nesterov, weightDecay: weight_decay })',
    build: (f) => {
      const max = maximize(f);
      const rate = learningRate(f);
      const momentum = f.number('momentum');
      return {
        transforms: [
          ...max,
          sgd({
            learningRate: rate.learningRate,
            // OneCycleLR(cycle_momentum=True) overrides the constructor's momentum.
            momentum: rate.momentum ?? momentum,
            dampening: f.number('dampening'),
            nesterov: f.boolean('nesterov'),
            weightDecay: f.number('weight_decay'),
          }),
        ],
        ...schedules(rate),
      };
    },
  },

  adam: {
    torch: 'Adam(params, lr, betas=(b1, b2), eps, weight_decay, amsgrad, maximize)',
    gradfuse:
      "chain(addDecayedWeights({ weightDecay }), adam({ learningRate, b1, b2, eps }))  |  amsgrad: amsgrad({ learningRate, b1, b2, eps, maxOf: 'raw' })",
    build: (f) => {
      const max = maximize(f);
      const decay = l2(f);
      const rate = learningRate(f);
      noMomentumSchedule(f, rate);
      const o = { learningRate: rate.learningRate, b1: f.number('b1'), b2: f.number('b2'), eps: f.number('eps') };
      const opt = f.boolean('amsgrad') ? amsgrad({ ...o, maxOf: 'raw' }) : adam(o);
      return { transforms: [...max, ...decay, opt], ...schedules(rate) };
    },
  },

  adamw: {
    torch: 'AdamW(params, lr, betas=(b1, b2), eps, weight_decay, amsgrad, maximize)',
    gradfuse:
      "adamw({ learningRate, b1, b2, eps, weightDecay })  |  amsgrad: chain(scaleByAmsgrad({ b1, b2, eps, maxOf: 'raw' }), addDecayedWeights({ weightDecay }), scaleByLearningRate(lr))",
    build: (f) => {
      const max = maximize(f);
      const rate = learningRate(f);
      noMomentumSchedule(f, rate);
      const moments = { b1: f.number('b1'), b2: f.number('b2'), eps: f.number('eps') };
      const weightDecay = f.number('weight_decay');
      const opt: Tx = f.boolean('amsgrad')
        ? chain(scaleByAmsgrad({ ...moments, maxOf: 'raw' }), addDecayedWeights({ weightDecay }), scaleByLearningRate(rate.learningRate))
        : adamw({ learningRate: rate.learningRate, ...moments, weightDecay });
      return { transforms: [...max, opt], ...schedules(rate) };
    },
  },

  adamax: {
    torch: 'Adamax(params, lr, betas=(b1, b2), eps, weight_decay, maximize)',
    gradfuse: 'chain(addDecayedWeights({ weightDecay }), adamax({ learningRate, b1, b2, eps }))',
    build: (f) => {
      const max = maximize(f);
      const decay = l2(f);
      const rate = learningRate(f);
      noMomentumSchedule(f, rate);
      const opt = adamax({ learningRate: rate.learningRate, b1: f.number('b1'), b2: f.number('b2'), eps: f.number('eps') });
      return { transforms: [...max, ...decay, opt], ...schedules(rate) };
    },
  },

  nadam: {
    torch: 'NAdam(params, lr, betas=(b1, b2), eps, weight_decay, momentum_decay, foreach)',
    gradfuse:
      "chain(addDecayedWeights({ weightDecay }), nadam({ learningRate, b1, b2, eps, form: 'momentumDecay', momentumDecay, doubleCountMu }))  (doubleCountMu: torch 1.x with foreach=False)",
    build: (f, file) => {
      const max = maximize(f);
      const decay = l2(f);
      const rate = learningRate(f);
      noMomentumSchedule(f, rate);
      const opt = nadam({
        learningRate: rate.learningRate,
        b1: f.number('b1'),
        b2: f.number('b2'),
        eps: f.number('eps'),
        form: 'momentumDecay',
        momentumDecay: f.number('momentum_decay'),
        doubleCountMu: torch1SingleTensorNadam(file, f.where),
      });
      return { transforms: [...max, ...decay, opt], ...schedules(rate) };
    },
  },

  radam: {
    torch: 'RAdam(params, lr, betas=(b1, b2), eps, weight_decay)  (rectify_threshold 5, foreach=False)',
    gradfuse:
      'chain(addDecayedWeights({ weightDecay }), radam({ learningRate, b1, b2, eps, threshold, strictThreshold: true, epsOnUncorrectedRoot: true }))',
    build: (f) => {
      const max = maximize(f);
      const decay = l2(f);
      const rate = learningRate(f);
      noMomentumSchedule(f, rate);
      const opt = radam({
        learningRate: rate.learningRate,
        b1: f.number('b1'),
        b2: f.number('b2'),
        eps: f.number('eps'),
        threshold: f.number('rectify_threshold'),
        strictThreshold: true,
        epsOnUncorrectedRoot: true,
      });
      return { transforms: [...max, ...decay, opt], ...schedules(rate) };
    },
  },

  rmsprop: {
    torch: 'RMSprop(params, lr, alpha, eps, weight_decay, momentum, centered, maximize)',
    gradfuse:
      "chain(addDecayedWeights({ weightDecay }), rmsprop({ learningRate, decay: alpha, eps, epsInSqrt: false, initialScale: 0, centered, momentum, lrPlacement: 'afterMomentum' }))",
    build: (f) => {
      const max = maximize(f);
      const decay = l2(f);
      const rate = learningRate(f);
      const constructorMomentum = f.number('momentum');
      // OneCycleLR(cycle_momentum=True) overrides the constructor's momentum.
      const momentum = rate.momentum ?? constructorMomentum;
      const opt = rmsprop({
        learningRate: rate.learningRate,
        decay: f.number('alpha'),
        eps: f.number('eps'),
        epsInSqrt: false,
        initialScale: 0,
        centered: f.boolean('centered'),
        ...(momentum === 0 ? {} : { momentum }),
        lrPlacement: 'afterMomentum',
      });
      return { transforms: [...max, ...decay, opt], ...schedules(rate) };
    },
  },

  adagrad: {
    torch: 'Adagrad(params, lr, lr_decay, weight_decay, initial_accumulator_value, eps, maximize)',
    gradfuse:
      'chain(addDecayedWeights({ weightDecay }), adagrad({ learningRate: lr_decay ? adagradLrDecay({ learningRate: lr, lrDecay }) : lr, initialAccumulatorValue, eps, epsInSqrt: false }))',
    build: (f) => {
      const max = maximize(f);
      const decay = l2(f);
      const rate = learningRate(f);
      noMomentumSchedule(f, rate);
      const lrDecay = f.number('lr_decay');
      if (lrDecay !== 0 && typeof rate.learningRate !== 'number') {
        throw new Error(`${f.where}: lr_decay together with an lr_schedule is not mapped`);
      }
      const opt = adagrad({
        learningRate: lrDecay === 0 ? rate.learningRate : adagradLrDecay({ learningRate: rate.learningRate as number, lrDecay }),
        initialAccumulatorValue: f.number('initial_accumulator_value'),
        eps: f.number('eps'),
        epsInSqrt: false,
      });
      return { transforms: [...max, ...decay, opt], ...schedules(rate) };
    },
  },

  adadelta: {
    torch: 'Adadelta(params, lr, rho, eps, weight_decay, maximize)',
    // adadelta's own `weightDecay` option is this same L2 stage in front of the scaler.
    gradfuse: 'chain(addDecayedWeights({ weightDecay }), adadelta({ learningRate, rho, eps }))',
    build: (f) => {
      const max = maximize(f);
      const decay = l2(f);
      const rate = learningRate(f);
      noMomentumSchedule(f, rate);
      const opt = adadelta({ learningRate: rate.learningRate, rho: f.number('rho'), eps: f.number('eps') });
      return { transforms: [...max, ...decay, opt], ...schedules(rate) };
    },
  },
};

// -------------------------------------------------------------------------------------------------
// building a pipeline
// -------------------------------------------------------------------------------------------------

/** A file's pipeline as one gradfuse transformation, with the schedules it was built with. */
export interface BuiltPipeline {
  readonly tx: Tx;
  /** The learning-rate schedule of the optimizer op, when it has an `lr_schedule`. */
  readonly lr?: Schedule;
  /** The optimizer op's learning rate, when it has no `lr_schedule`. */
  readonly constantLr?: number;
  /** Its momentum schedule, with OneCycleLR's `cycle_momentum`. */
  readonly momentum?: Schedule;
  /** The norm type of the `clip_by_global_norm` op, when there is one (for `grad_norm`). */
  readonly clipNormOrd?: 2 | typeof Infinity;
}

/** Builds one op; `where` names it in errors. Throws on an unknown op or field. */
export function buildOp(op: Json, file: FileContext, where: string): Built {
  const name = op['op'];
  const row = typeof name === 'string' && Object.hasOwn(OPS, name) ? OPS[name] : undefined;
  if (row === undefined) throw new Error(`${where}: unknown op ${JSON.stringify(name)} (the pipeline builder knows ${Object.keys(OPS).join(', ')})`);
  const fields = new OpFields(op, `${where} (${String(name)})`);
  const built = row.build(fields, file);
  fields.finish();
  return built;
}

/**
 * Builds the gradfuse transformation of a case file's `pipeline`: the ops' transformations
 * chained in order. There must be exactly one optimizer op (whose lr `steps[].lr` records) and
 * at most one global-norm clip.
 */
export function buildPipeline(file: FileContext & { readonly name: string; readonly pipeline: readonly Json[] }): BuiltPipeline {
  const parts = file.pipeline.map((op, i) => buildOp(op, file, `${file.name}: pipeline[${String(i)}]`));
  const optimizers = parts.filter((p) => p.lr !== undefined || p.constantLr !== undefined);
  if (optimizers.length !== 1) throw new Error(`${file.name}: the pipeline must hold exactly one optimizer op, has ${String(optimizers.length)}`);
  const clips = parts.filter((p) => p.clipNormOrd !== undefined);
  if (clips.length > 1) throw new Error(`${file.name}: more than one clip_by_global_norm op`);
  const opt = optimizers[0] as Built;
  const clipOrd = clips[0]?.clipNormOrd;
  return {
    tx: chain(...parts.flatMap((p) => p.transforms)),
    ...(opt.lr === undefined ? {} : { lr: opt.lr }),
    ...(opt.constantLr === undefined ? {} : { constantLr: opt.constantLr }),
    ...(opt.momentum === undefined ? {} : { momentum: opt.momentum }),
    ...(clipOrd === undefined ? {} : { clipNormOrd: clipOrd }),
  };
}

/** The table as Markdown (op | torch | gradfuse), for the docs. */
export function mappingTable(): string {
  const rows = Object.entries(OPS).map(([op, m]) => `| \`${op}\` | \`${m.torch}\` | \`${m.gradfuse}\` |`);
  return ['| op | torch | gradfuse |', '|---|---|---|', ...rows].join('\n');
}
