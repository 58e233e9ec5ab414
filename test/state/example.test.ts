/**
 * The examples that docs/state.md shows run and print what the docs say they print.
 */
import { describe, expect, it, vi } from 'vitest';

async function printed(example: string): Promise<string[]> {
  const lines: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    lines.push(args.map(String).join(' '));
  });
  try {
    await import(/* @vite-ignore */ example);
  } finally {
    spy.mockRestore();
  }
  return lines;
}

describe('examples', () => {
  it('checkpoint.ts: resuming from JSON and from bytes is exact, another optimizer is refused', async () => {
    const lines = await printed('../../examples/checkpoint.ts');
    expect(lines[0]).toBe('resumed == uninterrupted: true true');
    expect(lines[1]).toMatch(/^\d+ characters of JSON, \d+ bytes$/);
    expect(lines[2]).toBe('spec spec.transforms[0].maxNorm');
    expect(lines).toHaveLength(3);
  });

  it('snapshotSerializer.ts: the one-line form its comment shows', async () => {
    const lines = await printed('../../examples/snapshotSerializer.ts');
    expect(lines).toEqual(['Float32Array(5) [0.1, 0.33333334, -0, NaN, 1e-8]']);
  });
});
