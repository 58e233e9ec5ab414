/**
 * Spec errors: each kind names the exact JSON path, what was expected and what came; every
 * problem is reported; hostile input gives SpecErrors and never an exception.
 */
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { HyperparameterError } from '../../src/errors.js';
import { adamw } from '../../src/optimizers/adam.js';
import { decodeSpec, parseSpec } from '../../src/spec/fromSpec.js';
import { OP_NAMES } from '../../src/spec/registry.js';
import { InvalidSpecError, MAX_DEPTH, MAX_LISTED } from '../../src/spec/report.js';
import { decodeSchedule } from '../../src/spec/schedules.js';
import { SpecError, toSpec } from '../../src/spec/spec.js';

/** The errors of a spec that must not decode, as `[path, expected, actual]`. */
function problems(json: unknown): (readonly [string, string, string])[] {
  let result: ReturnType<typeof decodeSpec> | undefined;
  expect(() => {
    result = decodeSpec(json);
  }).not.toThrow();
  if (result === undefined || E.isRight(result)) throw new Error(`expected errors for ${JSON.stringify(json)}`);
  for (const e of result.left) expect(e).toBeInstanceOf(SpecError);
  return result.left.map((e) => [e.path, e.expected, e.actual] as const);
}

const TRANSFORM = 'a transformation spec { op, ...options }';
const HYPER = 'a number or a schedule spec { schedule, options }';
const MISSING = 'nothing (the key is missing)';
const OPS = `one of the ops ${OP_NAMES.join(', ')}`;

describe('combinators: errors inside their members and options', () => {
  const MASK = 'a mask (a boolean, or an array or record of masks)';
  const LABELS = 'a label tree (a string, or an array or record of label trees; "<function>" stands for a paramLabels function, which a spec cannot hold)';

  it('a function mask or function labels ("<function>", as toSpec would mark them) cannot be read back', () => {
    expect(problems({ op: 'masked', transform: { op: 'identity' }, mask: '<function>' })).toEqual([['$.mask', MASK, '"<function>"']]);
    expect(problems({ op: 'freeze', mask: { w: '<function>' } })).toEqual([['$.mask.w', MASK, '"<function>"']]);
    expect(problems({ op: 'lars', learningRate: 1, trustRatioMask: '<function>' })).toEqual([['$.trustRatioMask', MASK, '"<function>"']]);
    const sgd = { op: 'sgd', learningRate: 0.1 };
    expect(problems({ op: 'multiTransform', transforms: { a: sgd }, paramLabels: '<function>' })).toEqual([['$.paramLabels', LABELS, '"<function>"']]);
    expect(problems({ op: 'multiTransform', transforms: { a: sgd }, paramLabels: { w: 'a', b: ['<function>'] } })).toEqual([['$.paramLabels.b[0]', LABELS, '"<function>"']]);
  });

  it("a member's error is at its path: under a label, an inner transform, a renamed option", () => {
    expect(problems({ op: 'multiTransform', transforms: { 'no decay': { op: 'adam', learningRate: '1' } }, paramLabels: 'no decay' })).toEqual([
      ['$.transforms["no decay"].learningRate', HYPER, '"1"'],
    ]);
    expect(problems({ op: 'multiTransform', transforms: [], paramLabels: 'a' })).toEqual([['$.transforms', 'a record { label: transformation spec }', 'an array of length 0']]);
    expect(problems({ op: 'masked', transform: { op: 'lookahead', transform: { op: 'sgd', learningRate: 0.1 }, syncPeriod: 2, slowStepSize: 1.5 }, mask: true })).toEqual([
      ['$.transform.slowStepSize', 'a number in [0, 1]', '1.5'],
    ]);
    expect(problems({ op: 'multiSteps', transform: { op: 'sgd', learningRate: 0.1 }, everyK: 0 })).toEqual([['$.everyK', 'an integer >= 1', '0']]);
    // lars checks its momentum through trace's `decay`, its masks through its members' `mask`.
    expect(problems({ op: 'lars', learningRate: 1, momentum: 2 })).toEqual([['$.momentum', 'a number in [0, 1] or a schedule', '2']]);
    expect(problems({ op: 'selectiveTransform', transform: { op: 'sgd', learningRate: 0.1 }, freezeMask: 3 })).toEqual([['$.freezeMask', MASK, '3']]);
  });

  it('flatten of a transformation without kernel stages is refused at its transform', () => {
    const [first, ...rest] = problems({ op: 'flatten', transform: { op: 'applyIfFinite', transform: { op: 'sgd', learningRate: 0.1 }, maxConsecutiveErrors: 1 } });
    expect(rest).toEqual([]);
    expect(first?.[0]).toBe('$.transform');
    expect(first?.[1]).toContain('a fusable transformation');
  });
});

describe('each kind of error names its path, what was expected and what came', () => {
  it('an unknown op lists the known ones', () => {
    expect(problems({ op: 'chain', transforms: [{ op: 'identity' }, { op: 'adamx', learningRate: 1 }] })).toEqual([['$.transforms[1].op', OPS, '"adamx"']]);
    expect(OPS).toContain('adamw');
    expect(OPS).toContain('injectHyperparams');
    expect(problems({ learningRate: 1 })).toEqual([['$.op', OPS, MISSING]]);
    expect(problems({ op: 7 })).toEqual([['$.op', OPS, '7']]);
  });

  it('a value of the wrong JSON type', () => {
    expect(problems({ op: 'adam', learningRate: 1e-3, b1: '0.9' })).toEqual([['$.b1', 'a number', '"0.9"']]);
    expect(problems({ op: 'adam', learningRate: 1e-3, nesterov: 'yes' })).toEqual([['$.nesterov', 'a boolean', '"yes"']]);
    expect(problems({ op: 'adam', learningRate: '1e-3' })).toEqual([['$.learningRate', HYPER, '"1e-3"']]);
    expect(problems({ op: 'scaleByLion', mode: 'soft' })).toEqual([['$.mode', 'one of "hard", "smooth", "refined"', '"soft"']]);
    expect(problems({ op: 'clipByGlobalNorm', maxNorm: 1, normType: 'Infinity' })).toEqual([['$.normType', '2 or "inf"', '"Infinity"']]);
    expect(problems({ op: 'chain', transforms: {} })).toEqual([['$.transforms', 'an array of transformation specs', 'an object']]);
    expect(problems({ op: 'chain', transforms: [null] })).toEqual([['$.transforms[0]', TRANSFORM, 'null']]);
    expect(problems({ op: 'injectHyperparams', transform: { op: 'adam', learningRate: 1 }, staticArgs: [1] })).toEqual([['$.staticArgs[0]', 'a string', '1']]);
  });

  it('a missing required key', () => {
    expect(problems({ op: 'adamw' })).toEqual([['$.learningRate', HYPER, MISSING]]);
    expect(problems({ op: 'clip' })).toEqual([['$.maxDelta', 'a number', MISSING]]);
    expect(problems({ op: 'chain' })).toEqual([['$.transforms', 'an array of transformation specs', MISSING]]);
  });

  it('an unknown key', () => {
    expect(problems({ op: 'adam', learningRate: 1e-3, b3: 0.9 })).toEqual([
      ['$.b3', 'one of the keys op, learningRate, b1, b2, eps, epsRoot, nesterov', 'the unknown key "b3"'],
    ]);
    expect(problems({ op: 'identity', 'odd key': 1 })).toEqual([['$["odd key"]', 'one of the keys op', 'the unknown key "odd key"']]);
  });

  it('a value out of range, in the words of the constructor that checked it', () => {
    let thrown: unknown;
    try {
      adamw({ learningRate: 1e-3, b1: 1.5 });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(HyperparameterError);
    expect(problems({ op: 'adamw', learningRate: 1e-3, b1: 1.5 })).toEqual([['$.b1', (thrown as HyperparameterError).expected, '1.5']]);
    expect(problems({ op: 'clipByGlobalNorm', maxNorm: 0 })).toEqual([['$.maxNorm', 'a finite number > 0', '0']]);
    expect(problems({ op: 'adam', learningRate: -1 })).toEqual([['$.learningRate', 'a finite number >= 0 or a schedule', '-1']]);
    expect(problems({ op: 'scaleByRadam', threshold: 4 })).toEqual([['$.threshold', 'a finite number > 4', '4']]);
    // a cross-option check lands on the option it names
    expect(problems({ op: 'rmsprop', learningRate: 1, decay: 1, biasCorrection: true })).toEqual([['$.decay', 'a number in [0, 1)', '1']]);
    expect(problems({ op: 'nadam', learningRate: 1, momentumDecay: 0.1 })).toEqual([['$.momentumDecay', "absent unless form is 'momentumDecay'", '0.1']]);
  });

  it('an option checked by a member under another name is reported under the spec name', () => {
    expect(problems({ op: 'sgd', learningRate: 0.1, momentum: 1.5 })).toEqual([['$.momentum', 'a number in [0, 1] or a schedule', '1.5']]);
    expect(problems({ op: 'sgd', learningRate: 0.1, momentum: 0.9, dampening: 2 })).toEqual([['$.dampening', 'a number in [0, 1]', '2']]);
    expect(problems({ op: 'rmsprop', learningRate: 0.1, momentum: -0.5 })).toEqual([['$.momentum', 'a number in [0, 1] or a schedule', '-0.5']]);
  });

  it("adafactor's options checked by its members (under their own names) are reported under adafactor's", () => {
    expect(problems({ op: 'adafactor', clippingThreshold: 0 })).toEqual([['$.clippingThreshold', 'a finite number > 0', '0']]);
    expect(problems({ op: 'adafactor', decayOffset: -1 })).toEqual([['$.decayOffset', 'an integer >= 0', '-1']]);
    expect(problems({ op: 'adafactor', eps: -1 })).toEqual([['$.eps', 'a finite number >= 0', '-1']]);
    expect(problems({ op: 'adafactor', clippingThreshold: 'none' })).toEqual([['$.clippingThreshold', 'a number or null', '"none"']]);
    expect(problems({ op: 'adafactor', weightDecayMask: true })).toEqual([['$.weightDecayMask', 'no mask unless weightDecayRate is given', 'true']]);
    expect(problems({ op: 'scheduleFree', transform: { op: 'sgd', learningRate: -1 }, learningRate: 0.1 })).toEqual([
      ['$.transform.learningRate', 'a finite number >= 0 or a schedule', '-1'],
    ]);
  });

  it("muon's Newton–Schulz coefficients: one triple or a non-empty list of triples", () => {
    const expected = 'three numbers [a, b, c], or a non-empty list of such triples';
    expect(problems({ op: 'muon', learningRate: 0.02, nsCoeffs: [1, 2] })).toEqual([['$.nsCoeffs', expected, 'an array of length 2']]);
    expect(problems({ op: 'muon', learningRate: 0.02, nsCoeffs: [[1, 2, 3], [1, 2]] })).toEqual([['$.nsCoeffs', expected, 'an array of length 2']]);
    expect(problems({ op: 'scaleByMuon', nsCoeffs: [] })).toEqual([['$.nsCoeffs', expected, 'an array of length 0']]);
    expect(problems({ op: 'scaleByMuon', nsCoeffs: ['x'] })).toEqual([['$.nsCoeffs[0]', 'a number or an array of numbers', '"x"']]);
    expect(problems({ op: 'muon', learningRate: 0.02, adamB1: 1 })).toEqual([['$.adamB1', 'a number in [0, 1)', '1']]);
    expect(toSpec(parseSpec({ op: 'scaleByMuon', nsCoeffs: [[3, -3, 1], [2, -1.5, 0.5]] })).nsCoeffs).toEqual([[3, -3, 1], [2, -1.5, 0.5]]);
  });

  it("scheduleFreeSgd's warmup takes a numeric learning rate; seeds are integers in [0, 2^53)", () => {
    expect(problems({ op: 'scheduleFreeSgd', warmupSteps: 0 })).toEqual([['$.warmupSteps', 'an integer >= 1', '0']]);
    expect(problems({ op: 'scheduleFreeSgd', warmupSteps: 2, learningRate: { schedule: 'constantSchedule', options: { value: 0.1 } } })[0]?.[0]).toBe('$.learningRate');
    expect(problems({ op: 'noisySgd', learningRate: 0.1, seed: -1 })).toEqual([['$.seed', 'an integer in [0, 2^53)', '-1']]);
    expect(problems({ op: 'addNoise', eta: 0.1, gamma: 0.5, seed: 0.5 })).toEqual([['$.seed', 'an integer in [0, 2^53)', '0.5']]);
  });

  it('inside nested combinators, the path goes through them', () => {
    expect(problems({ op: 'injectHyperparams', transform: { op: 'adamw', learningRate: 0.1, b2: 3 } })).toEqual([['$.transform.b2', 'a number in [0, 1)', '3']]);
    expect(problems({ op: 'chain', transforms: [{ op: 'chain', transforms: [{ op: 'identity' }, { op: 'injectHyperparams', transform: { op: 'sgd', learningRate: 0.1, momentum: 2 } }] }] })).toEqual([
      ['$.transforms[0].transforms[1].transform.momentum', 'a number in [0, 1] or a schedule', '2'],
    ]);
  });

  it('masks: the path inside the mask tree', () => {
    expect(problems({ op: 'adamw', learningRate: 0.1, mask: { dense: { w: true, b: 'no' }, out: [true, 1] } })).toEqual([
      ['$.mask.dense.b', 'a mask (a boolean, or an array or record of masks)', '"no"'],
      ['$.mask.out[1]', 'a mask (a boolean, or an array or record of masks)', '1'],
    ]);
  });

  it('schedules: unknown names, their shape, and their options at options.<name>', () => {
    const lr = (learningRate: unknown): unknown => ({ op: 'sgd', learningRate });
    const [name] = problems(lr({ schedule: 'cosine', options: {} }));
    expect(name?.[0]).toBe('$.learningRate.schedule');
    expect(name?.[1]).toMatch(/^one of the schedules constantSchedule, .*warmupCosineDecay.*adagradLrDecay$/);
    expect(problems(lr({ schedule: 'constantSchedule' }))).toEqual([['$.learningRate.options', 'an options object for constantSchedule', MISSING]]);
    expect(problems(lr({ schedule: 'constantSchedule', options: { value: 1, extra: 2 } }))).toEqual([
      ['$.learningRate.options.extra', 'one of the keys value', 'the unknown key "extra"'],
    ]);
    expect(problems(lr({ schedule: 'warmupCosineDecay', options: { initValue: 0, peakValue: 1, warmupSteps: 10, decaySteps: 5 } }))[0]?.[0]).toBe(
      '$.learningRate.options.decaySteps',
    );
    expect(
      problems(
        lr({
          schedule: 'joinSchedules',
          options: { schedules: [{ schedule: 'constantSchedule', options: { value: 1 } }, { schedule: 'adagradLrDecay', options: { learningRate: -1, lrDecay: 0 } }], boundaries: [3] },
        }),
      ),
    ).toEqual([['$.learningRate.options.schedules[1].options.learningRate', 'a finite number >= 0', '-1']]);
    expect(problems(lr({ schedule: 'joinSchedules', options: { boundaries: [] } }))).toEqual([
      ['$.learningRate.options.schedules', 'an array of schedule specs', MISSING],
    ]);
  });

  it('the root must be a transformation spec', () => {
    for (const [v, actual] of [
      [null, 'null'],
      [42, '42'],
      ['adam', '"adam"'],
      [[], 'an array of length 0'],
      [undefined, 'nothing (the key is missing)'],
    ] as const) {
      expect(problems(v)).toEqual([['$', TRANSFORM, v === undefined ? 'undefined' : actual]]);
    }
  });
});

describe('several problems are all reported', () => {
  it('every shape problem of the whole spec, in document order', () => {
    const paths = problems({
      op: 'chain',
      transforms: [{ op: 'adam' }, { op: 'clip', maxDelta: 'x' }, { op: 'nope' }, { op: 'rmsprop', learningRate: 1, lrPlacement: 'x', extra: 1 }],
    }).map(([p]) => p);
    expect(paths).toEqual(['$.transforms[0].learningRate', '$.transforms[1].maxDelta', '$.transforms[2].op', '$.transforms[3].extra', '$.transforms[3].lrPlacement']);
  });

  it('every range problem, one per op (each constructor stops at its first)', () => {
    const paths = problems({
      op: 'chain',
      transforms: [{ op: 'adam', learningRate: -1 }, { op: 'clip', maxDelta: -1 }, { op: 'identity' }, { op: 'scaleByRadam', threshold: 3 }, { op: 'sgd', learningRate: { schedule: 'constantSchedule', options: { value: Number.NaN } } }],
    }).map(([p]) => p);
    expect(paths).toEqual(['$.transforms[0].learningRate', '$.transforms[1].maxDelta', '$.transforms[3].threshold', '$.transforms[4].learningRate.options.value']);
  });

  it('nothing is built while the shape is wrong: range problems wait for the shape to be right', () => {
    expect(problems({ op: 'chain', transforms: [{ op: 'clip', maxDelta: -1 }, { op: 'clip', maxDelta: 'x' }] })).toEqual([['$.transforms[1].maxDelta', 'a number', '"x"']]);
  });

  it('parseSpec throws one InvalidSpecError listing every problem, one per line', () => {
    let thrown: unknown;
    try {
      parseSpec({ op: 'chain', transforms: [{ op: 'adam' }, { op: 'nope' }, 3] });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(InvalidSpecError);
    expect(thrown).toBeInstanceOf(SpecError);
    const error = thrown as InvalidSpecError;
    expect(error.errors).toHaveLength(3);
    expect(error.path).toBe('$.transforms[0].learningRate');
    expect(error.message.split('\n')).toEqual([
      'invalid spec (3 problems):',
      `  at $.transforms[0].learningRate: expected ${HYPER}, got ${MISSING}`,
      `  at $.transforms[1].op: expected ${OPS}, got "nope"`,
      `  at $.transforms[2]: expected ${TRANSFORM}, got 3`,
    ]);
  });
});

describe('hostile input yields SpecErrors, never an exception', () => {
  it('deep nesting stops at the depth limit, at the path of the first value too deep', () => {
    let deep: unknown = { op: 'identity' };
    for (let i = 0; i < 20_000; i++) deep = { op: 'chain', transforms: [deep] };
    const [[path, expected]] = problems(deep) as [[string, string, string]];
    expect(path).toBe(`$${'.transforms[0]'.repeat(MAX_DEPTH / 2)}`);
    expect(expected).toBe(`at most ${String(MAX_DEPTH)} levels of nesting`);
    let mask: unknown = true;
    for (let i = 0; i < 20_000; i++) mask = [mask];
    expect(problems({ op: 'addDecayedWeights', mask })[0]?.[0]).toBe(`$.mask${'[0]'.repeat(MAX_DEPTH - 1)}`);
    // just under the limit is fine
    let ok: unknown = { op: 'identity' };
    for (let i = 0; i < MAX_DEPTH / 2 - 1; i++) ok = { op: 'chain', transforms: [ok] };
    expect(E.isRight(decodeSpec(ok))).toBe(true);
  });

  it('a cycle is nesting without end', () => {
    const cyclic: Record<string, unknown> = { op: 'chain' };
    cyclic.transforms = [cyclic];
    expect(problems(cyclic)[0]?.[1]).toBe(`at most ${String(MAX_DEPTH)} levels of nesting`);
  });

  it('__proto__, constructor and toString are no ops and no options', () => {
    expect(problems(JSON.parse('{"op":"__proto__"}'))).toEqual([['$.op', OPS, '"__proto__"']]);
    expect(problems({ op: 'toString' })).toEqual([['$.op', OPS, '"toString"']]);
    expect(problems({ op: 'constructor' })).toEqual([['$.op', OPS, '"constructor"']]);
    expect(problems(JSON.parse('{"op":"adam","learningRate":0.1,"__proto__":{"b1":0.5}}'))).toEqual([
      ['$.__proto__', 'one of the keys op, learningRate, b1, b2, eps, epsRoot, nesterov', 'the unknown key "__proto__"'],
    ]);
    expect(problems(JSON.parse('{"op":"sgd","learningRate":{"schedule":"__proto__","options":{}}}'))[0]?.[0]).toBe('$.learningRate.schedule');
    // a mask may have any key: the mask handed on is the one given, prototype untouched
    const spec = JSON.parse('{"op":"addDecayedWeights","weightDecay":0.1,"mask":{"__proto__":true,"w":false}}') as unknown;
    const decoded = decodeSpec(spec);
    expect(E.isRight(decoded) && Object.keys(toSpec(decoded.right).mask as object)).toEqual(['__proto__', 'w']);
    expect(({} as Record<string, unknown>).w).toBeUndefined();
  });

  it('huge arrays: every problem is kept, the message lists the first ones', () => {
    const n = 20_000;
    const result = decodeSpec({ op: 'chain', transforms: Array.from({ length: n }, () => 'x') });
    expect(E.isLeft(result) && result.left.length).toBe(n);
    let thrown: unknown;
    try {
      parseSpec({ op: 'chain', transforms: Array.from({ length: n }, () => 'x') });
    } catch (e) {
      thrown = e;
    }
    const lines = (thrown as Error).message.split('\n');
    expect(lines).toHaveLength(MAX_LISTED + 2);
    expect(lines.at(-1)).toBe(`  ... and ${String(n - MAX_LISTED)} more`);
    expect(E.isRight(decodeSpec({ op: 'chain', transforms: Array.from({ length: n }, () => ({ op: 'identity' })) }))).toBe(true);
    expect(E.isRight(decodeSpec({ op: 'addDecayedWeights', mask: Array.from({ length: 200_000 }, (_, i) => i % 2 === 0) }))).toBe(true);
  });

  it('strings where numbers go, and numbers JSON cannot hold', () => {
    expect(problems({ op: 'adam', learningRate: '0.1', b1: '0.9', b2: '1e3', eps: 'NaN' }).map(([p]) => p)).toEqual(['$.learningRate', '$.b1', '$.b2', '$.eps']);
    expect(problems({ op: 'adam', learningRate: Number.NaN })).toEqual([['$.learningRate', 'a finite number >= 0 or a schedule', 'NaN']]);
    expect(problems({ op: 'clip', maxDelta: Infinity })).toEqual([['$.maxDelta', 'a finite number >= 0', 'Infinity']]);
  });

  it('values that are not JSON at all', () => {
    expect(problems({ op: 'adam', learningRate: () => 0.1 })).toEqual([['$.learningRate', HYPER, 'a function']]);
    expect(problems(new Float32Array(3))).toEqual([['$', TRANSFORM, 'Float32Array(3)']]);
    expect(problems({ op: 'adamw', learningRate: 0.1, mask: new Map() })).toEqual([['$.mask', 'a mask (a boolean, or an array or record of masks)', 'an object']]);
    const throwing = new Proxy({}, { ownKeys: () => { throw new Error('boom'); } });
    expect(problems(throwing)).toEqual([['$', 'plain JSON data', 'an error (Error: boom)']]);
    const getter = { op: 'adam', get learningRate(): number { throw new Error('boom'); } };
    expect(problems(getter)).toEqual([['$', 'plain JSON data', 'an error (Error: boom)']]);
  });

  it('a constructor that fails on options it does not check is reported, not thrown', () => {
    const result = problems({ op: 'sgd', learningRate: { schedule: 'joinSchedules', options: { schedules: [{ schedule: 'constantSchedule', options: { value: 1 } }], boundaries: 'x' } } });
    expect(result).toHaveLength(1);
    expect(result[0]?.[0]).toBe('$.learningRate.options.boundaries');
  });
});

describe('decodeSchedule', () => {
  it('builds every schedule kind, combinators with children of any kind (adagradLrDecay too)', () => {
    const spec = {
      schedule: 'sequentialLR',
      options: {
        schedules: [
          { schedule: 'adagradLrDecay', options: { learningRate: 0.1, lrDecay: 0.01 } },
          { schedule: 'joinSchedules', options: { schedules: [{ schedule: 'constantSchedule', options: { value: 0.5 } }, { schedule: 'adagradLrDecay', options: { learningRate: 1, lrDecay: 1 } }], boundaries: [2] } },
        ],
        milestones: [3],
      },
    };
    const decoded = decodeSchedule(spec);
    if (E.isLeft(decoded)) throw new Error(decoded.left.map((e) => e.message).join('\n'));
    const s = decoded.right;
    expect(s.spec).toStrictEqual(spec);
    expect([0, 1, 2, 3, 4, 5, 6].map((c) => s(c))).toEqual([0.1, 0.1 / 1.01, 0.1 / 1.02, 0.5, 0.5, 1, 1 / 2]);
  });

  it('reports at the schedule spec’s own paths', () => {
    const decoded = decodeSchedule({ schedule: 'adagradLrDecay', options: { learningRate: 1, lrDecay: -1 } });
    expect(E.isLeft(decoded) && decoded.left.map((e) => [e.path, e.expected, e.actual])).toEqual([['$.options.lrDecay', 'a finite number >= 0', '-1']]);
    const unknown = decodeSchedule({ schedule: 'nope', options: {} });
    expect(E.isLeft(unknown) && unknown.left.map((e) => e.path)).toEqual(['$.schedule']);
  });
});
