/**
 * A run in the experiment store, as a library service (Optuna's `Study` over its storage): create
 * or continue one, check that a continued run has the settings it was started with, read and
 * write its trials, checkpoint an algorithm's state in the same transaction as the trials it
 * covers, and finish it. The CLI makes one per tracked command; a program makes its own and
 * passes it to `search()` in the context (without one, nothing is stored).
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { TsnasError } from '../util/errors.js';
import { Store, type RunRecord, type RunStatus, type TrialRecord } from './store.js';

/** How to open a run: a store (or its path), the run's id and whether to continue it. */
export interface RunOptions {
  /** The store, or the path of its SQLite file (created when absent). */
  store: Store | string;
  /** The run's id; default `<command>-<UTC time>-<random>`. */
  id?: string;
  /** What made the run (a CLI command name, or the program's own label). */
  command: string;
  /** Continue the run named `id` when the store holds it (see {@link Run.guard} for algorithms that need it to). */
  resume?: boolean;
  /** The command line, kept for the record. */
  argv?: readonly string[];
  /** The run's configuration: for a search, `{ strategy, space, options }` (what `runs resume` rebuilds it from). */
  config?: Record<string, unknown>;
  seed?: number;
  outDir?: string;
}

/** JSON that keeps NaN and ±Infinity (as the strings "__NaN", "__Infinity", "__-Infinity"). */
export function encodeState(v: unknown): string {
  return JSON.stringify(v, (_, x) => (typeof x === 'number' && !Number.isFinite(x) ? `__${x}` : x));
}

/** The inverse of {@link encodeState}. */
export function decodeState<T>(s: string): T {
  return JSON.parse(s, (_, x) => (typeof x === 'string' && /^__(NaN|-?Infinity)$/.test(x) ? Number(x.slice(2)) : x)) as T;
}

const SETTINGS_SCOPE = 'resume-settings';
const CHECKPOINT_SCOPE = 'checkpoint';

/** The last checkpoint run `id` wrote (read-only: the run is not reopened), if any. */
export function storedCheckpoint<T>(store: Store, id: string): T | undefined {
  const row = store.metrics(id, CHECKPOINT_SCOPE)[0];
  return row ? decodeState<T>(row.values['state'] as string) : undefined;
}

/** The settings run `id` was started with (what a resume must repeat), if recorded. */
export function storedSettings(store: Store, id: string): Record<string, unknown> | undefined {
  return store.metrics(id, SETTINGS_SCOPE)[0]?.values;
}
/** Metrics scope of a search's wall clock (see saveProgress). */
const CLOCK_SCOPE = 'clock';

/** Where a command's store lives: `store`, else `<out>/tsnas.db`, else `$TSNAS_STORE` or `runs/tsnas.db`. */
export function storePath(o: { store?: string; out?: string }): string {
  return o.store ?? (o.out ? join(o.out, 'tsnas.db') : (process.env['TSNAS_STORE'] ?? join('runs', 'tsnas.db')));
}

/** A new run id: `<command>-<yyyymmddhhmmss>-<6 hex>`. */
export function newRunId(command: string): string {
  return `${command}-${new Date()
    .toISOString()
    .replace(/[-:.TZ]/g, '')
    .slice(0, 14)}-${randomBytes(3).toString('hex')}`;
}

/** One run of the store, open for writing. */
export class Run {
  /** True when this handle continues a run that was already in the store. */
  readonly resumed: boolean;
  /** True when this handle created the run. */
  readonly created: boolean;
  /** The run as it was before this handle continued it. */
  readonly previous: RunRecord | undefined;
  private finished = false;
  private result: unknown;

  private constructor(
    readonly store: Store,
    readonly id: string,
    resumed: boolean,
    previous: RunRecord | undefined,
    private readonly ownsStore: boolean,
  ) {
    this.resumed = resumed;
    this.created = !resumed;
    this.previous = previous;
  }

  /**
   * Create a run, or continue one (`resume: true` with the id of a run in the store). A run id
   * that exists without `resume` is refused with a one-line error, and nothing is written.
   */
  static open(o: RunOptions): Run {
    const ownsStore = typeof o.store === 'string';
    const store = typeof o.store === 'string' ? Store.open(o.store) : o.store;
    const id = o.id ?? newRunId(o.command);
    const existing = store.getRun(id);
    try {
      if (existing && !o.resume) throw new TsnasError(`run '${id}' already exists in ${store.path}: pass --resume to continue it, or choose another --run-id`);
      if (existing) store.markRunning(id);
      else store.createRun({ id, command: o.command, argv: [...(o.argv ?? [])], config: o.config ?? {}, seed: o.seed, outDir: o.outDir });
    } catch (e) {
      if (ownsStore) store.close();
      throw e;
    }
    const run = new Run(store, id, Boolean(existing), existing, ownsStore);
    run.resumeRequested = Boolean(o.resume);
    run.requestedId = o.id;
    return run;
  }

  /** `resume` was asked for (the run may still be new: a differentiable search continues from its checkpoint file). */
  resumeRequested = false;
  private requestedId: string | undefined;

  /**
   * For algorithms whose state lives in the store: refuse a `resume` that found no run to
   * continue, then check the settings (see {@link checkSettings}).
   */
  guard(settings: Record<string, unknown>): this {
    if (this.resumeRequested && !this.resumed) {
      this.refuse(
        this.requestedId
          ? `--resume: no run '${this.requestedId}' in ${this.store.path} to continue (see 'tsnas runs list')`
          : `--resume: name the run to continue with --run-id RUN (or use 'tsnas runs resume RUN')`,
      );
    }
    this.checkSettings(settings);
    return this;
  }

  /** The run's record as stored now. */
  record(): RunRecord {
    return this.store.requireRun(this.id);
  }

  /**
   * Check the settings a result depends on: a continued run must have been started with the same
   * ones (else a one-line error naming each difference, and the store is left as it was); a fresh
   * run records them.
   */
  checkSettings(settings: Record<string, unknown>): void {
    const now = JSON.parse(encodeState(settings)) as Record<string, unknown>;
    const stored = this.store.metrics(this.id, SETTINGS_SCOPE)[0]?.values as Record<string, unknown> | undefined;
    if (this.resumed && stored) {
      const keys = [...new Set([...Object.keys(stored), ...Object.keys(now)])].sort();
      const diff = keys.filter((k) => JSON.stringify(stored[k]) !== JSON.stringify(now[k]));
      if (diff.length) {
        const show = (x: unknown) => (x === undefined ? 'unset' : JSON.stringify(x));
        this.refuse(`--resume: run '${this.id}' was started with other settings (${diff.map((k) => `${k}: ${show(stored[k])} then, ${show(now[k])} now`).join('; ')}); start a new run instead`);
      }
    }
    if (!stored) this.store.atomically(() => this.store.putMetrics(this.id, SETTINGS_SCOPE, 0, now));
  }

  /** The settings recorded by {@link checkSettings}, if any. */
  settings(): Record<string, unknown> | undefined {
    return storedSettings(this.store, this.id);
  }

  /**
   * Refuse to continue: a one-line error, and the store is left as it was (a run this handle
   * created is removed again; a run it continued gets its previous status back).
   */
  refuse(msg: string): never {
    this.undo();
    throw new TsnasError(msg);
  }

  /** End this handle leaving the store as it was: a run it created is removed, a run it continued gets its previous status back. */
  private undo(): void {
    if (this.finished) return;
    if (this.created) this.store.removeRun(this.id);
    else if (this.previous && this.previous.status !== 'running') {
      this.store.finishRun(this.id, this.previous.status, this.previous.result ?? undefined, this.previous.error ?? undefined);
    }
    this.finished = true;
    if (this.ownsStore) this.store.close();
  }

  /** The run's trials so far. */
  trials(): TrialRecord[] {
    return this.store.trials(this.id);
  }

  /**
   * Record trials, and optionally a checkpoint of the algorithm's state and the run's wall seconds
   * so far (a time-limited search resumes its clock from them), as one transaction.
   */
  saveProgress(trials: readonly TrialRecord[], checkpoint?: unknown, wallS?: number): void {
    if (trials.length === 0 && checkpoint === undefined) return;
    this.store.atomically(() => {
      for (const t of trials) this.store.putTrial(this.id, t);
      if (checkpoint !== undefined) this.store.putMetrics(this.id, CHECKPOINT_SCOPE, 0, { state: encodeState(checkpoint) });
      if (wallS !== undefined) this.store.putMetrics(this.id, CLOCK_SCOPE, 0, { wall_s: wallS });
    });
  }

  /** The wall seconds {@link saveProgress} last recorded (0 for a new run). */
  loadWallS(): number {
    const v = this.store.metrics(this.id, CLOCK_SCOPE)[0]?.values['wall_s'];
    return typeof v === 'number' ? v : 0;
  }

  /** The last checkpoint {@link saveProgress} wrote, if any. */
  loadCheckpoint<T>(): T | undefined {
    return storedCheckpoint<T>(this.store, this.id);
  }

  /** A metrics row (scope, epoch), in its own transaction. */
  putMetrics(scope: string, epoch: number, values: Record<string, unknown>): void {
    this.store.atomically(() => this.store.putMetrics(this.id, scope, epoch, values));
  }

  /** Keep `result` as the run's result when it finishes. */
  setResult(result: unknown): void {
    this.result = result;
  }

  /** How to continue this run after a stop, as one line for a log. */
  resumeHint(): string {
    return ` tsnas runs resume ${this.id} --store ${this.store.path} (or: the same command with --resume --run-id ${this.id})`;
  }

  /**
   * End the run: `failed` with the error's message, `stopped` (resumable) or `done` with the
   * result given to {@link setResult}. Closes the store when the run opened it. Bad input (a
   * {@link TsnasError}) met before a new run recorded anything removes it, as {@link refuse}
   * does: an unreadable image folder is not an experiment.
   */
  finish(o: { error?: Error; stopped?: boolean } = {}): void {
    if (this.finished) return;
    if (o.error instanceof TsnasError && this.created && !this.recordedAnything()) return this.undo();
    this.finished = true;
    const status: Exclude<RunStatus, 'running'> = o.error ? 'failed' : o.stopped ? 'stopped' : 'done';
    this.store.finishRun(this.id, status, o.error ? undefined : this.result, o.error?.message);
    if (this.ownsStore) this.store.close();
  }

  /** Whether this handle has written anything beyond the run's row and settings: trials, checkpoints, metrics, artifacts. */
  private recordedAnything(): boolean {
    return this.store.trials(this.id).length > 0 || this.store.metrics(this.id).some((m) => m.scope !== SETTINGS_SCOPE) || this.store.artifacts(this.id).length > 0;
  }

  /** True once {@link finish} or {@link refuse} ended this handle. */
  get closed(): boolean {
    return this.finished;
  }
}
