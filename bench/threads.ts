/**
 * Threads, measured (issue 5, stretch): does splitting the element-wise pass of the fused
 * clip + AdamW step across two threads over a shared WebAssembly.Memory pay on this machine?
 *
 * The real kernel (the wasm backend's module for `chain(clipByGlobalNorm(1), adamw(...))`,
 * float32, 20 leaves, imported shared memory) runs its store pass (`pass1`, in place) over
 *
 *   single       the whole segment table, on the main thread
 *   split        the first half of the elements on the main thread while a worker runs the
 *                second half through its own instance over the same memory (Atomics.notify to
 *                start it, Atomics.wait for it to finish): the step's store pass on two threads
 *   workerOnly   the whole table in the worker, the main thread waiting: the hand-off's cost
 *
 * and the norm pass (`pass0`, one thread) for scale. Timed in turns, ns per param, median and
 * fastest batch. The split is exact (the pass is element-wise: the same bits on either side).
 *
 *   npx tsx bench/threads.ts            BENCH_SIZES=1e5,1e6 to narrow
 *
 * Not a library option: on this 2-core machine it has shown no gain (see the numbers in the
 * report of issue 5); the compiler keeps one thread.
 */
import { Worker } from 'node:worker_threads';
import { chain } from '../src/combine/chain.js';
import { lowerPlan } from '../src/compile/lower.js';
import { type Plan, SEGMENT_STRIDE, planKernel, segmentTable } from '../src/compile/plan.js';
import { layoutOf } from '../src/compile/storage.js';
import { CTL } from '../src/compile/wasm/emit.js';
import { buildKernel } from '../src/compile/wasm/module.js';
import { adamw } from '../src/optimizers/adam.js';
import { clipByGlobalNorm } from '../src/transforms/clipping.js';

interface WasmGlobal {
  readonly Memory: new (d: { initial: number; maximum: number; shared: boolean }) => { readonly buffer: SharedArrayBuffer };
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (m: object, imports: object) => { readonly exports: Record<string, unknown> };
}
const WA = (globalThis as unknown as { readonly WebAssembly: WasmGlobal }).WebAssembly;

const SIZES = process.env.BENCH_SIZES === undefined ? [1e5, 1e6, 1e7] : process.env.BENCH_SIZES.split(',').map(Number);
const REPS = 21;

/** The worker: its own instance over the shared memory; runs `pass` on control block `ctl` per request. */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { module, memory, flags, pass } = workerData;
const instance = new WebAssembly.Instance(module, { env: { memory } });
const run = instance.exports[pass];
const f = new Int32Array(memory.buffer, flags, 4);
let seen = 0;
for (;;) {
  Atomics.wait(f, 0, seen);
  seen = Atomics.load(f, 0);
  if (seen < 0) break;
  run(Atomics.load(f, 2));
  Atomics.store(f, 1, seen);
  Atomics.notify(f, 1);
}
parentPort.postMessage('done');
`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

async function measure(n: number): Promise<void> {
  const per = Math.floor(n / 20);
  const params: Record<string, Float32Array> = {};
  for (let l = 0; l < 20; l++) params[`layer${String(l).padStart(2, '0')}`] = new Float32Array(l === 19 ? n - per * 19 : per);
  const stages = chain(clipByGlobalNorm(1), adamw({ learningRate: 1e-3, weightDecay: 1e-4 })).fusable?.stages ?? [];
  const layout = layoutOf(params);
  const plan = planKernel(stages, layout.leaves, stages.map(() => layout.leaves.map(() => true)));
  const loops = lowerPlan(plan);
  const store = loops.inPlace;
  const norm = loops.reduce[0];
  if (norm === undefined || store.variants.some((v) => v.leafAccs.length > 0) || store.globalAccs.length > 0) throw new Error('threads: expected a reduce pass and an element-wise store pass');
  const kernel = buildKernel(loops, plan.hash, plan.passes.length, true);
  const module = new WA.Module(kernel.bytes);

  // memory: [0, 64K) host area (flags, scalars, reductions, segment tables, control blocks), then the buffers
  const region = Math.ceil((4 * n) / 4096) * 4096 + 1088;
  const buffersAt = 65536;
  const pages = Math.ceil((buffersAt + store.buffers.length * region) / 65536) + 1;
  const memory = new WA.Memory({ initial: pages, maximum: pages, shared: true });
  const instance = new WA.Instance(module, { env: { memory } });
  const u32 = new Uint32Array(memory.buffer);
  const i32 = new Int32Array(memory.buffer);
  const f64 = new Float64Array(memory.buffer);
  const FLAGS = 0;
  const S = 64;
  const RED = 1024;
  const SEG = 2048;
  const CTLS = 8192;
  f64.fill(0.5, S / 8, S / 8 + plan.scalarCount);
  const addressOf = (ref: (typeof store.buffers)[number]): number => buffersAt + store.buffers.findIndex((r) => JSON.stringify(r) === JSON.stringify(ref)) * region;
  store.buffers.forEach((_, j) => {
    const v = new Float32Array(memory.buffer, buffersAt + j * region, n);
    for (let i = 0; i < n; i++) v[i] = 0.5 + 0.25 * Math.sin(0.37 * i + j);
  });
  // segment tables: the whole, and the halves (split at a multiple of 4 elements)
  const whole = segmentTable(plan.passes[plan.passes.length - 1] as Plan['passes'][number], layout);
  const normTable = segmentTable(plan.passes[0] as Plan['passes'][number], layout);
  const half = Math.floor(n / 8) * 4;
  const cut = (t: Int32Array, from: number, to: number): Int32Array => {
    const out: number[] = [];
    for (let k = 0; k < t.length; k += SEGMENT_STRIDE) {
      const lo = Math.max(t[k] as number, from);
      const hi = Math.min(t[k + 1] as number, to);
      if (lo < hi) out.push(lo, hi, t[k + 2] as number, t[k + 3] as number);
    }
    return Int32Array.from(out);
  };
  let segAt = SEG;
  let ctlAt = CTLS;
  const control = (pass: typeof store, table: Int32Array): number => {
    i32.set(table, segAt / 4);
    const ctl = ctlAt;
    const w = ctl / 4;
    u32[w + CTL.seg / 4] = segAt;
    u32[w + CTL.segLength / 4] = table.length;
    u32[w + CTL.s / 4] = S;
    u32[w + CTL.red / 4] = RED;
    u32[w + CTL.ls / 4] = RED;
    u32[w + CTL.lred / 4] = RED;
    pass.buffers.forEach((ref, j) => {
      u32[w + CTL.buffers / 4 + j] = addressOf(ref);
    });
    segAt += 4 * table.length + 16;
    ctlAt += 256;
    return ctl;
  };
  const ctlWhole = control(store, whole);
  const ctlFirst = control(store, cut(whole, 0, half));
  const ctlSecond = control(store, cut(whole, half, n));
  const ctlNorm = control(norm, normTable);
  const storeFn = instance.exports[store.name] as (ctl: number) => void;
  const normFn = instance.exports[norm.name] as (ctl: number) => void;

  const worker = new Worker(WORKER, { eval: true, workerData: { module, memory, flags: FLAGS, pass: store.name } });
  const flags = new Int32Array(memory.buffer, FLAGS, 4);
  let generation = 0;
  const handOff = (ctl: number): void => {
    generation++;
    Atomics.store(flags, 2, ctl);
    Atomics.store(flags, 0, generation);
    Atomics.notify(flags, 0);
  };
  const join = (): void => {
    for (let seen = Atomics.load(flags, 1); seen !== generation; seen = Atomics.load(flags, 1)) Atomics.wait(flags, 1, seen);
  };
  const runs: Record<string, () => void> = {
    norm: () => normFn(ctlNorm),
    single: () => storeFn(ctlWhole),
    split: () => {
      handOff(ctlSecond);
      storeFn(ctlFirst);
      join();
    },
    workerOnly: () => {
      handOff(ctlWhole);
      join();
    },
  };
  const batch = Math.max(1, Math.round(2e7 / n));
  for (const run of Object.values(runs)) for (let i = 0; i < batch; i++) run();
  const samples = new Map<string, number[]>(Object.keys(runs).map((k) => [k, []]));
  const names = Object.keys(runs);
  for (let r = 0; r < REPS; r++) {
    for (let j = 0; j < names.length; j++) {
      const name = names[(j + r) % names.length] as string;
      const run = runs[name] as () => void;
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < batch; i++) run();
      samples.get(name)?.push(Number(process.hrtime.bigint() - t0) / batch / n);
    }
  }
  Atomics.store(flags, 0, -1);
  Atomics.notify(flags, 0);
  await new Promise((resolve) => worker.once('message', resolve));
  await worker.terminate();
  const cell = (k: string): string => {
    const xs = samples.get(k) ?? [];
    return `${k} ${median(xs).toFixed(3)} (fastest ${Math.min(...xs).toFixed(3)})`;
  };
  console.log(`N=${n.toExponential(0).padEnd(5)} ns/param, median (fastest): ${names.map(cell).join('   ')}`);
}

for (const n of SIZES) await measure(n);
