/**
 * A plan's lowered passes → one WebAssembly module: a function per pass (the reduce passes,
 * the in-place store pass, the pure store pass), exported under the pass's name, over an
 * imported memory (`env.memory`), with the `Math` functions the ops need imported from `math`.
 * Returns the binary, its text form, and which imports it needs.
 *
 * @module
 */
import type { PassSet } from '../cache.js';
import type { LoopPass } from '../lower.js';
import { type FuncImport, type ModuleSpec, encodeModule } from './encoder.js';
import { type ImportTable, MATH_IMPORTS, type MathImport, emitPassFunction } from './emit.js';
import { MAX_PAGES } from './types.js';
import { printModule } from './text.js';

/** What the wasm backend keeps for a structure (shared by every compiled optimizer of it). */
export interface WasmKernel {
  readonly bytes: Uint8Array;
  /** The text form (WAT), printed as `compiled.source`. */
  readonly text: string;
  /** The math imports the module needs, in import order. */
  readonly mathImports: readonly MathImport[];
  /** Whether it imports a shared memory. */
  readonly shared: boolean;
}

const HEX = /^[0-9a-f]+$/;

/** Builds the module of a structure's passes. `shared`: import a shared memory (threads). */
export function buildKernel(loops: PassSet<LoopPass>, hash: string, passCount: number, shared: boolean): WasmKernel {
  if (!HEX.test(hash)) throw new Error('wasm: the hash must be hexadecimal');
  const imported: MathImport[] = [];
  const imports: ImportTable = {
    index: (name) => {
      let i = imported.indexOf(name);
      if (i < 0) {
        i = imported.length;
        imported.push(name);
      }
      return i;
    },
  };
  const passes = [...loops.reduce, loops.inPlace, loops.pure];
  const functions = passes.map((p) => emitPassFunction(p, imports, passCount));
  const funcImports: FuncImport[] = imported.map((name) => ({ module: 'math', name, id: `Math.${name}`, type: MATH_IMPORTS[name] }));
  const stageLine = loops.inPlace.stageLabels.map((l) => l ?? '(unnamed)').join(' > ');
  const spec: ModuleSpec = {
    funcImports,
    memory: { module: 'env', name: 'memory', shared, minimum: 0, maximum: shared ? MAX_PAGES : undefined },
    functions,
    comment: [
      `gradfuse kernel ${hash}: WebAssembly SIMD, f32x4 lanes for float32 leaves, f64x2 lanes for float64 leaves`,
      `stages: ${stageLine}`,
      imported.length === 0 ? 'imports: the memory only' : `imports: the memory; ${imported.map((n) => `Math.${n}`).join(', ')} (called lane by lane)`,
    ],
  };
  // The text form is printed on first read (compiled.source, debug): a third of a build otherwise.
  let text: string | undefined;
  return {
    bytes: encodeModule(spec),
    get text(): string {
      text ??= printModule(spec);
      return text;
    },
    mathImports: imported,
    shared,
  };
}

/** The import object for a kernel's instance. */
export function importObject(kernel: WasmKernel, memory: unknown): Record<string, Record<string, unknown>> {
  const math: Record<string, unknown> = {};
  for (const name of kernel.mathImports) math[name] = Math[name];
  return { env: { memory }, math };
}
