import { describe, expect, it } from 'vitest';
import { chain } from '../../src/combine/chain.js';
import { freeze, selectiveTransform } from '../../src/combine/freeze.js';
import { maskByPath } from '../../src/combine/masked.js';
import { HyperparameterError } from '../../src/errors.js';
import { adam, adamw } from '../../src/optimizers/adam.js';
import { sgd } from '../../src/optimizers/sgd.js';
import { toSpec } from '../../src/spec/spec.js';
import { applyIfFinite } from '../../src/combine/applyIfFinite.js';
import { scale } from '../../src/transforms/scale.js';
import type { Tree } from '../../src/tree/tree.js';
import { applyUpdates } from '../../src/update.js';
import { allValues, sameBits } from '../helpers/arbitraries.js';
import { gradsLike } from '../compile/trees.js';
import { compiledDifference } from './compileCheck.js';
import fc from 'fast-check';
import type { GradientTransformation } from '../../src/base.js';
import { assertCompiledMatches, registryInner } from './compileCheck.js';
import { seededMask } from '../compile/registry.js';

const f64 = (...xs: number[]): Float64Array => Float64Array.from(xs);
const f32 = (...xs: number[]): Float32Array => Float32Array.from(xs);

/**
 * Three steps of `tx` on { encoder, head } (encoder frozen) beside `ref` on the head alone, on
 * the same gradients (seeds from `seed`): the final params, state and reference head.
 */
function trainBesideHeadOnly<S>(tx: GradientTransformation<S>, ref: GradientTransformation<unknown>, seed: number) {
  let params = { encoder: { w: f32(1, 2), b: f32(3) }, head: f32(4, 5) };
  let state = tx.init(params);
  let head = { h: params.head };
  let refState = ref.init(head);
  for (let k = 0; k < 3; k++) {
    const g = gradsLike(params, seed + k, false);
    const [u, s] = tx.update(g, state, params);
    params = applyUpdates(params, u);
    state = s;
    const [ru, rs] = ref.update({ h: g.head }, refState, head);
    head = applyUpdates(head, ru);
    refState = rs;
  }
  return { params, state, head };
}

describe('freeze', () => {
  it('zeroes the updates where the mask is true and passes the others unchanged (optax\'s example)', () => {
    const params = { a: f64(0), b: f64(0, 0) };
    const tx = freeze({ a: true, b: false });
    const [u] = tx.update({ a: f64(5), b: f64(-1, 2) }, tx.init(params));
    expect(Array.from(u.a)).toEqual([0]);
    expect(Array.from(u.b)).toEqual([-1, 2]);
  });

  it('frozen params never move, in a chain before adam; the others follow adam exactly', () => {
    const { params, head } = trainBesideHeadOnly(chain(freeze({ encoder: true, head: false }), adam({ learningRate: 0.1 })), adam({ learningRate: 0.1 }), 5);
    expect(allValues(params.encoder)).toEqual([3, 1, 2]);
    expect(sameBits({ h: params.head }, head)).toBe(true);
  });

  it('takes a boolean for the whole tree, and maskByPath', () => {
    const params = { w: f64(1), b: f64(2) };
    const all = freeze(true);
    expect(allValues(all.update(params, all.init(params))[0])).toEqual([0, 0]);
    const biases = freeze(maskByPath((path) => path === 'b'));
    expect(allValues(biases.update(params, biases.init(params))[0])).toEqual([0, 1]);
  });

  it('carries a spec { op: freeze, mask } and rejects a bad mask', () => {
    expect(toSpec(freeze({ a: true, b: false }))).toEqual({ op: 'freeze', mask: { a: true, b: false } });
    expect(() => freeze(1 as never)).toThrow(HyperparameterError);
  });

  it('compiles bit for bit', () => {
    const params = { encoder: { w: f32(1, 2), b: f32(3) }, head: f64(4, 5) };
    const grads = Array.from({ length: 3 }, (_, i) => gradsLike(params, 21 + i, false));
    expect(compiledDifference(chain(freeze({ encoder: true, head: false }), adam({ learningRate: 0.1 })), params, grads)).toBeUndefined();
  });
});

describe('selectiveTransform', () => {
  it('runs the optimizer on the unfrozen leaves only: as if the frozen ones were not there', () => {
    const tx = selectiveTransform(adamw({ learningRate: 0.1, weightDecay: 0.1 }), { freezeMask: { encoder: true, head: false } });
    const { params, head, state } = trainBesideHeadOnly(tx, adamw({ learningRate: 0.1, weightDecay: 0.1 }), 9);
    expect(allValues(params.encoder)).toEqual([3, 1, 2]);
    expect(sameBits({ h: params.head }, head)).toBe(true);
    expect(Object.keys(state.innerStates)).toEqual(['train', 'freeze']);
  });

  it('takes a mask function; its optimizer never sees the frozen leaves (a NaN there does not trip applyIfFinite)', () => {
    const params = { w: f64(1, 2), frozen: f64(0) };
    const tx = selectiveTransform(applyIfFinite(sgd({ learningRate: 1 }), { maxConsecutiveErrors: 0 }), { freezeMask: () => ({ w: false, frozen: true }) });
    const [u, s] = tx.update({ w: f64(0.5, 0.25), frozen: f64(NaN) }, tx.init(params), params);
    expect(allValues(u)).toEqual([0, -0.5, -0.25]);
    expect(s.innerStates.train.inner.lastFinite).toBe(true);
  });

  it('carries a spec and validates its options', () => {
    expect(toSpec(selectiveTransform(scale(2), { freezeMask: { a: true } }))).toEqual({ op: 'selectiveTransform', transform: toSpec(scale(2)), freezeMask: { a: true } });
    expect(() => selectiveTransform(scale(2), { freezeMask: true, mask: true } as never)).toThrow(/mask/);
    expect(() => selectiveTransform(scale(2), { freezeMask: 'x' as never })).toThrow(HyperparameterError);
  });

  it('compiles bit for bit', () => {
    const params = { encoder: { w: f32(1, 2), b: f64(3) }, head: f32(4, 5) } as unknown as Tree;
    const grads = Array.from({ length: 3 }, (_, i) => gradsLike(params, 31 + i, false));
    expect(compiledDifference(selectiveTransform(adamw({ learningRate: 0.1, weightDecay: 0.1 }), { freezeMask: { encoder: { w: true, b: false }, head: false } }), params, grads)).toBeUndefined();
  });
});

describe('freeze, selectiveTransform: compiled == reference over random trees', () => {
  it('freeze(random mask) and selectiveTransform(registry row, random mask) × random trees × steps', () => {
    const arb = fc.oneof(
      fc.integer({ min: 0, max: 0x7fffffff }).map((s) => ({ tx: freeze(seededMask(s)) as GradientTransformation<unknown>, spec: { freeze: s } })),
      fc.record({ inner: registryInner, s: fc.integer({ min: 0, max: 0x7fffffff }) }).map(({ inner, s }) => ({ tx: selectiveTransform(inner.tx, { freezeMask: seededMask(s) }) as GradientTransformation<unknown>, spec: { selectiveTransform: [inner.spec, s] } })),
    );
    assertCompiledMatches(arb, 7311, 60);
  });
});
