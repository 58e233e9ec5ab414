/**
 * Schedules as spec values: the one place that knows which schedules a spec may name and
 * turns `{ schedule, options }` into a schedule. It knows every name {@link scheduleFromSpec}
 * knows and the schedules defined elsewhere (`adagradLrDecay`), and rebuilds the combinators'
 * children itself, so a child may be any of them and each error names its own path.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js';
import type { Either } from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { HyperparameterError } from '../errors.js';
import { adagradLrDecay } from '../optimizers/adagrad.js';
import { SCHEDULE_NAMES, scheduleFromSpec } from '../schedules/fromSpec.js';
import { joinSchedules } from '../schedules/join.js';
import type { Schedule } from '../schedules/schedule.js';
import { sequentialLR } from '../schedules/torch.js';
import { BestMatchUnion, DiscriminatedType, FieldsType, type FieldsValue, describe, fields, recursive } from './codecs.js';
import { fromHyperparameterError, fromUnexpectedError, fromValidationError, indexPath, keyPath, nestingProblem } from './report.js';
import type { SpecError } from './spec.js';

type Options = Readonly<Record<string, unknown>>;

// ---------------------------------------------------------------------------------------------
// builders
// ---------------------------------------------------------------------------------------------

/** Schedules that {@link scheduleFromSpec} does not know, by name. */
const EXTRA: Readonly<Record<string, (options: Options) => Schedule>> = {
  adagradLrDecay: (o) => adagradLrDecay(o as never),
};

/** Combinators, given their options with the children already built. */
const COMBINATORS: Readonly<Record<string, (options: Options) => Schedule>> = {
  joinSchedules: (o) => joinSchedules(o as never),
  sequentialLR: (o) => sequentialLR(o as never),
};

/**
 * The names of the schedules a spec may name: every gradfuse schedule constructor.
 * @category Spec
 */
export const SPEC_SCHEDULE_NAMES: readonly string[] = /*#__PURE__*/ Object.freeze([...SCHEDULE_NAMES, ...Object.keys(EXTRA)]);

// ---------------------------------------------------------------------------------------------
// codecs
// ---------------------------------------------------------------------------------------------

/**
 * A schedule's spec `{ schedule, options }`. The codec checks the name and that the options
 * are an object (and, for combinators, that `schedules` holds schedule specs); the schedule's
 * constructor checks the options themselves.
 */
export const ScheduleSpec: t.Type<FieldsValue> = describe(
  recursive<FieldsValue>('ScheduleSpec', 'a schedule spec { schedule, options }', () => ScheduleMembers),
  'A schedule, as its spec { schedule, options }: the name of a gradfuse schedule constructor and the options it takes (checked by that constructor; joinSchedules and sequentialLR hold their children under options.schedules).',
);
const ScheduleMembers: DiscriminatedType = new DiscriminatedType('a schedule spec { schedule, options }', 'schedule', 'schedules', () =>
  Object.fromEntries(
    SPEC_SCHEDULE_NAMES.map((name) => {
      const options = Object.hasOwn(COMBINATORS, name)
        ? new FieldsType(`an options object for ${name}`, { schedules: t.array(ScheduleSpec, 'an array of schedule specs') }, {}, false)
        : new FieldsType(`an options object for ${name}`, {}, {}, false);
      return [name, fields(`a ${name} spec`, { schedule: t.literal(name), options })];
    }),
  ),
);

/** A hyperparameter that may be scheduled: a number, or a schedule's spec. */
export const Hyper = describe(
  new BestMatchUnion('a number or a schedule spec { schedule, options }', [t.number, ScheduleSpec]),
  'A number, or a schedule given by its spec { schedule, options }.',
);

// ---------------------------------------------------------------------------------------------
// building
// ---------------------------------------------------------------------------------------------

/**
 * Builds a schedule from a spec that already passed the {@link ScheduleSpec} codec, pushing
 * the constructors' complaints to `errors` at their paths (`path` is the schedule's own).
 * Returns `undefined` when it cannot be built.
 */
export function buildSchedule(spec: Options, path: string, errors: SpecError[]): Schedule | undefined {
  const name = spec.schedule as string;
  const options = spec.options as Options;
  const optionsPath = keyPath(path, 'options');
  const combinator = COMBINATORS[name];
  let given: Options = options;
  if (combinator !== undefined) {
    const specs = options.schedules as readonly Options[];
    const children = specs.map((s, i) => buildSchedule(s, indexPath(keyPath(optionsPath, 'schedules'), i), errors));
    if (children.some((c) => c === undefined)) return undefined;
    given = { ...options, schedules: children };
  }
  try {
    const build = combinator ?? EXTRA[name];
    return build === undefined ? scheduleFromSpec({ schedule: name, options: given }) : build(given);
  } catch (e) {
    if (e instanceof HyperparameterError) {
      // An option of this schedule is at `options.<name>`; anything else at the options.
      const keys = e.owner === name ? [e.parameter.replace(/[^A-Za-z0-9_$].*$/s, '')] : [];
      errors.push(fromHyperparameterError(e, { path: optionsPath, keys }));
    } else {
      errors.push(fromUnexpectedError(e, optionsPath, `options ${name} accepts`));
    }
    return undefined;
  }
}

/**
 * A schedule from its spec `{ schedule, options }`, e.g. read back from JSON: every gradfuse
 * schedule (those of {@link scheduleFromSpec}, and `adagradLrDecay`), combinators with
 * children of any kind. Returns every problem, each with its path; never throws.
 *
 * ```ts
 * const s = decodeSchedule({ schedule: 'adagradLrDecay', options: { learningRate: 0.1, lrDecay: 0.01 } });
 * ```
 * @category Spec
 */
export function decodeSchedule(json: unknown): Either<readonly SpecError[], Schedule> {
  try {
    const tooDeep = nestingProblem(json);
    if (tooDeep !== undefined) return E.left([tooDeep]);
    const checked = ScheduleSpec.decode(json);
    if (E.isLeft(checked)) return E.left(checked.left.map(fromValidationError));
    const errors: SpecError[] = [];
    const schedule = buildSchedule(checked.right, '$', errors);
    return schedule === undefined || errors.length > 0 ? E.left(errors) : E.right(schedule);
  } catch (e) {
    return E.left([fromUnexpectedError(e, '$', 'plain JSON data')]);
  }
}
