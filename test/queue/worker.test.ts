/**
 * The worker's task processes against a real redis-server: the native engine's thread count they
 * start with (the load governor unless the user fixed TSNAS_THREADS), and a task process whose
 * worker was SIGKILLed mid-training exits instead of training on for nothing.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { QUEUE_NAME, connectionOptions } from '../../src/queue/connection.js';
import { TrialQueue } from '../../src/queue/coordinator.js';
import { startTrialWorker } from '../../src/queue/worker.js';
import { TestRedis, redisSkipReason } from '../helpers/redis.js';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'tsnas.js');
const nativeSkip = existsSync(join(ROOT, 'native', 'build', 'Release', 'tsnas_native.node')) ? false : 'needs the native addon (npm run build:native)';
const ARCH = '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|';

let redis: TestRedis | undefined;

before(async () => {
  if (!redisSkipReason) redis = await TestRedis.start();
});
after(async () => {
  await redis?.down();
});

/** The backend line a worker logs when its task process has started, after one no-op job. */
async function taskProcessLine(run: string, threadsEnv: string | undefined): Promise<string> {
  const saved = process.env['TSNAS_THREADS'];
  if (threadsEnv === undefined) delete process.env['TSNAS_THREADS'];
  else process.env['TSNAS_THREADS'] = threadsEnv;
  const lines: string[] = [];
  const worker = await startTrialWorker({ redis: redis!.url, backend: 'native', log: (m) => lines.push(m) });
  const q = await TrialQueue.open(redis!.url);
  try {
    await q.runBatch(run, [{ key: '0', kind: 'noop', payload: { n: 1 } }], { onResult: () => {} });
  } finally {
    await q.close();
    await worker.close();
    if (saved === undefined) delete process.env['TSNAS_THREADS'];
    else process.env['TSNAS_THREADS'] = saved;
  }
  const line = lines.find((l) => l.startsWith('task process '));
  assert.ok(line, `no task process line in ${JSON.stringify(lines)}`);
  return line;
}

test('task processes leave the thread count to the load governor unless TSNAS_THREADS is set', { skip: redisSkipReason || nativeSkip, timeout: 300_000 }, async () => {
  const cores = os.cpus().length;
  const free = await taskProcessLine('threads-free', undefined);
  assert.match(free, new RegExp(`native: .*\\b${cores} threads?\\b`));
  if (cores > 1) assert.match(free, /1 while the machine is busy/);
  const fixed = await taskProcessLine('threads-fixed', '1');
  assert.match(fixed, /native: .*\b1 thread\b/);
  assert.doesNotMatch(fixed, /busy/);
});

test('a worker whose task processes cannot start their backend fails at start, with the reason', { timeout: 120_000 }, async () => {
  // the children start before the worker connects to Redis (none listens on port 1)
  await assert.rejects(startTrialWorker({ redis: 'redis://127.0.0.1:1', backend: 'webgpu' }), /a task process could not start: backend 'webgpu' is not available/);
});

/** Whether a process is gone (a zombie counts: it no longer runs, only waits for a reaper). */
function gone(pid: number): boolean {
  try {
    const st = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return st.slice(st.lastIndexOf(')') + 2, st.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return true;
  }
}

test('a task process whose worker is SIGKILLed mid-training exits within seconds', { skip: redisSkipReason || (process.platform !== 'linux' && 'reads /proc'), timeout: 300_000 }, async () => {
  const queue = new Queue(QUEUE_NAME, { connection: connectionOptions(redis!.url) });
  queue.on('error', () => {});
  // the pure-JS cpu backend trains cpu-small for minutes: the job is surely still running when the worker dies
  const settings = { seed: 0, dataset: 'synthetic' as const, batch: 32, trainSteps: 0, trainLr: 0.1, trainBatch: 32, preset: 'cpu-small' as const };
  await queue.add('evaluate', { run: 'orphan', kind: 'evaluate', payload: { space: 'nb201', arch: ARCH, objectives: ['accuracy:trained'], settings } }, { jobId: 'orphan|0' });
  const w = spawn(process.execPath, [BIN, 'worker', '--redis', redis!.url, '--backend', 'cpu', '--lock-ms', '60000'], {
    env: { ...process.env, TSNAS_FROM_SOURCE: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  w.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<void>((r) => w.on('exit', () => r()));
  let pid: number | undefined;
  try {
    const t0 = Date.now();
    while (pid === undefined) {
      if (Date.now() - t0 > 240_000 || w.exitCode !== null) throw new Error(`no task process started: ${stderr}`);
      pid = Number(/task process (\d+):/.exec(stderr)?.[1]) || undefined;
      await new Promise((r) => setTimeout(r, 100));
    }
    // the job was sent right after the child said it was ready; let the training start
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(gone(pid), false, 'the task process runs');
    w.kill('SIGKILL');
    await exited;
    const killedAt = Date.now();
    while (!gone(pid) && Date.now() - killedAt < 5000) await new Promise((r) => setTimeout(r, 100));
    assert.ok(gone(pid), `task process ${pid} still runs 5 s after its worker was SIGKILLed`);
    assert.notEqual(await (await queue.getJob('orphan|0'))!.getState(), 'completed', 'the training was cut short, not finished');
  } finally {
    if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
    if (pid !== undefined && !gone(pid)) process.kill(pid, 'SIGKILL');
    await queue.obliterate({ force: true }).catch(() => {});
    await queue.close();
  }
});
