/**
 * Training progress: a cli-progress bar on a terminal, plain periodic lines elsewhere (CI logs,
 * pipes, tests), or nothing.
 */
import { Presets, SingleBar } from 'cli-progress';

/** `'auto'`: a bar when stdout is a TTY, else lines. */
export type ProgressMode = 'auto' | 'bar' | 'lines' | 'none';

/** What one step reports. */
export interface StepReport {
  readonly step: number;
  readonly loss: number;
  readonly learningRate: number;
}

export interface Progress {
  update(report: StepReport): void;
  stop(): void;
}

/**
 * A progress reporter for `total` steps. Lines go to `log` about `lines` times over the run
 * (and for the last step); the bar redraws in place on stdout.
 */
export function progress(total: number, options: { readonly mode: ProgressMode; readonly log: (line: string) => void; readonly lines?: number }): Progress {
  const mode = options.mode === 'auto' ? (process.stdout.isTTY ? 'bar' : 'lines') : options.mode;
  const format = (r: StepReport): string =>
    `step ${String(r.step + 1).padStart(String(total).length)}/${String(total)}  loss ${r.loss.toFixed(4)}  lr ${r.learningRate.toExponential(2)}`;
  if (mode === 'none') return { update: () => {}, stop: () => {} };
  if (mode === 'lines') {
    const every = Math.max(1, Math.round(total / (options.lines ?? 10)));
    return {
      update: (r) => {
        if ((r.step + 1) % every === 0 || r.step + 1 === total) options.log(format(r));
      },
      stop: () => {},
    };
  }
  const bar = new SingleBar(
    { format: 'training [{bar}] {percentage}% | step {value}/{total} | loss {loss} | lr {lr} | eta {eta}s', hideCursor: true, clearOnComplete: false },
    Presets.shades_classic,
  );
  bar.start(total, 0, { loss: '-', lr: '-' });
  return {
    update: (r) => {
      bar.update(r.step + 1, { loss: r.loss.toFixed(4), lr: r.learningRate.toExponential(2) });
    },
    stop: () => {
      bar.stop();
    },
  };
}
