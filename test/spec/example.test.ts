/**
 * examples/fromSpec.ts (shown in docs/spec.md, type-checked by tsc) runs and prints what the
 * docs say it prints.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it, vi } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

it('examples/fromSpec.ts prints what docs/spec.md shows', async () => {
  const lines: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    lines.push(args.map(String).join(' '));
  });
  try {
    await import('../../examples/fromSpec.js');
  } finally {
    spy.mockRestore();
  }
  const output = lines.join('\n').split('\n');
  expect(output.slice(0, 2)).toEqual(['true', '0.999']);
  expect(output).toContain('  at $.transforms[0].maxNorm: expected a finite number > 0, got -1');
  const doc = readFileSync(`${root}docs/spec.md`, 'utf8');
  const shown = /It prints:\n\n```text\n([\s\S]*?)\n```/.exec(doc)?.[1];
  expect(shown?.split('\n')).toEqual(output);
});
