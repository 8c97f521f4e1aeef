/**
 * What the dashboard reads from the store, all through one read-only connection. Paging, sorting
 * and filtering of trials happen in SQL (json_extract on the objectives and scores columns), so a
 * 15,625-trial run costs one sorted query per page, not a transfer of every row.
 */
import type Database from 'better-sqlite3';
import { z } from 'zod';
import { TsnasError } from '../util/errors.js';
import type { RunRecord, RunStatus } from '../store/store.js';

/** A run as the runs table shows it. */
export interface RunSummary {
  id: string;
  command: string;
  strategy: string | null;
  status: RunStatus;
  argv: string[];
  createdAt: string;
  updatedAt: string;
  /** Trials stored so far (search, correlate). */
  trials: number;
  /** Differentiable-search epochs stored so far (metrics scope `search`). */
  epochs: number;
  /** What progress counts: trials of the budget, or epochs of the epochs asked for. */
  progress: { done: number; total: number | null; unit: 'trials' | 'epochs' };
  /** Seconds from creation to the last update (to now while running). */
  elapsedS: number;
  error: string | null;
}

/** One trial as the table and the event stream carry it. */
export interface TrialRow {
  /** The SQLite rowid: grows with every write, so it is the event id of the stream. */
  rowid: number;
  run: string;
  idx: number;
  arch: string;
  status: 'done' | 'failed';
  scores: Record<string, number | null>;
  objectives: Record<string, number | null>;
  createdAt: string;
}

export const trialQuerySchema = z.object({
  offset: z.coerce.number().int().min(0).max(10_000_000).default(0),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  sort: z.string().max(200).default('idx'),
  dir: z.enum(['asc', 'desc']).default('desc'),
  /** Substring of the architecture text. */
  q: z.string().max(200).default(''),
  status: z.enum(['', 'done', 'failed']).default(''),
  /** A numeric column and a range on it (either end optional). */
  col: z.string().max(200).default(''),
  min: z.coerce.number().finite().optional(),
  max: z.coerce.number().finite().optional(),
});
export type TrialQuery = z.infer<typeof trialQuerySchema>;

export interface TrialPage {
  run: string;
  /** Trials of the run. */
  total: number;
  /** Trials that pass the filter. */
  matched: number;
  offset: number;
  limit: number;
  sort: string;
  dir: 'asc' | 'desc';
  /** Sortable columns: idx, arch, status, createdAt, `objective:KEY`, `score:KEY`. */
  columns: string[];
  rows: TrialRow[];
  /** The largest trial rowid of the whole store when the page was read: the stream resumes after it. */
  lastRowid: number;
}

interface TrialDbRow {
  rowid: number;
  run_id: string;
  idx: number;
  arch: string;
  status: 'done' | 'failed';
  scores: string;
  objectives: string;
  created_at: string;
}

const BASE_COLUMNS: Record<string, string> = { idx: 'idx', arch: 'arch', status: 'status', createdAt: 'created_at' };

function toTrial(r: TrialDbRow): TrialRow {
  return { rowid: r.rowid, run: r.run_id, idx: r.idx, arch: r.arch, status: r.status, scores: JSON.parse(r.scores), objectives: JSON.parse(r.objectives), createdAt: r.created_at };
}

function num(x: unknown): number | null {
  return typeof x === 'number' && Number.isFinite(x) ? x : null;
}

/** Budget of a run from its recorded flags (search: --budget, correlate: --n; differentiable: --epochs). */
function budgetOf(run: { config: Record<string, unknown>; result: unknown }): { trials: number | null; epochs: number | null } {
  const c = run.config;
  const r = run.result && typeof run.result === 'object' ? (run.result as Record<string, unknown>) : {};
  return { trials: num(c['budget']) ?? num(r['budget']) ?? num(c['n']), epochs: num(c['epochs']) ?? num(r['epochs']) };
}

/** SQL-quoted JSON path of one key (keys come from the stored JSON and are checked against it). */
function jsonPath(key: string): string {
  return `$."${key}"`;
}

export class DashboardQueries {
  private columnCache = new Map<string, { at: number; columns: string[] }>();

  constructor(private readonly db: Database.Database) {}

  runs(): RunSummary[] {
    const rows = this.db
      .prepare(
        `SELECT r.*, (SELECT count(*) FROM trials t WHERE t.run_id = r.id) AS n_trials,
                (SELECT count(*) FROM metrics m WHERE m.run_id = r.id AND m.scope = 'search') AS n_epochs
         FROM runs r ORDER BY r.created_at DESC, r.id`,
      )
      .all() as (Record<string, unknown> & { n_trials: number; n_epochs: number })[];
    const now = Date.now();
    return rows.map((row) => {
      const config = safeJson(row['config']) as Record<string, unknown>;
      const result = row['result'] === null ? null : safeJson(row['result']);
      const b = budgetOf({ config: config ?? {}, result });
      const epochsRun = row.n_epochs > 0 && row.n_trials === 0;
      const status = row['status'] as RunStatus;
      const created = Date.parse(String(row['created_at']));
      const end = status === 'running' ? now : Date.parse(String(row['updated_at']));
      return {
        id: String(row['id']),
        command: String(row['command']),
        strategy: typeof config?.['strategy'] === 'string' ? (config['strategy'] as string) : null,
        status,
        argv: (safeJson(row['argv']) as string[]) ?? [],
        createdAt: String(row['created_at']),
        updatedAt: String(row['updated_at']),
        trials: row.n_trials,
        epochs: row.n_epochs,
        progress: epochsRun ? { done: row.n_epochs, total: b.epochs, unit: 'epochs' } : { done: row.n_trials, total: b.trials, unit: 'trials' },
        elapsedS: Number.isFinite(created) && Number.isFinite(end) ? Math.max(0, (end - created) / 1000) : 0,
        error: (row['error'] as string | null) ?? null,
      };
    });
  }

  run(id: string): RunRecord {
    const row = this.db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as Record<string, unknown> | undefined;
    if (!row) throw new TsnasError(`no run '${id}'`);
    return {
      id: String(row['id']),
      command: String(row['command']),
      argv: safeJson(row['argv']) as string[],
      config: (safeJson(row['config']) ?? {}) as Record<string, unknown>,
      status: row['status'] as RunStatus,
      seed: (row['seed'] as number | null) ?? null,
      result: row['result'] === null ? null : safeJson(row['result']),
      error: (row['error'] as string | null) ?? null,
      outDir: (row['out_dir'] as string | null) ?? null,
      createdAt: String(row['created_at']),
      updatedAt: String(row['updated_at']),
    };
  }

  /**
   * Sortable columns of a run: the fixed ones and every objective and score key seen in its first
   * and latest trials (cached for a few seconds: a live run may add keys).
   */
  columns(runId: string): string[] {
    const hit = this.columnCache.get(runId);
    if (hit && Date.now() - hit.at < 5000) return hit.columns;
    const sample = this.db
      .prepare(
        'SELECT objectives, scores FROM (SELECT objectives, scores FROM trials WHERE run_id = ? ORDER BY idx LIMIT 200) UNION ALL SELECT objectives, scores FROM (SELECT objectives, scores FROM trials WHERE run_id = ? ORDER BY idx DESC LIMIT 50)',
      )
      .all(runId, runId) as { objectives: string; scores: string }[];
    const obj = new Set<string>();
    const sc = new Set<string>();
    for (const r of sample) {
      for (const k of Object.keys((safeJson(r.objectives) ?? {}) as object)) obj.add(k);
      for (const k of Object.keys((safeJson(r.scores) ?? {}) as object)) sc.add(k);
    }
    const ok = (k: string) => !k.includes('"') && !k.includes('\\') && k.length <= 120;
    const columns = [...Object.keys(BASE_COLUMNS), ...[...obj].filter(ok).map((k) => `objective:${k}`), ...[...sc].filter(ok).map((k) => `score:${k}`)];
    this.columnCache.set(runId, { at: Date.now(), columns });
    return columns;
  }

  /** SQL expression and its parameters for a column name from `columns`. */
  private columnExpr(runId: string, col: string): { sql: string; params: string[] } {
    if (BASE_COLUMNS[col]) return { sql: BASE_COLUMNS[col]!, params: [] };
    if (!this.columns(runId).includes(col)) throw new TsnasError(`unknown column '${col}'`);
    const [kind, ...rest] = col.split(':');
    const key = rest.join(':');
    return { sql: `json_extract(${kind === 'objective' ? 'objectives' : 'scores'}, ?)`, params: [jsonPath(key)] };
  }

  trialsPage(runId: string, q: TrialQuery): TrialPage {
    const lastRowid = this.lastTrialRowid();
    const where: string[] = ['run_id = ?'];
    const params: (string | number)[] = [runId];
    if (q.q) {
      where.push("arch LIKE ? ESCAPE '\\'");
      params.push(`%${q.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    }
    if (q.status) {
      where.push('status = ?');
      params.push(q.status);
    }
    if (q.col && (q.min !== undefined || q.max !== undefined)) {
      const e = this.columnExpr(runId, q.col);
      if (q.min !== undefined) {
        where.push(`${e.sql} >= ?`);
        params.push(...e.params, q.min);
      }
      if (q.max !== undefined) {
        where.push(`${e.sql} <= ?`);
        params.push(...e.params, q.max);
      }
    }
    const sort = this.columnExpr(runId, q.sort);
    const w = where.join(' AND ');
    const total = (this.db.prepare('SELECT count(*) AS n FROM trials WHERE run_id = ?').get(runId) as { n: number }).n;
    const matched = where.length === 1 ? total : (this.db.prepare(`SELECT count(*) AS n FROM trials WHERE ${w}`).get(...params) as { n: number }).n;
    // Missing values sort last either way; idx breaks ties so pages are stable.
    const dir = q.dir === 'asc' ? 'ASC' : 'DESC';
    const rows = this.db
      .prepare(`SELECT rowid, run_id, idx, arch, status, scores, objectives, created_at FROM trials WHERE ${w} ORDER BY (${sort.sql}) IS NULL, ${sort.sql} ${dir}, idx ${dir} LIMIT ? OFFSET ?`)
      .all(...params, ...sort.params, ...sort.params, q.limit, q.offset) as TrialDbRow[];
    return { run: runId, total, matched, offset: q.offset, limit: q.limit, sort: q.sort, dir: q.dir, columns: this.columns(runId), rows: rows.map(toTrial), lastRowid };
  }

  /** Every trial of a run in index order, lightly: for the best-value history and parallel coordinates. */
  trialValues(runId: string): { idx: number; arch: string; status: string; objectives: Record<string, number | null> }[] {
    const rows = this.db.prepare('SELECT idx, arch, status, objectives FROM trials WHERE run_id = ? ORDER BY idx').all(runId) as { idx: number; arch: string; status: string; objectives: string }[];
    return rows.map((r) => ({ idx: r.idx, arch: r.arch, status: r.status, objectives: (safeJson(r.objectives) ?? {}) as Record<string, number | null> }));
  }

  lastTrialRowid(): number {
    return (this.db.prepare('SELECT coalesce(max(rowid), 0) AS m FROM trials').get() as { m: number }).m;
  }

  lastMetricsRowid(): number {
    return (this.db.prepare('SELECT coalesce(max(rowid), 0) AS m FROM metrics').get() as { m: number }).m;
  }

  /** Trials written after `rowid` (up to `upTo` when given), in write order. */
  trialsAfter(rowid: number, o: { run?: string; upTo?: number; limit?: number } = {}): TrialRow[] {
    const upTo = o.upTo ?? Number.MAX_SAFE_INTEGER;
    const limit = o.limit ?? 5000;
    const rows = (
      o.run
        ? this.db
            .prepare('SELECT rowid, run_id, idx, arch, status, scores, objectives, created_at FROM trials WHERE rowid > ? AND rowid <= ? AND run_id = ? ORDER BY rowid LIMIT ?')
            .all(rowid, upTo, o.run, limit)
        : this.db.prepare('SELECT rowid, run_id, idx, arch, status, scores, objectives, created_at FROM trials WHERE rowid > ? AND rowid <= ? ORDER BY rowid LIMIT ?').all(rowid, upTo, limit)
    ) as TrialDbRow[];
    return rows.map(toTrial);
  }

  /** Metrics rows written after `rowid`: which run and scope changed (the values are re-read with the charts). */
  metricsAfter(rowid: number): { rowid: number; run: string; scope: string; epoch: number }[] {
    return this.db.prepare('SELECT rowid, run_id AS run, scope, epoch FROM metrics WHERE rowid > ? ORDER BY rowid LIMIT 5000').all(rowid) as {
      rowid: number;
      run: string;
      scope: string;
      epoch: number;
    }[];
  }

  /** Status and last update of every run: the hub compares these between polls. */
  runStates(): Map<string, string> {
    const rows = this.db.prepare('SELECT id, status, updated_at FROM runs').all() as { id: string; status: string; updated_at: string }[];
    return new Map(rows.map((r) => [r.id, `${r.status}|${r.updated_at}`]));
  }
}

function safeJson(x: unknown): unknown {
  if (typeof x !== 'string') return undefined;
  try {
    return JSON.parse(x);
  } catch {
    return undefined;
  }
}
