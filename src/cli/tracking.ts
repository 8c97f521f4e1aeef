/**
 * Run tracking for long commands: each invocation becomes a run in the store (argv, config,
 * status, final JSON result); commands may add trials and metrics through `currentRun()`.
 * Ctrl-C asks the command to stop after its current step (`stopRequested()`); a second Ctrl-C quits.
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

export function installSigint(): void {
  process.on('SIGINT', () => {
    if (stop) process.exit(130);
    stop = true;
    process.stderr.write('\ntsnas: stopping after the current step (Ctrl-C again to quit now)\n');
  });
}
