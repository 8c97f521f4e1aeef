/**
 * Run tracking for the CLI's long commands: each invocation becomes a `Run` in the store (argv,
 * config, status, final JSON result), held here for the command's duration; Ctrl-C aborts the
 * command's AbortSignal, which the library polls between steps. Library code never imports this
 * file: it is given the run and the signal.
 */
import { Run, decodeState, encodeState, storePath } from '../store/run.js';
import { Store } from '../store/store.js';
import { TsnasError } from '../util/errors.js';

export { decodeState, encodeState, storePath };

export const TRACKED_COMMANDS = new Set(['search', 'train', 'correlate', 'score', 'dtb']);

let active: Run | undefined;
let controller = new AbortController();

/** The current command's run, if it is a tracked command. */
export function currentRun(): Run | undefined {
  return active && !active.closed ? active : undefined;
}

/** Aborted once Ctrl-C was pressed during a graceful section. */
export function stopSignal(): AbortSignal {
  return controller.signal;
}

/** For loops that can stop cleanly between steps: true once Ctrl-C was pressed. */
export function stopRequested(): boolean {
  return controller.signal.aborted;
}

/** Keep `result` as the run's result when the command ends. */
export function recordResult(result: unknown): void {
  active?.setResult(result);
}

/**
 * The run a bare `--resume` (no --run-id) continues: the store's one unfinished run of the same
 * command (and strategy). Several are an error naming them; none leaves it to the command (a
 * differentiable search continues from its checkpoint file, others refuse).
 */
function unfinishedRun(path: string, command: string, strategy: string | undefined): string | undefined {
  const store = Store.open(path);
  try {
    const open = store.listRuns().filter((r) => r.status !== 'done' && r.command === command && (strategy === undefined || r.config['strategy'] === strategy));
    if (open.length > 1) {
      throw new TsnasError(`--resume: ${path} holds ${open.length} unfinished ${strategy ?? command} runs (${open.map((r) => r.id).join(', ')}); name one with --run-id`);
    }
    return open[0]?.id;
  } finally {
    store.close();
  }
}

export function beginRun(o: { store?: string; out?: string; runId?: string; seed?: number; resume?: boolean }, command: string, argv: readonly string[], config: Record<string, unknown>): Run {
  const path = storePath(o);
  const id = o.runId ?? (o.resume ? unfinishedRun(path, command, config['strategy'] as string | undefined) : undefined);
  controller = new AbortController();
  active = Run.open({ store: path, id, command, resume: o.resume, argv, config, seed: o.seed, outDir: o.out });
  return active;
}

export function endRun(error?: Error): void {
  if (!active) return;
  active.finish({ error, stopped: stopRequested() });
  active = undefined;
}

/** How to continue the current run after a stop; '' without a run. */
export function resumeHint(): string {
  return currentRun()?.resumeHint() ?? '';
}

/**
 * Run `fn` with graceful Ctrl-C: the first Ctrl-C aborts stopSignal(), which `fn`'s loop polls
 * between steps (after its checkpoint) to end early as a resumable `stopped` run; a second
 * Ctrl-C quits at once. Outside such a section Ctrl-C keeps Node's default (immediate exit; the
 * run stays `running` and `tsnas runs resume` continues it from its last checkpoint).
 */
export async function withGracefulStop<T>(fn: () => Promise<T>): Promise<T> {
  const onSigint = () => {
    if (controller.signal.aborted) {
      endRun();
      process.exit(130);
    }
    controller.abort();
    process.stderr.write('\ntsnas: stopping after the current step (Ctrl-C again to quit now)\n');
  };
  process.on('SIGINT', onSigint);
  try {
    return await fn();
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/**
 * For commands whose state lives in the store: refuse `--resume` without a run to continue, check
 * the settings (see Run.guard). Without a run (library use) it does nothing.
 */
export function resumeGuard(o: { resume?: boolean }, settings: Record<string, unknown>): Run | undefined {
  const run = currentRun();
  if (!run) {
    if (o.resume) throw new TsnasError('--resume needs the experiment store (run it through the tsnas CLI)');
    return undefined;
  }
  return run.guard(settings);
}
