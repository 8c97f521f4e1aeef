/**
 * Server-sent events from the store. Searches write from other processes, so the hub polls the
 * store (every ~300 ms) for trial rows with a rowid above the last seen one and sends each to the
 * streams that want it, with the rowid as the event id: a browser that reconnects sends
 * `Last-Event-ID` and gets every trial it missed from the store before the live ones.
 *
 * Events: `trial` (id: the trial's rowid; data: a TrialRow), `run` (a run's status or update time
 * changed; no id), `metrics` (a run wrote per-epoch metrics; no id), `store-error` (the store could
 * not be read; no id). Events without an id leave the browser's last event id unchanged.
 */
import type { ServerResponse } from 'node:http';
import type { DashboardQueries, TrialRow } from './queries.js';

interface Client {
  res: ServerResponse;
  run?: string;
}

/** Trials replayed to one reconnecting stream at most; beyond, the page is told to reload. */
const REPLAY_LIMIT = 20_000;

export class EventHub {
  private readonly clients = new Set<Client>();
  private lastTrial = -1;
  private lastMetrics = -1;
  private runStates = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private lastError = '';

  /** `queries` is asked anew at each poll: the store may be reopened between polls. */
  constructor(
    private readonly queries: () => DashboardQueries,
    private readonly pollMs = 300,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.poll(), this.pollMs);
    this.heartbeat = setInterval(() => this.broadcast(': ping\n\n'), 15_000);
  }

  stop(): void {
    clearInterval(this.timer);
    clearInterval(this.heartbeat);
    this.disconnectAll();
  }

  get size(): number {
    return this.clients.size;
  }

  /** End every open stream (browsers reconnect by themselves, sending Last-Event-ID). */
  disconnectAll(): void {
    for (const c of this.clients) c.res.end();
    this.clients.clear();
  }

  /** The position the live stream has reached (primes it on first use). */
  private ensurePrimed(q: DashboardQueries): void {
    if (this.lastTrial >= 0) return;
    this.lastTrial = q.lastTrialRowid();
    this.lastMetrics = q.lastMetricsRowid();
    this.runStates = q.runStates();
  }

  /**
   * Open a stream. `after`: the last trial rowid the client has (Last-Event-ID or `?after=`);
   * without it the stream starts with the next new trial. Replay and registration happen in the
   * same tick, so no poll can slip between them.
   */
  connect(res: ServerResponse, o: { run?: string; after?: number }): void {
    const q = this.queries();
    this.ensurePrimed(q);
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write(`retry: 1000\n: tsnas dashboard events${o.run ? ` of run ${o.run}` : ''}\n\n`);
    if (o.after !== undefined && o.after < this.lastTrial) {
      const missed = q.trialsAfter(o.after, { run: o.run, upTo: this.lastTrial, limit: REPLAY_LIMIT + 1 });
      if (missed.length > REPLAY_LIMIT) res.write(`event: reset\ndata: ${JSON.stringify({ reason: `more than ${REPLAY_LIMIT} trials missed` })}\n\n`);
      else for (const t of missed) res.write(trialEvent(t));
    }
    const client: Client = { res, run: o.run };
    this.clients.add(client);
    res.on('close', () => this.clients.delete(client));
  }

  private broadcast(text: string, run?: string): void {
    for (const c of this.clients) if (run === undefined || c.run === undefined || c.run === run) c.res.write(text);
  }

  /** One poll: new trials, changed runs, new metrics. Errors go to the pages, never up. */
  poll(): void {
    if (this.clients.size === 0) {
      // Nobody listens: the next stream primes the position afresh (from now, or its Last-Event-ID).
      this.lastTrial = -1;
      return;
    }
    let q: DashboardQueries;
    try {
      q = this.queries();
      this.ensurePrimed(q);
      for (;;) {
        const rows = q.trialsAfter(this.lastTrial, { limit: 2000 });
        for (const t of rows) {
          this.lastTrial = t.rowid;
          this.broadcast(trialEvent(t), t.run);
        }
        if (rows.length < 2000) break;
      }
      const states = q.runStates();
      for (const [id, s] of states) {
        if (this.runStates.get(id) !== s) {
          const [status, updatedAt] = s.split('|');
          this.broadcast(`event: run\ndata: ${JSON.stringify({ run: id, status, updatedAt })}\n\n`, id);
        }
      }
      this.runStates = states;
      const metrics = q.metricsAfter(this.lastMetrics);
      const changed = new Map<string, Set<string>>();
      for (const m of metrics) {
        this.lastMetrics = m.rowid;
        changed.set(m.run, (changed.get(m.run) ?? new Set()).add(m.scope));
      }
      for (const [run, scopes] of changed) this.broadcast(`event: metrics\ndata: ${JSON.stringify({ run, scopes: [...scopes] })}\n\n`, run);
      this.lastError = '';
    } catch (e) {
      const msg = (e as Error).message;
      if (msg !== this.lastError) this.broadcast(`event: store-error\ndata: ${JSON.stringify({ error: msg })}\n\n`);
      this.lastError = msg;
    }
  }
}

function trialEvent(t: TrialRow): string {
  return `id: ${t.rowid}\nevent: trial\ndata: ${JSON.stringify(t)}\n\n`;
}
