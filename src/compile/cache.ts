/**
 * The kernel cache: structural key → lowered passes, their sources and, per backend, the pass
 * functions (for the wasm backend: the compiled module). The key holds stage names, expression structure, leaf dtypes and mask patterns;
 * never hyperparameter values or leaf sizes, so compiling the same optimizer with a new learning
 * rate (or a model with other sizes) reuses the generated code.
 *
 * @module
 */
import type { Code } from './code.js';
import type { PassFn } from './emitJs.js';
import type { LoopPass } from './lower.js';
import type { CompiledKernel } from './wasm/runtime.js';

/** The compiled passes of one structure, in run order: reduce passes, then the store pass. */
export interface PassSet<T> {
  readonly reduce: readonly T[];
  readonly inPlace: T;
  readonly pure: T;
}

/** What the cache keeps for a structure. */
export interface KernelEntry {
  readonly hash: string;
  readonly loops: PassSet<LoopPass>;
  readonly sources: PassSet<Code>;
  js?: PassSet<PassFn>;
  closure?: PassSet<PassFn>;
  /**
   * The WebAssembly module (bytes, text, compiled `WebAssembly.Module`), per kind of imported
   * memory. Instances are per compiled optimizer (each has its own memory), never cached.
   */
  wasm?: { plain?: CompiledKernel; shared?: CompiledKernel };
}

/** Entries kept at most; the oldest is dropped past it. */
const CAPACITY = 256;
const entries = new Map<string, KernelEntry>();

export function cacheGet(key: string): KernelEntry | undefined {
  const e = entries.get(key);
  if (e !== undefined) {
    // Refresh its place (least recently used goes first).
    entries.delete(key);
    entries.set(key, e);
  }
  return e;
}

export function cacheSet(key: string, entry: KernelEntry): void {
  entries.set(key, entry);
  while (entries.size > CAPACITY) {
    const oldest = entries.keys().next();
    if (oldest.done === true) break;
    entries.delete(oldest.value);
  }
}

/**
 * How many structures the kernel cache holds.
 * @category Compiler
 */
export function kernelCacheSize(): number {
  return entries.size;
}

/**
 * Empties the kernel cache (the next compile of any structure generates code again).
 * @category Compiler
 */
export function clearKernelCache(): void {
  entries.clear();
}

/** Maps a pass set. */
export function mapPasses<A, B>(set: PassSet<A>, f: (a: A) => B): PassSet<B> {
  return { reduce: set.reduce.map(f), inPlace: f(set.inPlace), pure: f(set.pure) };
}
