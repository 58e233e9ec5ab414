/**
 * The text form of an emitted module, for debugging: WAT with instructions in linear (not
 * folded) form, one per line, indented by block depth, named locals (`$g`, `$mu$1`, ...) and
 * labels (`$segments`, `$vector`, `$tail`), imports and exports spelled out, and the compiler's
 * comments (`;; ...`). `compiled.source` is this text for the wasm backend.
 *
 * Numbers print exactly: f64 as the shortest decimal that reads back, f32 as the shortest
 * decimal that reads back through float32, NaN/±Infinity as `nan`/`inf`/`-inf`.
 *
 * @module
 */
import type { FuncDef, ModuleSpec } from './encoder.js';
import type { Instr } from './instr.js';

/** A float64 literal in WAT. */
export function f64Text(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  if (Object.is(value, -0)) return '-0';
  return String(value);
}

/** A float32 literal in WAT: the shortest decimal that rounds to the same float32. */
export function f32Text(value: number): string {
  const v = Math.fround(value);
  if (!Number.isFinite(v) || v === 0) return f64Text(v);
  for (let p = 1; p <= 9; p++) {
    const s = v.toPrecision(p);
    if (Math.fround(Number(s)) === v) return String(Number(s));
  }
  return String(v);
}

/** A comment line; a newline in the text cannot end the comment early. */
const comment = (text: string): string => `;; ${text.replace(/[\r\n\u2028\u2029]+/g, ' ')}`;

function immediates(ins: Instr, labels: readonly string[], local: (i: number) => string, func: (i: number) => string): string {
  switch (ins.op) {
    case 'block':
    case 'loop':
    case 'if':
      return ` $${ins.label}`;
    case 'br':
    case 'br_if': {
      const target = labels[labels.length - 1 - ins.depth];
      return target === undefined ? ` ${String(ins.depth)}` : ` $${target}`;
    }
    case 'local.get':
    case 'local.set':
    case 'local.tee':
      return ` ${local(ins.local)}`;
    case 'call':
      return ` ${func(ins.func)}`;
    case 'i32.load':
    case 'f32.load':
    case 'f64.load':
    case 'i32.store':
    case 'f32.store':
    case 'f64.store':
    case 'v128.load':
    case 'v128.store':
      return `${ins.offset === 0 ? '' : ` offset=${String(ins.offset)}`} align=${String(2 ** ins.align)}`;
    case 'i32.const':
      return ` ${String(ins.value)}`;
    case 'f32.const':
      return ` ${f32Text(ins.value)}`;
    case 'f64.const':
      return ` ${f64Text(ins.value)}`;
    case 'v128.const':
      return ` ${ins.shape} ${ins.lanes.map((x) => (ins.shape === 'f32x4' ? f32Text(x) : ins.shape === 'f64x2' ? f64Text(x) : String(x | 0))).join(' ')}`;
    case 'f32x4.extract_lane':
    case 'f32x4.replace_lane':
    case 'f64x2.extract_lane':
    case 'f64x2.replace_lane':
      return ` ${String(ins.lane)}`;
    case 'i8x16.shuffle':
      return ` ${ins.lanes.join(' ')}`;
    default:
      return '';
  }
}

function printFunction(f: FuncDef, index: number, funcName: (i: number) => string): string[] {
  const names = [...f.params, ...f.locals].map((l) => `$${l.name}`);
  const local = (i: number): string => names[i] ?? String(i);
  const out: string[] = [];
  for (const c of f.comment ?? []) out.push(`  ${comment(c)}`);
  const params = f.params.map((p) => ` (param $${p.name} ${p.type})`).join('');
  const results = f.results.length === 0 ? '' : ` (result ${f.results.join(' ')})`;
  const exp = f.export === undefined ? '' : ` (export ${JSON.stringify(f.export)})`;
  out.push(`  (func $${f.id}${exp}${params}${results}  ;; function ${String(index)}`);
  for (const l of f.locals) out.push(`    (local $${l.name} ${l.type})`);
  const labels: string[] = [];
  for (const ins of f.body) {
    if (ins.op === 'end' || ins.op === 'else') {
      const depth = ins.op === 'end' ? labels.length - 1 : labels.length - 1;
      out.push(`${'  '.repeat(2 + Math.max(0, depth))}${ins.op}`);
      if (ins.op === 'end') labels.pop();
      continue;
    }
    out.push(`${'  '.repeat(2 + labels.length)}${ins.op}${immediates(ins, labels, local, funcName)}`);
    if (ins.op === 'block' || ins.op === 'loop' || ins.op === 'if') labels.push(ins.label);
  }
  out.push('  )');
  return out;
}

/** The text form of a module. */
export function printModule(spec: ModuleSpec): string {
  const fnames = [...spec.funcImports.map((f) => f.id), ...spec.functions.map((f) => f.id)];
  const funcName = (i: number): string => (fnames[i] === undefined ? String(i) : `$${fnames[i] as string}`);
  const out: string[] = [];
  for (const c of spec.comment ?? []) out.push(comment(c));
  out.push('(module');
  const m = spec.memory;
  if (m !== undefined) {
    const limits = `${String(m.minimum)}${m.maximum === undefined ? '' : ` ${String(m.maximum)}`}${m.shared ? ' shared' : ''}`;
    out.push(`  (import ${JSON.stringify(m.module)} ${JSON.stringify(m.name)} (memory ${limits}))`);
  }
  spec.funcImports.forEach((f) => {
    const params = f.type.params.length === 0 ? '' : ` (param ${f.type.params.join(' ')})`;
    const results = f.type.results.length === 0 ? '' : ` (result ${f.type.results.join(' ')})`;
    out.push(`  (import ${JSON.stringify(f.module)} ${JSON.stringify(f.name)} (func $${f.id}${params}${results}))`);
  });
  spec.functions.forEach((f, i) => out.push(...printFunction(f, spec.funcImports.length + i, funcName)));
  out.push(')');
  return `${out.join('\n')}\n`;
}
