/**
 * examples/lrFinder.ts: the sweep diverges before its end, the suggestion lies in the range
 * where the loss falls (well below the blow-up), training at it fits the data, the printed lines
 * say so, and the plot is an SVG document with both curves and the suggestion's rule.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../examples/lrFinder.js';

const outDir = mkdtempSync(join(tmpdir(), 'gradfuse-lr-finder-'));
afterAll(() => {
  rmSync(outDir, { recursive: true, force: true });
});

describe('examples/lrFinder.ts', () => {
  it('finds a rate that trains the regression, prints it, and plots the curve as SVG', async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
      lines.push(args.map(String).join(' '));
    });
    let result: Awaited<ReturnType<typeof main>>;
    try {
      result = await main(outDir);
    } finally {
      spy.mockRestore();
    }
    const { finder, before, after, plot } = result;

    expect(finder.stoppedBy).toBe('diverged');
    expect(finder.learningRates.length).toBeLessThan(100);
    const blowUp = finder.learningRates.at(-1) ?? 0;
    const s = finder.suggestion ?? NaN;
    // the suggestion learns (well above the flat start) and is far from the blow-up
    expect(s).toBeGreaterThan(1e-4);
    expect(s).toBeLessThan(blowUp / 10);
    expect(after).toBeLessThan(before / 20);

    expect(lines[0]).toMatch(/^swept \d+ rates \(diverged\); suggested learning rate: \d\.\d\de-\d$/);
    expect(lines[0]).toContain(s.toExponential(2));
    expect(lines[1]).toMatch(/^loss \d\.\d{4} -> \d\.\d{4} after 300 steps$/);
    expect(plot).toBe(join(outDir, 'lr-finder.svg'));

    const svg = readFileSync(plot ?? '', 'utf8');
    expect(svg).toMatch(/^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('Learning-rate finder');
    expect(svg).toContain('smoothed loss');
    expect(svg).toContain('learning rate');
    // the two curves: paths through every recorded point
    const longest = [...svg.matchAll(/ d="([^"]*)"/g)].map((m) => (m[1] ?? '').split('L').length).sort((a, b) => b - a);
    expect(longest[1]).toBeGreaterThanOrEqual(finder.learningRates.length);
  });

  it('without an output directory it writes nothing', async () => {
    const spy = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      expect((await main(null)).plot).toBeUndefined();
    } finally {
      spy.mockRestore();
    }
  });
});
