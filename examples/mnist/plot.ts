/**
 * Line charts as SVG, specified in vega-lite, compiled to vega and rendered headless
 * (`renderer: 'none'`, no canvas or browser needed).
 */
import { View, parse } from 'vega';
import { type TopLevelSpec, compile } from 'vega-lite';

/** One series of a chart: a value per training step. */
export interface Series {
  readonly name: string;
  readonly values: ArrayLike<number>;
}

/** Options of {@link lineChartSvg}. */
export interface LineChartOptions {
  readonly title: string;
  readonly yTitle: string;
  /** Default `'linear'`. */
  readonly yScale?: 'linear' | 'log';
  readonly width?: number;
  readonly height?: number;
}

/** The vega-lite spec of a line chart of the series against the step (one colour each). */
export function lineChartSpec(series: readonly Series[], options: LineChartOptions): TopLevelSpec {
  const values = series.flatMap((s) => Array.from(s.values, (value, step) => ({ step, value, series: s.name })));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: options.title,
    width: options.width ?? 560,
    height: options.height ?? 260,
    background: 'white',
    data: { values },
    mark: { type: 'line', strokeWidth: 1.5 },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'step' },
      y: { field: 'value', type: 'quantitative', title: options.yTitle, scale: options.yScale === 'log' ? { type: 'log' } : { zero: false } },
      color: { field: 'series', type: 'nominal', title: null, legend: series.length > 1 ? { orient: 'top-right' } : null },
    },
  };
}

/** Renders a vega-lite spec to an SVG document. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** A line chart of the series as an SVG document. */
export function lineChartSvg(series: readonly Series[], options: LineChartOptions): Promise<string> {
  return renderSvg(lineChartSpec(series, options));
}

/** An exponential moving average (`weight` on the past), debiased like Adam's, for smoothing noisy losses. */
export function smooth(values: ArrayLike<number>, weight = 0.9): Float64Array {
  const out = new Float64Array(values.length);
  let ema = 0;
  for (let i = 0; i < values.length; i++) {
    ema = weight * ema + (1 - weight) * (values[i] as number);
    out[i] = ema / (1 - weight ** (i + 1));
  }
  return out;
}
