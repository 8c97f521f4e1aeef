/**
 * The experiment store: one SQLite file (better-sqlite3, WAL mode) with runs, trials, per-epoch
 * metrics and artifact paths. Every write that belongs together is one transaction, so a process
 * killed at any moment leaves either the whole trial or none of it.
 */
import Database from 'better-sqlite3';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { TsnasError } from '../util/errors.js';

/** Bump when the schema changes; a store from a newer tsnas is refused, not altered. */
export const STORE_SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
  id TEXT PRIMARY KEY,
  command TEXT NOT NULL,
  argv TEXT NOT NULL,
  config TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed', 'stopped')),
  seed INTEGER,
  result TEXT,
  error TEXT,
  out_dir TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS trials (
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  idx INTEGER NOT NULL,
  arch TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('done', 'failed')),
  scores TEXT NOT NULL,
  objectives TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (run_id, idx)
);
CREATE TABLE IF NOT EXISTS metrics (
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  scope TEXT NOT NULL,
  epoch INTEGER NOT NULL,
  values_json TEXT NOT NULL,
  PRIMARY KEY (run_id, scope, epoch)
);
CREATE TABLE IF NOT EXISTS artifacts (
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  path TEXT NOT NULL,
  PRIMARY KEY (run_id, kind, path)
);
`;

export type RunStatus = 'running' | 'done' | 'failed' | 'stopped';

export interface RunRecord {
  id: string;
  command: string;
  argv: string[];
  config: Record<string, unknown>;
  status: RunStatus;
  seed: number | null;
  result: unknown;
  error: string | null;
  outDir: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface TrialRecord {
  idx: number;
  arch: string;
  status: 'done' | 'failed';
  scores: Record<string, number | null>;
  objectives: Record<string, number | null>;
}

interface RunRow {
  id: string;
  command: string;
  argv: string;
  config: string;
  status: RunStatus;
  seed: number | null;
  result: string | null;
  error: string | null;
  out_dir: string | null;
  created_at: string;
  updated_at: string;
}

const now = () => new Date().toISOString();

/** NaN and ±Infinity are stored as null (JSON has no such numbers). */
function numbersJson(o: Record<string, number | null>): string {
  return JSON.stringify(o, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v));
}

export class Store {
  private readonly db: Database.Database;

  private constructor(
    db: Database.Database,
    readonly path: string,
  ) {
    this.db = db;
  }

  /** Open (creating if needed) the store at `path`. Refuses corrupt files and newer schemas. */
  static open(path: string): Store {
    const dir = dirname(path);
    try {
      if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
    } catch (e) {
      throw new TsnasError(`cannot create the store directory ${dir}: ${(e as Error).message}`);
    }
    let db: Database.Database;
    try {
      db = new Database(path);
      // The busy timeout first: switching to WAL (or recovering the WAL of a killed writer) may wait for another process.
      db.pragma('busy_timeout = 5000');
      db.pragma('journal_mode = WAL');
      db.pragma('foreign_keys = ON');
    } catch (e) {
      throw new TsnasError(`cannot open the store ${path}: ${(e as Error).message}`);
    }
    try {
      const hasMeta = db.prepare("SELECT name FROM sqlite_master WHERE type='table' AND name='meta'").get();
      if (hasMeta) {
        const row = db.prepare("SELECT value FROM meta WHERE key='schema_version'").get() as { value: string } | undefined;
        const v = Number(row?.value ?? NaN);
        if (!Number.isInteger(v)) throw new TsnasError(`store ${path} has no valid schema version`);
        if (v > STORE_SCHEMA_VERSION) {
          throw new TsnasError(`store ${path} has schema version ${v}, newer than this tsnas (${STORE_SCHEMA_VERSION}); upgrade tsnas to use it`);
        }
      }
      db.transaction(() => {
        db.exec(SCHEMA);
        db.prepare("INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)").run(String(STORE_SCHEMA_VERSION));
      })();
    } catch (e) {
      db.close();
      if (e instanceof TsnasError) throw e;
      throw new TsnasError(`store ${path} is not a usable tsnas store: ${(e as Error).message}`);
    }
    return new Store(db, path);
  }

  /**
   * Open an existing store read-only (no directory, schema or WAL change; every write throws).
   * For readers such as the dashboard; `openStoreDatabaseReadonly` in readonly.ts does the checks.
   */
  static wrapReadonly(db: Database.Database, path: string): Store {
    if (!db.readonly) throw new TsnasError('Store.wrapReadonly needs a read-only connection');
    return new Store(db, path);
  }

  close(): void {
    this.db.close();
  }

  createRun(r: { id: string; command: string; argv: string[]; config: Record<string, unknown>; seed?: number; outDir?: string }): RunRecord {
    if (this.getRun(r.id)) throw new TsnasError(`run '${r.id}' already exists in ${this.path}`);
    const t = now();
    this.db
      .prepare('INSERT INTO runs (id, command, argv, config, status, seed, out_dir, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(r.id, r.command, JSON.stringify(r.argv), JSON.stringify(r.config), 'running', r.seed ?? null, r.outDir ?? null, t, t);
    return this.getRun(r.id)!;
  }

  getRun(id: string): RunRecord | undefined {
    const row = this.db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as RunRow | undefined;
    return row && toRun(row);
  }

  requireRun(id: string): RunRecord {
    const r = this.getRun(id);
    if (!r) throw new TsnasError(`no run '${id}' in ${this.path} (see 'tsnas runs list')`);
    return r;
  }

  listRuns(): RunRecord[] {
    return (this.db.prepare('SELECT * FROM runs ORDER BY created_at, id').all() as RunRow[]).map(toRun);
  }

  finishRun(id: string, status: Exclude<RunStatus, 'running'>, result?: unknown, error?: string): void {
    this.requireRun(id);
    this.db.prepare('UPDATE runs SET status = ?, result = ?, error = ?, updated_at = ? WHERE id = ?').run(status, result === undefined ? null : JSON.stringify(result), error ?? null, now(), id);
  }

  markRunning(id: string): void {
    this.db.prepare("UPDATE runs SET status = 'running', error = NULL, updated_at = ? WHERE id = ?").run(now(), id);
  }

  removeRun(id: string): void {
    this.requireRun(id);
    this.db.prepare('DELETE FROM runs WHERE id = ?').run(id);
  }

  /** Record a trial; re-recording the same index (a resumed run) replaces it, never duplicates. */
  putTrial(runId: string, t: TrialRecord): void {
    this.db
      .prepare('INSERT OR REPLACE INTO trials (run_id, idx, arch, status, scores, objectives, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(runId, t.idx, t.arch, t.status, numbersJson(t.scores), numbersJson(t.objectives), now());
  }

  /** Several writes as one transaction: all land or none does. */
  atomically<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  trials(runId: string): TrialRecord[] {
    const rows = this.db.prepare('SELECT idx, arch, status, scores, objectives FROM trials WHERE run_id = ? ORDER BY idx').all(runId) as {
      idx: number;
      arch: string;
      status: 'done' | 'failed';
      scores: string;
      objectives: string;
    }[];
    return rows.map((r) => ({ idx: r.idx, arch: r.arch, status: r.status, scores: JSON.parse(r.scores), objectives: JSON.parse(r.objectives) }));
  }

  putMetrics(runId: string, scope: string, epoch: number, values: Record<string, unknown>): void {
    this.db.prepare('INSERT OR REPLACE INTO metrics (run_id, scope, epoch, values_json) VALUES (?, ?, ?, ?)').run(runId, scope, epoch, JSON.stringify(values));
  }

  metrics(runId: string, scope?: string): { scope: string; epoch: number; values: Record<string, unknown> }[] {
    const rows = (
      scope
        ? this.db.prepare('SELECT scope, epoch, values_json FROM metrics WHERE run_id = ? AND scope = ? ORDER BY scope, epoch').all(runId, scope)
        : this.db.prepare('SELECT scope, epoch, values_json FROM metrics WHERE run_id = ? ORDER BY scope, epoch').all(runId)
    ) as { scope: string; epoch: number; values_json: string }[];
    return rows.map((r) => ({ scope: r.scope, epoch: r.epoch, values: JSON.parse(r.values_json) }));
  }

  addArtifact(runId: string, kind: string, path: string): void {
    this.db.prepare('INSERT OR IGNORE INTO artifacts (run_id, kind, path) VALUES (?, ?, ?)').run(runId, kind, path);
  }

  artifacts(runId: string): { kind: string; path: string }[] {
    return this.db.prepare('SELECT kind, path FROM artifacts WHERE run_id = ? ORDER BY kind, path').all(runId) as { kind: string; path: string }[];
  }
}

function toRun(r: RunRow): RunRecord {
  return {
    id: r.id,
    command: r.command,
    argv: JSON.parse(r.argv),
    config: JSON.parse(r.config),
    status: r.status,
    seed: r.seed,
    result: r.result === null ? null : JSON.parse(r.result),
    error: r.error,
    outDir: r.out_dir,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}
