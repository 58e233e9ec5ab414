/**
 * The few parts of the WebAssembly JavaScript API the backend uses, typed locally (the
 * project's `lib` has no WebAssembly declarations), and the one place that reads
 * `globalThis.WebAssembly`.
 *
 * @module
 */

/** A `WebAssembly.Memory`: what the storage layer and the runtime need of it. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  /** Grows by `delta` pages of 64 KiB; returns the old size in pages. Detaches `buffer`. */
  grow(delta: number): number;
}

/** A compiled `WebAssembly.Module` (opaque). */
export interface WasmModule {
  readonly __wasmModule?: never;
}

/** A `WebAssembly.Instance`. */
export interface WasmInstance {
  readonly exports: Readonly<Record<string, unknown>>;
}

/** Descriptor of `new WebAssembly.Memory(...)`. */
export interface WasmMemoryDescriptor {
  readonly initial: number;
  readonly maximum?: number;
  readonly shared?: boolean;
}

/** The constructors and functions of the `WebAssembly` namespace the backend calls. */
export interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  readonly Module: new (bytes: Uint8Array) => WasmModule;
  readonly Instance: new (module: WasmModule, imports: Readonly<Record<string, Readonly<Record<string, unknown>>>>) => WasmInstance;
  readonly Memory: new (descriptor: WasmMemoryDescriptor) => WasmMemory;
}

/** `globalThis.WebAssembly`, or undefined where there is none. */
export function wasmApi(): WasmApi | undefined {
  const api = (globalThis as { readonly WebAssembly?: unknown }).WebAssembly;
  if (typeof api !== 'object' || api === null) return undefined;
  const w = api as Partial<Record<keyof WasmApi, unknown>>;
  if (typeof w.validate !== 'function' || typeof w.Module !== 'function' || typeof w.Instance !== 'function' || typeof w.Memory !== 'function') return undefined;
  return api as WasmApi;
}

/** Bytes per WebAssembly page. */
export const PAGE_BYTES = 65536;

/** The most pages a 32-bit memory can have (4 GiB). */
export const MAX_PAGES = 65536;

/** True for a `WebAssembly.Memory` (any realm): it has a buffer and a `grow` method. */
export function isWasmMemory(value: unknown): value is WasmMemory {
  if (typeof value !== 'object' || value === null) return false;
  const tag = Object.prototype.toString.call(value);
  return tag === '[object WebAssembly.Memory]' && typeof (value as { grow?: unknown }).grow === 'function';
}
