/**
 * Contour lines of a function on a grid, by marching squares: each grid cell whose corners lie
 * on both sides of a level contributes one or two line segments (corner values interpolated
 * linearly along the cell's edges). No DOM: the page strokes the segments on a canvas.
 *
 * @module
 */

/** A sampled function: `values[j * (nx + 1) + i] = f(x_i, y_j)` on an `nx × ny` cell grid. */
export interface Grid {
  readonly nx: number;
  readonly ny: number;
  readonly view: readonly [number, number, number, number];
  readonly values: Float64Array;
}

/** Samples `f` on an `nx × ny` cell grid over `view = [xMin, xMax, yMin, yMax]`. */
export function sample(f: (x: number, y: number) => number, view: readonly [number, number, number, number], nx: number, ny: number): Grid {
  const [x0, x1, y0, y1] = view;
  const values = new Float64Array((nx + 1) * (ny + 1));
  for (let j = 0; j <= ny; j++) {
    const y = y0 + ((y1 - y0) * j) / ny;
    for (let i = 0; i <= nx; i++) values[j * (nx + 1) + i] = f(x0 + ((x1 - x0) * i) / nx, y);
  }
  return { nx, ny, view, values };
}

/**
 * `count` levels spread so that the contours are evenly spaced in log(f − min): dense near the
 * minimum, sparse on the steep walls (where a linear spacing would draw a solid blot).
 */
export function levels(grid: Grid, count: number): number[] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of grid.values) {
    if (Number.isFinite(v)) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  }
  if (!(hi > lo)) return [];
  const span = hi - lo;
  const a = Math.log(span * 1e-4);
  const b = Math.log(span);
  return Array.from({ length: count }, (_, k) => lo + Math.exp(a + ((b - a) * (k + 0.5)) / count));
}

/** A segment `[x0, y0, x1, y1]` in the function's coordinates. */
export type Segment = readonly [number, number, number, number];

/** The segments of the contour line `f = level`. */
export function contour(grid: Grid, level: number): Segment[] {
  const { nx, ny, view, values } = grid;
  const [x0, x1, y0, y1] = view;
  const dx = (x1 - x0) / nx;
  const dy = (y1 - y0) / ny;
  const at = (i: number, j: number): number => values[j * (nx + 1) + i] as number;
  const out: Segment[] = [];
  // where the level crosses the edge between two corners, as a fraction from the first
  const t = (a: number, b: number): number => (level - a) / (b - a);
  for (let j = 0; j < ny; j++) {
    for (let i = 0; i < nx; i++) {
      const v00 = at(i, j);
      const v10 = at(i + 1, j);
      const v11 = at(i + 1, j + 1);
      const v01 = at(i, j + 1);
      const code = (v00 > level ? 1 : 0) | (v10 > level ? 2 : 0) | (v11 > level ? 4 : 0) | (v01 > level ? 8 : 0);
      if (code === 0 || code === 15) continue;
      const cx = x0 + i * dx;
      const cy = y0 + j * dy;
      // edge crossings: bottom, right, top, left
      const bottom = (): [number, number] => [cx + t(v00, v10) * dx, cy];
      const right = (): [number, number] => [cx + dx, cy + t(v10, v11) * dy];
      const top = (): [number, number] => [cx + t(v01, v11) * dx, cy + dy];
      const left = (): [number, number] => [cx, cy + t(v00, v01) * dy];
      const seg = (p: [number, number], q: [number, number]): void => {
        out.push([p[0], p[1], q[0], q[1]]);
      };
      switch (code) {
        case 1:
        case 14:
          seg(left(), bottom());
          break;
        case 2:
        case 13:
          seg(bottom(), right());
          break;
        case 3:
        case 12:
          seg(left(), right());
          break;
        case 4:
        case 11:
          seg(right(), top());
          break;
        case 6:
        case 9:
          seg(bottom(), top());
          break;
        case 7:
        case 8:
          seg(left(), top());
          break;
        case 5: // saddle cells: two segments
          seg(left(), top());
          seg(bottom(), right());
          break;
        case 10:
          seg(left(), bottom());
          seg(right(), top());
          break;
        default:
          break;
      }
    }
  }
  return out;
}
