/**
 * Type-level tests (checked by `tsc --noEmit` in CI; the runtime parts run in vitest): params
 * declared as interfaces or type aliases are accepted, non-trees are rejected, and `update`
 * returns the caller's own tree type.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { adamw } from '../../src/optimizers/adam.js';
import { applyUpdates } from '../../src/update.js';
import { scaleByAdam } from '../../src/transforms/adam.js';
import { InvalidTreeError } from '../../src/errors.js';

interface MlpParams {
  readonly dense1: { readonly w: Float32Array; readonly b: Float32Array };
  readonly layers: readonly { readonly gamma: { readonly shape: readonly number[]; readonly data: Float64Array } }[];
}

describe('tree types', () => {
  it('accepts an interface and returns the same type', () => {
    const params: MlpParams = {
      dense1: { w: new Float32Array(2), b: new Float32Array(1) },
      layers: [{ gamma: { shape: [1], data: new Float64Array(1) } }],
    };
    const opt = adamw({ learningRate: 0.1 });
    const [updates] = opt.update(params, opt.init(params), params);
    expectTypeOf(updates).toEqualTypeOf<MlpParams>();
    expectTypeOf(applyUpdates(params, updates)).toEqualTypeOf<MlpParams>();
    expect(updates.layers[0]?.gamma.shape).toEqual([1]);
  });

  it('rejects non-tree values at compile time and at run time', () => {
    const tx = scaleByAdam();
    // @ts-expect-error numbers are not leaves
    expect(() => tx.init({ a: 1 })).toThrow(InvalidTreeError);
    // @ts-expect-error plain arrays of numbers are not leaves
    expect(() => tx.init({ a: [1, 2] })).toThrow(/at a\[0\]/);
  });
});
