/**
 * Every schedule constructor validates eagerly: each bad option throws a HyperparameterError
 * naming the constructor, the option and the value; unknown options and non-object options are
 * rejected too.
 */
import { describe, expect, it } from 'vitest';
import { HyperparameterError } from '../../src/errors.js';
import type { Schedule } from '../../src/schedules/schedule.js';
import { REGISTRY } from './registry.js';

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe.each(REGISTRY)('$name', ({ name, ctor, valid, bad }) => {
  const build = (options: unknown): Schedule => (ctor as (o: unknown) => Schedule)(options);

  it('accepts its valid options', () => {
    expect(() => build(valid)).not.toThrow();
  });

  it.each(bad.map(([option, value, parameter]) => [option, String(value), value, parameter ?? option] as const))(
    'rejects %s = %s',
    (option, _, value, parameter) => {
      const e = thrown(() => build({ ...valid, [option]: value }));
      expect(e).toBeInstanceOf(HyperparameterError);
      if (!(e instanceof HyperparameterError)) return;
      expect(e.owner).toBe(name);
      expect(e.parameter).toBe(parameter);
      expect(e.message).toContain(`${name}: ${parameter} must be`);
    },
  );

  it('rejects an unknown option, naming it', () => {
    const e = thrown(() => build({ ...valid, learningRate: 1 }));
    expect(e).toBeInstanceOf(HyperparameterError);
    expect(e).toMatchObject({ owner: name, parameter: 'learningRate' });
  });

  it('rejects options that are not an object', () => {
    for (const options of [undefined, null, 3, [valid]]) {
      expect(thrown(() => build(options))).toMatchObject({ owner: name, parameter: 'options' });
    }
  });
});
