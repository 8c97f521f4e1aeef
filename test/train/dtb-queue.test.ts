/**
 * `tsnas dtb build --redis` against a real redis-server: the architectures train on a worker, the
 * records equal a local build's, each is written once, and rerunning the command (after
 * --stop-after, after a SIGKILL of the coordinator) collects and finishes the rest.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastJson } from '../helpers/cli.js';
import { redisSkipReason } from '../helpers/redis.js';
import { spawnCli as cli, until, useRedisQueue } from '../helpers/queue-fixture.js';
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

const rq = useRedisQueue();

const resultFile = (out: string, i: number) => join(out, 'runs', String(i).padStart(4, '0'), 'result.json');

/** The records of a build without their timings (which differ from run to run). */
function records(out: string): unknown[] {
  return Array.from({ length: ARCHS }, (_, i) => {
    const r = JSON.parse(readFileSync(resultFile(out, i), 'utf8')) as { epochs: Record<string, number>[] };
    return { ...r, epochs: r.epochs.map(({ epoch_s: _e, wall_s: _w, ...rest }) => rest) };
  });
}

/** How many of a queue run's jobs are in a state. */
const jobsOf = async (run: string, state: 'completed' | 'waiting') => (await rq.jobsOf(run, state)).length;

test('dtb build --redis: records equal a local build, each written once; --stop-after and a SIGKILLed coordinator resume by rerunning', { skip: redisSkipReason, timeout: 1_200_000 }, async () => {
  const local = join(dir, 'local');
  const a = await cli(build(local)).done;
  assert.equal(a.code, 0, a.stderr);

  const out = join(dir, 'remote');
  const startWorker = () => cli(['worker', '--redis', rq.redis().url, '--backend', 'auto', '--lock-ms', '2000']);
  const stopWorker = async (w: ReturnType<typeof cli>) => {
    if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGTERM');
    await w.done;
  };
  let w = startWorker();
  try {
    const first = await cli(build(out, ['--redis', rq.redis().url, '--stop-after', '1'])).done;
    assert.equal(first.code, 0, first.stderr);
    const r1 = lastJson(first.stdout);
    assert.equal(r1['done'], 1);
    assert.equal(r1['complete'], false);
    const run = r1['queue_run'] as string;
    const written = statSync(resultFile(out, 0)).mtimeMs;
    await stopWorker(w);

    // no worker: the rerun enqueues the other two and waits; killed, it leaves them queued
    const second = cli(build(out, ['--redis', rq.redis().url]));
    await until('two jobs waiting', async () => (await jobsOf(run, 'waiting')) === 2);
    second.child.kill('SIGKILL');
    assert.equal((await second.done).signal, 'SIGKILL');
    // a worker trains them while no coordinator listens; the next rerun collects them
    w = startWorker();
    await until('both trained', async () => (await jobsOf(run, 'completed')) === ARCHS);
    const third = await cli(build(out, ['--redis', rq.redis().url])).done;
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
