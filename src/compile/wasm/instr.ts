/**
 * The WebAssembly instructions the backend emits: one table of name → opcode bytes and
 * immediate kind, read by the binary encoder (`encoder.ts`) and the text printer (`text.ts`),
 * so the two cannot disagree. SIMD instructions carry the `0xFD` prefix followed by their
 * LEB128 sub-opcode.
 *
 * Only what the backend needs is here: control, locals, calls, i32 address arithmetic, f32/f64
 * scalar arithmetic and conversions, and the 128-bit SIMD subset for f32x4 / f64x2 lanes.
 *
 * @module
 */

/** What follows an opcode in the binary. */
export type ImmKind =
  /** nothing */
  | 'none'
  /** a block type (always empty, `0x40`) */
  | 'block'
  /** a branch depth */
  | 'depth'
  /** a local index */
  | 'local'
  /** a function index */
  | 'func'
  /** alignment (log2) and offset */
  | 'memarg'
  /** a signed 32-bit integer */
  | 'i32'
  /** 4 bytes of a float32 */
  | 'f32'
  /** 8 bytes of a float64 */
  | 'f64'
  /** 16 bytes */
  | 'v128'
  /** a lane index byte */
  | 'lane'
  /** 16 lane index bytes */
  | 'shuffle';

interface OpInfo<K extends ImmKind = ImmKind> {
  /** The opcode: one byte, or `0xFD` and a SIMD sub-opcode. */
  readonly code: number;
  readonly simd: boolean;
  readonly imm: K;
}

function core(code: number): OpInfo<'none'>;
function core<K extends ImmKind>(code: number, imm: K): OpInfo<K>;
function core(code: number, imm: ImmKind = 'none'): OpInfo {
  return { code, simd: false, imm };
}
function simd(code: number): OpInfo<'none'>;
function simd<K extends ImmKind>(code: number, imm: K): OpInfo<K>;
function simd(code: number, imm: ImmKind = 'none'): OpInfo {
  return { code, simd: true, imm };
}

/** Every instruction the backend may emit. */
export const OPCODES = {
  // control
  unreachable: core(0x00),
  nop: core(0x01),
  block: core(0x02, 'block'),
  loop: core(0x03, 'block'),
  if: core(0x04, 'block'),
  else: core(0x05),
  end: core(0x0b),
  br: core(0x0c, 'depth'),
  br_if: core(0x0d, 'depth'),
  return: core(0x0f),
  call: core(0x10, 'func'),
  drop: core(0x1a),
  select: core(0x1b),
  // variables
  'local.get': core(0x20, 'local'),
  'local.set': core(0x21, 'local'),
  'local.tee': core(0x22, 'local'),
  // memory
  'i32.load': core(0x28, 'memarg'),
  'f32.load': core(0x2a, 'memarg'),
  'f64.load': core(0x2b, 'memarg'),
  'i32.store': core(0x36, 'memarg'),
  'f32.store': core(0x38, 'memarg'),
  'f64.store': core(0x39, 'memarg'),
  // constants
  'i32.const': core(0x41, 'i32'),
  'f32.const': core(0x43, 'f32'),
  'f64.const': core(0x44, 'f64'),
  // i32
  'i32.eqz': core(0x45),
  'i32.eq': core(0x46),
  'i32.ne': core(0x47),
  'i32.lt_u': core(0x49),
  'i32.gt_u': core(0x4b),
  'i32.le_u': core(0x4d),
  'i32.ge_u': core(0x4f),
  'i32.add': core(0x6a),
  'i32.sub': core(0x6b),
  'i32.mul': core(0x6c),
  'i32.and': core(0x71),
  'i32.shl': core(0x74),
  'i32.shr_u': core(0x76),
  // f32 / f64 comparisons
  'f32.eq': core(0x5b),
  'f32.ne': core(0x5c),
  'f32.lt': core(0x5d),
  'f32.gt': core(0x5e),
  'f32.le': core(0x5f),
  'f32.ge': core(0x60),
  'f64.eq': core(0x61),
  'f64.ne': core(0x62),
  'f64.lt': core(0x63),
  'f64.gt': core(0x64),
  'f64.le': core(0x65),
  'f64.ge': core(0x66),
  // f32 / f64 arithmetic
  'f32.abs': core(0x8b),
  'f32.neg': core(0x8c),
  'f32.sqrt': core(0x91),
  'f32.add': core(0x92),
  'f32.sub': core(0x93),
  'f32.mul': core(0x94),
  'f32.div': core(0x95),
  'f32.min': core(0x96),
  'f32.max': core(0x97),
  'f64.abs': core(0x99),
  'f64.neg': core(0x9a),
  'f64.sqrt': core(0x9f),
  'f64.add': core(0xa0),
  'f64.sub': core(0xa1),
  'f64.mul': core(0xa2),
  'f64.div': core(0xa3),
  'f64.min': core(0xa4),
  'f64.max': core(0xa5),
  // conversions
  'f32.convert_i32_u': core(0xb3),
  'f32.demote_f64': core(0xb6),
  'f64.convert_i32_u': core(0xb8),
  'f64.promote_f32': core(0xbb),
  // SIMD: memory, constants, lanes
  'v128.load': simd(0x00, 'memarg'),
  'v128.store': simd(0x0b, 'memarg'),
  'v128.const': simd(0x0c, 'v128'),
  'i8x16.shuffle': simd(0x0d, 'shuffle'),
  'f32x4.splat': simd(0x13),
  'f64x2.splat': simd(0x14),
  'f32x4.extract_lane': simd(0x1f, 'lane'),
  'f32x4.replace_lane': simd(0x20, 'lane'),
  'f64x2.extract_lane': simd(0x21, 'lane'),
  'f64x2.replace_lane': simd(0x22, 'lane'),
  // SIMD: comparisons (lane masks)
  'f32x4.eq': simd(0x41),
  'f32x4.ne': simd(0x42),
  'f32x4.lt': simd(0x43),
  'f32x4.gt': simd(0x44),
  'f32x4.le': simd(0x45),
  'f32x4.ge': simd(0x46),
  'f64x2.eq': simd(0x47),
  'f64x2.ne': simd(0x48),
  'f64x2.lt': simd(0x49),
  'f64x2.gt': simd(0x4a),
  'f64x2.le': simd(0x4b),
  'f64x2.ge': simd(0x4c),
  // SIMD: bitwise
  'v128.not': simd(0x4d),
  'v128.and': simd(0x4e),
  'v128.andnot': simd(0x4f),
  'v128.or': simd(0x50),
  'v128.xor': simd(0x51),
  'v128.bitselect': simd(0x52),
  'v128.any_true': simd(0x53),
  'i32x4.all_true': simd(0xa3),
  // SIMD: conversions
  'f32x4.demote_f64x2_zero': simd(0x5e),
  'f64x2.promote_low_f32x4': simd(0x5f),
  // SIMD: arithmetic
  'f32x4.abs': simd(0xe0),
  'f32x4.neg': simd(0xe1),
  'f32x4.sqrt': simd(0xe3),
  'f32x4.add': simd(0xe4),
  'f32x4.sub': simd(0xe5),
  'f32x4.mul': simd(0xe6),
  'f32x4.div': simd(0xe7),
  'f32x4.min': simd(0xe8),
  'f32x4.max': simd(0xe9),
  'f64x2.abs': simd(0xec),
  'f64x2.neg': simd(0xed),
  'f64x2.sqrt': simd(0xef),
  'f64x2.add': simd(0xf0),
  'f64x2.sub': simd(0xf1),
  'f64x2.mul': simd(0xf2),
  'f64x2.div': simd(0xf3),
  'f64x2.min': simd(0xf4),
  'f64x2.max': simd(0xf5),
} as const satisfies Record<string, OpInfo>;

/** Every instruction name. */
export type OpName = keyof typeof OPCODES;

/** The names whose immediate is of kind `K`. */
export type OpOf<K extends ImmKind> = { [N in OpName]: (typeof OPCODES)[N]['imm'] extends K ? N : never }[OpName];

/** The lane interpretation of a `v128.const` (for printing; the bytes are the same). */
export type V128Shape = 'f32x4' | 'f64x2' | 'i32x4';

/** One instruction with its immediates. */
export type Instr =
  | { readonly op: OpOf<'none'> }
  | { readonly op: OpOf<'block'>; readonly label: string }
  | { readonly op: OpOf<'depth'>; readonly depth: number }
  | { readonly op: OpOf<'local'>; readonly local: number }
  | { readonly op: OpOf<'func'>; readonly func: number }
  | { readonly op: OpOf<'memarg'>; readonly align: number; readonly offset: number }
  | { readonly op: 'i32.const'; readonly value: number }
  | { readonly op: 'f32.const' | 'f64.const'; readonly value: number }
  | { readonly op: 'v128.const'; readonly shape: V128Shape; readonly lanes: readonly number[] }
  | { readonly op: OpOf<'lane'>; readonly lane: number }
  | { readonly op: 'i8x16.shuffle'; readonly lanes: readonly number[] };

/** The value types. */
export type ValType = 'i32' | 'i64' | 'f32' | 'f64' | 'v128';

/** Binary codes of the value types. */
export const VALTYPE_CODE: Readonly<Record<ValType, number>> = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b };

/** Lane counts of a v128 const shape. */
export const SHAPE_LANES: Readonly<Record<V128Shape, number>> = { f32x4: 4, f64x2: 2, i32x4: 4 };

// ---------------------------------------------------------------------------------------------
// builders (keep call sites short and typed)
// ---------------------------------------------------------------------------------------------

/** An instruction without immediates. */
export const op = (name: OpOf<'none'>): Instr => ({ op: name });
export const get = (local: number): Instr => ({ op: 'local.get', local });
export const set = (local: number): Instr => ({ op: 'local.set', local });
export const tee = (local: number): Instr => ({ op: 'local.tee', local });
export const i32 = (value: number): Instr => ({ op: 'i32.const', value: value | 0 });
export const f32 = (value: number): Instr => ({ op: 'f32.const', value: Math.fround(value) });
export const f64 = (value: number): Instr => ({ op: 'f64.const', value });
export const v128 = (shape: V128Shape, lanes: readonly number[]): Instr => {
  if (lanes.length !== SHAPE_LANES[shape]) throw new Error(`wasm: ${shape} const takes ${String(SHAPE_LANES[shape])} lanes`);
  return { op: 'v128.const', shape, lanes: shape === 'f32x4' ? lanes.map(Math.fround) : [...lanes] };
};
/** A memory access; `align` is the log2 of the natural alignment the address is known to have. */
export const mem = (name: OpOf<'memarg'>, offset = 0, align = 0): Instr => ({ op: name, offset, align });
export const lane = (name: OpOf<'lane'>, index: number): Instr => ({ op: name, lane: index });
export const block = (name: OpOf<'block'>, label: string): Instr => ({ op: name, label });
export const br = (name: 'br' | 'br_if', depth: number): Instr => ({ op: name, depth });
export const call = (func: number): Instr => ({ op: 'call', func });
