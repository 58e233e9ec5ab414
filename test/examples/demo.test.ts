/**
 * The demo (`npm run demo`, examples/demo.ts): a shortened run on a few hundred MNIST digits
 * must lower the loss, classify well above chance, report the accuracy line, and write the
 * two plots as well-formed SVG. The example model's hand-written backward passes are checked
 * against finite differences.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoOptions, type DemoResult, runDemo } from '../../examples/demo.js';
import { type MlpParams, initMlp, mseLossAndGrad, rng, shuffled, softmaxCrossEntropyLossAndGrad, zeroGrads } from '../../examples/mlp.js';
import { IMAGE_SIZE, loadMnist, mnistSize } from '../../examples/mnist/data.js';
import { lineChartSvg, smooth } from '../../examples/mnist/plot.js';

const outDir = mkdtempSync(join(tmpdir(), 'gradfuse-demo-'));
afterAll(() => {
  rmSync(outDir, { recursive: true, force: true });
});

/** A shortened demo: 600 training images, 3 epochs of minibatches of 32 (57 steps). */
const short: DemoOptions = { trainSize: 600, testSize: 400, hidden: 32, epochs: 3, batchSize: 32, progress: 'lines', seed: 3 };

/**
 * Checks that `text` is one well-formed XML element tree (tags nest and close, attributes are
 * quoted, text holds no stray `<` and only well-formed entities) and returns the root's name
 * and how often each element occurs.
 */
function parseXml(text: string): { readonly root: string; readonly counts: ReadonlyMap<string, number> } {
  const token = /<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<!DOCTYPE[^>]*>|<!\[CDATA\[[\s\S]*?\]\]>|<(\/?)([A-Za-z_][\w:.-]*)((?:\s+[\w:.-]+\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>/g;
  const textRun = /^(?:[^<&]|&(?:[A-Za-z]+|#\d+|#x[0-9A-Fa-f]+);)*$/;
  const stack: string[] = [];
  const counts = new Map<string, number>();
  let root: string | undefined;
  let at = 0;
  for (let m = token.exec(text); m !== null; m = token.exec(text)) {
    const between = text.slice(at, m.index);
    if (!textRun.test(between)) throw new Error(`bad text at ${String(at)}: ${between.slice(0, 40)}`);
    if (root !== undefined && stack.length === 0 && between.trim() !== '') throw new Error('text after the root element');
    at = token.lastIndex;
    const [, closing, name, , selfClosing] = m;
    if (name === undefined) continue; // comment, declaration, CDATA
    if (closing === '/') {
      if (stack.pop() !== name) throw new Error(`</${name}> closes nothing open`);
      continue;
    }
    if (stack.length === 0) {
      if (root !== undefined) throw new Error('a second root element');
      root = name;
    }
    counts.set(name, (counts.get(name) ?? 0) + 1);
    if (selfClosing !== '/') stack.push(name);
  }
  if (!textRun.test(text.slice(at)) || text.slice(at).trim() !== '') throw new Error('trailing content');
  if (root === undefined || stack.length > 0) throw new Error(`unclosed elements: ${stack.join(', ')}`);
  return { root, counts };
}

describe('demo', () => {
  const lines: string[] = [];
  let run: DemoResult;
  beforeAll(async () => {
    run = await runDemo({ ...short, outDir, log: (line) => lines.push(line) });
  });

  it('a short run lowers the loss and classifies far above chance', async () => {
    const { losses, testAccuracy, initialAccuracy } = run;
    expect(losses.length).toBe(3 * Math.ceil(600 / 32));
    const first = losses.subarray(0, 19).reduce((a, b) => a + b) / 19;
    const last = losses.subarray(-19).reduce((a, b) => a + b) / 19;
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(last).toBeLessThan(first / 2);
    expect(initialAccuracy).toBeLessThan(0.3);
    expect(testAccuracy).toBeGreaterThan(0.7);
  });

  it('runs the compiled optimizer on the backend auto picked, with the warm-up/cosine schedule', async () => {
    const { backend, learningRates } = run;
    expect(['wasm', 'js', 'closure']).toContain(backend);
    const peak = Math.max(...learningRates);
    const top = learningRates.indexOf(peak);
    expect(learningRates[0]).toBe(0);
    expect(peak).toBeCloseTo(3e-3, 12);
    expect(top).toBeGreaterThan(0);
    expect(top).toBeLessThan(learningRates.length / 4);
    for (let i = top + 1; i < learningRates.length; i++) expect(learningRates[i]).toBeLessThan(learningRates[i - 1] as number);
    expect(learningRates.at(-1)).toBeLessThan(peak / 50);
  });

  it('reports progress lines and ends with the accuracy line', async () => {
    const { testAccuracy } = run;
    expect(lines.filter((l) => /^step +\d+\/57 {2}loss \d+\.\d{4} {2}lr \d\.\d\de-\d$/.test(l)).length).toBeGreaterThanOrEqual(10);
    expect(lines.at(-1)).toBe(`test accuracy: ${(100 * testAccuracy).toFixed(1)}%`);
    expect(lines.at(-1)).toMatch(/^test accuracy: \d{1,3}\.\d%$/);
  });

  it('writes the loss and learning-rate plots as SVG documents', async () => {
    const { plots } = run;
    expect(plots).toEqual([join(outDir, 'loss.svg'), join(outDir, 'learning-rate.svg')]);
    for (const [file, title] of [[plots[0], 'Training loss'], [plots[1], 'Learning rate']] as const) {
      const svg = readFileSync(file ?? '', 'utf8');
      const { root, counts } = parseXml(svg);
      expect(root).toBe('svg');
      expect(svg).toMatch(/^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
      expect(svg).toContain(title);
      expect(counts.get('path') ?? 0).toBeGreaterThan(2);
      // The line itself: one long path through every step.
      const longest = Math.max(...[...svg.matchAll(/ d="([^"]*)"/g)].map((m) => (m[1] ?? '').split('L').length));
      expect(longest).toBeGreaterThanOrEqual(57);
    }
  });

  it('is reproducible: the same seed gives the same losses and accuracy', async () => {
    const again = await runDemo({ ...short, outDir: null, progress: 'none', log: () => {} });
    const { losses, testAccuracy } = run;
    expect(Array.from(again.losses)).toEqual(Array.from(losses));
    expect(again.testAccuracy).toBe(testAccuracy);
    expect(again.plots).toEqual([]);
  });
});

describe('the data', () => {
  it('splits the package digits into disjoint, seeded, balanced sets', () => {
    expect(mnistSize()).toBe(10_000);
    const a = loadMnist({ trainSize: 300, testSize: 200, seed: 5 });
    const b = loadMnist({ trainSize: 300, testSize: 200, seed: 5 });
    const c = loadMnist({ trainSize: 300, testSize: 200, seed: 6 });
    expect(a.train.images.length).toBe(300 * IMAGE_SIZE);
    expect(Array.from(a.train.labels)).toEqual(Array.from(b.train.labels));
    expect(Array.from(a.train.labels)).not.toEqual(Array.from(c.train.labels));
    expect(a.train.images.every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(new Set(a.train.labels).size).toBe(10);
    // No test image is also a training image.
    const key = (images: Float32Array, s: number): string => images.subarray(s * IMAGE_SIZE, (s + 1) * IMAGE_SIZE).join();
    const trainKeys = new Set(Array.from({ length: 300 }, (_, s) => key(a.train.images, s)));
    for (let s = 0; s < 200; s++) expect(trainKeys.has(key(a.test.images, s))).toBe(false);
  });

  it('rejects sizes the package cannot provide', () => {
    expect(() => loadMnist({ trainSize: 9000, testSize: 2000, seed: 0 })).toThrow(/at most 10000/);
    expect(() => loadMnist({ trainSize: 0, testSize: 10, seed: 0 })).toThrow(RangeError);
  });
});

describe('the example model', () => {
  /** Central differences of `loss` in every parameter, against the hand-written gradient. */
  function checkGradient(params: MlpParams, lossAndGrad: (p: MlpParams, g: MlpParams) => number): void {
    const grads = zeroGrads(params);
    lossAndGrad(params, grads);
    const scratch = zeroGrads(params);
    const pairs = [
      [params.dense1.w, grads.dense1.w],
      [params.dense1.b, grads.dense1.b],
      [params.dense2.w, grads.dense2.w],
      [params.dense2.b, grads.dense2.b],
    ] as const;
    for (const [p, g] of pairs) {
      for (let i = 0; i < p.length; i++) {
        const original = p[i] as number;
        p[i] = original + 1e-2;
        const up = p[i] as number;
        const lossUp = lossAndGrad(params, scratch);
        p[i] = original - 1e-2;
        const down = p[i] as number;
        const lossDown = lossAndGrad(params, scratch);
        p[i] = original;
        const numeric = (lossUp - lossDown) / (up - down);
        expect(Math.abs(numeric - (g[i] as number))).toBeLessThan(1e-4 + 1e-3 * Math.abs(numeric));
      }
    }
  }

  it('softmax cross-entropy: the backward pass matches finite differences', () => {
    const random = rng(11);
    const n = 7;
    // Sparse inputs, like pixels: the forward pass skips zeros.
    const x = Float32Array.from({ length: n * 5 }, () => (random() < 0.4 ? 0 : random()));
    const labels = Uint8Array.from({ length: n }, () => Math.floor(random() * 3));
    const params = initMlp(5, 4, 3, 2);
    params.dense1.b.set([0.1, -0.2, 0.05, 0.3]);
    params.dense2.b.set([0.2, -0.1, 0]);
    const batch = shuffled(n, random).subarray(0, 5);
    checkGradient(params, (p, g) => softmaxCrossEntropyLossAndGrad(p, x, labels, batch, g));
  });

  it('softmax cross-entropy: the loss is log(classes) at zero weights, and stays finite for huge logits', () => {
    const params = initMlp(4, 3, 10, 0);
    for (const a of [params.dense1.w, params.dense2.w]) a.fill(0);
    const x = Float32Array.from({ length: 8 }, (_, i) => i / 8);
    const labels = Uint8Array.from([3, 7]);
    expect(softmaxCrossEntropyLossAndGrad(params, x, labels, [0, 1], zeroGrads(params))).toBeCloseTo(Math.log(10), 12);
    params.dense2.b.fill(0);
    params.dense2.b[0] = 1e4; // exp(1e4) overflows without the max shift
    const loss = softmaxCrossEntropyLossAndGrad(params, x, labels, [0, 1], zeroGrads(params));
    expect(loss).toBeCloseTo(1e4, 6);
  });

  it('mean squared error: the backward pass matches finite differences', () => {
    const random = rng(12);
    const n = 6;
    const x = Float32Array.from({ length: n * 3 }, () => random() * 2 - 1);
    const y = Float32Array.from({ length: n * 2 }, () => random() * 2 - 1);
    checkGradient(initMlp(3, 4, 2, 5), (p, g) => mseLossAndGrad(p, x, y, n, g));
  });
});

describe('the plots', () => {
  it('renders any series through vega-lite, with a legend only for several', async () => {
    const one = parseXml(await lineChartSvg([{ name: 'a', values: [3, 1, 2] }], { title: 'One', yTitle: 'y' }));
    const two = await lineChartSvg([{ name: 'first series', values: [3, 1, 2] }, { name: 'second series', values: [1, 1, 1] }], { title: 'Two', yTitle: 'y', yScale: 'log' });
    expect(one.root).toBe('svg');
    expect(parseXml(two).root).toBe('svg');
    expect(two).toContain('second series');
    expect(await lineChartSvg([{ name: 'a', values: [3, 1, 2] }], { title: 'One', yTitle: 'y' })).not.toContain('>a<');
  });

  it('smooths with a debiased moving average', () => {
    for (const v of smooth([2, 2, 2])) expect(v).toBeCloseTo(2, 12);
    const s = smooth([0, 10], 0.5);
    expect(s[0]).toBe(0);
    expect(s[1]).toBeCloseTo((0.5 * 10) / (1 - 0.5 ** 2), 12);
  });

  it('rejects malformed SVG (the checker can fail)', () => {
    expect(() => parseXml('<svg><g></svg>')).toThrow();
    expect(() => parseXml('<svg a=b></svg>')).toThrow();
    expect(() => parseXml('<svg>1 < 2</svg>')).toThrow();
    expect(parseXml('<svg xmlns="x"><g><path d="M0,0L1,1"/></g></svg>').counts.get('path')).toBe(1);
  });
});
