/**
 * Every relative link in the docs and the README points at a file of the repository, and every
 * `#anchor` into a markdown file at one of its headings (GitHub's slugs). Links to generated
 * output (docs/api/, out/) and external addresses are not checked.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const docs = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to dashes. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[`*_]/g, '')
    .replace(/[^\p{L}\p{N} -]/gu, '')
    .replace(/ /g, '-');
}

function anchors(file: string): Set<string> {
  const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1] ?? '')));
}

/** The links of a markdown file, code blocks and inline code left out. */
function links(doc: string): string[] {
  const text = readFileSync(join(root, doc), 'utf8').replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1] ?? '');
}

describe('links in the docs', () => {
  it.each(docs)('%s: relative links resolve', (doc) => {
    const broken: string[] = [];
    for (const link of links(doc)) {
      if (/^[a-z]+:/i.test(link)) continue;
      const [path = '', anchor] = link.split('#');
      const target = path === '' ? join(root, doc) : normalize(join(dirname(join(root, doc)), decodeURI(path)));
      const relative = target.slice(root.length);
      if (/^(docs\/api|out)(\/|$)/.test(relative)) continue;
      if (!existsSync(target)) broken.push(`${link} (no file ${relative})`);
      else if (anchor !== undefined && target.endsWith('.md') && !anchors(target).has(anchor)) broken.push(`${link} (no heading #${anchor})`);
    }
    expect(broken).toEqual([]);
  });
});
