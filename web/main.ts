/**
 * The page: reads the controls (and the URL's query), runs the five optimizers through
 * `runAll` (web/train.ts), animates their paths over the surface's contour lines on a canvas,
 * and says which backend ran. The last run's numbers are exposed on `window.__gradfuse` (and
 * `document.body.dataset.status`) for the end-to-end test.
 *
 * @module
 */
import { canEvaluate, wasmSimdAvailable } from '../src/index.js';
import { contour, levels, sample } from './contours.js';
import {
  BACKEND_CHOICES,
  type ExposedRun,
  type OptimizerName,
  type PageState,
  type PathResult,
  SURFACE,
  SURFACES,
  type Settings,
  type Surface,
  runAll,
  settingsFromQuery,
} from './train.js';

declare global {
  interface Window {
    __gradfuse?: PageState;
  }
}

const COLORS: Readonly<Record<OptimizerName, string>> = {
  sgd: '#d62728',
  momentum: '#ff7f0e',
  adam: '#1f77b4',
  adamw: '#17becf',
  lion: '#2ca02c',
};

const LABELS: Readonly<Record<OptimizerName, string>> = { sgd: 'SGD', momentum: 'momentum', adam: 'Adam', adamw: 'AdamW', lion: 'Lion' };

function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`the page has no #${id}`);
  return el as T;
}

const canvas = byId<HTMLCanvasElement>('plot');
const surfaceSelect = byId<HTMLSelectElement>('surface');
const lrInput = byId<HTMLInputElement>('lr');
const momentumInput = byId<HTMLInputElement>('momentum');
const stepsInput = byId<HTMLInputElement>('steps');
const backendSelect = byId<HTMLSelectElement>('backend');

// ---------------------------------------------------------------------------------------------
// settings <-> controls <-> URL
// ---------------------------------------------------------------------------------------------

function showSettings(s: Settings): void {
  surfaceSelect.value = s.surface;
  lrInput.value = String(Math.log10(s.lrScale));
  momentumInput.value = String(s.momentum);
  stepsInput.value = String(s.steps);
  backendSelect.value = s.backend;
  showOutputs(s);
}

/** The numbers beside the sliders. */
function showOutputs(s: Settings): void {
  byId('lr-out').textContent = `${formatScale(s.lrScale)}×`;
  byId('momentum-out').textContent = s.momentum.toFixed(2);
  byId('steps-out').textContent = String(s.steps);
}

function formatScale(v: number): string {
  return v >= 1 ? v.toFixed(v >= 10 ? 0 : 2) : v.toPrecision(2);
}

function readControls(): Settings {
  const surface = SURFACES.find((s) => s === surfaceSelect.value) ?? 'rosenbrock';
  const backend = BACKEND_CHOICES.find((b) => b === backendSelect.value) ?? 'auto';
  return {
    surface,
    // rounded so that the URL, the readout and a reload give the same number
    lrScale: Number((10 ** Number(lrInput.value)).toPrecision(3)),
    momentum: Number(momentumInput.value),
    steps: Number(stepsInput.value),
    backend,
  };
}

function writeQuery(s: Settings): void {
  const q = new URLSearchParams({ surface: s.surface, lr: String(s.lrScale), momentum: String(s.momentum), steps: String(s.steps), backend: s.backend });
  history.replaceState(null, '', `${location.pathname}?${q.toString()}`);
}

// ---------------------------------------------------------------------------------------------
// drawing
// ---------------------------------------------------------------------------------------------

interface Frame {
  readonly width: number;
  readonly height: number;
  readonly toPx: (x: number, y: number) => [number, number];
}

function frameOf(surface: Surface): Frame {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || canvas.width;
  const height = canvas.clientHeight || canvas.height;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  const [x0, x1, y0, y1] = surface.view;
  return {
    width: canvas.width,
    height: canvas.height,
    toPx: (x, y) => [((x - x0) / (x1 - x0)) * canvas.width, (1 - (y - y0) / (y1 - y0)) * canvas.height],
  };
}

/** The contour lines, drawn once per surface and size into an offscreen canvas. */
const backgrounds = new Map<string, HTMLCanvasElement>();

function background(surface: Surface, frame: Frame): HTMLCanvasElement {
  const key = `${surface.name}:${String(frame.width)}x${String(frame.height)}`;
  const cached = backgrounds.get(key);
  if (cached !== undefined) return cached;
  const bg = document.createElement('canvas');
  bg.width = frame.width;
  bg.height = frame.height;
  const ctx = bg.getContext('2d');
  if (ctx === null) return bg;
  ctx.fillStyle = '#fbfbf8';
  ctx.fillRect(0, 0, bg.width, bg.height);
  const grid = sample(surface.f, surface.view, 160, 160);
  const ls = levels(grid, 24);
  ls.forEach((level, k) => {
    const shade = Math.round(120 + (110 * k) / ls.length);
    ctx.strokeStyle = `rgb(${String(shade)}, ${String(shade)}, ${String(shade + 10)})`;
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (const [xa, ya, xb, yb] of contour(grid, level)) {
      const [pa, qa] = frame.toPx(xa, ya);
      const [pb, qb] = frame.toPx(xb, yb);
      ctx.moveTo(pa, qa);
      ctx.lineTo(pb, qb);
    }
    ctx.stroke();
  });
  // the minima and the start
  ctx.fillStyle = '#222';
  for (const [mx, my] of surface.minima) {
    const [px, py] = frame.toPx(mx, my);
    ctx.font = `${String(Math.round(frame.width / 28))}px sans-serif`;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    ctx.fillText('★', px, py);
  }
  const [sx, sy] = frame.toPx(surface.start[0], surface.start[1]);
  ctx.beginPath();
  ctx.arc(sx, sy, frame.width / 120, 0, 2 * Math.PI);
  ctx.fill();
  backgrounds.set(key, bg);
  return bg;
}

/** Draws the paths up to step `upTo`. Points outside the view (a diverging run) clip at the edge. */
function drawFrame(surface: Surface, frame: Frame, results: readonly PathResult[], upTo: number): void {
  const ctx = canvas.getContext('2d');
  if (ctx === null) return;
  ctx.drawImage(background(surface, frame), 0, 0);
  const lw = Math.max(1.5, frame.width / 300);
  for (const r of results) {
    const n = Math.min(upTo, r.path.length / 2 - 1);
    ctx.strokeStyle = COLORS[r.optimizer];
    ctx.lineWidth = lw;
    ctx.lineJoin = 'round';
    ctx.beginPath();
    let last: [number, number] | undefined;
    for (let k = 0; k <= n; k++) {
      const x = r.path[2 * k] as number;
      const y = r.path[2 * k + 1] as number;
      if (!Number.isFinite(x) || !Number.isFinite(y)) break;
      const [px, py] = frame.toPx(x, y);
      const clampedX = Math.max(-frame.width, Math.min(2 * frame.width, px));
      const clampedY = Math.max(-frame.height, Math.min(2 * frame.height, py));
      if (k === 0) ctx.moveTo(clampedX, clampedY);
      else ctx.lineTo(clampedX, clampedY);
      last = [clampedX, clampedY];
    }
    ctx.stroke();
    if (last !== undefined) {
      ctx.fillStyle = COLORS[r.optimizer];
      ctx.beginPath();
      ctx.arc(last[0], last[1], lw * 2.2, 0, 2 * Math.PI);
      ctx.fill();
    }
  }
}

let animation = 0;

/** Animates the paths over about three seconds (all at once when the user prefers less motion). */
function animate(surface: Surface, results: readonly PathResult[], steps: number): void {
  cancelAnimationFrame(animation);
  const frame = frameOf(surface);
  if (window.matchMedia('(prefers-reduced-motion: reduce)').matches) {
    drawFrame(surface, frame, results, steps);
    return;
  }
  const start = performance.now();
  const duration = 3000;
  const tick = (now: number): void => {
    const upTo = Math.min(steps, Math.ceil(((now - start) / duration) * steps));
    drawFrame(surface, frame, results, upTo);
    if (upTo < steps) animation = requestAnimationFrame(tick);
  };
  animation = requestAnimationFrame(tick);
}

// ---------------------------------------------------------------------------------------------
// the readout
// ---------------------------------------------------------------------------------------------

function describeBackends(results: readonly PathResult[], requested: string): string {
  const ran = [...new Set(results.map((r) => r.backend))];
  return `requested backend: ${requested} · ran: ${ran.join(', ')}`;
}

function fmt(v: number): string {
  return Number.isFinite(v) ? v.toFixed(3) : String(v);
}

function showReadout(surface: Surface, results: readonly PathResult[], settings: Settings, ms: number, env: PageState['environment']): void {
  const readout = byId('backend-readout');
  readout.textContent = `${describeBackends(results, settings.backend)} · ${String(settings.steps)} steps × ${String(results.length)} optimizers in ${ms.toFixed(1)} ms, compiles included`;
  readout.dataset.backend = [...new Set(results.map((r) => r.backend))].join(',');
  byId('environment').textContent =
    `here: new Function ${env.canEvaluate ? 'allowed' : 'forbidden (Content-Security-Policy without unsafe-eval)'}; ` +
    `WebAssembly SIMD ${env.wasmSimd ? 'compiles' : 'unavailable (or forbidden: no wasm-unsafe-eval)'}`;
  const rows = byId('rows');
  rows.replaceChildren(
    ...results.map((r) => {
      const tr = document.createElement('tr');
      tr.dataset.optimizer = r.optimizer;
      tr.dataset.backend = r.backend;
      const n = r.path.length;
      const x = r.path[n - 2] as number;
      const y = r.path[n - 1] as number;
      const swatch = document.createElement('span');
      swatch.className = 'swatch';
      swatch.style.background = COLORS[r.optimizer];
      const cells = [LABELS[r.optimizer], r.learningRate.toPrecision(3), r.backend, `(${fmt(x)}, ${fmt(y)})`, surface.f(x, y).toExponential(1)];
      const first = document.createElement('td');
      first.append(swatch);
      tr.append(first, ...cells.map((c) => Object.assign(document.createElement('td'), { textContent: c })));
      return tr;
    }),
  );
  const fallbacks = [...new Set(results.flatMap((r) => (r.fallback === undefined ? [] : [r.fallback])))];
  byId('fallback').textContent =
    fallbacks.length === 0 ? '' : `compile refused backend '${settings.backend}' (${fallbacks.join('; ')}), so the page used compile's default: ${results[0]?.backend ?? '?'}.`;
}

// ---------------------------------------------------------------------------------------------
// running
// ---------------------------------------------------------------------------------------------

let runCount = 0;

function expose(state: PageState): void {
  window.__gradfuse = state;
  document.body.dataset.status = state.status;
  document.body.dataset.run = String(state.run);
}

function run(settings: Settings): void {
  const surface = SURFACE[settings.surface];
  runCount += 1;
  const environment = { canEvaluate: canEvaluate(), wasmSimd: wasmSimdAvailable() };
  expose({ status: 'running', run: runCount, settings, runs: [], environment, ms: 0, error: null });
  byId('formula').textContent = surface.formula;
  try {
    const t0 = performance.now();
    const results = runAll(settings);
    const ms = performance.now() - t0;
    showReadout(surface, results, settings, ms, environment);
    animate(surface, results, settings.steps);
    expose({
      status: 'done',
      run: runCount,
      settings,
      environment,
      ms,
      error: null,
      runs: results.map((r): ExposedRun => ({
        optimizer: r.optimizer,
        learningRate: r.learningRate,
        requested: r.requested,
        backend: r.backend,
        fallback: r.fallback ?? null,
        path: Array.from(r.path),
        final: [r.path[r.path.length - 2] as number, r.path[r.path.length - 1] as number],
      })),
    });
  } catch (e) {
    const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    byId('backend-readout').textContent = `error: ${message}`;
    expose({ status: 'error', run: runCount, settings, runs: [], environment, ms: 0, error: message });
  }
}

function rerun(): void {
  const settings = readControls();
  showSettings(settings);
  writeQuery(settings);
  run(settings);
}

/** Switching surface resets the steps to the surface's default. */
surfaceSelect.addEventListener('change', () => {
  const surface = SURFACES.find((s) => s === surfaceSelect.value) ?? 'rosenbrock';
  stepsInput.value = String(SURFACE[surface].steps);
  rerun();
});
for (const input of [lrInput, momentumInput, stepsInput]) {
  input.addEventListener('input', () => {
    showOutputs(readControls());
  });
  input.addEventListener('change', rerun);
}
backendSelect.addEventListener('change', rerun);
byId('replay').addEventListener('click', () => {
  run(readControls());
});

const initial = settingsFromQuery(location.search);
showSettings(initial);
run(initial);
