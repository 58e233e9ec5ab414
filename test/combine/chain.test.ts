import { describe, expect, it } from 'vitest';
import { expectTypeOf } from 'vitest';
import { StateMismatchError } from '../../src/errors.js';
import { chain } from '../../src/combine/chain.js';
import type { GradientTransformation } from '../../src/base.js';
import { scaleByAdam, type ScaleByAdamState } from '../../src/transforms/adam.js';
import { scale } from '../../src/transforms/scale.js';
import type { KernelState } from '../../src/kernel/define.js';
import { trace } from '../../src/transforms/momentum.js';

describe('chain', () => {
  it('applies members in order, with a tuple of their states', () => {
    const tx = chain(scale(2), trace({ decay: 0.5 }), scale(-1));
    const params = { w: new Float64Array([0, 0]) };
    let state = tx.init(params);
    expect(state).toHaveLength(3);
    const [u1, s1] = tx.update({ w: new Float64Array([1, 2]) }, state);
    expect(u1.w).toEqual(new Float64Array([-2, -4]));
    state = s1;
    const [u2] = tx.update({ w: new Float64Array([1, 2]) }, state);
    expect(u2.w).toEqual(new Float64Array([-3, -6]));
  });

  it('an empty chain is the identity', () => {
    const tx = chain();
    const [u] = tx.update({ w: new Float64Array([1]) }, tx.init({ w: new Float64Array(1) }));
    expect(u.w).toEqual(new Float64Array([1]));
  });

  it('nested chains flatten into one list of stages', () => {
    const tx = chain(chain(scale(2), scaleByAdam()), scale(3));
    expect(tx.fusable?.stages.map((s) => s.name)).toEqual(['scale', 'scaleByAdam', 'scale']);
    const state = tx.init({ w: new Float32Array(2) });
    const stageStates = tx.fusable?.toStageStates(state) ?? [];
    expect(stageStates).toHaveLength(3);
    expect(tx.fusable?.fromStageStates(stageStates)).toEqual(state);
  });

  it('rejects a state of the wrong length', () => {
    const tx = chain(scale(2), scale(3));
    expect(() => tx.update({ w: new Float64Array(1) }, [{ count: 0 }] as never)).toThrow(StateMismatchError);
    expect(() => tx.update({ w: new Float64Array(1) }, [{ count: 0 }] as never)).toThrow(/chain: state must be an array of 2 member states/);
  });

  it('types: update returns the caller tree type, state is a tuple of member states', () => {
    const tx = chain(scaleByAdam(), scale(1));
    expectTypeOf(tx).toMatchTypeOf<GradientTransformation<readonly [ScaleByAdamState, KernelState]>>();
    expectTypeOf(tx.init({ w: new Float32Array(1) })).toEqualTypeOf<readonly [ScaleByAdamState, KernelState]>();
    const params = { w: new Float32Array(1), nested: { b: new Float64Array(1) } };
    const [u] = tx.update(params, tx.init(params));
    expectTypeOf(u).toEqualTypeOf<typeof params>();
  });
});
