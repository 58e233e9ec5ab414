/**
 * Names in generated code. Every identifier the compiler emits comes from here: a fixed table
 * of the parameter and loop names (as ajv's `names.ts`), fresh names made of an allowed role
 * prefix and a counter, and names derived from a kernel's slot names, which must match the
 * slot-name pattern. No tree key, label or option value can become a name.
 *
 * @module
 */
import type { Dtype } from '../tree/leaf.js';
import { Name } from './code.js';
import { CompileError } from './error.js';

/** The fixed names of a pass function: its parameters and loop variables. */
export const N = {
  /** The segment table: `lo, hi, variant, leaf` per segment. */
  seg: new Name('seg'),
  /** The per-step scalars. */
  s: new Name('s'),
  /** The global reduction results. */
  red: new Name('red'),
  /** The per-leaf scalars table. */
  ls: new Name('ls'),
  /** The per-leaf reduction results table. */
  lred: new Name('lred'),
  /** The buffers the pass reads and writes. */
  b: new Name('b'),
  /** Element index. */
  i: new Name('i'),
  /** Segment-table index. */
  k: new Name('k'),
  lo: new Name('lo'),
  hi: new Name('hi'),
  leaf: new Name('leaf'),
} as const;

/** Role prefixes a fresh name may start with. */
export type Prefix =
  /** a per-step scalar (`s3 = s[3]`) */
  | 's'
  /** a per-leaf scalar */
  | 'l'
  /** a loaded incoming gradient element */
  | 'g'
  /** a loaded parameter element */
  | 'p'
  /** the update after a stage (`u2`: after stage 1) */
  | 'u'
  /** a temporary (a shared or hoisted subexpression) */
  | 't'
  /** a reduction accumulator */
  | 'acc';

const PREFIXES: ReadonlySet<string> = new Set<Prefix>(['s', 'l', 'g', 'p', 'u', 't', 'acc']);

/** The pattern a kernel's slot name must match to appear in generated names. */
export const SLOT_NAME = /^[A-Za-z][A-Za-z0-9]*$/;

const DTYPE_SUFFIX: Readonly<Record<Dtype, string>> = { float32: 'f32', float64: 'f64' };

/** The buffer roles of a pass. */
export type BufferRole = 'g' | 'p' | 'out';

/**
 * Allocates names for one function. `fork()` gives a child scope for a block (a variant's case)
 * that sees the names taken so far; sibling blocks may reuse names, since `const` is
 * block-scoped.
 */
export class Scope {
  private readonly used: Set<string>;
  private readonly counters: Map<string, number>;

  constructor(used?: ReadonlySet<string>, counters?: ReadonlyMap<string, number>) {
    this.used = new Set(used ?? Object.values(N).map((n) => n.text));
    this.counters = new Map(counters ?? []);
  }

  /** A child scope for a nested block. */
  fork(): Scope {
    return new Scope(this.used, this.counters);
  }

  private take(text: string): Name {
    if (this.used.has(text)) throw new Error(`codegen: name ${text} already taken`);
    const name = new Name(text);
    this.used.add(text);
    return name;
  }

  private checkPrefix(prefix: string): void {
    if (!PREFIXES.has(prefix)) throw new Error(`codegen: prefix ${JSON.stringify(prefix)} is not allowed`);
  }

  /** `prefix` + the next free counter. */
  fresh(prefix: Prefix): Name {
    this.checkPrefix(prefix);
    let n = this.counters.get(prefix) ?? 0;
    while (this.used.has(`${prefix}${String(n)}`)) n++;
    this.counters.set(prefix, n + 1);
    return this.take(`${prefix}${String(n)}`);
  }

  /** `prefix` + `index` (a scalar's index, a stage's number); a fresh name if taken. */
  indexed(prefix: Prefix, index: number): Name {
    this.checkPrefix(prefix);
    if (!Number.isInteger(index) || index < 0) throw new Error(`codegen: bad name index ${String(index)}`);
    const text = `${prefix}${String(index)}`;
    return this.used.has(text) ? this.fresh(prefix) : this.take(text);
  }

  /** The buffer of a role and dtype: `g_f32`, `p_f64`, `out_f32`. */
  buffer(role: BufferRole, dtype: Dtype): Name {
    return this.take(`${role}_${DTYPE_SUFFIX[dtype]}`);
  }

  /** A slot's buffer: `mu$1_f32` for slot `mu` of stage 1. */
  slotBuffer(slot: string, stage: number, dtype: Dtype): Name {
    return this.take(`${slotStem(slot, stage)}_${DTYPE_SUFFIX[dtype]}`);
  }

  /** A slot's element value: `mu$1` (then `mu$1$1`, ... if taken). */
  slotValue(slot: string, stage: number): Name {
    const stem = slotStem(slot, stage);
    if (!this.used.has(stem)) return this.take(stem);
    let n = 1;
    while (this.used.has(`${stem}$${String(n)}`)) n++;
    return this.take(`${stem}$${String(n)}`);
  }
}

function slotStem(slot: string, stage: number): string {
  if (!SLOT_NAME.test(slot)) {
    throw new CompileError('invalidKernel', `slot name ${JSON.stringify(slot)} must match ${String(SLOT_NAME)}`);
  }
  if (!Number.isInteger(stage) || stage < 0) throw new Error(`codegen: bad stage index ${String(stage)}`);
  return `${slot}$${String(stage)}`;
}
