/**
 * A small WebAssembly binary encoder: LEB128 integers, IEEE floats, sections, and a module
 * made of function types, imports (functions and one memory), functions, exports, code and a
 * `name` section (so a debugger shows the functions and locals by name).
 *
 * It encodes exactly what {@link ModuleSpec} describes and checks what it can cheaply (integer
 * ranges, lane counts, local and function indices, balanced blocks); `WebAssembly.validate` is
 * the final judge, and the backend calls it before instantiating.
 *
 * @module
 */
import { type Instr, OPCODES, SHAPE_LANES, type ValType, VALTYPE_CODE } from './instr.js';

// ---------------------------------------------------------------------------------------------
// bytes
// ---------------------------------------------------------------------------------------------

/** A growable byte buffer with the primitive encodings of the binary format. */
export class ByteWriter {
  private bytes = new Uint8Array(256);
  private length = 0;
  private readonly scratch = new DataView(new ArrayBuffer(8));

  private reserve(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.bytes.subarray(0, this.length));
    this.bytes = next;
  }

  byte(b: number): this {
    if (!Number.isInteger(b) || b < 0 || b > 255) throw new Error(`wasm: not a byte: ${String(b)}`);
    this.reserve(1);
    this.bytes[this.length++] = b;
    return this;
  }

  raw(bytes: ArrayLike<number>): this {
    this.reserve(bytes.length);
    for (let i = 0; i < bytes.length; i++) this.byte(bytes[i] as number);
    return this;
  }

  /** Unsigned LEB128 of an integer in [0, 2^32). */
  u32(value: number): this {
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new Error(`wasm: not a u32: ${String(value)}`);
    let v = value;
    do {
      let b = v % 128;
      v = Math.floor(v / 128);
      if (v !== 0) b |= 0x80;
      this.byte(b);
    } while (v !== 0);
    return this;
  }

  /** Signed LEB128 of an integer in [-2^31, 2^31). */
  s32(value: number): this {
    if (!Number.isInteger(value) || value < -0x80000000 || value > 0x7fffffff) throw new Error(`wasm: not an s32: ${String(value)}`);
    let v = value;
    for (;;) {
      const b = v & 0x7f;
      v >>= 7; // arithmetic shift keeps the sign
      const done = (v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0);
      this.byte(done ? b : b | 0x80);
      if (done) return this;
    }
  }

  /** 4 bytes, little-endian, of `value` rounded to float32. */
  f32(value: number): this {
    this.scratch.setFloat32(0, value, true);
    for (let i = 0; i < 4; i++) this.byte(this.scratch.getUint8(i));
    return this;
  }

  /** 8 bytes, little-endian. */
  f64(value: number): this {
    this.scratch.setFloat64(0, value, true);
    for (let i = 0; i < 8; i++) this.byte(this.scratch.getUint8(i));
    return this;
  }

  /** 4 bytes, little-endian, of a 32-bit integer (signed or unsigned). */
  i32le(value: number): this {
    this.scratch.setInt32(0, value | 0, true);
    for (let i = 0; i < 4; i++) this.byte(this.scratch.getUint8(i));
    return this;
  }

  /** A name: its UTF-8 length, then the bytes. */
  name(text: string): this {
    const utf8 = new TextEncoder().encode(text);
    return this.u32(utf8.length).raw(utf8);
  }

  /** A vector: its count, then each item. */
  vec<T>(items: readonly T[], each: (item: T, w: this) => void): this {
    this.u32(items.length);
    for (const item of items) each(item, this);
    return this;
  }

  /** Appends another writer's bytes, prefixed by their length (a section or a function body). */
  sized(inner: ByteWriter): this {
    const bytes = inner.finish();
    return this.u32(bytes.length).raw(bytes);
  }

  get size(): number {
    return this.length;
  }

  /** A copy of the bytes written. */
  finish(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }
}

// ---------------------------------------------------------------------------------------------
// instructions
// ---------------------------------------------------------------------------------------------

/** Writes one instruction. `localCount` and `funcCount` bound the indices it may name. */
export function encodeInstr(w: ByteWriter, ins: Instr, localCount: number, funcCount: number): void {
  const info: { readonly code: number; readonly simd: boolean; readonly imm: string } = OPCODES[ins.op];
  if (info.simd) w.byte(0xfd).u32(info.code);
  else w.byte(info.code);
  switch (info.imm) {
    case 'none':
      return;
    case 'block':
      w.byte(0x40);
      return;
    case 'depth':
      w.u32((ins as { readonly depth: number }).depth);
      return;
    case 'local': {
      const local = (ins as { readonly local: number }).local;
      if (local >= localCount) throw new Error(`wasm: local ${String(local)} out of range (${String(localCount)} locals)`);
      w.u32(local);
      return;
    }
    case 'func': {
      const func = (ins as { readonly func: number }).func;
      if (func >= funcCount) throw new Error(`wasm: function ${String(func)} out of range`);
      w.u32(func);
      return;
    }
    case 'memarg': {
      const m = ins as { readonly align: number; readonly offset: number };
      w.u32(m.align).u32(m.offset);
      return;
    }
    case 'i32':
      w.s32((ins as { readonly value: number }).value);
      return;
    case 'f32':
      w.f32((ins as { readonly value: number }).value);
      return;
    case 'f64':
      w.f64((ins as { readonly value: number }).value);
      return;
    case 'v128': {
      const c = ins as { readonly shape: keyof typeof SHAPE_LANES; readonly lanes: readonly number[] };
      if (c.lanes.length !== SHAPE_LANES[c.shape]) throw new Error(`wasm: ${c.shape} const with ${String(c.lanes.length)} lanes`);
      for (const x of c.lanes) {
        if (c.shape === 'f32x4') w.f32(x);
        else if (c.shape === 'f64x2') w.f64(x);
        else w.i32le(x);
      }
      return;
    }
    case 'lane':
      w.byte((ins as { readonly lane: number }).lane);
      return;
    case 'shuffle': {
      const lanes = (ins as { readonly lanes: readonly number[] }).lanes;
      if (lanes.length !== 16 || lanes.some((l) => !Number.isInteger(l) || l < 0 || l > 31)) throw new Error('wasm: a shuffle takes 16 lane indices in [0, 32)');
      w.raw(lanes);
      return;
    }
    default:
      throw new Error(`wasm: unknown immediate kind of ${ins.op}`);
  }
}

// ---------------------------------------------------------------------------------------------
// modules
// ---------------------------------------------------------------------------------------------

/** A function signature. */
export interface FuncType {
  readonly params: readonly ValType[];
  readonly results: readonly ValType[];
}

/** An imported function. */
export interface FuncImport {
  readonly module: string;
  readonly name: string;
  /** Its name in the text form and the name section. */
  readonly id: string;
  readonly type: FuncType;
}

/** The imported memory. */
export interface MemoryImport {
  readonly module: string;
  readonly name: string;
  /** A shared memory must declare a maximum (pages). */
  readonly shared: boolean;
  readonly minimum: number;
  readonly maximum: number | undefined;
}

/** A local (or parameter) with its name for the text form. */
export interface Local {
  readonly type: ValType;
  readonly name: string;
}

/** A function defined by the module. */
export interface FuncDef {
  readonly id: string;
  /** Exported under this name, if any. */
  readonly export: string | undefined;
  readonly params: readonly Local[];
  readonly results: readonly ValType[];
  readonly locals: readonly Local[];
  readonly body: readonly Instr[];
  /** A comment printed before the function in the text form. */
  readonly comment?: readonly string[];
}

/** A whole module. Function indices: imports first, then `functions`. */
export interface ModuleSpec {
  readonly funcImports: readonly FuncImport[];
  readonly memory: MemoryImport | undefined;
  readonly functions: readonly FuncDef[];
  /** Comment lines printed at the top of the text form. */
  readonly comment?: readonly string[];
}

const MAGIC = [0x00, 0x61, 0x73, 0x6d];
const VERSION = [0x01, 0x00, 0x00, 0x00];

const typeKey = (t: FuncType): string => `${t.params.join(',')}>${t.results.join(',')}`;

/** The distinct function types of a module, in first-use order, and each function's type index. */
export function typesOf(spec: ModuleSpec): { readonly types: readonly FuncType[]; readonly index: (t: FuncType) => number } {
  const types: FuncType[] = [];
  const at = new Map<string, number>();
  const add = (t: FuncType): void => {
    const k = typeKey(t);
    if (!at.has(k)) {
      at.set(k, types.length);
      types.push(t);
    }
  };
  spec.funcImports.forEach((f) => add(f.type));
  spec.functions.forEach((f) => add({ params: f.params.map((p) => p.type), results: f.results }));
  return {
    types,
    index: (t) => {
      const i = at.get(typeKey(t));
      if (i === undefined) throw new Error('wasm: unknown function type');
      return i;
    },
  };
}

function section(out: ByteWriter, id: number, build: (w: ByteWriter) => void): void {
  const w = new ByteWriter();
  build(w);
  out.byte(id).sized(w);
}

/** Checks that blocks are balanced and branch depths stay inside them. */
function checkStructure(f: FuncDef): void {
  let depth = 0;
  for (const ins of f.body) {
    if (ins.op === 'block' || ins.op === 'loop' || ins.op === 'if') depth++;
    else if (ins.op === 'end') depth--;
    else if ((ins.op === 'br' || ins.op === 'br_if') && ins.depth >= depth + 1) throw new Error(`wasm: ${f.id}: branch depth ${String(ins.depth)} outside its blocks`);
    if (depth < 0) throw new Error(`wasm: ${f.id}: unbalanced end`);
  }
  if (depth !== 0) throw new Error(`wasm: ${f.id}: ${String(depth)} unclosed blocks`);
}

/** Run-length groups of local types, as the code section wants them. */
function localGroups(locals: readonly Local[]): { readonly count: number; readonly type: ValType }[] {
  const out: { count: number; type: ValType }[] = [];
  for (const l of locals) {
    const last = out[out.length - 1];
    if (last !== undefined && last.type === l.type) last.count++;
    else out.push({ count: 1, type: l.type });
  }
  return out;
}

/** Encodes a module. */
export function encodeModule(spec: ModuleSpec): Uint8Array {
  const { types, index } = typesOf(spec);
  const funcCount = spec.funcImports.length + spec.functions.length;
  const out = new ByteWriter().raw(MAGIC).raw(VERSION);

  // 1: types
  section(out, 1, (w) =>
    w.vec(types, (t, v) => {
      v.byte(0x60);
      v.vec(t.params, (p, x) => x.byte(VALTYPE_CODE[p]));
      v.vec(t.results, (r, x) => x.byte(VALTYPE_CODE[r]));
    }),
  );
  // 2: imports
  const imports = spec.funcImports.length + (spec.memory === undefined ? 0 : 1);
  if (imports > 0) {
    section(out, 2, (w) => {
      w.u32(imports);
      for (const f of spec.funcImports) w.name(f.module).name(f.name).byte(0x00).u32(index(f.type));
      const m = spec.memory;
      if (m !== undefined) {
        w.name(m.module).name(m.name).byte(0x02);
        if (m.shared) {
          if (m.maximum === undefined) throw new Error('wasm: a shared memory needs a maximum');
          w.byte(0x03).u32(m.minimum).u32(m.maximum);
        } else if (m.maximum === undefined) w.byte(0x00).u32(m.minimum);
        else w.byte(0x01).u32(m.minimum).u32(m.maximum);
      }
    });
  }
  // 3: function declarations
  section(out, 3, (w) => w.vec(spec.functions, (f, v) => v.u32(index({ params: f.params.map((p) => p.type), results: f.results }))));
  // 7: exports
  const exported = spec.functions.map((f, i) => ({ name: f.export, index: spec.funcImports.length + i })).filter((e): e is { name: string; index: number } => e.name !== undefined);
  if (new Set(exported.map((e) => e.name)).size !== exported.length) throw new Error('wasm: two exports share a name');
  section(out, 7, (w) => w.vec(exported, (e, v) => v.name(e.name).byte(0x00).u32(e.index)));
  // 10: code
  section(out, 10, (w) =>
    w.vec(spec.functions, (f, v) => {
      checkStructure(f);
      const body = new ByteWriter();
      body.vec(localGroups(f.locals), (g, x) => x.u32(g.count).byte(VALTYPE_CODE[g.type]));
      const localCount = f.params.length + f.locals.length;
      for (const ins of f.body) encodeInstr(body, ins, localCount, funcCount);
      body.byte(OPCODES.end.code);
      v.sized(body);
    }),
  );
  // 0: the name section (function names, local names)
  section(out, 0, (w) => {
    w.name('name');
    const fnames = new ByteWriter();
    const all = [...spec.funcImports.map((f) => f.id), ...spec.functions.map((f) => f.id)];
    fnames.vec(all.map((id, i) => [i, id] as const), ([i, id], x) => x.u32(i).name(id));
    w.byte(1).sized(fnames);
    const lnames = new ByteWriter();
    lnames.vec(spec.functions.map((f, i) => [spec.funcImports.length + i, [...f.params, ...f.locals]] as const), ([fi, locals], x) => {
      x.u32(fi);
      x.vec(locals.map((l, li) => [li, l.name] as const), ([li, name], y) => y.u32(li).name(name));
    });
    w.byte(2).sized(lnames);
  });
  return out.finish();
}
