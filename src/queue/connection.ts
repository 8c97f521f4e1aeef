/**
 * The Redis connection of the distributed trials: a `redis://` or `rediss://` (TLS) URL, with an
 * optional user and password and a database number, turned into the ioredis options BullMQ takes.
 * Redis restarts are ridden out: ioredis reconnects with a capped backoff and commands wait for the
 * connection (maxRetriesPerRequest null, which BullMQ's blocking workers require anyway).
 */
import type { ConnectionOptions } from 'bullmq';
import { TsnasError } from '../util/errors.js';

/** The BullMQ queue every coordinator and worker shares (runs are told apart by their job ids). */
export const QUEUE_NAME = 'tsnas-trials';

/** What a Redis URL says, with the password kept out of anything printed. */
export interface RedisTarget {
  host: string;
  port: number;
  tls: boolean;
  db: number;
  username?: string;
  password?: string;
  /** The URL without its password, for logs and `queue status`. */
  display: string;
}

/** Parse and check a Redis URL (`redis://[user:pass@]host[:port][/db]`, `rediss://` for TLS). */
export function parseRedisUrl(url: string): RedisTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new TsnasError(`--redis '${url}' is not a URL (expected redis://[user:password@]host[:port][/db] or rediss://...)`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new TsnasError(`--redis '${u.protocol}//...': the scheme must be redis:// or rediss:// (TLS)`);
  if (!u.hostname) throw new TsnasError(`--redis '${url}' names no host`);
  const port = u.port ? Number(u.port) : 6379;
  const path = u.pathname.replace(/^\//, '');
  const db = path === '' ? 0 : Number(path);
  if (!Number.isInteger(db) || db < 0) throw new TsnasError(`--redis: database '${path}' is not a non-negative integer`);
  const username = u.username ? decodeURIComponent(u.username) : undefined;
  const password = u.password ? decodeURIComponent(u.password) : undefined;
  const shown = new URL(url);
  if (shown.password) shown.password = '***';
  // IPv6 hosts come bracketed from URL; ioredis wants them bare
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  return { host, port, tls: u.protocol === 'rediss:', db, username, password, display: shown.toString() };
}

/** The ioredis options BullMQ's Queue, Worker and QueueEvents connect with. */
export function connectionOptions(url: string): ConnectionOptions {
  const t = parseRedisUrl(url);
  return {
    host: t.host,
    port: t.port,
    db: t.db,
    ...(t.username ? { username: t.username } : {}),
    ...(t.password ? { password: t.password } : {}),
    ...(t.tls ? { tls: { servername: t.host } } : {}),
    maxRetriesPerRequest: null,
    // Reconnect forever (a Redis restart is an outage, not an end), at most every 2 s.
    retryStrategy: (times: number) => Math.min(100 * times, 2000),
  };
}
