/**
 * The JavaScript backend: loop IR → source (built with the `js` template only) → a function made
 * with `new Function`.
 *
 * Each pass is one named function (`pass0`, ...) in its own source unit, headed by a comment
 * that lists the stages by registry name and ended by `//# sourceURL=gradfuse-kernel-<hash>-<pass>.js`,
 * so DevTools and the Node inspector show it as a file. Every identifier comes from a
 * {@link Scope}; every number through `num()`; the only text is the compiler's own.
 *
 * @module
 */
import { OPS } from '../kernel/ops.js';
import { REDUCTIONS } from '../kernel/reductions.js';
import type { FloatArray } from '../tree/leaf.js';
import { type Code, Name, hexDigits, indent, js, joinCode, lines } from './code.js';
import { CompileError } from './error.js';
import type { Accumulator, BufferRef, LExpr, LStmt, LoopPass, LoopVariant, RegHint } from './lower.js';
import { SEGMENT_STRIDE } from './plan.js';
import { N, Scope } from './scope.js';

/** A compiled pass: the same signature for every backend. */
export type PassFn = (
  seg: Int32Array,
  s: Float64Array,
  red: Float64Array,
  ls: Float64Array,
  lred: Float64Array,
  b: readonly FloatArray[],
) => void;

interface Names {
  readonly regs: Map<number, Name>;
  readonly accs: Map<number, Name>;
  readonly buffers: readonly Name[];
}

function regName(scope: Scope, hint: RegHint): Name {
  switch (hint.kind) {
    case 'scalar':
      return scope.indexed('s', hint.index);
    case 'leafScalar':
      return scope.indexed('l', hint.index);
    case 'g':
      return scope.fresh('g');
    case 'p':
      return scope.fresh('p');
    case 'slot':
      return scope.slotValue(hint.slot, hint.stage);
    case 'u':
      return scope.indexed('u', hint.stage);
    case 't':
      return scope.fresh('t');
    default: {
      const never: never = hint;
      return never;
    }
  }
}

function bufferName(scope: Scope, ref: BufferRef): Name {
  return ref.role === 'slot' ? scope.slotBuffer(ref.slot, ref.stage, ref.dtype) : scope.buffer(ref.role, ref.dtype);
}

function emitExpr(e: LExpr, names: Names): Code {
  switch (e.tag) {
    case 'num':
      return js`${e.value}`;
    case 'reg': {
      const n = names.regs.get(e.reg);
      if (n === undefined) throw new Error(`codegen: register ${String(e.reg)} has no name`);
      return n;
    }
    case 'op': {
      const spec = OPS[e.op];
      return spec.emit(...e.args.map((a) => emitExpr(a, names)));
    }
    case 'fround':
      return js`Math.fround(${emitExpr(e.arg, names)})`;
    default: {
      const never: never = e;
      return never;
    }
  }
}

function accName(names: Names, acc: number): Name {
  const n = names.accs.get(acc);
  if (n === undefined) throw new Error(`codegen: accumulator ${String(acc)} has no name`);
  return n;
}

function bufferAt(names: Names, index: number): Name {
  const n = names.buffers[index];
  if (n === undefined) throw new Error(`codegen: buffer ${String(index)} has no name`);
  return n;
}

function emitStmt(stmt: LStmt, names: Names, scope: Scope, pass: LoopPass): Code {
  const bind = (reg: number): Name => {
    const hint = pass.regs[reg];
    if (hint === undefined) throw new Error(`codegen: register ${String(reg)} has no hint`);
    const name = regName(scope, hint);
    names.regs.set(reg, name);
    return name;
  };
  switch (stmt.tag) {
    case 'scalar':
      return js`const ${bind(stmt.reg)} = ${N.s}[${stmt.index}];${scalarComment(pass.scalarLabels[stmt.index])}`;
    case 'leafScalar':
      return js`const ${bind(stmt.reg)} = ${N.ls}[${N.leaf} * ${pass.leafScalarStride} + ${stmt.index}];${scalarComment(pass.leafScalarLabels[stmt.index])}`;
    case 'load':
      return js`const ${bind(stmt.reg)} = ${bufferAt(names, stmt.buffer)}[${N.i}];`;
    case 'let': {
      const value = emitExpr(stmt.value, names);
      return js`const ${bind(stmt.reg)} = ${value};`;
    }
    case 'store':
      return js`${bufferAt(names, stmt.buffer)}[${N.i}] = ${emitExpr(stmt.value, names)};`;
    case 'fold': {
      const acc = accName(names, stmt.acc);
      return js`${acc} = ${REDUCTIONS[stmt.kind].emitStep(acc, emitExpr(stmt.value, names))};`;
    }
    default: {
      const never: never = stmt;
      return never;
    }
  }
}

function declareAccs(accs: readonly Accumulator[], names: Names, scope: Scope): Code[] {
  return accs.map((a) => {
    const name = scope.indexed('acc', a.acc);
    names.accs.set(a.acc, name);
    return js`let ${name} = ${REDUCTIONS[a.kind].init};`;
  });
}

function emitVariant(v: LoopVariant, names: Names, scope: Scope, pass: LoopPass): Code {
  const local = scope.fork();
  const prelude = v.prelude.map((s) => emitStmt(s, names, local, pass));
  const accs = declareAccs(v.leafAccs, names, local);
  const body = v.body.map((s) => emitStmt(s, names, local, pass));
  const after = v.leafAccs.map((a) => js`${N.lred}[${N.leaf} * ${pass.leafReductionStride} + ${a.index}] = ${accName(names, a.acc)};`);
  return lines([
    ...prelude,
    ...accs,
    js`for (let ${N.i} = ${N.lo}; ${N.i} < ${N.hi}; ${N.i}++) {`,
    indent(lines(body)),
    js`}`,
    ...after,
  ]);
}

/** An identifier as code, or undefined when it is not one (then it is not printed). */
function identifier(text: string | undefined): Name | undefined {
  if (text === undefined) return undefined;
  try {
    return new Name(text);
  } catch {
    return undefined;
  }
}

/** ` // stage.scalar` when both are identifiers, else nothing. */
function scalarComment(label: readonly [string | undefined, string] | undefined): Code {
  const stage = identifier(label?.[0]);
  const scalar = identifier(label?.[1]);
  return stage === undefined || scalar === undefined ? js`` : js` // ${stage}.${scalar}`;
}

function labelCode(label: string | undefined): Code {
  return identifier(label) ?? js`(unnamed)`;
}

function describeMode(pass: LoopPass): Code {
  switch (pass.mode) {
    case 'reduce':
      return js`folds the reductions of ${labelCode(pass.stageLabels[pass.reduceStage ?? 0])}; stores nothing`;
    case 'inPlace':
      return js`stores: slots and params in place`;
    case 'pure':
      return js`stores: slots and the outgoing updates (pure update)`;
    default: {
      const never: never = pass.mode;
      return never;
    }
  }
}

/**
 * The source of one pass: a function body for `new Function` that returns the pass function.
 * `passCount` is the number of passes of the step (for the header).
 */
export function emitPass(pass: LoopPass, hash: string, passCount: number): Code {
  const scope = new Scope();
  const name = new Name(pass.name);
  const bufferNames = pass.buffers.map((ref) => bufferName(scope, ref));
  const names: Names = { regs: new Map(), accs: new Map(), buffers: bufferNames };
  const header = [
    js`'use strict';`,
    js`// gradfuse kernel ${hexDigits(hash)}, ${name} (pass ${pass.index + 1} of ${passCount}): ${describeMode(pass)}`,
    js`// stages: ${joinCode(pass.stageLabels.map(labelCode), js` > `)}`,
  ];
  const buffers = bufferNames.map((n, i) => js`const ${n} = ${N.b}[${i}];`);
  const prelude = pass.prelude.map((s) => emitStmt(s, names, scope, pass));
  const globalAccs = declareAccs(pass.globalAccs, names, scope);
  const variants = pass.variants.map((v) => emitVariant(v, names, scope, pass));
  const dispatch =
    variants.length === 1
      ? (variants[0] as Code)
      : lines([
          js`switch (${N.seg}[${N.k} + 2]) {`,
          ...pass.variants.map((v, j) => lines([js`  case ${v.id}: {`, indent(variants[j] as Code, 2), js`    break;`, js`  }`])),
          js`}`,
        ]);
  const segLoop =
    variants.length === 0
      ? []
      : [
          js`for (let ${N.k} = 0; ${N.k} < ${N.seg}.length; ${N.k} += ${SEGMENT_STRIDE}) {`,
          indent(
            lines([
              js`const ${N.lo} = ${N.seg}[${N.k}];`,
              js`const ${N.hi} = ${N.seg}[${N.k} + 1];`,
              ...(pass.leafGranular ? [js`const ${N.leaf} = ${N.seg}[${N.k} + 3];`] : []),
              dispatch,
            ]),
          ),
          js`}`,
        ];
  const results = pass.globalAccs.map((a) => js`${N.red}[${a.index}] = ${accName(names, a.acc)};`);
  const fn = lines([
    js`function ${name}(${N.seg}, ${N.s}, ${N.red}, ${N.ls}, ${N.lred}, ${N.b}) {`,
    indent(lines([...buffers, ...prelude, ...globalAccs, ...segLoop, ...results])),
    js`}`,
  ]);
  return lines([...header, fn, js`return ${name};`, js`//# sourceURL=gradfuse-kernel-${hexDigits(hash)}-${name}.js`, js``]);
}

let evaluationWorks: boolean | undefined;

/**
 * Whether `new Function` works here (once; false under a Content-Security-Policy without
 * `unsafe-eval`).
 * @category Compiler
 */
export function canEvaluate(): boolean {
  if (evaluationWorks === undefined) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-implied-eval -- deliberate codegen
      evaluationWorks = (new Function('return 1') as () => unknown)() === 1;
    } catch {
      evaluationWorks = false;
    }
  }
  return evaluationWorks;
}

/** Forgets the probe's answer (tests that stub `Function` to play a CSP page). @internal */
export function resetCanEvaluate(): void {
  evaluationWorks = undefined;
}

/** Makes the pass function of an emitted source. */
export function instantiate(source: Code): PassFn {
  let factory: () => unknown;
  try {
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- deliberate codegen
    factory = new Function(source.text) as () => unknown;
  } catch (e) {
    throw new CompileError('backend', `new Function failed: ${e instanceof Error ? e.message : String(e)}`);
  }
  const fn = factory();
  if (typeof fn !== 'function') throw new Error('codegen: the generated source did not return a function');
  return fn as PassFn;
}
