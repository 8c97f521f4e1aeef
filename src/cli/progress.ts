/**
 * The CLI's scoring progress bar on stderr (periodic lines off a terminal), driven by the progress
 * callbacks of the library's scorers (scorePoolAsync, scorePoolWorkers: `onProgress`).
 */
import cliProgress from 'cli-progress';
import type { ScoreProgress } from '../proxies/run.js';
import type { ProgressEvent } from '../search/strategy.js';

/** When a run started and when its first item completed (`done` then: 1 unless several came at once), in ms. */
export interface RunClock {
  startMs: number;
  first?: { ms: number; done: number };
}

/**
 * Seconds left, from the whole run so far (not a moving window, which was far too optimistic with
 * worker processes: "ETA 2m20s" at 74/150 and "ETA 2m10s" 2.5 minutes later at 82/150): the time
 * since the first completed item over the items completed after it, times the items left. Start-up
 * (workers loading, the first network) is left out that way. With one item done, time since the
 * start per item; undefined before any. `done` and `total` count this invocation's items only
 * (a resumed run's earlier ones are not in it).
 */
export function etaSeconds(done: number, total: number, nowMs: number, clock: RunClock): number | undefined {
  const left = total - done;
  if (left <= 0) return 0;
  if (done <= 0) return undefined;
  const after = clock.first ? done - clock.first.done : 0;
  if (clock.first && after > 0) return ((nowMs - clock.first.ms) / 1000 / after) * left;
  return ((nowMs - clock.startMs) / 1000 / done) * left;
}

/** `45s`, `2m05s`, `1h07m`; `--` when unknown. */
export function formatEta(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '--';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  const m = Math.round(s / 60);
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export interface ScoringBar {
  /** The scorer's `onProgress`: starts the bar on the first event. */
  update(e: ScoreProgress): void;
  stop(): void;
}

/** A `scoring [bar] done/total | rate arch/s | ETA …` bar on stderr; `suffix` is appended to each line. */
export function scoringBar(suffix = '', now: () => number = Date.now): ScoringBar {
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `scoring [{bar}] {value}/{total} | {rate} arch/s | ETA {etaText}${suffix}`,
      noTTYOutput: !process.stderr.isTTY,
      notTTYSchedule: 15000,
    },
    cliProgress.Presets.shades_classic,
  );
  let clock: RunClock | undefined;
  return {
    update(e) {
      const t = now();
      if (!clock) {
        clock = { startMs: t };
        bar.start(e.total, 0, { rate: '0.00', etaText: '--' });
      }
      if (e.done > 0 && !clock.first) clock.first = { ms: t, done: e.done };
      const sec = Math.max((t - clock.startMs) / 1000, 1e-9);
      bar.update(e.done, { rate: (e.done / sec).toFixed(2), etaText: formatEta(etaSeconds(e.done, e.total, t, clock)) });
    },
    stop() {
      if (clock) bar.stop();
    },
  };
}

/** A progress sink for a strategy's events (`SearchContext.progress`), plus `stop()` for the last bar. */
export interface ProgressSink {
  (e: ProgressEvent): void;
  stop(): void;
}

/**
 * Bars on stderr from a strategy's progress events: one bar per label (the next epoch's label
 * ends the previous bar), ETA over the whole bar as etaSeconds computes it, the event's extra
 * values shown beside it.
 */
export function progressBars(now: () => number = Date.now): ProgressSink {
  let bar: cliProgress.SingleBar | undefined;
  let label = '';
  let clock: RunClock = { startMs: 0 };
  let base = 0;
  const sink = ((e: ProgressEvent) => {
    const t = now();
    if (!bar || e.label !== label) {
      bar?.stop();
      label = e.label;
      clock = { startMs: t };
      base = e.done;
      const extra = e.info
        ? Object.keys(e.info)
            .map((k) => ` | ${k} {${k}}`)
            .join('')
        : '';
      bar = new cliProgress.SingleBar(
        { stream: process.stderr, format: `${label} [{bar}] {value}/{total} | ETA {etaText}${extra}`, hideCursor: false, noTTYOutput: !process.stderr.isTTY, notTTYSchedule: 15000 },
        cliProgress.Presets.shades_classic,
      );
      bar.start(e.total, e.done, { etaText: '--', ...e.info });
      return;
    }
    if (e.done > base && !clock.first) clock.first = { ms: t, done: e.done - base };
    bar.setTotal(e.total);
    bar.update(e.done, { etaText: formatEta(etaSeconds(e.done - base, e.total - base, t, clock)), ...e.info });
  }) as ProgressSink;
  sink.stop = () => {
    bar?.stop();
    bar = undefined;
  };
  return sink;
}
