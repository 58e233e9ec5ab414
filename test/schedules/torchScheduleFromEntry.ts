/**
 * Test helper: builds gradfuse schedules from the PyTorch conformance vectors
 * (`shared/conformance/torch`), both from a `schedules.json` entry (its `torch` call string and
 * `args`) and from the `lr_schedule` field of an optimizer case file. Anything it does not know
 * (a constructor, an argument, a field, a kind) throws: a vector must never be skipped silently.
 */
import type { Schedule } from '../../src/schedules/schedule.js';
import {
  constantLR,
  cosineAnnealingLR,
  cosineAnnealingWarmRestarts,
  exponentialLR,
  linearLR,
  multiStepLR,
  polynomialLR,
  sequentialLR,
  stepLR,
} from '../../src/schedules/torch.js';
import { cyclicLR, cyclicMomentum, oneCycleLR, oneCycleMomentum } from '../../src/schedules/torchCyclic.js';

/** The learning-rate schedule, and the momentum schedule for the schedulers that cycle it. */
export interface TorchSchedules {
  readonly lr: Schedule;
  readonly momentum?: Schedule;
}

/** One entry of `schedules.json`'s `schedules` array. */
export interface TorchScheduleEntry {
  readonly name: string;
  readonly torch: string;
  readonly args: Readonly<Record<string, unknown>>;
  readonly base_lr: number;
  readonly steps: number;
  readonly convention?: string;
  readonly lrs: readonly number[];
  readonly momentums?: readonly number[];
}

// -------------------------------------------------------------------------------------------------
// parsing torch's call strings, e.g. "StepLR(opt, step_size=10, gamma=0.5)"
// -------------------------------------------------------------------------------------------------

/** A Python literal as the vectors write them, or a nested scheduler call. */
export type PyValue = number | string | boolean | null | readonly PyValue[] | PyCall;

/** `Name(opt, key=value, ...)`. */
export interface PyCall {
  readonly call: string;
  readonly kwargs: Readonly<Record<string, PyValue>>;
}

function isCall(v: PyValue): v is PyCall {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parses a torch scheduler call string. The only positional argument allowed is `opt`. */
export function parseTorchCall(source: string): PyCall {
  const tokens = source.match(/[A-Za-z_][A-Za-z0-9_]*|-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|'[^']*'|"[^"]*"|[()[\],=]|\S/g) ?? [];
  let i = 0;
  const peek = (): string | undefined => tokens[i];
  const next = (): string => {
    const t = tokens[i++];
    if (t === undefined) throw new Error(`parseTorchCall: unexpected end of ${JSON.stringify(source)}`);
    return t;
  };
  const expect = (t: string): void => {
    const got = next();
    if (got !== t) throw new Error(`parseTorchCall: expected ${t}, got ${got} in ${JSON.stringify(source)}`);
  };
  const value = (): PyValue => {
    const t = next();
    if (t === '[') {
      const items: PyValue[] = [];
      while (peek() !== ']') {
        items.push(value());
        if (peek() === ',') next();
      }
      expect(']');
      return items;
    }
    if (t.startsWith("'") || t.startsWith('"')) return t.slice(1, -1);
    if (t === 'None') return null;
    if (t === 'True') return true;
    if (t === 'False') return false;
    if (/^[-.\d]/.test(t)) return Number(t);
    if (/^[A-Za-z_]/.test(t) && peek() === '(') return callAfterName(t);
    throw new Error(`parseTorchCall: cannot read ${t} in ${JSON.stringify(source)}`);
  };
  const callAfterName = (name: string): PyCall => {
    expect('(');
    const kwargs: Record<string, PyValue> = {};
    while (peek() !== ')') {
      const key = next();
      if (peek() === '=') {
        next();
        kwargs[key] = value();
      } else if (key !== 'opt') {
        throw new Error(`parseTorchCall: unexpected positional argument ${key} in ${JSON.stringify(source)}`);
      }
      if (peek() === ',') next();
    }
    expect(')');
    return { call: name, kwargs };
  };
  const result = callAfterName(next());
  if (i !== tokens.length) throw new Error(`parseTorchCall: trailing text in ${JSON.stringify(source)}`);
  return result;
}

// -------------------------------------------------------------------------------------------------
// building a torch scheduler from its keyword arguments
// -------------------------------------------------------------------------------------------------

type Options = Record<string, unknown>;

interface TorchBuilder {
  /** torch keyword -> gradfuse option name. */
  readonly keys: Readonly<Record<string, string>>;
  /** Whether the schedule starts from the optimizer's lr (passed as `lr`). */
  readonly takesBaseLr: boolean;
  readonly build: (options: Options) => TorchSchedules;
}

const lrOnly =
  (f: (o: never) => Schedule) =>
  (o: Options): TorchSchedules => ({ lr: f(o as never) });

const TORCH_SCHEDULERS: Readonly<Record<string, TorchBuilder>> = {
  StepLR: { keys: { step_size: 'stepSize', gamma: 'gamma' }, takesBaseLr: true, build: lrOnly(stepLR) },
  MultiStepLR: { keys: { milestones: 'milestones', gamma: 'gamma' }, takesBaseLr: true, build: lrOnly(multiStepLR) },
  ExponentialLR: { keys: { gamma: 'gamma' }, takesBaseLr: true, build: lrOnly(exponentialLR) },
  LinearLR: {
    keys: { start_factor: 'startFactor', end_factor: 'endFactor', total_iters: 'totalIters' },
    takesBaseLr: true,
    build: lrOnly(linearLR),
  },
  ConstantLR: { keys: { factor: 'factor', total_iters: 'totalIters' }, takesBaseLr: true, build: lrOnly(constantLR) },
  PolynomialLR: { keys: { total_iters: 'totalIters', power: 'power' }, takesBaseLr: true, build: lrOnly(polynomialLR) },
  CosineAnnealingLR: { keys: { T_max: 'tMax', eta_min: 'etaMin' }, takesBaseLr: true, build: lrOnly(cosineAnnealingLR) },
  CosineAnnealingWarmRestarts: {
    keys: { T_0: 't0', T_mult: 'tMult', eta_min: 'etaMin' },
    takesBaseLr: true,
    build: lrOnly(cosineAnnealingWarmRestarts),
  },
  OneCycleLR: {
    keys: {
      max_lr: 'maxLr',
      total_steps: 'totalSteps',
      pct_start: 'pctStart',
      anneal_strategy: 'annealStrategy',
      cycle_momentum: 'cycleMomentum',
      base_momentum: 'baseMomentum',
      max_momentum: 'maxMomentum',
      div_factor: 'divFactor',
      final_div_factor: 'finalDivFactor',
      three_phase: 'threePhase',
    },
    takesBaseLr: false,
    build: (o) => {
      const lr = oneCycleLR(o as never);
      return lr.spec?.options['cycleMomentum'] === true ? { lr, momentum: oneCycleMomentum(o as never) } : { lr };
    },
  },
  CyclicLR: {
    keys: {
      base_lr: 'baseLr',
      max_lr: 'maxLr',
      step_size_up: 'stepSizeUp',
      step_size_down: 'stepSizeDown',
      mode: 'mode',
      gamma: 'gamma',
      cycle_momentum: 'cycleMomentum',
      base_momentum: 'baseMomentum',
      max_momentum: 'maxMomentum',
    },
    takesBaseLr: false,
    build: (o) => {
      const lr = cyclicLR(o as never);
      return lr.spec?.options['cycleMomentum'] === true ? { lr, momentum: cyclicMomentum(o as never) } : { lr };
    },
  },
};

/**
 * Builds the gradfuse schedule(s) for torch scheduler `name` with keyword arguments `kwargs`
 * (torch's names) on an optimizer whose lr is `baseLr`. `None` arguments take gradfuse's
 * default (torch's `None` default). Throws on an unknown scheduler or argument.
 */
export function torchSchedulerFromKwargs(name: string, kwargs: Readonly<Record<string, unknown>>, baseLr: number): TorchSchedules {
  if (name === 'SequentialLR') {
    const { schedulers, milestones, ...rest } = kwargs;
    if (Object.keys(rest).length > 0) throw new Error(`SequentialLR: unknown argument(s) ${Object.keys(rest).join(', ')}`);
    if (!Array.isArray(schedulers)) throw new Error('SequentialLR: schedulers must be a list of scheduler calls');
    const children = schedulers.map((s: unknown) => {
      if (!isCall(s as PyValue)) throw new Error('SequentialLR: each scheduler must be a call');
      const c = s as PyCall;
      const built = torchSchedulerFromKwargs(c.call, c.kwargs, baseLr);
      if (built.momentum !== undefined) throw new Error(`SequentialLR: child ${c.call} cycles momentum (not supported)`);
      return built.lr;
    });
    return { lr: sequentialLR({ schedules: children, milestones: milestones as readonly number[] }) };
  }
  if (!Object.hasOwn(TORCH_SCHEDULERS, name)) throw new Error(`unknown torch scheduler ${JSON.stringify(name)}`);
  const builder = TORCH_SCHEDULERS[name];
  if (builder === undefined) throw new Error(`unknown torch scheduler ${JSON.stringify(name)}`);
  const options: Options = builder.takesBaseLr ? { lr: baseLr } : {};
  for (const [key, v] of Object.entries(kwargs)) {
    const option = Object.hasOwn(builder.keys, key) ? builder.keys[key] : undefined;
    if (option === undefined) throw new Error(`${name}: unknown torch argument ${JSON.stringify(key)}`);
    if (v !== null) options[option] = v;
  }
  return builder.build(options);
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null && !Array.isArray(a) && !Array.isArray(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return (
      ka.length === kb.length &&
      ka.every((k) => Object.hasOwn(b, k) && deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
    );
  }
  return Object.is(a, b) || a === b;
}

/**
 * Builds the schedule of a `schedules.json` entry from its `torch` string's constructor and its
 * `args` (with `base_lr` as the optimizer's lr). The `args` must agree with the keyword
 * arguments written in `torch`. For `SequentialLR`, whose `args` summarise the children
 * (`warmup`, `start_factor`, `T_max`, `eta_min`), the children come from the call string and the
 * summary is checked against them.
 */
export function torchScheduleFromEntry(entry: TorchScheduleEntry): TorchSchedules {
  const call = parseTorchCall(entry.torch);
  if (call.call !== 'SequentialLR') {
    if (!deepEqual(entry.args, call.kwargs)) {
      throw new Error(`${entry.name}: args ${JSON.stringify(entry.args)} differ from the torch call ${entry.torch}`);
    }
    return torchSchedulerFromKwargs(call.call, entry.args, entry.base_lr);
  }
  checkSequentialSummary(entry, call);
  return torchSchedulerFromKwargs(call.call, call.kwargs, entry.base_lr);
}

/** The `args` of a warm-up + cosine `SequentialLR` entry against its call string. */
function checkSequentialSummary(entry: TorchScheduleEntry, call: PyCall): void {
  const schedulers = call.kwargs['schedulers'];
  const milestones = call.kwargs['milestones'];
  const [warm, cos] = Array.isArray(schedulers) ? (schedulers as readonly PyValue[]) : [];
  if (warm === undefined || cos === undefined || !isCall(warm) || !isCall(cos) || !Array.isArray(milestones)) {
    throw new Error(`${entry.name}: cannot read the SequentialLR call ${entry.torch}`);
  }
  const where: Readonly<Record<string, unknown>> = {
    warmup: (milestones as readonly PyValue[])[0],
    start_factor: warm.kwargs['start_factor'],
    T_max: cos.kwargs['T_max'],
    eta_min: cos.kwargs['eta_min'],
  };
  for (const [key, v] of Object.entries(entry.args)) {
    if (!Object.hasOwn(where, key)) throw new Error(`${entry.name}: unknown SequentialLR summary argument ${key}`);
    if (!deepEqual(v, where[key])) throw new Error(`${entry.name}: args.${key} = ${String(v)} differs from the torch call`);
  }
}

// -------------------------------------------------------------------------------------------------
// the `lr_schedule` field of optimizer case files
// -------------------------------------------------------------------------------------------------

const LR_SCHEDULE_FIELDS: Readonly<Record<string, readonly string[]>> = {
  linear_warmup_then_cosine: ['base_lr', 'warmup_steps', 'warmup_start_factor', 'cosine_T_max', 'eta_min'],
  one_cycle: [
    'max_lr',
    'total_steps',
    'pct_start',
    'anneal_strategy',
    'cycle_momentum',
    'base_momentum',
    'max_momentum',
    'div_factor',
    'final_div_factor',
    'three_phase',
  ],
};

/**
 * Builds `{ lr, momentum? }` from an optimizer case file's `lr_schedule` field:
 * - `linear_warmup_then_cosine`: `SequentialLR([LinearLR(start_factor, end_factor=1,
 *   total_iters=W), CosineAnnealingLR(T_max, eta_min)], milestones=[W])` on `base_lr`;
 * - `one_cycle`: `OneCycleLR(...)`, with the momentum schedule when `cycle_momentum` is true.
 *
 * Every field of the kind is required; an unknown kind or field throws (`kind` and the
 * descriptive `convention` are the only extra fields allowed).
 */
export function scheduleFromLrScheduleField(field: unknown): TorchSchedules {
  if (typeof field !== 'object' || field === null || Array.isArray(field)) throw new Error('lr_schedule must be an object');
  const f = field as Readonly<Record<string, unknown>>;
  const kind = f['kind'];
  const fields = typeof kind === 'string' && Object.hasOwn(LR_SCHEDULE_FIELDS, kind) ? LR_SCHEDULE_FIELDS[kind] : undefined;
  if (fields === undefined) throw new Error(`lr_schedule: unknown kind ${JSON.stringify(kind)}`);
  for (const key of Object.keys(f)) {
    if (key !== 'kind' && key !== 'convention' && !fields.includes(key)) {
      throw new Error(`lr_schedule (${String(kind)}): unknown field ${JSON.stringify(key)}`);
    }
  }
  for (const key of fields) {
    if (!Object.hasOwn(f, key)) throw new Error(`lr_schedule (${String(kind)}): missing field ${JSON.stringify(key)}`);
  }
  if (kind === 'linear_warmup_then_cosine') {
    const lr = f['base_lr'] as number;
    const warmup = f['warmup_steps'] as number;
    return {
      lr: sequentialLR({
        schedules: [
          linearLR({ lr, startFactor: f['warmup_start_factor'] as number, endFactor: 1, totalIters: warmup }),
          cosineAnnealingLR({ lr, tMax: f['cosine_T_max'] as number, etaMin: f['eta_min'] as number }),
        ],
        milestones: [warmup],
      }),
    };
  }
  const kwargs: Record<string, unknown> = {};
  for (const key of fields) kwargs[key] = f[key];
  return torchSchedulerFromKwargs('OneCycleLR', kwargs, NaN);
}
