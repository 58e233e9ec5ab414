/**
 * Every fusable transformation the compiler is tested on, one row each: a constructor and an
 * arbitrary of valid options. Adding a row covers a new transformation in every generic
 * compiler test (compiled vs reference over random chains, trees, dtypes and backends).
 *
 * Each built transformation carries `spec`, a JSON description printed when a property fails,
 * so a failure can be reproduced from its message.
 */
import fc from 'fast-check';
import type { GradientTransformation } from '../../src/base.js';
import { chain } from '../../src/combine/chain.js';
import { injectHyperparams } from '../../src/combine/injectHyperparams.js';
import { defineTransform } from '../../src/kernel/define.js';
import * as d from '../../src/kernel/dsl.js';
import { adadelta } from '../../src/optimizers/adadelta.js';
import { adagrad } from '../../src/optimizers/adagrad.js';
import { adam, adamax, adamw, amsgrad, nadam, nadamw, radam } from '../../src/optimizers/adam.js';
import { lion } from '../../src/optimizers/lion.js';
import { rmsprop } from '../../src/optimizers/rmsprop.js';
import { sgd } from '../../src/optimizers/sgd.js';
import { exponentialDecay } from '../../src/schedules/decay.js';
import type { Schedule } from '../../src/schedules/schedule.js';
import { warmupCosineDecay } from '../../src/schedules/warmup.js';
import { scaleByAdadelta } from '../../src/transforms/adadelta.js';
import { scaleByRss } from '../../src/transforms/adagrad.js';
import { scaleByAdam, scaleByAdamax, scaleByAmsgrad, scaleByNadam, scaleByRadam } from '../../src/transforms/adam.js';
import { clip, clipByGlobalNorm } from '../../src/transforms/clipping.js';
import { addDecayedWeights } from '../../src/transforms/decay.js';
import { identity, setToZero } from '../../src/transforms/identity.js';
import { scaleByLion } from '../../src/transforms/lion.js';
import { trace } from '../../src/transforms/momentum.js';
import { zeroNans } from '../../src/transforms/numerics.js';
import { scaleByRms, scaleByStddev } from '../../src/transforms/rms.js';
import { scale, scaleByLearningRate, scaleBySchedule } from '../../src/transforms/scale.js';
import { isLeaf } from '../../src/tree/leaf.js';
import type { MaskTree } from '../../src/tree/mask.js';
import type { Tree } from '../../src/tree/tree.js';

type AnyTx = GradientTransformation<unknown>;

/** A transformation with a JSON description of how it was built. */
export interface Built {
  readonly tx: AnyTx;
  readonly spec: unknown;
}

/** A registry row: a name and an arbitrary that builds the transformation. */
export interface Row {
  readonly name: string;
  readonly arb: fc.Arbitrary<Built>;
  /** Has a global or per-leaf reduction (splits the loop). */
  readonly splits?: boolean;
}

// ---------------------------------------------------------------------------------------------
// option arbitraries
// ---------------------------------------------------------------------------------------------

const unit = (max = 0.999): fc.Arbitrary<number> => fc.double({ min: 0, max, noNaN: true });
const decayArb = fc.oneof(fc.constant(0.9), fc.constant(0.999), unit());
const epsArb = fc.oneof(fc.constant(1e-8), fc.constant(0), fc.double({ min: 0, max: 1e-2, noNaN: true }));
const lrNumber = fc.oneof(fc.constant(1e-3), fc.double({ min: 0, max: 1, noNaN: true }));

/** A schedule with its description. */
const scheduleArb: fc.Arbitrary<{ readonly value: Schedule; readonly spec: unknown }> = fc.oneof(
  fc.record({ peak: fc.double({ min: 1e-4, max: 1, noNaN: true }), warmup: fc.integer({ min: 0, max: 3 }) }).map(({ peak, warmup }) => {
    const o = { initValue: 0, peakValue: peak, warmupSteps: warmup, decaySteps: 10, endValue: peak / 10 };
    return { value: warmupCosineDecay(o), spec: { warmupCosineDecay: o } };
  }),
  fc.record({ init: fc.double({ min: 1e-4, max: 1, noNaN: true }), rate: fc.double({ min: 0.1, max: 1, noNaN: true }) }).map(({ init, rate }) => {
    const o = { initValue: init, transitionSteps: 1, decayRate: rate };
    return { value: exponentialDecay(o), spec: { exponentialDecay: o } };
  }),
  // A plain user function (no spec).
  fc.double({ min: 0, max: 1, noNaN: true }).map((base) => ({ value: (count: number) => base / (1 + count), spec: { userFunction: `${String(base)}/(1+count)` } })),
);

/** A learning rate: a number or a schedule; `spec` describes it. */
const lrArb: fc.Arbitrary<{ readonly value: number | Schedule; readonly spec: unknown }> = fc.oneof(
  lrNumber.map((v) => ({ value: v, spec: v })),
  scheduleArb,
);

/** Mask of a params tree picking leaves by a seed (a function, so it fits any tree). */
export function seededMask(seed: number): (params: Tree) => MaskTree {
  let i = 0;
  const walk = (node: Tree): MaskTree => {
    if (isLeaf(node)) return ((seed >>> (i++ % 31)) & 1) === 1;
    if (Array.isArray(node)) return (node as readonly Tree[]).map(walk);
    const out: Record<string, MaskTree> = {};
    const rec = node as { readonly [k: string]: Tree };
    for (const k of Object.keys(rec).sort()) Object.defineProperty(out, k, { value: walk(rec[k] as Tree), enumerable: true });
    return out;
  };
  return (params) => {
    i = 0;
    return walk(params);
  };
}
const maskArb = fc.option(fc.integer({ min: 0, max: 0x7fffffff }), { nil: undefined });

// ---------------------------------------------------------------------------------------------
// test-only stages: per-leaf reductions, a finiteness gate, every op
// ---------------------------------------------------------------------------------------------

/** A LARS-like trust ratio: per-leaf norms of p and g, a global max |g|, `leafScalars`. */
export function testTrustRatio(eps: number): AnyTx {
  return defineTransform<'acc'>({
    name: 'testTrustRatio',
    options: { eps },
    slots: { acc: 0 },
    reductions: [
      { name: 'pNorm', kind: 'sumSquares', of: d.p, scope: 'leaf' },
      { name: 'gNorm', kind: 'sumSquares', of: d.g, scope: 'leaf' },
      { name: 'gMax', kind: 'maxAbs', of: d.mul(d.g, 0.5), scope: 'global' },
    ],
    scalars: ({ reductions, count }) => ({ base: 1 / (1 + (reductions.gMax ?? 0)), eps, decay: count === 0 ? 0 : 0.5 }),
    leafScalars: ({ leafReductions, scalars, size }) => {
      const pn = Math.sqrt(leafReductions.pNorm ?? 0);
      const gn = Math.sqrt(leafReductions.gNorm ?? 0);
      return { ratio: (scalars.base ?? 1) * (pn > 0 && gn > 0 ? pn / (gn + eps) : 1) + size * 1e-6 };
    },
    body: (s) => {
      const acc = d.add(d.mul(d.scalar('decay'), s.acc), d.mul(d.g, d.scalar('ratio')));
      return { update: acc, next: { acc } };
    },
  });
}

/**
 * Passes updates only when every one is finite (an applyIfFinite-like gate), and scales them by
 * their masked global norm: a reduction over the active leaves only.
 */
export function testFiniteGate(maskSeed?: number): AnyTx {
  return defineTransform({
    name: 'testFiniteGate',
    options: { maskSeed },
    reductions: [
      { name: 'ok', kind: 'allFinite', of: d.add(d.g, d.p), scope: 'global' },
      { name: 'ss', kind: 'sumSquares', of: d.g, scope: 'global' },
    ],
    scalars: ({ reductions }) => ({ ok: reductions.ok ?? 0, inv: 1 / (1 + Math.sqrt(reductions.ss ?? 0)) }),
    body: () => ({ update: d.select(d.scalar('ok'), d.mul(d.g, d.scalar('inv')), 0), next: {} }),
    ...(maskSeed === undefined ? {} : { mask: seededMask(maskSeed) }),
  });
}

/** Every operation of the op table, with structural constants of every kind. */
export function testAllOps(k: number): AnyTx {
  return defineTransform<'m'>({
    name: 'testAllOps',
    options: { k },
    slots: { m: 0.5 },
    scalars: ({ count }) => ({ k, c: count + 1 }),
    body: (s) => {
      const g = d.g;
      const x = d.mul(g, d.scalar('k'));
      const shared = d.tanh(x);
      const a = d.add(d.sub(shared, d.neg(d.abs(g))), d.mul(d.sign(g), d.sqrt(d.abs(d.p))));
      const b = d.div(d.exp(d.min(x, 3)), d.add(d.log(d.add(d.abs(g), 1)), 1e-3));
      const c = d.select(d.lt(g, 0), d.max(a, b), d.min(a, -0));
      const cmp = d.add(d.add(d.le(g, d.p), d.gt(g, s.m)), d.add(d.ge(shared, 0), d.eq(g, 0)));
      const fin = d.add(d.isNaN(g), d.isFinite(d.div(1, g)));
      const pw = d.pow(d.abs(shared), d.scalar('c'));
      const u = d.add(d.add(c, d.mul(cmp, 1e-3)), d.add(d.mul(fin, 1e-4), pw));
      return { update: u, next: { m: d.add(d.mul(s.m, 0.5), d.mul(shared, 0.25)) } };
    },
  });
}

// ---------------------------------------------------------------------------------------------
// the registry
// ---------------------------------------------------------------------------------------------

const built = (tx: AnyTx, spec: unknown): Built => ({ tx, spec });

export const REGISTRY: readonly Row[] = [
  { name: 'identity', arb: fc.constant(null).map(() => built(identity(), { identity: {} })) },
  { name: 'setToZero', arb: fc.constant(null).map(() => built(setToZero(), { setToZero: {} })) },
  { name: 'scale', arb: fc.double({ min: -2, max: 2, noNaN: true }).map((s) => built(scale(s), { scale: s })) },
  {
    name: 'scaleByLearningRate',
    arb: fc.record({ lr: lrArb, flipSign: fc.boolean() }).map(({ lr, flipSign }) => built(scaleByLearningRate(lr.value, { flipSign }), { scaleByLearningRate: [lr.spec, { flipSign }] })),
  },
  { name: 'scaleBySchedule', arb: scheduleArb.map((s) => built(scaleBySchedule(s.value), { scaleBySchedule: s.spec })) },
  { name: 'clip', arb: fc.double({ min: 0, max: 2, noNaN: true }).map((m) => built(clip(m), { clip: m })) },
  {
    name: 'clipByGlobalNorm',
    splits: true,
    arb: fc
      .record({ maxNorm: fc.double({ min: 1e-3, max: 10, noNaN: true }), eps: epsArb, normType: fc.constantFrom<2 | typeof Infinity>(2, Infinity) })
      .map(({ maxNorm, eps, normType }) => built(clipByGlobalNorm(maxNorm, { eps, normType }), { clipByGlobalNorm: [maxNorm, { eps, normType }] })),
  },
  {
    name: 'addDecayedWeights',
    arb: fc.record({ wd: lrArb, mask: maskArb }).map(({ wd, mask }) =>
      built(addDecayedWeights({ weightDecay: wd.value, ...(mask === undefined ? {} : { mask: seededMask(mask) }) }), { addDecayedWeights: { weightDecay: wd.spec, mask } }),
    ),
  },
  {
    name: 'trace',
    arb: fc.record({ decay: unit(1), nesterov: fc.boolean(), dampening: unit(1) }).map((o) => built(trace(o), { trace: o })),
  },
  {
    name: 'scaleByAdam',
    arb: fc.record({ b1: decayArb, b2: decayArb, eps: epsArb, epsRoot: epsArb, nesterov: fc.boolean() }).map((o) => built(scaleByAdam(o), { scaleByAdam: o })),
  },
  {
    name: 'scaleByAmsgrad',
    arb: fc.record({ b1: decayArb, b2: decayArb, eps: epsArb, maxOf: fc.constantFrom('biasCorrected' as const, 'raw' as const) }).map((o) => built(scaleByAmsgrad(o), { scaleByAmsgrad: o })),
  },
  { name: 'scaleByAdamax', arb: fc.record({ b1: decayArb, b2: decayArb, eps: epsArb }).map((o) => built(scaleByAdamax(o), { scaleByAdamax: o })) },
  {
    name: 'scaleByRadam',
    arb: fc
      .record({ b1: decayArb, b2: decayArb, eps: epsArb, threshold: fc.double({ min: 4.5, max: 10, noNaN: true }), nesterov: fc.boolean(), strictThreshold: fc.boolean() })
      .map((o) => built(scaleByRadam(o), { scaleByRadam: o })),
  },
  {
    name: 'scaleByNadam',
    arb: fc.record({ b1: decayArb, b2: decayArb, eps: epsArb, momentumDecay: fc.double({ min: 0, max: 0.01, noNaN: true }) }).map((o) => built(scaleByNadam(o), { scaleByNadam: o })),
  },
  {
    name: 'scaleByRss',
    arb: fc.record({ initialAccumulatorValue: fc.double({ min: 0, max: 1, noNaN: true }), eps: epsArb, epsInSqrt: fc.boolean() }).map((o) => built(scaleByRss(o), { scaleByRss: o })),
  },
  {
    name: 'scaleByRms',
    arb: fc.record({ decay: decayArb, eps: epsArb, initialScale: unit(1), epsInSqrt: fc.boolean() }).map((o) => built(scaleByRms(o), { scaleByRms: o })),
  },
  { name: 'scaleByStddev', arb: fc.record({ decay: decayArb, eps: epsArb }).map((o) => built(scaleByStddev(o), { scaleByStddev: o })) },
  { name: 'scaleByAdadelta', arb: fc.record({ rho: unit(1), eps: epsArb }).map((o) => built(scaleByAdadelta(o), { scaleByAdadelta: o })) },
  {
    name: 'scaleByLion',
    arb: fc.record({ b1: unit(1), b2: unit(1), mode: fc.constantFrom('hard' as const, 'smooth' as const, 'refined' as const) }).map((o) => built(scaleByLion(o), { scaleByLion: o })),
  },
  { name: 'zeroNans', arb: fc.constant(null).map(() => built(zeroNans(), { zeroNans: {} })) },
  // optimizers (chains)
  {
    name: 'sgd',
    arb: fc.record({ lr: lrArb, momentum: fc.option(unit(1), { nil: undefined }), nesterov: fc.boolean(), wd: fc.option(unit(0.1), { nil: undefined }) }).map(({ lr, momentum, nesterov, wd }) =>
      built(sgd({ learningRate: lr.value, ...(momentum === undefined ? {} : { momentum, nesterov }), ...(wd === undefined ? {} : { weightDecay: wd }) }), { sgd: { lr: lr.spec, momentum, nesterov, wd } }),
    ),
  },
  { name: 'adam', arb: fc.record({ lr: lrArb, b1: decayArb, b2: decayArb }).map(({ lr, b1, b2 }) => built(adam({ learningRate: lr.value, b1, b2 }), { adam: { lr: lr.spec, b1, b2 } })) },
  {
    name: 'adamw',
    arb: fc.record({ lr: lrArb, wd: unit(0.1), mask: maskArb }).map(({ lr, wd, mask }) =>
      built(adamw({ learningRate: lr.value, weightDecay: wd, ...(mask === undefined ? {} : { mask: seededMask(mask) }) }), { adamw: { lr: lr.spec, wd, mask } }),
    ),
  },
  { name: 'amsgrad', arb: lrArb.map((lr) => built(amsgrad({ learningRate: lr.value }), { amsgrad: lr.spec })) },
  { name: 'adamax', arb: lrArb.map((lr) => built(adamax({ learningRate: lr.value }), { adamax: lr.spec })) },
  { name: 'radam', arb: lrArb.map((lr) => built(radam({ learningRate: lr.value }), { radam: lr.spec })) },
  { name: 'nadam', arb: lrArb.map((lr) => built(nadam({ learningRate: lr.value }), { nadam: lr.spec })) },
  { name: 'nadamw', arb: fc.record({ lr: lrArb, wd: unit(0.1) }).map(({ lr, wd }) => built(nadamw({ learningRate: lr.value, weightDecay: wd }), { nadamw: { lr: lr.spec, wd } })) },
  { name: 'adagrad', arb: lrArb.map((lr) => built(adagrad({ learningRate: lr.value }), { adagrad: lr.spec })) },
  { name: 'adadelta', arb: fc.record({ lr: lrArb, rho: unit(1) }).map(({ lr, rho }) => built(adadelta({ learningRate: lr.value, rho }), { adadelta: { lr: lr.spec, rho } })) },
  {
    name: 'rmsprop',
    arb: fc.record({ lr: lrArb, centered: fc.boolean(), momentum: fc.option(unit(1), { nil: undefined }) }).map(({ lr, centered, momentum }) =>
      built(rmsprop({ learningRate: lr.value, centered, ...(momentum === undefined ? {} : { momentum }) }), { rmsprop: { lr: lr.spec, centered, momentum } }),
    ),
  },
  { name: 'lion', arb: fc.record({ lr: lrArb, wd: unit(0.1) }).map(({ lr, wd }) => built(lion({ learningRate: lr.value, weightDecay: wd }), { lion: { lr: lr.spec, wd } })) },
  // combinators
  {
    name: 'injectHyperparams(adamw)',
    arb: fc.record({ lr: lrArb, wd: unit(0.1) }).map(({ lr, wd }) =>
      built(injectHyperparams(adamw)({ learningRate: lr.value, weightDecay: wd }) as AnyTx, { injectHyperparams: { adamw: { lr: lr.spec, wd } } }),
    ),
  },
  // test-only stages for the compiler's own paths
  { name: 'testTrustRatio', splits: true, arb: epsArb.map((eps) => built(testTrustRatio(eps), { testTrustRatio: eps })) },
  { name: 'testFiniteGate', splits: true, arb: maskArb.map((mask) => built(testFiniteGate(mask), { testFiniteGate: { mask } })) },
  { name: 'testAllOps', arb: fc.double({ min: -3, max: 3, noNaN: true }).map((k) => built(testAllOps(k), { testAllOps: k })) },
];

/** A random chain of 1 to `max` registry rows. */
export function chainArb(max = 4): fc.Arbitrary<Built> {
  return fc.array(fc.oneof(...REGISTRY.map((r) => r.arb)), { minLength: 1, maxLength: max }).map((parts) =>
    parts.length === 1 ? (parts[0] as Built) : built(chain(...parts.map((p) => p.tx)) as AnyTx, { chain: parts.map((p) => p.spec) }),
  );
}
