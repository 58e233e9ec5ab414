/**
 * Benchmark: one step of `chain(clipByGlobalNorm(1), adamw({ learningRate: warmupCosineDecay(...) }))`
 * over N float32 params in 20 leaves, in ns per param (median of repeated timed batches after a
 * warm-up):
 *
 *   (a) compiled, in place       compiled.step(), the JavaScript backend (key `js`, also `compiledInPlace`)
 *   (f) compiled, in place, wasm compiled.step(), the WebAssembly SIMD backend (key `wasm`)
 *   (b) compiled, pure           compiled.update(grads, state, params) (fresh outputs, js)
 *   (c) reference interpreter    tx.update + applyUpdates
 *   (d) hand-written fused loop  the ceiling: the same math, written by hand, same numbers
 *   (e) TensorFlow.js CPU        Adam with global-norm clipping, when @tensorflow/tfjs-core and
 *                                @tensorflow/tfjs-backend-cpu can be imported ("n/a" otherwise)
 *
 * plus the compile time (cold: kernel cache cleared), of the js backend (`compileMs`) and of the
 * wasm backend including WebAssembly compilation and instantiation (`compileMsWasm`). Writes
 * bench/results.json.
 *
 *   npx tsx bench/bench.ts [--quick]
 *
 * BENCH_RUNS=k repeats each size's race k times (default 1): the table and results.json give the
 * best of the k medians, and `spread` the range [best, worst] of the medians of `wasm` and `js`
 * (the machine may be shared: report the best-of and the spread).
 *
 * Contenders are timed in turns with a full GC before each timed batch (see `race`). For a
 * narrower run: BENCH_SIZES=10000,1000000 and BENCH_ONLY=inPlace,hand (names: inPlace, wasm, hand,
 * pure, interpreter, tfjs, floorRead, floorStream, floorDivSqrt). A cheap contender gets more
 * timed batches (up to about a second of them), an expensive one at least 3 (1e7) or 21.
 *
 * The floors (bench/floors.ts) are raced with the contenders over the same N: a WebAssembly read
 * of one array plus a 4-read/3-write stream (the step's memory traffic) and the f32x4 √ and ÷ per
 * element (the divider time every 128-bit SIMD Adam step pays). `fastest` is each contender's
 * quickest batch, the least disturbed number on a shared machine, and `cpu` the median CPU time
 * per step (process.cpuUsage: the time the step had a core; the contenders are single-threaded). The compiled js step is checked bit for bit against the hand loop
 * before timing, the wasm step within 1e-6·(1 + |p|) of it (float32 lanes).
 */
import { writeFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chain } from '../src/combine/chain.js';
import { clearKernelCache, compile } from '../src/compile/index.js';
import { adamw } from '../src/optimizers/adam.js';
import { warmupCosineDecay } from '../src/schedules/warmup.js';
import { clipByGlobalNorm } from '../src/transforms/clipping.js';
import type { Tree } from '../src/tree/tree.js';
import { applyUpdates } from '../src/update.js';
import { makeFloors } from './floors.js';

const quick = process.argv.includes("--quick");
const only = process.env.BENCH_ONLY?.split(",");
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? '1') || 1);
const SIZES = process.env.BENCH_SIZES === undefined ? [1e4, 1e5, 1e6, 1e7] : process.env.BENCH_SIZES.split(',').map(Number);
const LEAVES = 20;
const B1 = 0.9;
const B2 = 0.999;
const EPS = 1e-8;
const WD = 1e-4;
const MAX_NORM = 1;
const scheduleOptions = { initValue: 0, peakValue: 1e-3, warmupSteps: 100, decaySteps: 10_000, endValue: 1e-5 };
const schedule = warmupCosineDecay(scheduleOptions);
const makeTx = () => chain(clipByGlobalNorm(MAX_NORM), adamw({ learningRate: schedule, b1: B1, b2: B2, eps: EPS, weightDecay: WD }));

type Params = Record<string, Float32Array>;

/** A deterministic pseudo-random fill in [-1, 1). */
function fill(a: Float32Array, seed: number): void {
  let x = seed >>> 0 || 1;
  for (let i = 0; i < a.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    a[i] = ((x >>> 0) / 4294967296) * 2 - 1;
  }
}

function makeParams(n: number): Params {
  const per = Math.floor(n / LEAVES);
  const out: Params = {};
  for (let l = 0; l < LEAVES; l++) {
    const a = new Float32Array(l === LEAVES - 1 ? n - per * (LEAVES - 1) : per);
    fill(a, 1 + l);
    out[`layer${String(l).padStart(2, '0')}`] = a;
  }
  return out;
}

/** A full garbage collection between timed batches, so one contender's garbage is not another's time. */
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

interface MeasureOptions {
  /** Timed batches per contender: at least `reps`, more for a fast one, up to `budgetMs` of batches (at most `maxReps`). */
  readonly reps: number;
  readonly maxReps: number;
  readonly budgetMs: number;
  readonly minBatchMs: number;
  readonly warmup: number;
}

/** A contender's median and fastest batch (wall clock), and its median CPU time, in ns/param. */
interface Timing {
  readonly median: number;
  readonly min: number;
  /** Median of the process's CPU time per batch: the time the step had the core (a shared machine's other loads left out). */
  readonly cpu: number;
}

/** Steps per timed batch: enough to take `minBatchMs`. */
function batchSize(run: () => void, minBatchMs: number): number {
  let batch = 1;
  for (;;) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) run();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (ms >= minBatchMs || batch >= 1 << 16) return batch;
    batch = Math.min(1 << 16, Math.max(batch * 2, Math.ceil((batch * minBatchMs) / Math.max(ms, 1e-3))));
  }
}

/**
 * Median and fastest ns/param of each `run` (one step per call). The contenders are timed in
 * turns, batch after batch, so that a slow moment of the machine hits them all alike; a cheap
 * contender gets more rounds (up to `budgetMs` of batches), an expensive one at least `reps`.
 */
function race(n: number, runs: Readonly<Record<string, () => void>>, opts: MeasureOptions): Record<string, Timing> {
  const names = Object.keys(runs);
  const batches = new Map<string, number>();
  const reps = new Map<string, number>();
  for (const name of names) {
    const run = runs[name] as () => void;
    for (let i = 0; i < opts.warmup; i++) run();
    const batch = batchSize(run, opts.minBatchMs);
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) run();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    batches.set(name, batch);
    reps.set(name, Math.min(opts.maxReps, Math.max(opts.reps, Math.floor(opts.budgetMs / Math.max(ms, 1e-3)))));
  }
  const rounds = Math.max(...reps.values());
  const samples = new Map<string, number[]>(names.map((k) => [k, []]));
  const cpuSamples = new Map<string, number[]>(names.map((k) => [k, []]));
  for (let r = 0; r < rounds; r++) {
    // A different order each round: no contender always follows the same one.
    const order = names.map((_, j) => names[(j + r) % names.length] as string);
    for (const name of order) {
      if (r >= (reps.get(name) as number)) continue;
      const run = runs[name] as () => void;
      const batch = batches.get(name) as number;
      collect();
      const c0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < batch; i++) run();
      const t1 = process.hrtime.bigint();
      const c = process.cpuUsage(c0);
      samples.get(name)?.push(Number(t1 - t0) / batch / n);
      cpuSamples.get(name)?.push(((c.user + c.system) * 1000) / batch / n);
    }
  }
  const mid = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  const out: Record<string, Timing> = {};
  for (const [name, xs] of samples) {
    out[name] = { median: mid(xs), min: Math.min(...xs), cpu: mid(cpuSamples.get(name) ?? []) };
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// (d) the hand-written loop: what a careful person writes for this chain, same numbers
// ---------------------------------------------------------------------------------------------

/** Σ g², the global norm's square. */
function handSumSquares(g: Float32Array): number {
  let ss = 0;
  for (let i = 0; i < g.length; i++) {
    const x = g[i] as number;
    ss = ss + x * x;
  }
  return ss;
}

/** The fused AdamW element loop with the clip coefficient folded in. */
function handAdamw(
  p: Float32Array, g: Float32Array, mu: Float32Array, nu: Float32Array,
  coef: number, b1: number, c1: number, b2: number, c2: number, rbc1: number, rbc2: number, eps: number, wd: number, lr: number,
): void {
  for (let i = 0; i < p.length; i++) {
    const gi = Math.fround((g[i] as number) * coef);
    const m = b1 * (mu[i] as number) + c1 * gi;
    const v = b2 * (nu[i] as number) + c2 * (gi * gi);
    const a = Math.fround((m * rbc1) / (Math.sqrt(v * rbc2 + 0) + eps));
    const pi = p[i] as number;
    const d = Math.fround(a + wd * pi);
    mu[i] = m;
    nu[i] = v;
    p[i] = pi + Math.fround(d * lr);
  }
}

function makeHand(p: Float32Array, g: Float32Array): { step: () => void; p: Float32Array; mu: Float32Array; nu: Float32Array } {
  const mu = new Float32Array(p.length);
  const nu = new Float32Array(p.length);
  let count = 0;
  const step = (): void => {
    const coef = Math.min(1, MAX_NORM / (Math.sqrt(handSumSquares(g)) + 0));
    const t = count + 1;
    handAdamw(p, g, mu, nu, coef, B1, 1 - B1, B2, 1 - B2, 1 / (1 - B1 ** t), 1 / (1 - B2 ** t), EPS, WD, -1 * schedule(count));
    count++;
  };
  return { step, p, mu, nu };
}

// ---------------------------------------------------------------------------------------------
// (e) TensorFlow.js, when importable
// ---------------------------------------------------------------------------------------------

interface TfLike {
  setBackend(name: string): Promise<boolean>;
  ready(): Promise<void>;
  variable(x: unknown, trainable: boolean, name: string): { dispose(): void };
  tensor1d(values: Float32Array): unknown;
  tidy(f: () => void): void;
  train: { adam(lr: number, b1: number, b2: number, eps: number): { applyGradients(g: Record<string, unknown>): void } };
  addN(xs: unknown[]): unknown;
  sum(x: unknown): unknown;
  square(x: unknown): unknown;
  sqrt(x: unknown): unknown;
  mul(a: unknown, b: unknown): unknown;
  minimum(a: unknown, b: unknown): unknown;
  div(a: unknown, b: unknown): unknown;
  scalar(x: number): unknown;
}

async function loadTf(): Promise<TfLike | undefined> {
  // Module names in variables: neither is a dependency, and a missing one means "n/a".
  const core = '@tensorflow/tfjs-core';
  const cpu = '@tensorflow/tfjs-backend-cpu';
  try {
    const tf = (await import(core)) as unknown as TfLike;
    await import(cpu);
    await tf.setBackend('cpu');
    await tf.ready();
    return tf;
  } catch {
    return undefined;
  }
}

let tfRun = 0;

/** Adam (tf.train.adam) with global-norm clipping computed with tf ops, over named variables. */
function makeTfStep(tf: TfLike, params: Params): () => void {
  tfRun++;
  const names = Object.keys(params).map((k) => `bench${String(tfRun)}_${k}`);
  const values = Object.values(params);
  names.forEach((name, i) => tf.variable(tf.tensor1d(values[i] as Float32Array), true, name));
  const grads = values.map((v) => tf.tensor1d(v.map((x) => x * 0.5)));
  const opt = tf.train.adam(1e-3, B1, B2, EPS);
  return () => {
    tf.tidy(() => {
      const norm = tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g)))));
      const coef = tf.minimum(tf.scalar(1), tf.div(tf.scalar(MAX_NORM), norm));
      const named: Record<string, unknown> = {};
      names.forEach((k, i) => {
        named[k] = tf.mul(grads[i], coef);
      });
      opt.applyGradients(named);
    });
  };
}

// ---------------------------------------------------------------------------------------------
// main
// ---------------------------------------------------------------------------------------------

interface Row {
  compiledInPlace: number;
  compiledPure: number;
  interpreter: number | null;
  handLoop: number;
  tfjsCpu: number | null;
  /** The wasm backend's in-place step. */
  wasm: number;
  /** The js backend's in-place step (= compiledInPlace). */
  js: number;
  /** [best, worst] of the per-run medians (BENCH_RUNS runs). */
  spread: { wasm: [number, number]; js: [number, number] };
  /** The fastest single batch (of every run): the least disturbed measurement on a shared machine. */
  fastest: { wasm: number; js: number; handLoop: number };
  /** Median CPU time per step (best of the runs): the cost when the step has the core to itself. */
  cpu: { wasm: number; js: number; handLoop: number };
  /** The machine's floors over the same N (bench/floors.ts), medians: memory (read, stream) and divider (divSqrt). */
  floors: { read: number; stream: number; divSqrt: number } | null;
}

function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

/** The largest |a - b| / (1 + |b|). */
function maxScaledDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)) / (1 + Math.abs(b[i] as number)));
  return m;
}

/** Median compile time (ms) over 15 cold compiles (kernel cache cleared) on a 20-leaf tree. */
function compileTime(backend: 'js' | 'wasm'): number {
  const small = makeParams(1e4);
  const times: number[] = [];
  for (let r = 0; r < 15; r++) {
    clearKernelCache();
    const t0 = process.hrtime.bigint();
    compile(makeTx(), small, { backend });
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] as number;
}

async function main(): Promise<void> {
  const tf = await loadTf();
  // Compile time, cold (cache cleared), on a 20-leaf tree; wasm includes WebAssembly compilation and instantiation.
  const compileMs = compileTime('js');
  const compileMsWasm = compileTime('wasm');

  const results: Record<string, Row> = {};
  for (const n of SIZES) {
    const big = n >= 1e7;
    const opts: MeasureOptions = { reps: quick ? (big ? 3 : 7) : big ? 3 : 21, maxReps: quick ? 15 : 41, budgetMs: quick ? 300 : 1000, minBatchMs: big ? 1 : quick ? 15 : 50, warmup: big ? 1 : 5 };
    const params = makeParams(n);

    // (a) compiled in place (js), (f) the same on the wasm backend
    const c = compile(makeTx(), params, { backend: 'js' });
    const w = compile(makeTx(), params, { backend: 'wasm' });
    Object.values(c.grads as Params).forEach((g, l) => {
      fill(g, 100 + l);
    });
    Object.values(w.grads as Params).forEach((g, l) => {
      fill(g, 100 + l);
    });
    // Check once: the hand loop and the compiled step give the same bits.
    const flatP = new Float32Array(n);
    const flatG = new Float32Array(n);
    let off = 0;
    for (const k of Object.keys(params).sort()) {
      flatP.set(params[k] as Float32Array, off);
      flatG.set((c.grads as Params)[k] as Float32Array, off);
      off += (params[k] as Float32Array).length;
    }
    const hand = makeHand(flatP, flatG);
    for (let i = 0; i < 3; i++) {
      hand.step();
      c.step();
      w.step();
    }
    if (!sameBits(hand.p, c.storage.params.float32)) throw new Error(`bench: hand loop and compiled step differ at N=${String(n)}`);
    const wasmDiff = maxScaledDiff(w.storage.params.float32, hand.p);
    if (!(wasmDiff <= 1e-6)) throw new Error(`bench: the wasm step is ${String(wasmDiff)} from the hand loop at N=${String(n)}`);
    // (b) compiled pure
    let state = c.copyState();
    const pureStep = (): void => {
      const [, s] = c.update(c.grads, state, c.params);
      state = s;
    };
    const runs: Record<string, () => void> = { inPlace: () => c.step(), wasm: () => w.step(), hand: hand.step, pure: pureStep };

    // (c) the interpreter
    if (!(quick && big)) {
      const tx = makeTx();
      let ip = params as Tree;
      let is = tx.init(ip);
      const grads = c.grads as Tree;
      runs.interpreter = () => {
        const [u, s] = tx.update(grads, is, ip);
        is = s;
        ip = applyUpdates(ip, u);
      };
    }
    // (e) tfjs
    if (tf !== undefined && !(quick && big)) runs.tfjs = makeTfStep(tf, params);
    // the machine's floors over the same N, raced with the contenders
    const floors = makeFloors(n);
    runs.floorRead = floors.read;
    runs.floorStream = floors.stream;
    runs.floorDivSqrt = floors.divSqrt;

    if (only !== undefined) for (const k of Object.keys(runs)) if (!only.includes(k)) delete runs[k];
    // BENCH_RUNS races; per contender the best median, and the range of the medians.
    const medians = new Map<string, number[]>();
    const mins = new Map<string, number>();
    const cpuBest = new Map<string, number>();
    for (let r = 0; r < RUNS; r++) {
      for (const [k, v] of Object.entries(race(n, runs, opts))) {
        medians.set(k, [...(medians.get(k) ?? []), v.median]);
        mins.set(k, Math.min(mins.get(k) ?? Infinity, v.min));
        cpuBest.set(k, Math.min(cpuBest.get(k) ?? Infinity, v.cpu));
      }
    }
    const best = (k: string): number | undefined => {
      const xs = medians.get(k);
      return xs === undefined ? undefined : Math.min(...xs);
    };
    const range = (k: string): [number, number] => {
      const xs = medians.get(k) ?? [NaN];
      return [Math.min(...xs), Math.max(...xs)];
    };
    const inPlace = best('inPlace') ?? NaN;
    const wasm = best('wasm') ?? NaN;
    const handLoop = best('hand') ?? NaN;
    const pure = best('pure') ?? NaN;
    const interpreter = best('interpreter') ?? null;
    const tfjsCpu = best('tfjs') ?? null;

    const floorRead = best('floorRead');
    const floorStream = best('floorStream');
    const floorDivSqrt = best('floorDivSqrt');
    const floorRow = floorRead === undefined || floorStream === undefined || floorDivSqrt === undefined ? null : { read: floorRead, stream: floorStream, divSqrt: floorDivSqrt };
    const fastest = { wasm: mins.get('wasm') ?? NaN, js: mins.get('inPlace') ?? NaN, handLoop: mins.get('hand') ?? NaN };
    const cpuRow = { wasm: cpuBest.get('wasm') ?? NaN, js: cpuBest.get('inPlace') ?? NaN, handLoop: cpuBest.get('hand') ?? NaN };
    results[String(n)] = { compiledInPlace: inPlace, compiledPure: pure, interpreter, handLoop, tfjsCpu, wasm, js: inPlace, spread: { wasm: range('wasm'), js: range('inPlace') }, fastest, cpu: cpuRow, floors: floorRow };
    const f = (x: number | null | undefined): string => (x === null || x === undefined ? 'n/a' : x.toFixed(2));
    console.log(
      `N=${n.toExponential(0).padEnd(5)} wasm ${f(wasm)} (fastest ${f(fastest.wasm)}, cpu ${f(cpuRow.wasm)})  js ${f(inPlace)}  pure ${f(pure)}  interp ${f(interpreter)}  hand ${f(handLoop)}  tfjs ${f(tfjsCpu)}  ` +
        `(js/wasm ${(inPlace / wasm).toFixed(1)}, inPlace/hand ${(inPlace / handLoop).toFixed(3)}, interp/inPlace ${interpreter === null ? 'n/a' : (interpreter / inPlace).toFixed(1)})  ` +
        `floors: read ${f(floorRead)} + stream ${f(floorStream)} = memory ${f(floorRead === undefined || floorStream === undefined ? undefined : floorRead + floorStream)}, divSqrt ${f(floorDivSqrt)}`,
    );
  }

  const cpu = cpus()[0];
  const machine = `${cpu?.model ?? 'unknown cpu'} x${String(cpus().length)}, node ${process.version}`;
  console.log(`\ncompile time: js ${compileMs.toFixed(2)} ms, wasm ${compileMsWasm.toFixed(2)} ms incl. WebAssembly instantiation (medians, cold cache)   machine: ${machine}`);
  console.log(`ns/param, best of ${String(RUNS)} run(s)`);
  console.log('N             ' + ['wasm', 'js (inPlace)', 'js/wasm', 'compiledPure', 'interpreter', 'handLoop', 'tfjsCpu', 'wasm spread', 'js spread', 'wasm fastest', 'wasm cpu', 'js cpu', 'floor memory', 'floor divSqrt'].map((h) => h.padStart(15)).join(''));
  for (const [n, row] of Object.entries(results)) {
    const cell = (x: number | null | undefined): string => (x === null || x === undefined ? 'n/a' : x.toFixed(2)).padStart(15);
    const spread = (r: [number, number]): string => `${r[0].toFixed(2)}-${r[1].toFixed(2)}`.padStart(15);
    const fl = row.floors;
    console.log(
      `${n.padEnd(14)}${[cell(row.wasm), cell(row.js), cell(row.js / row.wasm), cell(row.compiledPure), cell(row.interpreter), cell(row.handLoop), cell(row.tfjsCpu), spread(row.spread.wasm), spread(row.spread.js), cell(row.fastest.wasm), cell(row.cpu.wasm), cell(row.cpu.js), cell(fl === null ? null : fl.read + fl.stream), cell(fl?.divSqrt)].join('')}`,
    );
  }
  console.log('floor memory: wasm read of 1 array + 4-read/3-write stream over the same N (the step\'s traffic); floor divSqrt: the f32x4 √ and ÷ per element, in L1 (bench/floors.ts)');
  const out = join(dirname(fileURLToPath(import.meta.url)), 'results.json');
  writeFileSync(out, `${JSON.stringify({ machine, quick, runs: RUNS, compileMs, compileMsWasm, nsPerParam: results }, null, 2)}\n`);
  console.log(`\nwrote ${out}`);
}

await main();
