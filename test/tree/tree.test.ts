import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { InvalidTreeError, TreeMismatchError } from '../../src/errors.js';
import { tensor } from '../../src/tree/leaf.js';
import { resolveMask } from '../../src/tree/mask.js';
import { assertSameStructure, flatten, mapTree, unflatten, zerosLike, zipTrees } from '../../src/tree/tree.js';
import { build, seededFill, skeleton } from '../helpers/arbitraries.js';

describe('flatten / unflatten', () => {
  it('visits records by sorted key, depth first, arrays by index', () => {
    const tree = { dense2: { w: new Float64Array(1), b: new Float64Array(2) }, dense1: [new Float32Array(3), tensor(new Float32Array(4), [2, 2])], scale: tensor(new Float64Array(1), []) };
    const { leaves } = flatten(tree);
    expect(leaves.map((l) => l.path)).toEqual(['dense1[0]', 'dense1[1]', 'dense2.b', 'dense2.w', 'scale']);
    expect(leaves.map((l) => l.shape)).toEqual([[3], [2, 2], [2], [1], []]);
    expect(leaves.map((l) => l.dtype)).toEqual(['float32', 'float32', 'float64', 'float64', 'float64']);
  });

  it('quotes keys that are not identifiers in paths', () => {
    const { leaves } = flatten({ 'odd key': { w: new Float32Array(1) } });
    expect(leaves[0]?.path).toBe('["odd key"].w');
  });

  it('round-trips any tree, keeping leaf forms and the very same arrays', () => {
    fc.assert(
      fc.property(skeleton(), fc.constantFrom('float32' as const, 'float64' as const), (s, dtype) => {
        const tree = build(s, dtype, seededFill(1));
        const { leaves, def } = flatten(tree);
        const back = unflatten(def, leaves.map((l) => l.data));
        expect(back).toEqual(tree);
        expect(flatten(back).leaves.every((l, i) => l.data === leaves[i]?.data)).toBe(true);
      }),
      { seed: 42, numRuns: 200 },
    );
  });

  it('rejects values that are not trees, naming the path', () => {
    expect(() => flatten({ a: { b: [1, 2, 3] as unknown as Float32Array } })).toThrow(InvalidTreeError);
    expect(() => flatten({ a: { b: [1, 2, 3] as unknown as Float32Array } })).toThrow(/a\.b\[0\]/);
    expect(() => flatten({ w: { shape: [2, 2], data: new Float32Array(3) } })).toThrow(/at w: expected data of length 4 for shape \[2, 2\]/);
    expect(() => flatten({ w: new Int32Array(2) as unknown as Float32Array })).toThrow(InvalidTreeError);
  });
});

describe('structure checks', () => {
  const a = { dense: { w: new Float32Array(4), b: new Float32Array(2) } };
  const check = (b: unknown) => () => { assertSameStructure(flatten(a).def, flatten(b as typeof a).def, 'grads against params'); };
  it('names a missing key', () => {
    expect(check({ dense: { w: new Float32Array(4) } })).toThrow(/grads against params: at dense\.b: expected a float32 leaf of shape \[2\], got nothing \(missing key\)/);
  });
  it('names an extra key', () => {
    expect(check({ dense: { w: new Float32Array(4), b: new Float32Array(2), c: new Float32Array(1) } })).toThrow(/at dense\.c: expected no such key, got extra key "c"/);
  });
  it('names a shape, length or dtype mismatch', () => {
    expect(check({ dense: { w: new Float32Array(3), b: new Float32Array(2) } })).toThrow(/at dense\.w: expected shape \[4\], got shape \[3\]/);
    expect(check({ dense: { w: new Float64Array(4), b: new Float32Array(2) } })).toThrow(/at dense\.w: expected dtype float32, got dtype float64/);
    expect(check({ dense: [new Float32Array(4)] })).toThrow(TreeMismatchError);
  });
  it('zipTrees checks structure before calling f', () => {
    let called = false;
    expect(() => zipTrees(a, [{ dense: { w: new Float32Array(4) } } as never], (d) => { called = true; return d; })).toThrow(TreeMismatchError);
    expect(called).toBe(false);
  });
});

describe('map helpers', () => {
  it('mapTree keeps structure and types', () => {
    const t = { w: tensor(new Float32Array([1, 2]), [2]), b: new Float64Array([3]) };
    const doubled = mapTree(t, (d) => d.map((x) => 2 * x));
    expect(doubled.w).toEqual({ shape: [2], data: new Float32Array([2, 4]) });
    expect(doubled.b).toEqual(new Float64Array([6]));
    expect(zerosLike(t).b).toEqual(new Float64Array([0]));
  });
});

describe('masks', () => {
  const params = { dense: { w: new Float32Array(2), b: new Float32Array(1) }, ln: { gamma: new Float32Array(1) } };
  it('accepts a prefix tree and a function', () => {
    expect(resolveMask({ dense: { w: true, b: false }, ln: false }, params, 't')).toEqual([false, true, false]);
    expect(resolveMask(true, params, 't')).toEqual([true, true, true]);
    expect(resolveMask(() => ({ dense: true, ln: false }), params, 't')).toEqual([true, true, false]);
  });
  it('names the path of a bad mask', () => {
    expect(() => resolveMask({ dense: true }, params, 'addDecayedWeights')).toThrow(/addDecayedWeights: mask against params: at ln: expected a mask entry/);
    expect(() => resolveMask({ dense: true, ln: false, x: true }, params, 't')).toThrow(/at x/);
  });
});

describe('hostile keys', () => {
  it('a "__proto__" key from JSON stays an own key through flatten/unflatten and init', () => {
    const tree = JSON.parse('{"__proto__": {"w": [1]}, "b": [2]}') as Record<string, unknown>;
    const params = { ...Object.fromEntries(Object.keys(tree).map((k) => [k, k === 'b' ? new Float32Array(1) : { w: new Float32Array(1) }])) };
    const { leaves, def } = flatten(params as never);
    expect(leaves.map((l) => l.path)).toEqual(['__proto__.w', 'b']);
    const back = unflatten(def, leaves.map((l) => l.data)) as Record<string, unknown>;
    expect(Object.keys(back)).toEqual(['__proto__', 'b']);
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
  });
});
