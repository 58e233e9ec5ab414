/**
 * The README's example is examples/quickstart.ts, verbatim (with the package's own import
 * path); it is type-checked by `tsc` with the rest of the project and run here. (The demo's
 * test is test/examples/demo.test.ts.)
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('README', () => {
  it('shows examples/quickstart.ts verbatim', () => {
    const readme = readFileSync(`${root}README.md`, 'utf8');
    const source = readFileSync(`${root}examples/quickstart.ts`, 'utf8').replace("'../src/index.js'", "'gradfuse'");
    const block = /<!-- example: examples\/quickstart\.ts -->\n```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBe(source);
    expect(readme.startsWith('# gradfuse\n\n```sh\nnpm ci && npm run demo')).toBe(true);
    expect(readme).toContain('npm ci && npm test');
  });

  it('the quick start runs and converges', async () => {
    const lines: unknown[][] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => { lines.push(args); });
    try {
      await import('../../examples/quickstart.js');
    } finally {
      spy.mockRestore();
    }
    expect(lines).toEqual([[['1.000', '1.000', '1.000'], ['-2.000']]]);
  });
});

