/**
 * Progress bars on stderr, drawn from the library's progress events. A bar per label: a new
 * label (the next epoch) ends the previous bar. The ETA is taken over the whole bar (items left ×
 * time per item since the bar started), not over a short window of recent items, which is far too
 * optimistic when items finish in bursts (worker processes).
 */
import cliProgress from 'cli-progress';
import type { ProgressEvent } from '../search/strategy.js';

/** Seconds left: elapsed / done × left; undefined before the first item is done. */
export function etaSeconds(elapsedS: number, done: number, total: number): number | undefined {
  if (done <= 0 || elapsedS <= 0) return undefined;
  return (elapsedS / done) * Math.max(0, total - done);
}

/** `1h02m`, `3m05s`, `42s`, `--` (unknown). */
export function formatEta(s: number | undefined): string {
  if (s === undefined || !Number.isFinite(s)) return '--';
  const r = Math.round(s);
  if (r >= 3600) return `${Math.floor(r / 3600)}h${String(Math.floor((r % 3600) / 60)).padStart(2, '0')}m`;
  if (r >= 60) return `${Math.floor(r / 60)}m${String(r % 60).padStart(2, '0')}s`;
  return `${r}s`;
}

/** A progress sink for a command: `(e) => void`, plus `stop()` to end the last bar. */
export interface ProgressSink {
  (e: ProgressEvent): void;
  stop(): void;
}

/** Draw progress events as bars on stderr (periodic lines off a terminal). */
export function progressBars(): ProgressSink {
  let bar: cliProgress.SingleBar | undefined;
  let label = '';
  let t0 = 0;
  let base = 0;
  const sink = ((e: ProgressEvent) => {
    if (!bar || e.label !== label) {
      bar?.stop();
      label = e.label;
      t0 = performance.now();
      base = e.done;
      const extra = e.info ? Object.keys(e.info).map((k) => ` | ${k} {${k}}`).join('') : '';
      bar = new cliProgress.SingleBar(
        {
          stream: process.stderr,
          format: `{label} [{bar}] {value}/{total} | ETA {etaText}${extra}`,
          hideCursor: false,
          clearOnComplete: false,
          noTTYOutput: !process.stderr.isTTY,
          notTTYSchedule: 15000,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(e.total, e.done, { label, etaText: '--', ...e.info });
      return;
    }
    const eta = etaSeconds((performance.now() - t0) / 1000, e.done - base, e.total - base);
    bar.setTotal(e.total);
    bar.update(e.done, { label, etaText: formatEta(eta), ...e.info });
  }) as ProgressSink;
  sink.stop = () => {
    bar?.stop();
    bar = undefined;
  };
  return sink;
}
