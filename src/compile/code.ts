/**
 * Generated code as a type. Everything the compiler emits is a {@link Code} value built with
 * the {@link js} template: `Code` and `Name` values pass through, numbers become literals through
 * {@link num}, and anything else throws. Text can never become code.
 *
 * @module
 */

/** A fragment of generated JavaScript. Construct only through `js`, `Name` or `num`. */
export class Code {
  /** @internal */
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const RESERVED = new Set([
  'break', 'case', 'catch', 'class', 'const', 'continue', 'debugger', 'default', 'delete', 'do', 'else', 'export',
  'extends', 'false', 'finally', 'for', 'function', 'if', 'import', 'in', 'instanceof', 'new', 'null', 'return',
  'super', 'switch', 'this', 'throw', 'true', 'try', 'typeof', 'var', 'void', 'while', 'with', 'yield', 'let',
  'static', 'enum', 'await', 'implements', 'package', 'protected', 'interface', 'private', 'public', 'eval', 'arguments',
]);

/** An identifier in generated code; throws unless it is a plain, non-reserved identifier. */
export class Name extends Code {
  constructor(name: string) {
    if (!IDENTIFIER.test(name) || RESERVED.has(name)) throw new Error(`codegen: not a valid identifier: ${JSON.stringify(name)}`);
    super(name);
  }
}

/**
 * A number literal. Finite numbers print exactly (shortest round-trip), `-0` as `-0`, negatives
 * in parentheses so that `a - ${-1}` cannot become `a--1`. NaN and ±Infinity print as the global
 * names, explicitly. Anything that is not a number throws.
 */
export function num(value: number): Code {
  if (typeof value !== 'number') throw new Error(`codegen: expected a number, got ${typeof value}`);
  if (Number.isNaN(value)) return new Code('NaN');
  if (value === Infinity) return new Code('Infinity');
  if (value === -Infinity) return new Code('(-Infinity)');
  if (Object.is(value, -0)) return new Code('(-0)');
  const text = String(value);
  return new Code(value < 0 ? `(${text})` : text);
}

/** What the template accepts: code, names and numbers. */
export type CodeArg = Code | number;

/**
 * The only way to build generated code. Interpolating anything but `Code` or a number throws,
 * at run time as well as at compile time.
 */
export function js(strings: TemplateStringsArray, ...args: readonly CodeArg[]): Code {
  let out = strings[0] ?? '';
  args.forEach((arg, i) => {
    if (arg instanceof Code) out += arg.text;
    else if (typeof arg === 'number') out += num(arg).text;
    else throw new Error(`codegen: cannot interpolate ${typeof arg} into code`);
    out += strings[i + 1] ?? '';
  });
  return new Code(out);
}

/** Joins code fragments with a separator that is itself code. */
export function joinCode(parts: readonly Code[], separator: Code = new Code('\n')): Code {
  return new Code(parts.map((p) => p.text).join(separator.text));
}

/** Joins lines of code with newlines. */
export function lines(parts: readonly Code[]): Code {
  return joinCode(parts, new Code('\n'));
}

/**
 * Indents every line of `code` by `depth` levels of two spaces. A code-to-code rewrite: the
 * input is already code, so nothing is quoted or unquoted.
 */
export function indent(code: Code, depth = 1): Code {
  const pad = '  '.repeat(depth);
  return new Code(
    code.text
      .split('\n')
      .map((line) => (line === '' ? line : pad + line))
      .join('\n'),
  );
}

const HEX = /^[0-9a-f]+$/;

/** Lower-case hexadecimal digits (a structural hash) as code; anything else throws. */
export function hexDigits(text: string): Code {
  if (!HEX.test(text)) throw new Error(`codegen: not hexadecimal digits: ${JSON.stringify(text)}`);
  return new Code(text);
}
