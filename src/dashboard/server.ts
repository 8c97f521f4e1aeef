/**
 * `tsnas dashboard`: a small read-only HTTP server (node:http) over one experiment store, serving
 * one page, its assets, a JSON API and server-sent events.
 *
 * Safe by default: it binds 127.0.0.1 and checks the Host header there (no DNS rebinding); any
 * other address needs a token (generated when none is given) that every request carries
 * (`Authorization: Bearer`, the `tsnas_token` cookie the page gets, or `?token=`). Only GET is
 * answered (405 otherwise). The store is opened read-only; the only files read are the store and
 * the fixed list of assets (assets.ts), so any other path is a 404. Requests are parsed with zod
 * and never run anything. A store that cannot be read gives an error page (503), not a crash.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type Database from 'better-sqlite3';
import { z } from 'zod';
import { openStoreDatabaseReadonly } from '../store/readonly.js';
import type { Nb201Table } from '../benchmarks/nb201-table.js';
import { TsnasError } from '../util/errors.js';
import { asset } from './assets.js';
import { dashboardCharts } from './charts.js';
import { EventHub } from './events.js';
import { errorPage, PAGE_CSP, pageHtml } from './page.js';
import { DashboardQueries, trialQuerySchema } from './queries.js';

export interface DashboardOptions {
  /** The SQLite store (must exist; opened read-only). */
  store: string;
  /** Default 127.0.0.1. Any other address requires a token. */
  host?: string;
  /** Default 8080; 0 picks a free port. */
  port?: number;
  /** Required of every request; generated when the bind is not local and none is given. */
  token?: string;
  /** NB201 table, for the true Pareto front of runs that did not store it. */
  table?: Nb201Table;
  /** How often the store is polled for new rows (ms). */
  pollMs?: number;
}

export interface Dashboard {
  /** The page's address (with `?token=` when a token is required). */
  url: string;
  host: string;
  port: number;
  /** The token every request must carry, when one is required. */
  token?: string;
  /** True when the token was generated here (the caller should print it). */
  tokenGenerated: boolean;
  /** End every event stream (browsers reconnect, resuming from their Last-Event-ID). */
  dropStreams(): void;
  close(): Promise<void>;
}

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '::1']);

/** The store, opened on first use and again after an error (it may be replaced, repaired or unlocked). */
class StoreHandle {
  private db: Database.Database | undefined;
  private q: DashboardQueries | undefined;

  constructor(readonly path: string) {}

  get(): { db: Database.Database; q: DashboardQueries } {
    if (!this.db || !this.q) {
      this.db = openStoreDatabaseReadonly(this.path, { busyTimeoutMs: 250 });
      this.q = new DashboardQueries(this.db);
    }
    return { db: this.db, q: this.q };
  }

  reset(): void {
    try {
      this.db?.close();
    } catch {
      // closing a broken handle may fail too
    }
    this.db = undefined;
    this.q = undefined;
  }
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': PAGE_CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type, 'cache-control': 'no-store', ...extra });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, x: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(x));
}

function cookieToken(req: IncomingMessage): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === 'tsnas_token') return decodeURIComponent(v.join('='));
  }
  return undefined;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const eventsQuery = z.object({ run: z.string().min(1).max(200).optional(), after: z.coerce.number().int().min(0).optional() });

function params(url: URL): Record<string, string> {
  return Object.fromEntries(url.searchParams.entries());
}

/** A zod error as one line. */
function invalid(e: z.ZodError): HttpError {
  return new HttpError(400, e.issues.map((i) => `${i.path.join('.') || 'query'}: ${i.message}`).join('; '));
}

export async function startDashboard(o: DashboardOptions): Promise<Dashboard> {
  const host = o.host ?? '127.0.0.1';
  const local = LOCAL_HOSTS.has(host);
  let token = o.token;
  let tokenGenerated = false;
  if (token !== undefined && token.length < 8) throw new TsnasError('--token must be at least 8 characters');
  if (!local && token === undefined) {
    token = randomBytes(18).toString('base64url');
    tokenGenerated = true;
  }
  const handle = new StoreHandle(o.store);
  const hub = new EventHub(() => handle.get().q, o.pollMs ?? 300);
  let port = o.port ?? 8080;

  const withStore = <T>(fn: (s: { db: Database.Database; q: DashboardQueries }) => T): T => {
    let s;
    try {
      s = handle.get();
    } catch (e) {
      handle.reset();
      throw new HttpError(503, (e as Error).message);
    }
    try {
      return fn(s);
    } catch (e) {
      if (e instanceof HttpError) throw e;
      // A query that failed (corrupt page, lock held too long): reopen on the next request.
      handle.reset();
      throw new HttpError(503, `cannot read the store ${o.store}: ${(e as Error).message}`);
    }
  };

  const requireRun = (q: DashboardQueries, id: string): void => {
    if (!q.runs().some((r) => r.id === id)) throw new HttpError(404, `no run '${id}'`);
  };

  async function route(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const path = url.pathname;
    if (path === '/') {
      // The page needs the store: a store that cannot be read gets the error page instead.
      withStore(({ q }) => q.runs());
      send(res, 200, 'text/html; charset=utf-8', pageHtml({ store: o.store }));
      return;
    }
    if (path.startsWith('/assets/')) {
      const a = asset(path.slice('/assets/'.length));
      if (!a) throw new HttpError(404, 'not found');
      send(res, 200, a.type, a.body, { 'cache-control': 'private, max-age=300' });
      return;
    }
    if (path === '/api/runs') {
      sendJson(
        res,
        200,
        withStore(({ q }) => ({ store: o.store, runs: q.runs(), lastRowid: q.lastTrialRowid() })),
      );
      return;
    }
    const m = /^\/api\/runs\/([^/]+)(?:\/(trials|charts))?$/.exec(path);
    if (m) {
      let id: string;
      try {
        id = decodeURIComponent(m[1]!);
      } catch {
        throw new HttpError(400, 'bad run id');
      }
      if (m[2] === 'trials') {
        const p = trialQuerySchema.safeParse(params(url));
        if (!p.success) throw invalid(p.error);
        sendJson(
          res,
          200,
          withStore(({ q }) => {
            requireRun(q, id);
            try {
              return q.trialsPage(id, p.data);
            } catch (e) {
              if (e instanceof TsnasError) throw new HttpError(400, e.message);
              throw e;
            }
          }),
        );
        return;
      }
      if (m[2] === 'charts') {
        const s = withStore((s) => {
          requireRun(s.q, id);
          return s;
        });
        let charts;
        try {
          charts = await dashboardCharts(s.db, s.q, id, { table: o.table });
        } catch (e) {
          handle.reset();
          throw new HttpError(503, `cannot read the store ${o.store}: ${(e as Error).message}`);
        }
        sendJson(res, 200, { run: id, charts });
        return;
      }
      sendJson(
        res,
        200,
        withStore(({ q }) => {
          const summary = q.runs().find((r) => r.id === id);
          if (!summary) throw new HttpError(404, `no run '${id}'`);
          const run = q.run(id);
          return { ...summary, config: run.config, result: run.result, seed: run.seed };
        }),
      );
      return;
    }
    if (path === '/events') {
      const p = eventsQuery.safeParse(params(url));
      if (!p.success) throw invalid(p.error);
      const header = req.headers['last-event-id'];
      const last = typeof header === 'string' && /^\d+$/.test(header) ? Number(header) : p.data.after;
      withStore(() => hub.connect(res, { run: p.data.run, after: last }));
      return;
    }
    throw new HttpError(404, 'not found');
  }

  const server: Server = createServer((req, res) => {
    const fail = (status: number, message: string, extra: Record<string, string> = {}) => {
      const wantsHtml = (req.headers.accept ?? '').includes('text/html');
      if (wantsHtml) send(res, status, 'text/html; charset=utf-8', errorPage(status, message), extra);
      else send(res, status, 'application/json; charset=utf-8', JSON.stringify({ error: message, status }), extra);
    };
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://dashboard.invalid');
    } catch {
      fail(400, 'bad request');
      return;
    }
    // Local binds: only our own Host names, so a page from elsewhere cannot reach us through DNS rebinding.
    if (local && token === undefined) {
      const h = (req.headers.host ?? '').toLowerCase();
      if (![`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`].includes(h)) {
        fail(403, 'unexpected Host header');
        return;
      }
    }
    if (token !== undefined) {
      const auth = req.headers.authorization;
      const given = auth?.startsWith('Bearer ') ? auth.slice(7) : (url.searchParams.get('token') ?? cookieToken(req));
      if (given === undefined || given === null) {
        fail(401, 'this dashboard needs its token: open the address printed by tsnas dashboard (…?token=…)', { 'www-authenticate': 'Bearer' });
        return;
      }
      if (!sameSecret(given, token)) {
        fail(403, 'wrong token');
        return;
      }
    }
    if (req.method !== 'GET') {
      fail(405, 'only GET', { allow: 'GET' });
      return;
    }
    if (token !== undefined && url.searchParams.has('token') && url.pathname === '/') {
      // Keep the token in an HttpOnly cookie for the page's own requests, and out of the address bar.
      res.writeHead(303, { ...SECURITY_HEADERS, location: '/', 'set-cookie': `tsnas_token=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`, 'cache-control': 'no-store' });
      res.end();
      return;
    }
    route(req, res, url).catch((e: unknown) => {
      if (res.headersSent) {
        res.end();
        return;
      }
      if (e instanceof HttpError) fail(e.status, e.message);
      else fail(500, `internal error: ${(e as Error).message}`);
    });
  });

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(new TsnasError(`cannot listen on ${host}:${port}: ${e.code === 'EADDRINUSE' ? 'the port is in use (give --port)' : e.message}`)));
    server.listen(port, host, () => resolveListen());
  });
  port = (server.address() as AddressInfo).port;
  hub.start();
  const shown = host.includes(':') ? `[${host}]` : host;
  const url = `http://${shown}:${port}/${token !== undefined ? `?token=${encodeURIComponent(token)}` : ''}`;
  return {
    url,
    host,
    port,
    token,
    tokenGenerated,
    dropStreams: () => hub.disconnectAll(),
    close: () =>
      new Promise<void>((resolveClose) => {
        hub.stop();
        server.closeAllConnections();
        server.close(() => {
          handle.reset();
          resolveClose();
        });
      }),
  };
}
