/**
 * The extra arguments of `update` (`{ value }`, optax's `**extra_args`): every combinator hands
 * them to its members unchanged, transformations that do not read them ignore them, and one
 * that reads `value` without getting it throws an `ExtraArgError` naming it.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { type GradientTransformation, type UpdateExtras, requireValue } from '../../src/base.js';
import { ExtraArgError } from '../../src/errors.js';
import { applyIfFinite } from '../../src/combine/applyIfFinite.js';
import { chain } from '../../src/combine/chain.js';
import { selectiveTransform } from '../../src/combine/freeze.js';
import { injectHyperparams } from '../../src/combine/injectHyperparams.js';
import { lookahead } from '../../src/combine/lookahead.js';
import { masked } from '../../src/combine/masked.js';
import { multiSteps } from '../../src/combine/multiSteps.js';
import { multiTransform } from '../../src/combine/multiTransform.js';
import { adam } from '../../src/optimizers/adam.js';
import { polyakSgd } from '../../src/optimizers/polyakSgd.js';
import { sgd } from '../../src/optimizers/sgd.js';
import { reduceOnPlateau } from '../../src/transforms/plateau.js';
import { scaleByPolyak } from '../../src/transforms/polyak.js';
import { scale } from '../../src/transforms/scale.js';
import type { Tree } from '../../src/tree/tree.js';
import { allValues } from '../helpers/arbitraries.js';

const f64 = (...xs: number[]): Float64Array => Float64Array.from(xs);

/** A non-fusable transformation that records the extra arguments it was given and passes updates through (copied). */
function spy(): GradientTransformation<{ readonly calls: number }> & { readonly seen: (UpdateExtras | undefined)[] } {
  const seen: (UpdateExtras | undefined)[] = [];
  return {
    seen,
    init: () => ({ calls: 0 }),
    update: (updates, state, _params, extra) => {
      seen.push(extra);
      return [structuredClone(updates), { calls: state.calls + 1 }];
    },
  };
}

type Params = { readonly a: Float64Array; readonly b: Float64Array };
const params: Params = { a: f64(1, 2), b: f64(3) };
const grads: Params = { a: f64(0.5, -1), b: f64(2) };
const extra: UpdateExtras = { value: 1.25 };

describe('extra arguments of update', () => {
  const wrappers: readonly (readonly [string, (inner: GradientTransformation<unknown>) => GradientTransformation<unknown>, number])[] = [
    ['chain', (inner) => chain(scale(2), inner, sgd({ learningRate: 0.1 })), 1],
    ['nested chain', (inner) => chain(chain(inner), scale(1)), 1],
    ['applyIfFinite', (inner) => applyIfFinite(inner, { maxConsecutiveErrors: 2 }), 1],
    ['masked (non-fusable inner)', (inner) => masked(inner, { a: true, b: false }), 1],
    ['multiTransform', (inner) => multiTransform({ transforms: { x: inner, y: adam({ learningRate: 0.1 }) }, paramLabels: { a: 'x', b: 'y' } }), 1],
    ['selectiveTransform', (inner) => selectiveTransform(inner, { freezeMask: { a: false, b: true } }), 1],
    ['multiSteps (every call emits)', (inner) => multiSteps(inner, { everyK: 1 }), 1],
    ['lookahead', (inner) => lookahead(inner, { syncPeriod: 2, slowStepSize: 0.5 }), 1],
  ];

  it.each(wrappers)('%s hands { value } to its member unchanged', (_, wrap, calls) => {
    const inner = spy();
    const tx = wrap(inner);
    const [u] = tx.update(grads, tx.init(params), params, extra);
    expect(inner.seen).toHaveLength(calls);
    expect(inner.seen[0]).toBe(extra);
    expect(allValues(u as Tree).every(Number.isFinite)).toBe(true);
  });

  it.each(wrappers)('%s hands nothing when given nothing', (_, wrap) => {
    const inner = spy();
    const tx = wrap(inner);
    tx.update(grads, tx.init(params), params);
    expect(inner.seen).toEqual([undefined]);
  });

  it('injectHyperparams hands { value } to the rebuilt optimizer', () => {
    const inner = spy();
    const tx = injectHyperparams((o: { readonly k: number }) => chain(scale(o.k), inner))({ k: 2 });
    tx.update(grads, tx.init(params), params, extra);
    expect(inner.seen).toEqual([extra]);
  });

  it('multiSteps hands the k-th call\'s extra arguments to the inner optimizer, and none on the other calls', () => {
    const inner = spy();
    const tx = multiSteps(inner, { everyK: 3 });
    let state = tx.init(params);
    for (const value of [1, 2, 3, 4, 5, 6]) [, state] = tx.update(grads, state, params, { value });
    expect(inner.seen).toEqual([{ value: 3 }, { value: 6 }]);
  });

  it('transformations that do not read extra arguments ignore them: same numbers with and without', () => {
    const tx = chain(adam({ learningRate: 0.1 }), masked(sgd({ learningRate: 0.5, momentum: 0.9 }), { a: true, b: false }));
    const s0 = tx.init(params);
    const [u1, s1] = tx.update(grads, s0, params);
    const [u2, s2] = tx.update(grads, s0, params, extra);
    expect(allValues(u2)).toEqual(allValues(u1));
    expect(JSON.stringify(s2, (_k, v: unknown) => (ArrayBuffer.isView(v) ? Array.from(v as Float64Array) : v))).toBe(
      JSON.stringify(s1, (_k, v: unknown) => (ArrayBuffer.isView(v) ? Array.from(v as Float64Array) : v)),
    );
  });

  it('a transformation that reads value, inside any combinator, throws ExtraArgError naming it when it is missing', () => {
    const readers: readonly GradientTransformation<unknown>[] = [
      reduceOnPlateau(),
      scaleByPolyak(),
      polyakSgd(),
      chain(adam({ learningRate: 0.1 }), reduceOnPlateau()),
      applyIfFinite(chain(sgd({ learningRate: 1 }), scaleByPolyak()), { maxConsecutiveErrors: 1 }),
      masked(polyakSgd(), { a: true, b: false }),
      lookahead(polyakSgd(), { syncPeriod: 2, slowStepSize: 0.5 }),
    ];
    for (const tx of readers) {
      const state = tx.init(params);
      let error: unknown;
      try {
        tx.update(grads, state, params);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ExtraArgError);
      const e = error as ExtraArgError;
      expect(e._tag).toBe('ExtraArgError');
      expect(e.parameter).toBe('value');
      expect(['reduceOnPlateau', 'scaleByPolyak']).toContain(e.owner);
      expect(e.message).toMatch(/update needs extra\.value, the loss at params \(a number\) .*got undefined/);
      // with the value, the same call succeeds
      expect(() => tx.update(grads, state, params, { value: 2 })).not.toThrow();
    }
  });

  it('requireValue rejects what is not a number, and accepts NaN and infinities (a diverged loss)', () => {
    expect(() => requireValue('x', {})).toThrow(ExtraArgError);
    expect(() => requireValue('x', { value: '1' as unknown as number })).toThrow(/got "1"/);
    expect(() => requireValue('x', undefined)).toThrow(/x: update needs extra\.value/);
    expect(requireValue('x', { value: NaN })).toBeNaN();
    expect(requireValue('x', { value: -Infinity })).toBe(-Infinity);
  });

  it('keeps the caller\'s tree type through update with extras', () => {
    const tx = chain(adam({ learningRate: 0.1 }), reduceOnPlateau());
    const [u, s] = tx.update(grads, tx.init(params), params, { value: 1 });
    expectTypeOf(u).toEqualTypeOf<Params>();
    expectTypeOf(s[1].scale).toEqualTypeOf<number>();
    expectTypeOf(tx.update).parameter(3).toEqualTypeOf<UpdateExtras | undefined>();
  });
});
