/**
 * What the tests of distributed runs share: a redis-server and a BullMQ queue for a test file
 * (started before its tests, stopped after), the CLI as a child process, and polling.
 */
import { after, before } from 'node:test';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { QUEUE_NAME, connectionOptions } from '../../src/queue/connection.js';
import { TestRedis, redisSkipReason } from './redis.js';

export const BIN = join(import.meta.dirname, '..', '..', 'bin', 'tsnas.js');
/** One thread everywhere: local and remote work take the same floating-point path. */
export const CHILD_ENV = { ...process.env, TSNAS_FROM_SOURCE: '1', TSNAS_THREADS: '1' };

export interface CliChild {
  child: ChildProcess;
  done: Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>;
}

/** `tsnas args` as a child process, its output collected. */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv = CHILD_ENV): CliChild {
  const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  return { child, done: new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }))) };
}

/** Poll `cond` every 100 ms until it holds; an error naming `what` after `ms`. */
export async function until(what: string, cond: () => Promise<boolean>, ms = 600_000): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A redis-server and a queue on it for this file's tests (nothing when redis-server is missing). */
export function useRedisQueue(): { redis(): TestRedis; queue(): Queue; jobsOf(run: string, state: 'active' | 'completed' | 'failed' | 'waiting'): Promise<string[]> } {
  let redis: TestRedis | undefined;
  let queue: Queue | undefined;
  before(async () => {
    if (redisSkipReason) return;
    redis = await TestRedis.start();
    queue = new Queue(QUEUE_NAME, { connection: connectionOptions(redis.url) });
    queue.on('error', () => {});
  });
  after(async () => {
    await queue?.close();
    await redis?.down();
  });
  return {
    redis: () => redis!,
    queue: () => queue!,
    // a run's job ids start with the URI-encoded run id and '|'
    jobsOf: async (run, state) => (await queue!.getRanges([state], 0, -1)).filter((id) => id.startsWith(`${encodeURIComponent(run)}|`)),
  };
}
