/**
 * `tsnas dtb build --redis` against a real redis-server: the architectures train on a worker, the
 * records equal a local build's, each is written once, and rerunning the command (after
 * --stop-after, after a SIGKILL of the coordinator) collects and finishes the rest.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { QUEUE_NAME, connectionOptions } from '../../src/queue/connection.js';
import { TestRedis, redisSkipReason } from '../helpers/redis.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'tsnas.js');
// one thread everywhere: the local and the remote training take the same floating-point path
const ENV = { ...process.env, TSNAS_FROM_SOURCE: '1', TSNAS_THREADS: '1' };
const dir = mkdtempSync(join(tmpdir(), 'tsnas-dtb-queue-'));
const ARCHS = 3;
const TINY = ['--dataset', 'synthetic', '--C', '4', '--N', '1', '--image-size', '8', '--train-limit', '32', '--test-limit', '16', '--epochs', '2', '--batch', '16'];
const build = (out: string, extra: string[] = []) => [
  'dtb',
  'build',
  '--space',
  'nb201',
  '--archs',
  String(ARCHS),
  ...TINY,
  '--seed',
  '3',
  '--backend',
  'auto',
  '--out',
  out,
  '--no-progress',
  '--json',
  ...extra,
];

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

function cli(args: string[]): { child: ChildProcess; done: Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> } {
  const child = spawn(process.execPath, [BIN, ...args], { env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  return { child, done: new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }))) };
}

function lastJson(stdout: string): Record<string, unknown> {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as Record<string, unknown>;
}

const resultFile = (out: string, i: number) => join(out, 'runs', String(i).padStart(4, '0'), 'result.json');

/** The records of a build without their timings (which differ from run to run). */
function records(out: string): unknown[] {
  return Array.from({ length: ARCHS }, (_, i) => {
    const r = JSON.parse(readFileSync(resultFile(out, i), 'utf8')) as { epochs: Record<string, number>[] };
    return { ...r, epochs: r.epochs.map(({ epoch_s: _e, wall_s: _w, ...rest }) => rest) };
  });
}

/** How many of a queue run's jobs are in a state. */
async function jobsOf(run: string, state: 'completed' | 'waiting'): Promise<number> {
  return (await queue!.getRanges([state], 0, -1)).filter((id) => id.startsWith(`${encodeURIComponent(run)}|`)).length;
}

async function until(what: string, cond: () => Promise<boolean>, ms = 600_000): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('dtb build --redis: records equal a local build, each written once; --stop-after and a SIGKILLed coordinator resume by rerunning', { skip: redisSkipReason, timeout: 1_200_000 }, async () => {
  const local = join(dir, 'local');
  const a = await cli(build(local)).done;
  assert.equal(a.code, 0, a.stderr);

  const out = join(dir, 'remote');
  const startWorker = () => cli(['worker', '--redis', redis!.url, '--backend', 'auto', '--lock-ms', '2000']);
  const stopWorker = async (w: ReturnType<typeof cli>) => {
    if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGTERM');
    await w.done;
  };
  let w = startWorker();
  try {
    const first = await cli(build(out, ['--redis', redis!.url, '--stop-after', '1'])).done;
    assert.equal(first.code, 0, first.stderr);
    const r1 = lastJson(first.stdout);
    assert.equal(r1['done'], 1);
    assert.equal(r1['complete'], false);
    const run = r1['queue_run'] as string;
    const written = statSync(resultFile(out, 0)).mtimeMs;
    await stopWorker(w);

    // no worker: the rerun enqueues the other two and waits; killed, it leaves them queued
    const second = cli(build(out, ['--redis', redis!.url]));
    await until('two jobs waiting', async () => (await jobsOf(run, 'waiting')) === 2);
    second.child.kill('SIGKILL');
    assert.equal((await second.done).signal, 'SIGKILL');
    // a worker trains them while no coordinator listens; the next rerun collects them
    w = startWorker();
    await until('both trained', async () => (await jobsOf(run, 'completed')) === ARCHS);
    const third = await cli(build(out, ['--redis', redis!.url])).done;
    assert.equal(third.code, 0, third.stderr);
    const r3 = lastJson(third.stdout);
    assert.equal(r3['complete'], true);
    assert.equal(r3['trained_now'], 2);
    assert.equal(r3['queue_run'], run, 'the same build is the same queue run');

    assert.deepEqual(records(out), records(local));
    assert.equal(statSync(resultFile(out, 0)).mtimeMs, written, 'a record is written once');
    assert.equal(await jobsOf(run, 'completed'), ARCHS, 'one job per architecture');
    const exported = await cli(['dtb', 'export', '--out', out, '--json']).done;
    assert.equal(exported.code, 0, exported.stderr);
  } finally {
    await stopWorker(w);
  }
});
