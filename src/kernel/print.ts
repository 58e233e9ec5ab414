/**
 * `printKernel`: a transformation's IR in math form, one line per temporary, slot and update.
 *
 * @module
 */
import type { GradientTransformation } from '../base.js';
import { type Expr, sharedNodes, topoOrder } from './expr.js';
import { OPS } from './ops.js';
import type { Stage } from './stage.js';

function formatConst(v: number): string {
  return Object.is(v, -0) ? '-0' : String(v);
}

/** The lines of one stage. */
export function printStage(stage: Stage): string[] {
  const roots = [stage.update, ...stage.slots.map((s) => stage.next[s.name] as Expr)];
  const shared = sharedNodes(roots);
  const names = new Map<Expr, string>();
  const lines: string[] = [];
  const text = (e: Expr): string => {
    const named = names.get(e);
    if (named !== undefined) return named;
    switch (e.tag) {
      case 'const':
        return formatConst(e.value);
      case 'update':
        return 'g';
      case 'param':
        return 'p';
      case 'slot':
        return e.name;
      case 'scalar':
        return e.name;
      case 'op':
        return OPS[e.op].print(...e.args.map(text));
      default: {
        const never: never = e;
        return never;
      }
    }
  };
  for (const e of topoOrder(roots)) {
    if (!shared.has(e)) continue;
    const body = text(e);
    const name = `t${String(names.size)}`;
    names.set(e, name);
    lines.push(`  ${name} = ${body}`);
  }
  for (const s of stage.slots) lines.push(`  ${s.name} ← ${text(stage.next[s.name] as Expr)}`);
  lines.push(`  u ← ${text(stage.update)}`);
  const header = [
    stage.name,
    stage.slots.length > 0 ? `slots: ${stage.slots.map((s) => `${s.name} = ${formatConst(s.init)}`).join(', ')}` : undefined,
    stage.reductions.length > 0 ? `reductions: ${stage.reductions.map((r) => `${r.name} = ${r.kind}(${text(r.of)}) per ${r.scope === 'global' ? 'step' : 'leaf'}`).join(', ')}` : undefined,
    stage.mask !== undefined ? 'masked' : undefined,
  ].filter((x): x is string => x !== undefined);
  return [header.join('; '), ...lines];
}

/**
 * The kernel IR of a fusable transformation in math form; throws for one that is not fusable.
 * @category Kernel
 */
export function printKernel(tx: GradientTransformation<unknown>): string {
  if (tx.fusable === undefined) throw new Error('printKernel: this transformation is not defined by kernel stages');
  return tx.fusable.stages.map((s, i) => [`[${String(i)}] ${printStage(s)[0] ?? ''}`, ...printStage(s).slice(1)].join('\n')).join('\n');
}
