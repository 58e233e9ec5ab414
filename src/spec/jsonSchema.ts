/**
 * The JSON Schema (draft 2020-12) of the spec format, generated from the codecs: a walk over
 * the io-ts types (and the spec's own {@link FieldsType} and {@link DiscriminatedType}), so the
 * schema cannot say anything the decoder does not. Each op's options carry the defaults its
 * constructor fills in, read from the spec of a transformation built from the op's example.
 *
 * The schema checks the shape of a spec (keys, JSON types, op and schedule names); the
 * ranges of the values, and the options of a schedule, are checked by the constructors when
 * the spec is decoded.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js';
import type * as t from 'io-ts';
import { DiscriminatedType, FieldsType, definitionOf, descriptionOf } from './codecs.js';
import { decodeSpec } from './fromSpec.js';
import { OPS, OP_NAMES, type OpEntry, TransformSpecCodec } from './registry.js';
import { type JsonValue, toSpec } from './spec.js';

/** A JSON Schema object. */
export type JsonSchema = { readonly [key: string]: JsonValue };

/** The `$id` of the generated schema (also its file name under `schema/`). */
export const SPEC_SCHEMA_ID = 'gradfuse-spec.schema.json';

// ---------------------------------------------------------------------------------------------
// defaults
// ---------------------------------------------------------------------------------------------

/**
 * The options an op's constructor fills in when they are left out: the spec of the
 * transformation built from the op's minimal example, less the example's own keys.
 * @category Spec
 */
export function opDefaults(op: string): Readonly<Record<string, JsonValue>> {
  const entry = OPS[op];
  if (entry === undefined) throw new RangeError(`opDefaults: unknown op ${JSON.stringify(op)}`);
  const built = decodeSpec({ op, ...entry.example });
  if (E.isLeft(built)) throw new Error(`opDefaults: the example of ${op} does not decode: ${built.left.map((e) => e.message).join('; ')}`);
  const spec = toSpec(built.right);
  return Object.fromEntries(Object.entries(spec).filter(([k]) => k !== 'op' && !Object.hasOwn(entry.example, k)));
}

// ---------------------------------------------------------------------------------------------
// the walk
// ---------------------------------------------------------------------------------------------

interface Tagged {
  readonly _tag?: string;
}

type Annotate = (codec: FieldsType, schema: Record<string, JsonValue>) => Record<string, JsonValue>;

class Walker {
  readonly defs: Record<string, JsonValue> = {};
  constructor(private readonly annotate: Annotate) {}

  walk(codec: t.Any): JsonValue {
    const id = definitionOf(codec);
    if (id !== undefined) {
      if (!Object.hasOwn(this.defs, id)) {
        this.defs[id] = {};
        this.defs[id] = this.withDescription(codec, this.shape((codec as t.RecursiveType<t.Any>).type));
      }
      return { $ref: `#/$defs/${id}` };
    }
    return this.withDescription(codec, this.shape(codec));
  }

  private withDescription(codec: t.Any, schema: Record<string, JsonValue>): Record<string, JsonValue> {
    const description = descriptionOf(codec);
    return description === undefined ? schema : { ...schema, description };
  }

  private shape(codec: t.Any): Record<string, JsonValue> {
    if (codec instanceof FieldsType) return this.fields(codec);
    if (codec instanceof DiscriminatedType) {
      return { oneOf: Object.values(codec.members).map((m) => this.walk(m)) };
    }
    const c = codec as t.Any & Tagged;
    switch (c._tag) {
      case 'NumberType':
        return { type: 'number' };
      case 'BooleanType':
        return { type: 'boolean' };
      case 'NullType':
        return { type: 'null' };
      case 'StringType':
        return { type: 'string' };
      case 'UnknownType':
        return {};
      case 'LiteralType':
        return { const: (codec as t.LiteralType<string | number | boolean>).value };
      case 'KeyofType':
        return { type: 'string', enum: Object.keys((codec as t.KeyofType<Record<string, unknown>>).keys) };
      case 'ArrayType':
      case 'ReadonlyArrayType':
        return { type: 'array', items: this.walk((codec as t.ArrayType<t.Any>).type) };
      case 'DictionaryType':
        return { type: 'object', additionalProperties: this.walk((codec as t.DictionaryType<t.Any, t.Any>).codomain) };
      case 'AnyDictionaryType':
        return { type: 'object' };
      case 'UnionType': {
        const members = (codec as t.UnionType<t.Any[]>).types;
        if (members.every((m) => (m as Tagged)._tag === 'LiteralType')) {
          return { enum: members.map((m) => (m as t.LiteralType<string | number | boolean>).value) };
        }
        return { oneOf: members.map((m) => this.walk(m)) };
      }
      case 'IntersectionType':
        return { allOf: (codec as t.IntersectionType<t.Any[]>).types.map((m) => this.walk(m)) };
      case 'RecursiveType':
      case 'RefinementType':
      case 'ExactType':
      case 'ReadonlyType':
        return this.shape((codec as t.RefinementType<t.Any>).type);
      case 'InterfaceType':
      case 'PartialType': {
        const props = (codec as t.InterfaceType<t.Props>).props;
        return {
          type: 'object',
          properties: Object.fromEntries(Object.entries(props).map(([k, v]) => [k, this.walk(v)])),
          ...(c._tag === 'InterfaceType' ? { required: Object.keys(props) } : {}),
        };
      }
      default:
        throw new Error(`specJsonSchema: no JSON Schema for the codec ${codec.name} (${String(c._tag)})`);
    }
  }

  private fields(codec: FieldsType): Record<string, JsonValue> {
    const all = { ...codec.required, ...codec.optional };
    const required = Object.keys(codec.required);
    const schema: Record<string, JsonValue> = {
      type: 'object',
      ...(Object.keys(all).length === 0 ? {} : { properties: Object.fromEntries(Object.entries(all).map(([k, v]) => [k, this.walk(v)])) }),
      ...(required.length === 0 ? {} : { required }),
      ...(codec.closed ? { additionalProperties: false } : {}),
    };
    return this.annotate(codec, schema);
  }
}

// ---------------------------------------------------------------------------------------------
// the schema
// ---------------------------------------------------------------------------------------------

/** Adds an op's title, summary and defaults to the schema of its spec object. */
function annotateOps(): Annotate {
  const byCodec = new Map<FieldsType, OpEntry>(OP_NAMES.map((op) => [(OPS[op] as OpEntry).codec, OPS[op] as OpEntry]));
  return (codec, schema) => {
    const entry = byCodec.get(codec);
    if (entry === undefined) return schema;
    const defaults = opDefaults(entry.op);
    const properties = schema.properties as Readonly<Record<string, Record<string, JsonValue>>> | undefined;
    return {
      title: entry.op,
      description: `${entry.category}: ${entry.summary}`,
      ...schema,
      ...(properties === undefined
        ? {}
        : {
            properties: Object.fromEntries(
              Object.entries(properties).map(([k, v]) => [k, Object.hasOwn(defaults, k) ? { ...v, default: defaults[k] as JsonValue } : v]),
            ),
          }),
    };
  };
}

/**
 * The JSON Schema (draft 2020-12) of a transformation spec, generated from the codecs.
 * @category Spec
 */
export function specJsonSchema(): JsonSchema {
  const walker = new Walker(annotateOps());
  const root = walker.walk(TransformSpecCodec);
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: SPEC_SCHEMA_ID,
    title: 'gradfuse transformation spec',
    description:
      'An optimizer as JSON: { op, ...options } for every gradfuse transformation, optimizer and combinator, with schedules as { schedule, options } and masks as trees of booleans. Ranges and schedule options are checked by the constructors when the spec is decoded (decodeSpec).',
    ...(root as Record<string, JsonValue>),
    $defs: walker.defs,
  };
}

/** The schema as the file `schema/gradfuse-spec.schema.json` holds it (2-space JSON, final newline). */
export function specJsonSchemaText(): string {
  return `${JSON.stringify(specJsonSchema(), null, 2)}\n`;
}

// ---------------------------------------------------------------------------------------------
// the docs table
// ---------------------------------------------------------------------------------------------

const cell = (s: string): string => s.replace(/\|/g, '\\|');
const code = (s: string): string => `\`${s}\``;

/**
 * The ops table of `docs/spec.md`: every op with its category, summary, required options and
 * optional options with their defaults.
 */
export function specOpsMarkdown(): string {
  const rows = OP_NAMES.map((op) => {
    const entry = OPS[op] as OpEntry;
    const defaults = opDefaults(op);
    const required = Object.keys(entry.codec.required).filter((k) => k !== 'op');
    const optional = Object.keys(entry.codec.optional).map((k) =>
      Object.hasOwn(defaults, k) ? `${code(k)} = ${code(JSON.stringify(defaults[k]))}` : code(k),
    );
    return `| ${code(op)} | ${entry.category} | ${cell(entry.summary)} | ${required.map(code).join(', ')} | ${cell(optional.join(', '))} |`;
  });
  return ['| op | kind | what | required | optional (= default) |', '|---|---|---|---|---|', ...rows].join('\n');
}
