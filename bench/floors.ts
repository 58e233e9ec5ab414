/**
 * The machine's floors for the benchmarked step, measured in WebAssembly on this machine over
 * the same bytes: what the fused clip + AdamW step cannot beat in 128-bit SIMD on one thread.
 *
 *   read     Σ x over one float32 array of N (f32x4, 4 accumulators): the norm pass's traffic
 *   stream   4 float32 arrays of N read, 3 written back in place (g, mu, nu, p → mu, nu, p), one
 *            addition per stored vector: the store pass's traffic
 *   divSqrt  x / (√x + c) in f32x4 over a 16 KiB (L1-resident) buffer, N elements in all: the
 *            two correctly rounded operations per element that Adam's update needs and that
 *            128-bit SIMD runs on the divider, with nothing else to wait for
 *
 * floor(step) = max(read + stream, divSqrt + norm-pass arithmetic): the bench prints read +
 * stream (memory) and divSqrt (compute) for each N.
 *
 * The kernels are built with the library's own encoder (src/compile/wasm/encoder.ts), one
 * WebAssembly.Memory per size.
 */
import { type FuncDef, type Local, encodeModule } from '../src/compile/wasm/encoder.js';
import { type Instr, block, br, get, i32, mem, op, set, tee, v128 } from '../src/compile/wasm/instr.js';

type Kernel = (a: number, b: number, c: number, d: number, bytes: number) => void;

const PARAMS: Local[] = ['a', 'b', 'c', 'd', 'bytes'].map((name) => ({ type: 'i32' as const, name }));
const [A, B, C, D, BYTES, OFF, V0] = [0, 1, 2, 3, 4, 5, 6] as const;

/** `for (off = 0; off < bytes; off += 16·unroll) body(copy)` (bytes a positive multiple of 16·unroll). */
function loopKernel(name: string, vlocals: number, unroll: number, body: (u: number) => Instr[], after: Instr[] = []): FuncDef {
  const code: Instr[] = [i32(0), set(OFF), block('loop', 'elements')];
  for (let u = 0; u < unroll; u++) code.push(...body(u));
  code.push(get(OFF), i32(16 * unroll), op('i32.add'), tee(OFF), get(BYTES), op('i32.lt_u'), br('br_if', 0), op('end'), ...after);
  const locals: Local[] = [{ type: 'i32', name: 'off' }, ...Array.from({ length: vlocals }, (_, k) => ({ type: 'v128' as const, name: `v${String(k)}` }))];
  return { id: name, export: name, params: PARAMS, results: [], locals, body: code };
}

const at = (p: number, u: number, name: 'v128.load' | 'v128.store' = 'v128.load'): Instr[] => [get(p), get(OFF), op('i32.add'), ...(name === 'v128.load' ? [mem(name, 16 * u, 2)] : [])];
const store = (p: number, u: number, value: Instr[]): Instr[] => [...at(p, u, 'v128.store'), ...value, mem('v128.store', 16 * u, 2)];
const splat = (x: number): Instr => v128('f32x4', [x, x, x, x]);

const KERNELS: FuncDef[] = [
  // Σ a: 4 accumulators, the sum stored at d (so nothing is dead)
  loopKernel('read', 4, 4, (u) => [get(V0 + u), ...at(A, u), op('f32x4.add'), set(V0 + u)], [get(D), get(V0), get(V0 + 1), op('f32x4.add'), get(V0 + 2), op('f32x4.add'), get(V0 + 3), op('f32x4.add'), mem('v128.store', 0, 2)]),
  // b += a, c += a, d += a
  loopKernel('stream', 1, 2, (u) => [...at(A, u), set(V0), ...[B, C, D].flatMap((p) => store(p, u, [...at(p, u), get(V0), op('f32x4.add')]))]),
  // b = a / (√a + 1e-8) over a small buffer
  loopKernel('divSqrt', 1, 2, (u) => [...at(A, u), set(V0), ...store(B, u, [get(V0), get(V0), op('f32x4.sqrt'), splat(1e-8), op('f32x4.add'), op('f32x4.div')])]),
];

const SMALL = 4096;

interface WasmGlobal {
  readonly Memory: new (d: { initial: number }) => { readonly buffer: ArrayBuffer };
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (m: object, imports: object) => { readonly exports: Record<string, unknown> };
}

/** The floor kernels over N float32 elements (N rounded down to a multiple of 32), one step per call. */
export function makeFloors(n: number): { readonly read: () => void; readonly stream: () => void; readonly divSqrt: () => void } {
  const WA = (globalThis as unknown as { readonly WebAssembly: WasmGlobal }).WebAssembly;
  const bytes = Math.max(128, Math.floor(n / 32) * 128);
  const region = Math.ceil(bytes / 4096) * 4096 + 1088; // apart by a non-multiple of 4 KiB
  const memory = new WA.Memory({ initial: Math.ceil((4096 + 4 * region) / 65536) });
  const instance = new WA.Instance(new WA.Module(encodeModule({ funcImports: [], memory: { module: 'env', name: 'memory', shared: false, minimum: 0, maximum: undefined }, functions: KERNELS })), { env: { memory } });
  const kernel = (name: string): Kernel => instance.exports[name] as Kernel;
  const base = [0, 1, 2, 3].map((k) => 4096 + k * region) as [number, number, number, number];
  const f = new Float32Array(memory.buffer);
  for (let i = 0; i < f.length; i++) f[i] = 0.25 + (i % 1021) / 4096;
  const read = kernel('read');
  const stream = kernel('stream');
  const divSqrt = kernel('divSqrt');
  const smallBytes = Math.min(bytes, 4 * SMALL);
  const repeats = Math.max(1, Math.round(bytes / smallBytes));
  return {
    read: () => read(base[0], 0, 0, 64, bytes),
    stream: () => stream(...base, bytes),
    divSqrt: () => {
      for (let r = 0; r < repeats; r++) divSqrt(base[0], base[1], 0, 0, smallBytes);
    },
  };
}
