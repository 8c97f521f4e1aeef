/**
 * A real redis-server for the queue tests, on a free local port, with its data in a temp dir and
 * the append-only file on (so a restart keeps the jobs, as a production Redis would). Tests that
 * need it skip with `redisSkipReason` when redis-server is not installed (apt: redis-server).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REDIS_SERVER = process.env.TSNAS_REDIS_SERVER ?? '/usr/bin/redis-server';
export const redisSkipReason: string | false = existsSync(REDIS_SERVER) ? false : `needs redis-server at ${REDIS_SERVER} (apt-get install redis-server, or set TSNAS_REDIS_SERVER)`;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect(port, '127.0.0.1');
    c.on('connect', () => (c.destroy(), resolve(true)));
    c.on('error', () => resolve(false));
  });
}

/** A redis-server the test owns: start, stop (SIGTERM: it writes its data), start again on the same port and data. */
export class TestRedis {
  private proc: ChildProcess | undefined;
  readonly dir = mkdtempSync(join(tmpdir(), 'tsnas-redis-'));

  private constructor(
    readonly port: number,
    private readonly extra: string[],
  ) {}

  static async start(extra: string[] = []): Promise<TestRedis> {
    const r = new TestRedis(await freePort(), extra);
    await r.up();
    return r;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async up(): Promise<void> {
    this.proc = spawn(REDIS_SERVER, ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', ...this.extra], {
      stdio: 'ignore',
    });
    for (let i = 0; i < 200 && !(await accepting(this.port)); i++) await new Promise((r) => setTimeout(r, 25));
  }

  async down(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once('exit', () => resolve());
      p.kill('SIGTERM');
    });
    this.proc = undefined;
  }
}
