/**
 * The prose of the docs names the API: those names must be real exports. The guide's list of
 * building blocks must cover every op of the spec format (so a new optimizer, transformation or
 * combinator shows up there), and every gradfuse name in the porting tables (docs/optax.md,
 * docs/pytorch.md) must be exported from the package.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as api from '../../src/index.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const read = (doc: string): string => readFileSync(`${root}${doc}`, 'utf8');
const exported = new Set(Object.keys(api));

/** Identifiers written as code in markdown: `name` and `name(...)`, or only the calls. */
function codeNames(markdown: string, callsOnly = false): string[] {
  const re = callsOnly ? /`([a-z][A-Za-z0-9]*)\(/g : /`([a-z][A-Za-z0-9]*)(?:\(|`)/g;
  return [...markdown.matchAll(re)].map((m) => m[1] ?? '');
}

/** The gradfuse column (the second) of every table row of a doc, header and rule rows left out. */
function secondColumn(markdown: string): string {
  return markdown
    .split('\n')
    .filter((line) => line.startsWith('|') && !/^\|[-| ]+\|$/.test(line))
    .map((line) => line.split(' | ')[1] ?? '')
    .filter((cell) => cell !== 'gradfuse')
    .join('\n');
}

describe('names in the docs', () => {
  const guide = read('docs/guide.md');
  const list = /<!-- exports:start -->([\s\S]*?)<!-- exports:end -->/.exec(guide)?.[1] ?? '';

  it("the guide's list of building blocks names only exports", () => {
    const names = codeNames(list);
    expect(names.length).toBeGreaterThan(50);
    expect(names.filter((n) => n !== 'flatten' && !exported.has(n))).toEqual([]);
  });

  it("the guide's list of building blocks covers every op of the spec format", () => {
    const names = new Set(codeNames(list));
    expect(api.OP_NAMES.filter((op) => !names.has(op))).toEqual([]);
  });

  it.each(['docs/optax.md', 'docs/pytorch.md'])('%s: every gradfuse name in its tables is exported', (doc) => {
    const names = codeNames(secondColumn(read(doc)), true);
    expect(names.length).toBeGreaterThan(10);
    expect([...new Set(names.filter((n) => !exported.has(n)))]).toEqual([]);
  });
});

/** The PyTorch reference vectors, beside the repository (absent in a bare clone: the test skips). */
const vectorDir = process.env['GRADFUSE_CONFORMANCE_DIR'] ?? `${root}../shared/conformance/torch`;

describe.skipIf(!existsSync(vectorDir))('the conformance evidence in docs/pytorch.md', () => {
  const files = readdirSync(vectorDir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -'.json'.length));
  const schedules = (JSON.parse(readFileSync(`${vectorDir}/schedules.json`, 'utf8')) as { schedules: { name: string }[] }).schedules.map((s) => s.name);
  /** The last cell of every row of the tables whose last header is the conformance column. */
  const cited = (() => {
    const out: string[] = [];
    let inTable = false;
    for (const line of read('docs/pytorch.md').split('\n')) {
      if (!line.startsWith('|')) inTable = false;
      else if (/\| conformance[^|]*\|$/.test(line)) inTable = true;
      else if (inTable && !/^\|[-| ]+\|$/.test(line)) out.push(...[...(line.split(' | ').at(-1) ?? '').matchAll(/`([a-z0-9_]+)`/g)].map((m) => m[1] ?? ''));
    }
    return out;
  })();

  it('cites only files and schedule entries that exist', () => {
    expect(cited.length).toBeGreaterThan(30);
    expect(cited.filter((name) => !files.includes(name) && !schedules.includes(name))).toEqual([]);
  });

  it('cites every vector file and every schedule entry', () => {
    expect([...files, ...schedules].filter((name) => name !== 'schedules' && !cited.includes(name))).toEqual([]);
  });
});
