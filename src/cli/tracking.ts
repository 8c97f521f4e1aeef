/**
 * Run tracking for long commands: each invocation becomes a run in the store (argv, config,
 * status, final JSON result); commands may add trials and metrics through `currentRun()`.
 * Commands that can stop cleanly between steps run their loop inside withGracefulStop().
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Store } from '../store/store.js';

export const TRACKED_COMMANDS = new Set(['search', 'train', 'correlate', 'score', 'dtb']);

export interface ActiveRun {
  store: Store;
  id: string;
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
  if (existing && o.resume) store.markRunning(id);
  else store.createRun({ id, command, argv, config, seed: o.seed, outDir: o.out });
  active = { store, id };
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
