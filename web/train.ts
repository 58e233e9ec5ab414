/**
 * The computation behind the page, with no DOM: 2-D loss surfaces, the five optimizers, and
 * one run of an optimizer compiled with a chosen backend. The page (`main.ts`) draws what this
 * returns; the browser test (`test/browser/browser.test.ts`) imports the same module in Node
 * and checks that the page's numbers are the ones Node computes.
 *
 * Gradients use only `+ - *` (no `Math.pow`, `Math.exp`, ...), so a browser's JavaScript engine
 * and Node's compute them bit for bit alike.
 *
 * @module
 */
import { type Backend, CompileError, type Compiled, type GradientTransformation, adam, adamw, compile, lion, sgd } from '../src/index.js';

/** The optimizers drawn, in legend order. */
export const OPTIMIZERS = ['sgd', 'momentum', 'adam', 'adamw', 'lion'] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];

/** What the backend selector offers: `compile`'s `backend` option. */
export const BACKEND_CHOICES = ['auto', 'wasm', 'js', 'closure'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

/** A 2-D loss surface with the view and the base learning rates that suit it. */
export interface Surface {
  readonly name: SurfaceName;
  readonly label: string;
  /** The formula, for the page's caption. */
  readonly formula: string;
  readonly f: (x: number, y: number) => number;
  /** Writes `[∂f/∂x, ∂f/∂y]` into `out`. */
  readonly grad: (x: number, y: number, out: Float64Array) => void;
  readonly start: readonly [number, number];
  readonly minima: ReadonlyArray<readonly [number, number]>;
  /** The plotted region: `[xMin, xMax, yMin, yMax]`. */
  readonly view: readonly [number, number, number, number];
  /** Each optimizer's learning rate at the slider's 1×. */
  readonly baseLearningRate: Readonly<Record<OptimizerName, number>>;
  /** Steps at the slider's default. */
  readonly steps: number;
}

export const SURFACES = ['rosenbrock', 'beale', 'saddle'] as const;
export type SurfaceName = (typeof SURFACES)[number];

const rosenbrock: Surface = {
  name: 'rosenbrock',
  label: 'Rosenbrock',
  formula: 'f(x, y) = (1 − x)² + 100 (y − x²)²,  minimum 0 at (1, 1)',
  f: (x, y) => {
    const a = 1 - x;
    const b = y - x * x;
    return a * a + 100 * b * b;
  },
  grad: (x, y, out) => {
    const b = y - x * x;
    out[0] = -2 * (1 - x) - 400 * x * b;
    out[1] = 200 * b;
  },
  start: [-1.5, 2],
  minima: [[1, 1]],
  view: [-2, 2, -1, 3],
  // the rates of examples/rosenbrock.ts
  baseLearningRate: { sgd: 1e-3, momentum: 1e-3, adam: 0.05, adamw: 0.05, lion: 3e-3 },
  steps: 1500,
};

const beale: Surface = {
  name: 'beale',
  label: 'Beale',
  formula: 'f(x, y) = (1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²,  minimum 0 at (3, 0.5)',
  f: (x, y) => {
    const a = 1.5 - x + x * y;
    const b = 2.25 - x + x * y * y;
    const c = 2.625 - x + x * y * y * y;
    return a * a + b * b + c * c;
  },
  grad: (x, y, out) => {
    const y2 = y * y;
    const y3 = y2 * y;
    const a = 1.5 - x + x * y;
    const b = 2.25 - x + x * y2;
    const c = 2.625 - x + x * y3;
    out[0] = 2 * a * (y - 1) + 2 * b * (y2 - 1) + 2 * c * (y3 - 1);
    out[1] = 2 * a * x + 4 * b * x * y + 6 * c * x * y2;
  },
  start: [0.7, 1.4],
  minima: [[3, 0.5]],
  view: [-1, 4, -1.5, 2],
  baseLearningRate: { sgd: 2e-3, momentum: 2e-3, adam: 0.05, adamw: 0.05, lion: 1e-2 },
  steps: 400,
};

const saddle: Surface = {
  name: 'saddle',
  label: 'Saddle',
  formula: 'f(x, y) = x² + y⁴/4 − y²/2,  saddle at (0, 0), minima −1/4 at (0, ±1)',
  f: (x, y) => {
    const y2 = y * y;
    return x * x + (y2 * y2) / 4 - y2 / 2;
  },
  grad: (x, y, out) => {
    out[0] = 2 * x;
    out[1] = y * y * y - y;
  },
  start: [-1.8, 1e-3],
  minima: [
    [0, 1],
    [0, -1],
  ],
  view: [-2, 2, -1.6, 1.6],
  baseLearningRate: { sgd: 0.05, momentum: 0.05, adam: 0.05, adamw: 0.05, lion: 0.01 },
  steps: 250,
};

export const SURFACE: Readonly<Record<SurfaceName, Surface>> = { rosenbrock, beale, saddle };

/** What the sliders and the selector set. */
export interface Settings {
  readonly surface: SurfaceName;
  /** Multiplies each optimizer's base learning rate (the slider is logarithmic). */
  readonly lrScale: number;
  /** SGD's momentum μ, and β₁ of Adam, AdamW and Lion (the first moment's decay). */
  readonly momentum: number;
  readonly steps: number;
  readonly backend: BackendChoice;
}

/** Decoupled weight decay of AdamW and Lion on these surfaces (PyTorch's AdamW default). */
export const WEIGHT_DECAY = 1e-2;

/** The learning rate an optimizer runs with. */
export function learningRateOf(surface: Surface, optimizer: OptimizerName, lrScale: number): number {
  return surface.baseLearningRate[optimizer] * lrScale;
}

/** The gradfuse optimizer behind a legend entry. */
export function makeOptimizer(optimizer: OptimizerName, learningRate: number, momentum: number): GradientTransformation {
  switch (optimizer) {
    case 'sgd':
      return sgd({ learningRate });
    case 'momentum':
      return sgd({ learningRate, momentum });
    case 'adam':
      return adam({ learningRate, b1: momentum });
    case 'adamw':
      return adamw({ learningRate, b1: momentum, weightDecay: WEIGHT_DECAY });
    case 'lion':
      return lion({ learningRate, b1: momentum, weightDecay: WEIGHT_DECAY });
    default: {
      const never: never = optimizer;
      return never;
    }
  }
}

/** One optimizer's run. */
export interface PathResult {
  readonly optimizer: OptimizerName;
  readonly learningRate: number;
  readonly requested: BackendChoice;
  /** `compiled.backend`: the backend that actually ran. */
  readonly backend: Backend;
  /**
   * Why the requested backend did not run (the `CompileError`'s message), when `compile` refused
   * it and the page fell back to the default (js where `new Function` works, else closure).
   */
  readonly fallback: string | undefined;
  /** The points visited, `x0, y0, x1, y1, ...`: `steps + 1` pairs, the start first (float32). */
  readonly path: Float32Array;
}

type Params = { readonly xy: Float32Array };

/**
 * Compiles the optimizer with `compile(tx, params, { backend })` and takes `steps` in-place
 * steps on the surface's exact gradient. A backend that `compile` refuses here (`'js'` under a
 * Content-Security-Policy without `'unsafe-eval'`, `'wasm'` without `'wasm-unsafe-eval'`) falls
 * back to `compile`'s default, which is the closure backend where `new Function` is forbidden.
 */
export function runPath(settings: Settings, optimizer: OptimizerName): PathResult {
  const surface = SURFACE[settings.surface];
  const learningRate = learningRateOf(surface, optimizer, settings.lrScale);
  const tx = makeOptimizer(optimizer, learningRate, settings.momentum);
  const initial: Params = { xy: Float32Array.from(surface.start) };
  let compiled: Compiled<unknown, Params>;
  let fallback: string | undefined;
  try {
    compiled = compile(tx, initial, { backend: settings.backend });
  } catch (e) {
    if (!(e instanceof CompileError)) throw e;
    fallback = e.message;
    compiled = compile(tx, initial);
  }
  const xy = compiled.params.xy;
  const g = compiled.grads.xy;
  const grad = new Float64Array(2);
  const path = new Float32Array(2 * (settings.steps + 1));
  path[0] = xy[0] as number;
  path[1] = xy[1] as number;
  for (let k = 1; k <= settings.steps; k++) {
    surface.grad(xy[0] as number, xy[1] as number, grad);
    g[0] = grad[0] as number;
    g[1] = grad[1] as number;
    compiled.step();
    path[2 * k] = xy[0] as number;
    path[2 * k + 1] = xy[1] as number;
  }
  return { optimizer, learningRate, requested: settings.backend, backend: compiled.backend, fallback, path };
}

/** One optimizer's run, as exposed to the test (plain arrays, so it survives serialisation). */
export interface ExposedRun {
  readonly optimizer: OptimizerName;
  readonly learningRate: number;
  readonly requested: string;
  readonly backend: string;
  readonly fallback: string | null;
  /** `x0, y0, x1, y1, ...`, the start first. */
  readonly path: number[];
  readonly final: [number, number];
}

/** What the page exposes on `window.__gradfuse`. */
export interface PageState {
  readonly status: 'running' | 'done' | 'error';
  /** Increases with every run (the test waits for a new one after changing a control). */
  readonly run: number;
  readonly settings: Settings;
  readonly runs: readonly ExposedRun[];
  /** What the library's probes found here: `new Function` allowed, WebAssembly SIMD compiles. */
  readonly environment: { readonly canEvaluate: boolean; readonly wasmSimd: boolean };
  readonly ms: number;
  readonly error: string | null;
}

/** Every optimizer's run. */
export function runAll(settings: Settings): PathResult[] {
  return OPTIMIZERS.map((o) => runPath(settings, o));
}

/** The settings a page starts with (before the URL's query and the controls change them). */
export function defaultSettings(surface: SurfaceName = 'rosenbrock'): Settings {
  return { surface, lrScale: 1, momentum: 0.9, steps: SURFACE[surface].steps, backend: 'auto' };
}

const isOneOf = <T extends string>(options: readonly T[], v: string | null): v is T => v !== null && (options as readonly string[]).includes(v);

/**
 * Settings from a URL query (`?surface=beale&backend=js&lr=2&momentum=0.5&steps=100`); missing
 * or invalid entries keep the defaults.
 */
export function settingsFromQuery(query: string): Settings {
  const q = new URLSearchParams(query);
  const surfaceParam = q.get('surface');
  const surface = isOneOf(SURFACES, surfaceParam) ? surfaceParam : 'rosenbrock';
  const base = defaultSettings(surface);
  const num = (key: string, min: number, max: number, fallback: number, integer = false): number => {
    const raw = q.get(key);
    const v = raw === null || raw === '' ? NaN : Number(raw);
    return Number.isFinite(v) && v >= min && v <= max && (!integer || Number.isInteger(v)) ? v : fallback;
  };
  const backendParam = q.get('backend');
  return {
    surface,
    lrScale: num('lr', 0.01, 100, base.lrScale),
    momentum: num('momentum', 0, 0.999, base.momentum),
    steps: num('steps', 1, 5000, base.steps, true),
    backend: isOneOf(BACKEND_CHOICES, backendParam) ? backendParam : base.backend,
  };
}
