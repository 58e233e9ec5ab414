/**
 * The io-ts codecs of the spec format: the building blocks the registry describes every op
 * with, and the one definition the decoder, the JSON Schema and the docs are all read from.
 *
 * The codecs check the *shape* of a spec (keys, JSON types, op and schedule names); the ranges
 * of the values are checked by the constructors themselves when the spec is built, so a range
 * is written in one place only.
 *
 * Three codecs of io-ts's stable API are extended here, because the spec needs stricter errors
 * than io-ts gives:
 * - {@link FieldsType}: an object with required and optional keys that rejects unknown keys
 *   (io-ts's `exact` strips them silently) and reports a missing key as missing;
 * - {@link DiscriminatedType}: one member per value of a tag key (`op`, `schedule`), so an
 *   unknown op gives one error listing the known ones instead of one error per member;
 * - {@link BestMatchUnion}: a union that reports the member the value came closest to, or one
 *   error naming the union.
 *
 * @module
 */
import * as t from 'io-ts';
import * as E from 'fp-ts/lib/Either.js';
import { FUNCTION } from './spec.js';

// ---------------------------------------------------------------------------------------------
// descriptions
// ---------------------------------------------------------------------------------------------

const DESCRIPTIONS = new WeakMap<object, string>();

/** Attaches a human description to a codec (read by the JSON Schema and the docs). */
export function describe<C extends t.Any>(codec: C, description: string): C {
  DESCRIPTIONS.set(codec, description);
  return codec;
}

/** The description attached by {@link describe}, if any. */
export function descriptionOf(codec: t.Any): string | undefined {
  return DESCRIPTIONS.get(codec);
}

const DEFINITIONS = new WeakMap<object, string>();

/**
 * A recursive codec: io-ts's `recursion`, whose name (shown in messages) is `name`; `id` names
 * its definition in the JSON Schema (`#/$defs/<id>`).
 */
export function recursive<A>(id: string, name: string, definition: () => t.Mixed): t.RecursiveType<t.Mixed, A, A, unknown> {
  const codec = t.recursion<A, A, unknown, t.Mixed>(name, definition);
  DEFINITIONS.set(codec, id);
  return codec;
}

/** The JSON Schema definition name of a codec made by {@link recursive}. */
export function definitionOf(codec: t.Any): string | undefined {
  return DEFINITIONS.get(codec);
}

// ---------------------------------------------------------------------------------------------
// error values
// ---------------------------------------------------------------------------------------------

/** The value reported for a required key that is absent. */
export const MISSING: unique symbol = Symbol('missing');

/** The value reported for a key the object does not take. */
export class UnknownKey {
  constructor(readonly key: string) {}
}

/** A plain object: not null, not an array, not a typed array or class instance with a tag. */
export function isPlainObject(u: unknown): u is Readonly<Record<string, unknown>> {
  return typeof u === 'object' && u !== null && !Array.isArray(u) && Object.prototype.toString.call(u) === '[object Object]';
}

// ---------------------------------------------------------------------------------------------
// FieldsType
// ---------------------------------------------------------------------------------------------

/** The props of a {@link FieldsType}. */
export type Fields = Readonly<Record<string, t.Mixed>>;

/** An object decoded by a {@link FieldsType}. */
export type FieldsValue = Readonly<Record<string, unknown>>;

/**
 * An object with `required` and `optional` keys, each decoded by its codec. When `closed`, any
 * other key is an error (a typo must not pass silently); otherwise other keys pass unchecked.
 * Every problem is reported, each at its key. The value is returned as it came (never
 * copied), so a key such as `__proto__` can never be turned into a prototype.
 */
export class FieldsType extends t.Type<FieldsValue, FieldsValue, unknown> {
  readonly _tag = 'FieldsType' as const;
  constructor(
    name: string,
    readonly required: Fields,
    readonly optional: Fields,
    readonly closed: boolean,
  ) {
    super(
      name,
      (u): u is FieldsValue => isPlainObject(u) && E.isRight(this.validate(u, [{ key: '', type: this, actual: u }])),
      (u, c) => this.check(u, c),
      t.identity,
    );
  }

  /** Every key this object takes, required first. */
  get keys(): readonly string[] {
    return [...Object.keys(this.required), ...Object.keys(this.optional)];
  }

  private check(u: unknown, c: t.Context): t.Validation<FieldsValue> {
    if (!isPlainObject(u)) return t.failure(u, c, this.name);
    const errors: t.ValidationError[] = [];
    if (this.closed) {
      for (const key of Object.keys(u)) {
        if (!Object.hasOwn(this.required, key) && !Object.hasOwn(this.optional, key)) {
          errors.push({ value: new UnknownKey(key), context: t.appendContext(c, key, t.unknown, u[key]), message: `one of the keys ${this.keys.join(', ')}` });
        }
      }
    }
    for (const [key, codec] of Object.entries(this.required)) {
      if (!Object.hasOwn(u, key)) {
        errors.push({ value: MISSING, context: t.appendContext(c, key, codec, undefined), message: friendlyName(codec) });
        continue;
      }
      const r = codec.validate(u[key], t.appendContext(c, key, codec, u[key]));
      if (E.isLeft(r)) errors.push(...r.left);
    }
    for (const [key, codec] of Object.entries(this.optional)) {
      if (!Object.hasOwn(u, key)) continue;
      const r = codec.validate(u[key], t.appendContext(c, key, codec, u[key]));
      if (E.isLeft(r)) errors.push(...r.left);
    }
    return errors.length > 0 ? t.failures(errors) : t.success(u);
  }
}

/** A closed object: the given keys and no others. */
export function fields(name: string, required: Fields, optional: Fields = {}): FieldsType {
  return new FieldsType(name, required, optional, true);
}

// ---------------------------------------------------------------------------------------------
// DiscriminatedType
// ---------------------------------------------------------------------------------------------

/**
 * One {@link FieldsType} member per value of the tag key (`op` of a transformation,
 * `schedule` of a schedule). The tag is checked first: a missing or unknown tag is one error
 * at the tag's path listing the known values, and the member then reports its own errors.
 */
export class DiscriminatedType extends t.Type<FieldsValue, FieldsValue, unknown> {
  readonly _tag = 'DiscriminatedType' as const;
  constructor(
    name: string,
    /** The tag key, e.g. `op`. */
    readonly key: string,
    /** What the tag names, for messages: e.g. `ops`. */
    readonly what: string,
    private readonly getMembers: () => Readonly<Record<string, FieldsType>>,
  ) {
    super(
      name,
      (u): u is FieldsValue => isPlainObject(u) && E.isRight(this.validate(u, [{ key: '', type: this, actual: u }])),
      (u, c) => this.check(u, c),
      t.identity,
    );
  }

  private cached: Readonly<Record<string, FieldsType>> | undefined;

  /** The members by tag value (read lazily, so members may refer back to this codec). */
  get members(): Readonly<Record<string, FieldsType>> {
    this.cached ??= this.getMembers();
    return this.cached;
  }

  private check(u: unknown, c: t.Context): t.Validation<FieldsValue> {
    if (!isPlainObject(u)) return t.failure(u, c, this.name);
    const members = this.members;
    const expected = `one of the ${this.what} ${Object.keys(members).join(', ')}`;
    if (!Object.hasOwn(u, this.key)) return t.failure(MISSING, t.appendContext(c, this.key, t.string, undefined), expected);
    const tag = u[this.key];
    const member = typeof tag === 'string' && Object.hasOwn(members, tag) ? members[tag] : undefined;
    if (member === undefined) return t.failure(tag, t.appendContext(c, this.key, t.string, tag), expected);
    return member.validate(u, c);
  }
}

// ---------------------------------------------------------------------------------------------
// BestMatchUnion
// ---------------------------------------------------------------------------------------------

type Members = [t.Mixed, t.Mixed, ...t.Mixed[]];

/**
 * A union whose errors are readable: when the value got further into one member than into the
 * others (an object with a `schedule` key given where a number or a schedule goes), that
 * member's errors are reported; otherwise one error names the union (`expected a number or a
 * schedule, got "0.1"`).
 */
export class BestMatchUnion<CS extends Members> extends t.UnionType<CS, t.TypeOf<CS[number]>, t.OutputOf<CS[number]>, unknown> {
  constructor(name: string, types: CS) {
    const plain = t.union(types, name);
    super(
      name,
      plain.is,
      (u, c) => {
        const byMember: t.Errors[] = [];
        for (let i = 0; i < types.length; i++) {
          const member = types[i] as t.Mixed;
          const r = member.validate(u, t.appendContext(c, String(i), member, u));
          if (E.isRight(r)) return r;
          byMember.push(r.left);
        }
        let best: t.Errors | undefined;
        let bestDepth = c.length + 1;
        for (const errs of byMember) {
          const depth = Math.max(...errs.map((e) => e.context.length));
          if (depth > bestDepth) {
            best = errs;
            bestDepth = depth;
          }
        }
        return best === undefined ? t.failure(u, c, name) : t.failures(best);
      },
      plain.encode,
      types,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// values
// ---------------------------------------------------------------------------------------------

/** The name a message shows for a codec: io-ts's primitive names read as English. */
export function friendlyName(codec: t.Decoder<unknown, unknown>): string {
  switch (codec.name) {
    case 'number':
      return 'a number';
    case 'boolean':
      return 'a boolean';
    case 'string':
      return 'a string';
    default:
      return codec.name;
  }
}

/** A JSON number (its range is checked by the constructor that takes it). */
export const Num = t.number;
/** A JSON boolean. */
export const Bool = t.boolean;

/** One of a fixed set of strings, e.g. `'hard' | 'smooth' | 'refined'`. */
export function oneOf<const K extends string>(values: readonly K[]): t.KeyofC<{ [k in K]: null }> {
  const keys = Object.fromEntries(values.map((v) => [v, null])) as { [k in K]: null };
  return t.keyof(keys, `one of ${values.map((v) => JSON.stringify(v)).join(', ')}`);
}

/**
 * A mask: a tree of booleans shaped like the params (or a prefix of them: a boolean at an
 * inner node covers its subtree).
 */
export const MaskTree: t.Type<unknown> = describe(
  recursive<unknown>('MaskTree', 'a mask (a boolean, or an array or record of masks)', () => MaskUnion),
  'A mask: a tree of booleans with the structure of the params, or a prefix of it (a boolean at an inner node covers its whole subtree). true means apply.',
);
const MaskUnion: t.Mixed = new BestMatchUnion('a mask (a boolean, or an array or record of masks)', [
  t.boolean,
  t.array(MaskTree, 'an array of masks'),
  t.refinement(t.record(t.string, MaskTree), isPlainObject, 'a record of masks'),
]);

/**
 * One label of a label tree: any string but the marker `toSpec` would have written for a
 * function (which it refuses to write; a hand-written marker is refused here, so that it is
 * not taken for a label).
 */
const Label: t.Type<string> = t.refinement(t.string, (s) => s !== FUNCTION, `a label (a string; "${FUNCTION}" stands for a paramLabels function, which a spec cannot hold)`);

/**
 * `multiTransform`'s labels: a tree of strings shaped like the params (or a prefix of them: a
 * label at an inner node covers its subtree).
 */
export const LabelTreeCodec: t.Type<unknown> = describe(
  recursive<unknown>('LabelTree', 'a label tree (a string, or an array or record of label trees)', () => LabelUnion),
  'Labels: a tree of strings with the structure of the params, or a prefix of it (a label at an inner node covers its whole subtree). Each label names one of the transforms.',
);
const LabelUnion: t.Mixed = new BestMatchUnion(`a label tree (a string, or an array or record of label trees; "${FUNCTION}" stands for a paramLabels function, which a spec cannot hold)`, [
  Label,
  t.array(LabelTreeCodec, 'an array of label trees'),
  t.refinement(t.record(t.string, LabelTreeCodec), isPlainObject, 'a record of label trees'),
]);
