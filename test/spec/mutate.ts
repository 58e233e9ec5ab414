/**
 * Mutations of valid specs for the fuzz tests: delete a key or an element, replace a value
 * (wrong types, out-of-range numbers, unknown or other op names), or add an unknown key.
 */
import fc from 'fast-check';
import { OP_NAMES } from '../../src/spec/registry.js';
import { keyPath } from '../../src/spec/report.js';

/** A place in a JSON value: its path and its parent's. */
interface Location {
  readonly path: string;
  readonly parent: string;
  readonly steps: readonly (string | number)[];
  readonly isObject: boolean;
}

/** Every key and element of a JSON value (the root included, as `$`). */
function locations(json: unknown): Location[] {
  const out: Location[] = [];
  const go = (v: unknown, path: string, parent: string, steps: readonly (string | number)[]): void => {
    const isObject = typeof v === 'object' && v !== null && !Array.isArray(v);
    out.push({ path, parent, steps, isObject });
    if (Array.isArray(v)) v.forEach((c, i) => { go(c, `${path}[${String(i)}]`, path, [...steps, i]); });
    // Keys are written as spec errors write them: `.a`, or `["0"]` for one that is no identifier.
    else if (isObject) for (const [k, c] of Object.entries(v as Record<string, unknown>)) go(c, keyPath(path, k), path, [...steps, k]);
  };
  go(json, '$', '$', []);
  return out;
}

export type Mutation =
  | { readonly kind: 'delete' }
  | { readonly kind: 'replace'; readonly value: unknown }
  | { readonly kind: 'extraKey'; readonly value: unknown };

export interface Mutated {
  readonly json: unknown;
  /** The path of the key that changed. */
  readonly path: string;
  /** The path of the object or array that holds it. */
  readonly parent: string;
  readonly description: string;
}

/** Values no option of a spec takes, or takes only in range. */
export const BAD_VALUES: readonly unknown[] = ['x', '0.5', true, false, null, [], {}, [1], { a: 1 }, -1, -0.5, 0, 0.5, 1, 1.5, 2, 4, 1e9, -1e9, 1e-12, 2.5, 'inf', 'nope', Number.NaN, Infinity];

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.constant<Mutation>({ kind: 'delete' }),
  fc.constantFrom(...BAD_VALUES, ...OP_NAMES).map((value): Mutation => ({ kind: 'replace', value })),
  fc.constantFrom(...BAD_VALUES).map((value): Mutation => ({ kind: 'extraKey', value })),
);

const clone = (json: unknown): unknown => (json === undefined ? undefined : JSON.parse(JSON.stringify(json)));

/** `json` with the mutation applied at its `pick`-th location (a copy; `json` is untouched). */
export function mutate(json: unknown, pick: number, m: Mutation): Mutated {
  const locs = locations(json);
  let loc = locs[pick % locs.length] as Location;
  if (m.kind === 'extraKey') {
    const objects = locs.filter((l) => l.isObject);
    loc = objects[pick % objects.length] ?? loc;
  }
  const root = clone(json);
  if (loc.steps.length === 0 && m.kind !== 'extraKey') {
    return { json: m.kind === 'delete' ? undefined : m.value, path: '$', parent: '$', description: `${m.kind} the root` };
  }
  let holder = root as Record<string | number, unknown>;
  const steps = m.kind === 'extraKey' ? loc.steps : loc.steps.slice(0, -1);
  for (const s of steps) holder = holder[s] as Record<string | number, unknown>;
  if (m.kind === 'extraKey') {
    holder.extraKey = m.value;
    return { json: root, path: `${loc.path}.extraKey`, parent: loc.path, description: `add extraKey = ${String(m.value)} at ${loc.path}` };
  }
  const last = loc.steps[loc.steps.length - 1] as string | number;
  if (m.kind === 'delete') {
    if (Array.isArray(holder)) holder.splice(last as number, 1);
    else delete holder[last];
  } else holder[last] = m.value;
  return { json: root, path: loc.path, parent: loc.parent, description: `${m.kind} ${loc.path}${m.kind === 'replace' ? ` by ${JSON.stringify(m.value) ?? String(m.value)}` : ''}` };
}

/** `a` is `b` or a path above it. */
export function isPrefix(a: string, b: string): boolean {
  return b === a || b.startsWith(`${a}.`) || b.startsWith(`${a}[`);
}

/** The path above `path` (`$` for the root and its children). */
export function parentOf(path: string): string {
  const m = /^(.*?)(?:\.[^.[\]"]+|\[\d+\]|\["(?:[^"\\]|\\.)*"\])$/.exec(path);
  return m?.[1] === undefined || m[1] === '' ? '$' : m[1];
}
