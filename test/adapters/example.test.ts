/**
 * examples/tfjs.ts (shown in docs/tfjs.md) trains a tfjs network with gradfuse's AdamW and
 * warm-up/cosine schedule: the loss must fall by two orders of magnitude, and the tensor count
 * must be the same after training as before.
 */
import { describe, expect, it, vi } from 'vitest';

describe('examples/tfjs.ts', () => {
  it('trains the tfjs model and leaks no tensors', async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => { lines.push(args.map(String).join(' ')); });
    try {
      await import('../../examples/tfjs.js');
    } finally {
      spy.mockRestore();
    }
    const losses = lines.flatMap((l) => {
      const m = /^step +(\d+) {2}loss (\d+\.\d+) {2}lr /.exec(l);
      return m === null ? [] : [[Number(m[1]), Number(m[2])] as const];
    });
    expect(losses.map(([step]) => step)).toEqual([0, 100, 200, 300, 400]);
    const first = losses[0]?.[1] ?? Number.NaN;
    const last = losses.at(-1)?.[1] ?? Number.NaN;
    expect(first).toBeGreaterThan(0.1);
    expect(last).toBeLessThan(first / 50);
    const memory = /^tensors in memory: (\d+) before training, (\d+) after$/.exec(lines.at(-1) ?? '');
    expect(memory).not.toBeNull();
    expect(memory?.[2]).toBe(memory?.[1]);
  });
});
