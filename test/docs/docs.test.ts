/**
 * Every TypeScript block in the docs and the README is a copy of an example file (marked
 * `<!-- example: path -->` on the line before it), so it is type-checked by `tsc` with the
 * project and run here. A block without a marker, or one that drifted from its file, fails.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const docs = ['README.md', ...readdirSync(`${root}docs`).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** The source as the docs show it: the package's own name instead of the relative import. */
const asShown = (source: string): string =>
  source.replace(/'(?:\.\.\/)+src\/index\.js'/g, "'gradfuse'").replace(/'(?:\.\.\/)+src\/testing\/index\.js'/g, "'gradfuse/testing'")
    .replace(/'(?:\.\.\/)+src\/adapters\/tfjs\.js'/g, "'gradfuse/tfjs'");

interface Block {
  readonly doc: string;
  readonly example: string | undefined;
  readonly code: string;
}

function blocks(doc: string): Block[] {
  const text = readFileSync(`${root}${doc}`, 'utf8');
  const out: Block[] = [];
  const re = /(?:<!-- example: (\S+) -->\n)?```ts\n([\s\S]*?)```/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) out.push({ doc, example: m[1], code: m[2] ?? '' });
  return out;
}

const all = docs.flatMap(blocks);

describe('docs code blocks', () => {
  it('found the docs', () => {
    expect(all.length).toBeGreaterThan(5);
  });

  it.each(all.map((b, i) => [`${b.doc} #${String(i)} (${b.example ?? 'no example marker'})`, b] as const))('%s is its example file, verbatim', (_, b) => {
    expect(b.example, 'every ts block needs an <!-- example: path --> marker').toBeDefined();
    const source = readFileSync(`${root}${b.example ?? ''}`, 'utf8');
    expect(b.code).toBe(asShown(source));
  });

  const examples = [...new Set(all.map((b) => b.example).filter((e): e is string => e !== undefined))];
  it.each(examples)('%s runs', async (example) => {
    const spy = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      await import(/* @vite-ignore */ `${root}${example}`);
    } finally {
      spy.mockRestore();
    }
  });
});
