/**
 * Run tracking for long commands: each invocation becomes a run in the store (argv, config,
 * status, final JSON result); commands may add trials and metrics through `currentRun()`.
 * Commands that can stop cleanly between steps run their loop inside withGracefulStop().
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Store, type RunRecord, type TrialRecord } from '../store/store.js';
import { TsnasError } from '../util/errors.js';

export const TRACKED_COMMANDS = new Set(['search', 'train', 'correlate', 'score', 'dtb']);

export interface ActiveRun {
  store: Store;
  id: string;
  /** True when this invocation continues a run already in the store (--resume). */
  resumed: boolean;
  /** True when this invocation created the run. */
  created: boolean;
  /** The run as it was before this invocation continued it. */
  previous?: RunRecord;
}

let active: ActiveRun | undefined;
let lastResult: unknown;
let stop = false;

export function currentRun(): ActiveRun | undefined {
  return active;
}

/** For loops that can stop cleanly between steps: true once Ctrl-C was pressed. */
export function stopRequested(): boolean {
  return stop;
}

export function recordResult(result: unknown): void {
  lastResult = result;
}

/** Where a command's store lives: --store, else <out>/tsnas.db, else $TSNAS_STORE or runs/tsnas.db. */
export function storePath(o: { store?: string; out?: string }): string {
  return o.store ?? (o.out ? join(o.out, 'tsnas.db') : (process.env.TSNAS_STORE ?? join('runs', 'tsnas.db')));
}

export function beginRun(o: { store?: string; out?: string; runId?: string; seed?: number; resume?: boolean }, command: string, argv: string[], config: Record<string, unknown>): ActiveRun {
  const store = Store.open(storePath(o));
  const id = o.runId ?? `${command}-${new Date().toISOString().replace(/[-:.TZ]/g, '').slice(0, 14)}-${randomBytes(3).toString('hex')}`;
  const existing = store.getRun(id);
  const resumed = Boolean(existing && o.resume);
  if (resumed) store.markRunning(id);
  else store.createRun({ id, command, argv, config, seed: o.seed, outDir: o.out });
  active = { store, id, resumed, created: !resumed, previous: resumed ? existing : undefined };
  lastResult = undefined;
  stop = false;
  return active;
}

export function endRun(error?: Error): void {
  if (!active) return;
  const { store, id } = active;
  if (error) store.finishRun(id, 'failed', undefined, error.message);
  else store.finishRun(id, stop ? 'stopped' : 'done', lastResult);
  store.close();
  active = undefined;
}

/**
 * How to continue the current run after a stop: ` tsnas runs resume RUN --store FILE (or: the
 * same command with --resume --run-id RUN)`; '' without a run.
 */
export function resumeHint(): string {
  const run = active;
  return run ? ` tsnas runs resume ${run.id} --store ${run.store.path} (or: the same command with --resume --run-id ${run.id})` : '';
}

/**
 * Run `fn` with graceful Ctrl-C: the first Ctrl-C sets stopRequested(), which `fn`'s loop polls
 * between steps (after its checkpoint) to end early as a resumable `stopped` run; a second
 * Ctrl-C quits at once. The loop must yield to the event loop between steps for the signal to
 * be seen. Outside such a section Ctrl-C keeps Node's default (immediate exit; the run stays
 * `running` and `tsnas runs resume` continues it from its last checkpoint).
 */
export async function withGracefulStop<T>(fn: () => Promise<T>): Promise<T> {
  const onSigint = () => {
    if (stop) {
      endRun();
      process.exit(130);
    }
    stop = true;
    process.stderr.write('\ntsnas: stopping after the current step (Ctrl-C again to quit now)\n');
  };
  process.on('SIGINT', onSigint);
  try {
    return await fn();
  } finally {
    process.off('SIGINT', onSigint);
  }
}

// ---------------------------------------------------------------------------------------------
// Resume support for commands whose state lives in the store (multi-objective search, score,
// search --strategy naswot): a settings check, the run's trials, and an algorithm checkpoint
// written in the same transaction as the trials it covers.

/** JSON that keeps NaN and ±Infinity (as the strings "__NaN", "__Infinity", "__-Infinity"). */
export function encodeState(v: unknown): string {
  return JSON.stringify(v, (_, x) => (typeof x === 'number' && !Number.isFinite(x) ? `__${x}` : x));
}

export function decodeState<T>(s: string): T {
  return JSON.parse(s, (_, x) => (typeof x === 'string' && /^__(NaN|-?Infinity)$/.test(x) ? Number(x.slice(2)) : x)) as T;
}

const SETTINGS_SCOPE = 'resume-settings';
const CHECKPOINT_SCOPE = 'checkpoint';

/**
 * Refuse to continue: a one-line error, and the store is left as it was: a run this invocation
 * created just for it (--resume of a run id the store does not hold) is removed again, a run it
 * was about to continue gets its previous status back.
 */
export function refuseResume(msg: string): never {
  if (active) {
    const { store, id, created, previous } = active;
    if (created) store.removeRun(id);
    else if (previous && previous.status !== 'running') store.finishRun(id, previous.status, previous.result ?? undefined, previous.error ?? undefined);
    store.close();
    active = undefined;
  }
  throw new TsnasError(msg);
}

/**
 * Start or continue a resumable run: `--resume` needs a run in the store (named by --run-id or
 * through `tsnas runs resume`) that was started with the same `settings` (the flags its result
 * depends on); a fresh run records them. Without a store (library use) it does nothing.
 */
export function resumeGuard(o: { resume?: boolean; runId?: string }, settings: Record<string, unknown>): ActiveRun | undefined {
  const run = active;
  if (!run) {
    if (o.resume) throw new TsnasError('--resume needs the experiment store (run it through the tsnas CLI)');
    return undefined;
  }
  const norm = (x: unknown) => JSON.parse(encodeState(x)) as Record<string, unknown>;
  const now = norm(settings);
  if (o.resume && !run.resumed) {
    return refuseResume(o.runId
      ? `--resume: no run '${o.runId}' in ${run.store.path} to continue (see 'tsnas runs list')`
      : `--resume: name the run to continue with --run-id RUN (or use 'tsnas runs resume RUN')`);
  }
  const stored = run.store.metrics(run.id, SETTINGS_SCOPE)[0]?.values as Record<string, unknown> | undefined;
  if (run.resumed && stored) {
    const keys = [...new Set([...Object.keys(stored), ...Object.keys(now)])].sort();
    const diff = keys.filter((k) => JSON.stringify(stored[k]) !== JSON.stringify(now[k]));
    if (diff.length) {
      const show = (x: unknown) => (x === undefined ? 'unset' : JSON.stringify(x));
      refuseResume(`--resume: run '${run.id}' was started with other settings (${diff.map((k) => `${k}: ${show(stored[k])} then, ${show(now[k])} now`).join('; ')}); start a new run instead`);
    }
  }
  if (!stored) run.store.atomically(() => run.store.putMetrics(run.id, SETTINGS_SCOPE, 0, now));
  return run;
}

/** The trials the current run has recorded so far (none without a run). */
export function runTrials(): TrialRecord[] {
  const run = active;
  return run ? run.store.trials(run.id) : [];
}

/** Record trials (and optionally a checkpoint of the algorithm's state) as one transaction. */
export function saveProgress(trials: readonly TrialRecord[], checkpoint?: unknown): void {
  const run = active;
  if (!run || (trials.length === 0 && checkpoint === undefined)) return;
  run.store.atomically(() => {
    for (const t of trials) run.store.putTrial(run.id, t);
    if (checkpoint !== undefined) run.store.putMetrics(run.id, CHECKPOINT_SCOPE, 0, { state: encodeState(checkpoint) });
  });
}

/** The last checkpoint saveProgress() wrote for the current run, if any. */
export function loadCheckpoint<T>(): T | undefined {
  const run = active;
  if (!run) return undefined;
  const row = run.store.metrics(run.id, CHECKPOINT_SCOPE)[0];
  return row ? decodeState<T>(row.values['state'] as string) : undefined;
}
