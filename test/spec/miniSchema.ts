/**
 * A tiny JSON Schema validator, for the keywords the spec schema uses: `$ref` (local),
 * `type`, `const`, `enum`, `oneOf`, `allOf`, `properties`, `required`, `additionalProperties`,
 * `items`. Annotations (`title`, `description`, `default`, `$schema`, `$id`) are ignored; any
 * other keyword fails loudly, so the schema cannot use one this validator would skip.
 */
type Schema = { readonly [key: string]: unknown };

const ANNOTATIONS = new Set(['title', 'description', 'default', '$schema', '$id', '$defs']);
const KNOWN = new Set([...ANNOTATIONS, '$ref', 'type', 'const', 'enum', 'oneOf', 'allOf', 'properties', 'required', 'additionalProperties', 'items']);

const typeOf = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'number' ? (Number.isFinite(v) ? 'number' : 'non-finite') : typeof v;

const equal = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** The paths where `value` breaks `schema` (empty when it is valid). */
export function validate(root: Schema, value: unknown): string[] {
  const defs = (root.$defs ?? {}) as Readonly<Record<string, Schema>>;
  const check = (schema: Schema, v: unknown, path: string): string[] => {
    for (const k of Object.keys(schema)) if (!KNOWN.has(k)) throw new Error(`miniSchema: unsupported keyword ${k}`);
    const errors: string[] = [];
    if (typeof schema.$ref === 'string') {
      const name = /^#\/\$defs\/(.+)$/.exec(schema.$ref)?.[1];
      const target = name === undefined ? undefined : defs[name];
      if (target === undefined) throw new Error(`miniSchema: unresolved $ref ${schema.$ref}`);
      errors.push(...check(target, v, path));
    }
    if (schema.type !== undefined && typeOf(v) !== schema.type) return [...errors, `${path}: not ${String(schema.type)}`];
    if ('const' in schema && !equal(v, schema.const)) errors.push(`${path}: not ${JSON.stringify(schema.const)}`);
    if (Array.isArray(schema.enum) && !schema.enum.some((e) => equal(e, v))) errors.push(`${path}: not in enum`);
    if (Array.isArray(schema.oneOf)) {
      const passing = (schema.oneOf as Schema[]).filter((s) => check(s, v, path).length === 0).length;
      if (passing !== 1) errors.push(`${path}: ${String(passing)} of oneOf match`);
    }
    if (Array.isArray(schema.allOf)) for (const s of schema.allOf as Schema[]) errors.push(...check(s, v, path));
    if (typeOf(v) === 'object') {
      const obj = v as Readonly<Record<string, unknown>>;
      const props = (schema.properties ?? {}) as Readonly<Record<string, Schema>>;
      for (const k of (schema.required ?? []) as string[]) if (!Object.hasOwn(obj, k)) errors.push(`${path}.${k}: missing`);
      for (const [k, child] of Object.entries(obj)) {
        if (Object.hasOwn(props, k)) errors.push(...check(props[k] as Schema, child, `${path}.${k}`));
        else if (schema.additionalProperties === false) errors.push(`${path}.${k}: not allowed`);
        else if (typeof schema.additionalProperties === 'object' && schema.additionalProperties !== null) {
          errors.push(...check(schema.additionalProperties as Schema, child, `${path}.${k}`));
        }
      }
    }
    if (typeOf(v) === 'array' && typeof schema.items === 'object' && schema.items !== null) {
      (v as readonly unknown[]).forEach((item, i) => errors.push(...check(schema.items as Schema, item, `${path}[${String(i)}]`)));
    }
    return errors;
  };
  return check(root, value, '$');
}
