/**
 * Optimizers compared on the Rosenbrock function (`npm run example:rosenbrock`):
 *
 * ```text
 * f(x, y) = (1 - x)² + 100 (y - x²)²        minimum 0 at (1, 1)
 * ```
 *
 * SGD, SGD with momentum, Adam, AdamW and Lion start from (-1.5, 2) and take the same number of
 * steps on the exact gradient, each compiled. The curved, narrow valley is the classic picture
 * of why momentum and adaptive step sizes matter: plain SGD needs a learning rate small enough
 * for the steep walls and then crawls along the flat floor. The trajectories are drawn over a
 * heat map of log f, with each optimizer's distance to (1, 1) per step beside them, in
 * vega-lite, to `out/rosenbrock.svg`; the final distance of each optimizer is printed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { TopLevelSpec } from 'vega-lite';
import { type GradientTransformation, adam, adamw, compile, lion, sgd } from '../src/index.js';
import { renderSvg } from './mnist/plot.js';

/** The Rosenbrock function. */
export function rosenbrock(x: number, y: number): number {
  return (1 - x) ** 2 + 100 * (y - x * x) ** 2;
}

/** Its gradient `[∂f/∂x, ∂f/∂y]`. */
export function rosenbrockGrad(x: number, y: number): [number, number] {
  return [-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)];
}

/** The start of every run. */
export const START: readonly [number, number] = [-1.5, 2];

/** The optimizers compared, with learning rates tuned by hand for this function. */
export const OPTIMIZERS: ReadonlyArray<readonly [string, GradientTransformation]> = [
  ['SGD (lr 1e-3)', sgd({ learningRate: 1e-3 })],
  ['momentum (lr 1e-3, 0.9)', sgd({ learningRate: 1e-3, momentum: 0.9 })],
  ['Adam (lr 0.05)', adam({ learningRate: 0.05 })],
  ['AdamW (lr 0.05, wd 1e-2)', adamw({ learningRate: 0.05, weightDecay: 1e-2 })],
  ['Lion (lr 3e-3)', lion({ learningRate: 3e-3, weightDecay: 0 })],
];

/** One optimizer's run. */
export interface Trajectory {
  readonly name: string;
  /** The points visited: `steps + 1` pairs, the start first. */
  readonly points: ReadonlyArray<readonly [number, number]>;
  /** Euclidean distance of the last point to the minimum (1, 1). */
  readonly distance: number;
  /** f at the last point. */
  readonly loss: number;
}

/** Options of {@link main}. */
export interface RosenbrockOptions {
  /** Steps per optimizer. Default 2000. */
  readonly steps?: number;
  /** Where `rosenbrock.svg` goes; `null` writes no plot. Default `'out'`. */
  readonly outDir?: string | null;
}

/** What {@link main} measured. */
export interface RosenbrockResult {
  readonly trajectories: readonly Trajectory[];
  /** The SVG file written, if any. */
  readonly plot: string | undefined;
}

/**
 * Runs one optimizer from {@link START} for `steps` steps, compiled (`backend: 'auto'`): the
 * gradient is written into `compiled.grads` and `compiled.step()` moves `compiled.params`.
 */
export function descend(name: string, optimizer: GradientTransformation, steps: number): Trajectory {
  const compiled = compile(optimizer, Float64Array.from(START), { backend: 'auto' });
  const { params, grads } = compiled;
  const points: Array<readonly [number, number]> = [[params[0] as number, params[1] as number]];
  for (let step = 0; step < steps; step++) {
    grads.set(rosenbrockGrad(params[0] as number, params[1] as number));
    compiled.step();
    points.push([params[0] as number, params[1] as number]);
  }
  const [x, y] = [params[0] as number, params[1] as number];
  return { name, points, distance: Math.hypot(x - 1, y - 1), loss: rosenbrock(x, y) };
}

/**
 * The vega-lite spec: on the left, log10 f as a heat map with each trajectory drawn over it
 * (a dot every 100 steps shows the speed); on the right, each optimizer's distance to (1, 1)
 * against the step.
 */
export function trajectorySpec(trajectories: readonly Trajectory[]): TopLevelSpec {
  const [x0, x1, y0, y1, n] = [-2, 2, -1, 3, 32];
  const grid: Array<{ x: number; y: number; x2: number; y2: number; logf: number }> = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const [xa, ya] = [x0 + ((x1 - x0) * i) / n, y0 + ((y1 - y0) * j) / n];
      const [xb, yb] = [x0 + ((x1 - x0) * (i + 1)) / n, y0 + ((y1 - y0) * (j + 1)) / n];
      grid.push({ x: xa, y: ya, x2: xb, y2: yb, logf: Math.log10(rosenbrock((xa + xb) / 2, (ya + yb) / 2) + 1e-2) });
    }
  }
  const inView = (p: { x: number; y: number }): boolean => p.x >= x0 && p.x <= x1 && p.y >= y0 && p.y <= y1;
  // Every step early on (where the paths differ most), then every 20th: a few hundred points each.
  const path = trajectories.flatMap((t) =>
    t.points
      .map(([x, y], k) => ({ optimizer: t.name, k, x, y, distance: Math.hypot(x - 1, y - 1) }))
      .filter((p) => p.k < 100 || p.k % 20 === 0 || p.k === t.points.length - 1),
  );
  const xScale = { domain: [x0, x1], nice: false, zero: false };
  const yScale = { domain: [y0, y1], nice: false, zero: false };
  const color = { field: 'optimizer', type: 'nominal', title: null, legend: { orient: 'bottom', columns: 3, labelLimit: 400 } } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Rosenbrock from (-1.5, 2): five optimizers',
    background: 'white',
    hconcat: [
      {
        title: 'paths over log10 f (a dot every 100 steps)',
        width: 400,
        height: 400,
        layer: [
          {
            data: { values: grid },
            mark: { type: 'rect', opacity: 0.6 },
            encoding: {
              x: { field: 'x', type: 'quantitative', scale: xScale, title: 'x' },
              x2: { field: 'x2' },
              y: { field: 'y', type: 'quantitative', scale: yScale, title: 'y' },
              y2: { field: 'y2' },
              fill: { field: 'logf', type: 'quantitative', title: 'log10 f', scale: { scheme: 'greys' }, legend: null },
            },
          },
          {
            data: { values: path.filter(inView) },
            mark: { type: 'line', strokeWidth: 2, clip: true },
            encoding: {
              x: { field: 'x', type: 'quantitative', scale: xScale },
              y: { field: 'y', type: 'quantitative', scale: yScale },
              order: { field: 'k', type: 'quantitative' },
              color,
            },
          },
          {
            data: { values: path.filter((p) => p.k % 100 === 0 && inView(p)) },
            mark: { type: 'circle', size: 22, opacity: 1 },
            encoding: { x: { field: 'x', type: 'quantitative', scale: xScale }, y: { field: 'y', type: 'quantitative', scale: yScale }, color },
          },
          {
            data: { values: [{ x: START[0], y: START[1] }, { x: 1, y: 1 }] },
            mark: { type: 'point', shape: 'cross', size: 140, color: 'black', filled: true },
            encoding: { x: { field: 'x', type: 'quantitative', scale: xScale }, y: { field: 'y', type: 'quantitative', scale: yScale } },
          },
        ],
      },
      {
        title: 'distance to the minimum (1, 1)',
        width: 400,
        height: 400,
        data: { values: path },
        mark: { type: 'line', strokeWidth: 2 },
        encoding: {
          x: { field: 'k', type: 'quantitative', title: 'step' },
          y: { field: 'distance', type: 'quantitative', title: 'distance', scale: { type: 'log' } },
          color,
        },
      },
    ],
  };
}

/** Runs every optimizer, prints each one's final distance to (1, 1), and plots the paths. */
export async function main(options: RosenbrockOptions = {}): Promise<RosenbrockResult> {
  const steps = options.steps ?? 2000;
  const outDir = options.outDir === undefined ? 'out' : options.outDir;
  const trajectories = OPTIMIZERS.map(([name, optimizer]) => descend(name, optimizer, steps));
  console.log(`Rosenbrock from (${START.join(', ')}), ${String(steps)} steps each:`);
  for (const t of trajectories) {
    console.log(`${t.name.padEnd(26)} distance to (1, 1): ${t.distance.toExponential(2)}   f: ${t.loss.toExponential(2)}`);
  }
  let plot: string | undefined;
  if (outDir !== null) {
    mkdirSync(outDir, { recursive: true });
    plot = join(outDir, 'rosenbrock.svg');
    writeFileSync(plot, await renderSvg(trajectorySpec(trajectories)));
    console.log(`plot: ${plot}`);
  }
  return { trajectories, plot };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
