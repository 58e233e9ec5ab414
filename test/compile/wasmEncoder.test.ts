/**
 * The WebAssembly encoder and text printer (src/compile/wasm/encoder.ts, text.ts): LEB128
 * against the spec's examples and a decoder, floats, sections, a hand-built SIMD module that
 * validates and runs, the name section, and the checks that refuse malformed input.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteWriter, type FuncDef, type ModuleSpec, encodeModule } from '../../src/compile/wasm/encoder.js';
import { OPCODES, f32, f64, get, i32, lane, mem, op, v128 } from '../../src/compile/wasm/instr.js';
import { f32Text, f64Text, printModule } from '../../src/compile/wasm/text.js';

/** A LEB128 decoder, written from the spec, independent of the encoder. */
function decodeLeb(bytes: Uint8Array, signed: boolean): { readonly value: number; readonly length: number } {
  let result = 0n;
  let shift = 0n;
  let i = 0;
  for (;;) {
    const b = bytes[i++] as number;
    result |= BigInt(b & 0x7f) << shift;
    shift += 7n;
    if ((b & 0x80) === 0) {
      if (signed && (b & 0x40) !== 0) result -= 1n << shift;
      return { value: Number(result), length: i };
    }
  }
}

const u32 = (v: number): number[] => Array.from(new ByteWriter().u32(v).finish());
const s32 = (v: number): number[] => Array.from(new ByteWriter().s32(v).finish());

const WA = (globalThis as unknown as {
  WebAssembly: {
    validate(b: Uint8Array): boolean;
    Module: new (b: Uint8Array) => object;
    Instance: new (m: object, imports: object) => { exports: Record<string, (...args: number[]) => number> };
    Memory: new (d: { initial: number }) => { buffer: ArrayBuffer };
  };
}).WebAssembly;

describe('LEB128', () => {
  it('unsigned: the spec examples and the edges', () => {
    expect(u32(0)).toEqual([0x00]);
    expect(u32(127)).toEqual([0x7f]);
    expect(u32(128)).toEqual([0x80, 0x01]);
    expect(u32(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(u32(0xffffffff)).toEqual([0xff, 0xff, 0xff, 0xff, 0x0f]);
  });

  it('signed: the spec examples and the edges', () => {
    expect(s32(0)).toEqual([0x00]);
    expect(s32(-1)).toEqual([0x7f]);
    expect(s32(63)).toEqual([0x3f]);
    expect(s32(64)).toEqual([0xc0, 0x00]);
    expect(s32(-64)).toEqual([0x40]);
    expect(s32(-65)).toEqual([0xbf, 0x7f]);
    expect(s32(-123456)).toEqual([0xc0, 0xbb, 0x78]);
    expect(s32(0x7fffffff)).toEqual([0xff, 0xff, 0xff, 0xff, 0x07]);
    expect(s32(-0x80000000)).toEqual([0x80, 0x80, 0x80, 0x80, 0x78]);
  });

  it('round-trips through an independent decoder (u32 and s32)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: -0x80000000, max: 0x7fffffff }), (u, s) => {
        const bu = new ByteWriter().u32(u).finish();
        const bs = new ByteWriter().s32(s).finish();
        const du = decodeLeb(bu, false);
        const ds = decodeLeb(bs, true);
        return du.value === u && du.length === bu.length && ds.value === s && ds.length === bs.length && bu.length <= 5 && bs.length <= 5;
      }),
      { seed: 42, numRuns: 2000 },
    );
  });

  it('refuses what it cannot encode', () => {
    for (const bad of [-1, 2 ** 32, 1.5, NaN]) expect(() => new ByteWriter().u32(bad)).toThrow(/u32/);
    for (const bad of [2 ** 31, -(2 ** 31) - 1, 0.5]) expect(() => new ByteWriter().s32(bad)).toThrow(/s32/);
    expect(() => new ByteWriter().byte(256)).toThrow(/byte/);
  });
});

describe('floats and names', () => {
  it('f32 / f64 little-endian, -0 and NaN kept', () => {
    expect(Array.from(new ByteWriter().f32(1).finish())).toEqual([0x00, 0x00, 0x80, 0x3f]);
    expect(Array.from(new ByteWriter().f32(-0).finish())).toEqual([0x00, 0x00, 0x00, 0x80]);
    expect(Array.from(new ByteWriter().f64(1).finish())).toEqual([0, 0, 0, 0, 0, 0, 0xf0, 0x3f]);
    const nan = new DataView(new ByteWriter().f64(NaN).finish().buffer);
    expect(Number.isNaN(nan.getFloat64(0, true))).toBe(true);
    expect(Array.from(new ByteWriter().name('pass0').finish())).toEqual([5, 0x70, 0x61, 0x73, 0x73, 0x30]);
  });

  it('text literals read back exactly', () => {
    for (const x of [0.1, 1e-8, 3.4028234663852886e38, 1.401298464324817e-45, -2.5, 16777216]) expect(Math.fround(Number(f32Text(x)))).toBe(Math.fround(x));
    for (const x of [0.1, 1e-300, 5e-324, -1.7976931348623157e308]) expect(Number(f64Text(x))).toBe(x);
    expect([f64Text(NaN), f64Text(Infinity), f64Text(-Infinity), f64Text(-0), f32Text(-0)]).toEqual(['nan', 'inf', '-inf', '-0', '-0']);
  });
});

describe('modules', () => {
  /** `c[i..i+4) = a[i..i+4) * b[i..i+4) + k` in f32x4 lanes, and `tanh` through an import. */
  const spec = (): ModuleSpec => {
    const mul: FuncDef = {
      id: 'mulAdd',
      export: 'mulAdd',
      params: [
        { type: 'i32', name: 'a' },
        { type: 'i32', name: 'b' },
        { type: 'i32', name: 'c' },
      ],
      results: [],
      locals: [{ type: 'v128', name: 'x' }],
      body: [
        get(2),
        get(0),
        mem('v128.load', 0, 2),
        get(1),
        mem('v128.load', 0, 2),
        op('f32x4.mul'),
        v128('f32x4', [0.5, 0.5, 0.5, 0.5]),
        op('f32x4.add'),
        { op: 'local.tee', local: 3 },
        mem('v128.store', 0, 2),
        get(3),
        lane('f32x4.extract_lane', 3),
        op('drop'),
      ],
    };
    const tanh: FuncDef = {
      id: 'tanhOf',
      export: 'tanhOf',
      params: [{ type: 'f64', name: 'x' }],
      results: ['f64'],
      locals: [],
      body: [get(0), { op: 'call', func: 0 }, f64(1), op('f64.add'), f32(2), op('f64.promote_f32'), op('f64.mul'), i32(0), op('drop')],
      comment: ['2 (tanh(x) + 1)'],
    };
    return {
      funcImports: [{ module: 'math', name: 'tanh', id: 'Math.tanh', type: { params: ['f64'], results: ['f64'] } }],
      memory: { module: 'env', name: 'memory', shared: false, minimum: 0, maximum: undefined },
      functions: [mul, tanh],
      comment: ['a test module'],
    };
  };

  it('a hand-built SIMD module validates, instantiates and computes', () => {
    const bytes = encodeModule(spec());
    expect(Array.from(bytes.subarray(0, 8))).toEqual([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
    expect(WA.validate(bytes)).toBe(true);
    const memory = new WA.Memory({ initial: 1 });
    const inst = new WA.Instance(new WA.Module(bytes), { env: { memory }, math: { tanh: Math.tanh } });
    const f = new Float32Array(memory.buffer);
    f.set([1, 2, 3, 4], 0);
    f.set([10, 20, 30, 40], 4);
    inst.exports.mulAdd?.(0, 16, 32);
    expect(Array.from(f.subarray(8, 12))).toEqual([10.5, 40.5, 90.5, 160.5]);
    expect(inst.exports.tanhOf?.(0.3)).toBe(2 * (Math.tanh(0.3) + 1));
  });

  it('the name section names the functions and locals (what a debugger shows)', () => {
    const text = new TextDecoder().decode(encodeModule(spec()));
    for (const name of ['name', 'Math.tanh', 'mulAdd', 'tanhOf']) expect(text).toContain(name);
  });

  it('prints the text form: imports, exports, named locals, labels, exact numbers', () => {
    const loopy: FuncDef = {
      id: 'loopy',
      export: undefined,
      params: [{ type: 'i32', name: 'n' }],
      results: [],
      locals: [],
      body: [{ op: 'block', label: 'done' }, { op: 'loop', label: 'again' }, get(0), { op: 'br_if', depth: 1 }, { op: 'br', depth: 0 }, op('end'), op('end')],
    };
    const text = printModule({ ...spec(), functions: [...spec().functions, loopy] });
    expect(text).toContain(';; a test module');
    expect(text).toContain('(import "env" "memory" (memory 0))');
    expect(text).toContain('(import "math" "tanh" (func $Math.tanh (param f64) (result f64)))');
    expect(text).toContain('(func $mulAdd (export "mulAdd") (param $a i32) (param $b i32) (param $c i32)');
    expect(text).toContain('(local $x v128)');
    expect(text).toContain('v128.load align=4');
    expect(text).toContain('v128.const f32x4 0.5 0.5 0.5 0.5');
    expect(text).toContain('local.tee $x');
    expect(text).toContain('call $Math.tanh');
    expect(text).toContain('  ;; 2 (tanh(x) + 1)');
    expect(text).toContain('br_if $done');
    expect(text).toContain('br $again');
  });

  it('refuses malformed functions before WebAssembly would', () => {
    const one = (f: Partial<FuncDef>): ModuleSpec => ({ funcImports: [], memory: undefined, functions: [{ id: 'f', export: 'f', params: [], results: [], locals: [], body: [], ...f }] });
    expect(() => encodeModule(one({ body: [{ op: 'block', label: 'x' }] }))).toThrow(/unclosed/);
    expect(() => encodeModule(one({ body: [op('end')] }))).toThrow(/unbalanced/);
    expect(() => encodeModule(one({ body: [get(0), op('drop')] }))).toThrow(/local 0 out of range/);
    expect(() => encodeModule(one({ body: [{ op: 'br', depth: 1 }] }))).toThrow(/branch depth/);
    expect(() => encodeModule(one({ body: [{ op: 'call', func: 3 }] }))).toThrow(/function 3 out of range/);
    expect(() => encodeModule(one({ body: [{ op: 'i8x16.shuffle', lanes: [32, ...new Array<number>(15).fill(0)] }] }))).toThrow(/shuffle/);
    expect(() => v128('f64x2', [1, 2, 3])).toThrow(/lanes/);
    expect(() => encodeModule({ ...one({}), memory: { module: 'env', name: 'memory', shared: true, minimum: 0, maximum: undefined } })).toThrow(/maximum/);
  });

  it('every instruction of the table has a distinct encoding', () => {
    const keys = Object.values(OPCODES).map((o) => `${o.simd ? 'fd:' : ''}${String(o.code)}`);
    expect(new Set(keys).size).toBe(keys.length);
  });
});
