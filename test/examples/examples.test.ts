/**
 * The examples of docs/examples.md (each `npm run example:*`): every one runs with its console
 * output captured, and shows what it claims (a loss that falls, an accuracy above a bound, two
 * runs that agree). examples/checkpoint.ts and examples/fromSpec.ts are run by
 * test/state/example.test.ts and test/spec/example.test.ts.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main as gradientAccumulation } from '../../examples/gradientAccumulation.js';
import { loadIris, main as iris } from '../../examples/iris.js';
import { main as overfit } from '../../examples/overfitTenSamples.js';
import { main as pytorchPort } from '../../examples/pytorchPort.js';
import { OPTIMIZERS, START, main as rosenbrockMain, descend, rosenbrock } from '../../examples/rosenbrock.js';
import { adam, sgd, warmupCosineDecay } from '../../src/index.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const outDir = mkdtempSync(join(tmpdir(), 'gradfuse-examples-'));
afterAll(() => {
  rmSync(outDir, { recursive: true, force: true });
});

/** Runs `f` with console.log captured; returns its result and the printed lines. */
async function printed<T>(f: () => T | Promise<T>): Promise<{ readonly result: T; readonly lines: string[] }> {
  const lines: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    lines.push(args.map(String).join(' '));
  });
  try {
    return { result: await f(), lines };
  } finally {
    spy.mockRestore();
  }
}

describe('rosenbrock.ts', () => {
  it('every optimizer descends from (-1.5, 2); momentum beats SGD, Adam reaches the minimum; the plot is written', async () => {
    const { result, lines } = await printed(() => rosenbrockMain({ outDir }));
    const { trajectories, plot } = result;
    expect(trajectories.map((t) => t.name)).toEqual(OPTIMIZERS.map(([name]) => name));
    const startDistance = Math.hypot(START[0] - 1, START[1] - 1);
    const byName = new Map(trajectories.map((t) => [t.name.split(' ')[0], t]));
    for (const t of trajectories) {
      expect(t.points).toHaveLength(2001);
      expect(t.distance).toBeLessThan(startDistance);
      expect(t.loss).toBeLessThan(rosenbrock(...START) / 50);
      expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^${t.name.replace(/[()]/g, '\\$&')} +distance to \\(1, 1\\): ${t.distance.toExponential(2)} `)));
    }
    expect(byName.get('Adam')?.distance).toBeLessThan(1e-4);
    expect(byName.get('momentum')?.distance).toBeLessThan(1e-2);
    expect(byName.get('SGD')?.distance).toBeGreaterThan(10 * (byName.get('momentum')?.distance ?? Infinity));
    // AdamW's decoupled decay pulls towards 0: it stops short of Adam's fixed point.
    expect(byName.get('AdamW')?.distance).toBeGreaterThan(byName.get('Adam')?.distance ?? Infinity);

    expect(plot).toBe(join(outDir, 'rosenbrock.svg'));
    const svg = readFileSync(plot ?? '', 'utf8');
    expect(svg).toMatch(/^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    for (const [name] of OPTIMIZERS) expect(svg).toContain(name);
    expect(svg.match(/<path /g)?.length ?? 0).toBeGreaterThan(32 * 32); // the heat map's cells, the paths
    expect(lines.at(-1)).toBe(`plot: ${plot ?? ''}`);
  });

  it('a run is the optimizer\'s trajectory on the exact gradient; the step count and the plot are options', async () => {
    const short = descend('adam', adam({ learningRate: 0.05 }), 3);
    expect(short.points[0]).toEqual(START);
    // Adam's first step moves each coordinate by the learning rate, against the gradient's sign.
    expect(short.points[1]?.[0]).toBeCloseTo(-1.5 + 0.05, 9);
    expect(short.points[1]?.[1]).toBeCloseTo(2 + 0.05, 9);
    // SGD's: p - lr·∇f, with ∇f(-1.5, 2) = (-155, -50).
    const sgdStep = descend('sgd', sgd({ learningRate: 1e-3 }), 1).points[1];
    expect(sgdStep?.[0]).toBeCloseTo(-1.5 + 0.155, 12);
    expect(sgdStep?.[1]).toBeCloseTo(2 + 0.05, 12);
    const { result } = await printed(() => rosenbrockMain({ steps: 50, outDir: null }));
    expect(result.plot).toBeUndefined();
    expect(result.trajectories.every((t) => t.points.length === 51)).toBe(true);
  });
});

describe('iris.ts', () => {
  it('classifies the held-out flowers; weight decay leaves the biases alone', async () => {
    const { result, lines } = await printed(() => iris());
    expect(result.testAccuracy).toBeGreaterThanOrEqual(0.9);
    expect(result.trainAccuracy).toBeGreaterThanOrEqual(0.95);
    expect(result.losses.at(-1)).toBeLessThan((result.losses[0] ?? 0) / 10);
    expect(result.decayProbe.biases).toBe(0);
    expect(result.decayProbe.weights).toBeGreaterThan(0);
    expect(lines.at(-1)).toBe(`test accuracy: ${(100 * result.testAccuracy).toFixed(1)}%`);
  });

  it('shuffles the class-sorted rows with the seed before splitting, and standardises', () => {
    const a = loadIris(0);
    const b = loadIris(0);
    const c = loadIris(1);
    expect(Array.from(a.test.labels)).toEqual(Array.from(b.test.labels));
    expect(Array.from(a.test.labels)).not.toEqual(Array.from(c.test.labels));
    for (const split of [a.train, a.test]) expect(new Set(split.labels).size).toBe(3);
    expect(a.train.labels).toHaveLength(120);
    expect(a.test.labels).toHaveLength(30);
    for (let f = 0; f < 4; f++) {
      const column = Array.from({ length: 120 }, (_, s) => a.train.x[s * 4 + f] as number);
      const mean = column.reduce((s, v) => s + v, 0) / 120;
      expect(mean).toBeCloseTo(0, 5);
      expect(column.reduce((s, v) => s + (v - mean) ** 2, 0) / 120).toBeCloseTo(1, 5);
    }
  });
});

describe('gradientAccumulation.ts', () => {
  it('multiSteps over k micro-batches takes the big-batch steps, up to rounding', async () => {
    const { result, lines } = await printed(() => gradientAccumulation());
    expect(result.steps).toBe(120);
    expect(result.maxDifference).toBeLessThan(1e-12);
    expect(result.lossAfter).toBeLessThan(result.lossBefore / 1000);
    expect(lines.at(-1)).toBe(`largest difference over all 120 steps: ${result.maxDifference.toExponential(2)}`);
    expect(lines[2]?.replace('big batch:  ', '')).toBe(lines[3]?.replace('accumulated:', ''));
  });

  it('agrees for other k and b, and the agreement is no coincidence: other batch sizes give other params', async () => {
    const { result } = await printed(() => gradientAccumulation({ everyK: 2, microBatch: 16, epochs: 2 }));
    expect(result.maxDifference).toBeLessThan(1e-12);
    // The accumulated run of k = 2, b = 8 (batches of 16) is not the big-batch run of batches of 32.
    const { result: other } = await printed(() => gradientAccumulation({ everyK: 2, microBatch: 8, epochs: 2 }));
    const { result: big } = await printed(() => gradientAccumulation({ everyK: 4, microBatch: 8, epochs: 2 }));
    expect(Math.abs((other.accumulated.w[0] ?? 0) - (big.bigBatch.w[0] ?? 0))).toBeGreaterThan(1e-3);
  });
});

describe('overfitTenSamples.ts', () => {
  it('drives the loss to about zero and classifies all ten', async () => {
    const { result, lines } = await printed(() => overfit());
    expect(result.passed).toBe(true);
    expect(result.accuracy).toBe(1);
    expect(result.losses.at(-1)).toBeLessThan(0.01);
    expect(['wasm', 'js', 'closure']).toContain(result.backend);
    expect(lines.at(-1)).toBe('sanity check passed: the model can learn');
  });

  it('catches a planted bug (the gradient sign flipped)', async () => {
    const { result, lines } = await printed(() => overfit({ flipGradientSign: true }));
    expect(result.passed).toBe(false);
    expect(result.losses.at(-1)).toBeGreaterThan(result.losses[0] ?? Infinity);
    expect(lines.at(-1)).toMatch(/^sanity check FAILED/);
  });
});

describe('pytorchPort.ts', () => {
  it('fits sin(3x) under the warm-up/cosine schedule, which equals optax-style warmupCosineDecay', async () => {
    const { result, lines } = await printed(() => pytorchPort());
    const { epochLosses, initialLoss, learningRates } = result;
    expect(epochLosses.at(-1)).toBeLessThan(initialLoss / 20);
    expect(learningRates).toHaveLength(400);
    const optaxForm = warmupCosineDecay({ initValue: 3e-3, peakValue: 3e-2, warmupSteps: 20, decaySteps: 400, endValue: 1e-4 });
    learningRates.forEach((lr, step) => {
      expect(lr).toBeCloseTo(optaxForm(step), 15);
    });
    expect(learningRates[0]).toBeCloseTo(3e-3, 15);
    expect(Math.max(...learningRates)).toBe(learningRates[20]);
    expect(lines.at(-1)).toMatch(/^loss 0\.\d{4} -> 0\.\d{5} in 400 steps \((wasm|js|closure) backend\)$/);
  });

  it('carries each PyTorch line, as a comment, right above its port', () => {
    const lines = readFileSync(`${root}examples/pytorchPort.ts`, 'utf8').split('\n');
    for (const torch of ['torch.optim.AdamW(', 'LinearLR(', 'CosineAnnealingLR(', 'SequentialLR(', 'clip_grad_norm_(', 'loss.backward()', 'optimizer.zero_grad()', 'scheduler.step()', 'DataLoader(']) {
      const at = lines.findIndex((line) => /^\s*\/\/ /.test(line) && line.includes(torch));
      expect(at, torch).toBeGreaterThan(0);
      const next = lines.slice(at + 1).find((line) => !/^\s*\/\/ /.test(line));
      expect(next?.trim(), `the line after the comment on ${torch}`).toMatch(/^(const|for|mseLossAndGrad|compiled\.step|learningRates|step\+\+)/);
    }
  });
});

describe('docs/examples.md', () => {
  it('lists the examples of this issue, each with an npm script that runs its file', () => {
    const doc = readFileSync(`${root}docs/examples.md`, 'utf8');
    const scripts = (JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { scripts: Record<string, string> }).scripts;
    const listed = [...doc.matchAll(/`npm run (example:[\w-]+)`/g)].map((m) => m[1] ?? '');
    const files = ['rosenbrock', 'iris', 'gradientAccumulation', 'overfitTenSamples', 'pytorchPort', 'checkpoint', 'fromSpec'];
    for (const file of files) {
      expect(readdirSync(`${root}examples`)).toContain(`${file}.ts`);
      expect(doc).toContain(`examples/${file}.ts`);
    }
    expect(listed.length).toBeGreaterThanOrEqual(files.length);
    for (const name of listed) {
      expect(scripts[name], `package.json has the script ${name}`).toMatch(/^tsx examples\/\w+\.ts$/);
      expect(doc).toContain(scripts[name]?.replace('tsx ', '') ?? '');
    }
  });
});
