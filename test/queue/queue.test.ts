/**
 * Distributed trials against a real redis-server (started here on a free port, stopped at the
 * end): results equal the local ones, each trial is stored once, through a bad job, worker
 * SIGKILLs mid-training, a coordinator SIGKILL and resume, and a Redis restart mid-run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../../src/store/store.js';
import { lastJson } from '../helpers/cli.js';
import { redisSkipReason } from '../helpers/redis.js';
import { spawnCli as cli, until, useRedisQueue } from '../helpers/queue-fixture.js';
const dir = mkdtempSync(join(tmpdir(), 'tsnas-queue-'));
const ARCHS = [
  '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|',
  '|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|',
  '|none~0|+|none~0|none~1|+|none~0|none~1|none~2|',
  '|skip_connect~0|+|nor_conv_1x1~0|nor_conv_3x3~1|+|avg_pool_3x3~0|none~1|nor_conv_3x3~2|',
  '|nor_conv_1x1~0|+|skip_connect~0|avg_pool_3x3~1|+|nor_conv_3x3~0|nor_conv_1x1~1|none~2|',
  '|nor_conv_3x3~0|+|none~0|skip_connect~1|+|nor_conv_1x1~0|avg_pool_3x3~1|skip_connect~2|',
];
const archFile = join(dir, 'archs.txt');
writeFileSync(archFile, `${ARCHS.join('\n')}\n`);
const SCORE = ['score', '--space', 'nb201', '--arch-file', archFile, '--dataset', 'synthetic', '--data-limit', '64', '--batch', '32', '--backend', 'auto', '--json'];
const NSGA2 = [
  'search',
  'nsga2',
  '--objectives',
  'accuracy:trained,params',
  '--preset',
  'tiny',
  '--dataset',
  'synthetic',
  '--budget',
  '4',
  '--pop-size',
  '2',
  '--seed',
  '1',
  '--backend',
  'auto',
  '--json',
  '--no-progress',
];

const rq = useRedisQueue();
const redis = () => rq.redis();
const queue = () => rq.queue();
const jobsOf = rq.jobsOf;

function startWorker(name: string): ReturnType<typeof cli> {
  return cli(['worker', '--redis', redis().url, '--backend', 'auto', '--name', name, '--lock-ms', '2000']);
}

async function stopWorker(w: ReturnType<typeof cli>): Promise<void> {
  if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGTERM');
  await w.done;
}

function trials(store: string, run: string): { idx: number; arch: string; scores: unknown; objectives: unknown }[] {
  const s = Store.open(store);
  try {
    return s.trials(run).map(({ idx, arch, scores, objectives }) => ({ idx, arch, scores, objectives }));
  } finally {
    s.close();
  }
}

// generous: these spawn several CLI processes that train, on a small machine shared with other work
const opts = { skip: redisSkipReason, timeout: 1_200_000 };

let localScores: ReturnType<typeof trials> | undefined;
async function reference(): Promise<ReturnType<typeof trials>> {
  if (!localScores) {
    const store = join(dir, 'local.db');
    const r = await cli([...SCORE, '--store', store, '--run-id', 'local', '--workers', '1']).done;
    assert.equal(r.code, 0, r.stderr);
    localScores = trials(store, 'local');
  }
  return localScores;
}

test('score through Redis stores what scoring here stores; a malformed or unknown job fails alone; queue status counts it', opts, async () => {
  const w = startWorker('w-score');
  try {
    await queue().add('score', { run: 'bad', kind: 'score', payload: { space: 'nb201', arch: ARCHS[0], proxies: 'naswot' } }, { jobId: 'bad|1' });
    await queue().add('shell', { run: 'bad', kind: 'shell', payload: { cmd: 'rm -rf /' } }, { jobId: 'bad|2' });
    const store = join(dir, 'remote.db');
    const r = await cli([...SCORE, '--store', store, '--run-id', 'remote', '--redis', redis().url]).done;
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(trials(store, 'remote'), await reference());
    const failed = await jobsOf('bad', 'failed');
    assert.deepEqual(failed.sort(), ['bad|1', 'bad|2']);
    const reasons = await Promise.all(failed.sort().map(async (id) => (await queue().getJob(id))!.failedReason));
    assert.match(reasons[0]!, /bad score payload: proxies/);
    assert.match(reasons[1]!, /unknown task kind "shell"/);
    const s = await cli(['queue', 'status', '--redis', redis().url, '--json']).done;
    assert.equal(s.code, 0, s.stderr);
    const status = lastJson(s.stdout) as { runs: { run: string; completed: number; failed: number }[]; workers: { name: string }[] };
    assert.equal(status.runs.find((x) => x.run === 'remote')?.completed, ARCHS.length);
    assert.equal(status.runs.find((x) => x.run === 'bad')?.failed, 2);
    assert.ok(status.workers.some((x) => x.name === 'w-score'));
  } finally {
    await stopWorker(w);
  }
});

test('a coordinator SIGKILLed mid-run and resumed collects what finished meanwhile and enqueues only what is missing', opts, async () => {
  const store = join(dir, 'killed.db');
  const c = cli([...SCORE, '--store', store, '--run-id', 'killed', '--redis', redis().url]);
  const w = startWorker('w-resume');
  try {
    await until('a first result', async () => (await jobsOf('killed', 'completed')).length >= 1);
    c.child.kill('SIGKILL');
    assert.equal((await c.done).signal, 'SIGKILL');
    // the worker goes on with the queued trials while no coordinator listens
    await until('another result', async () => (await jobsOf('killed', 'completed')).length >= 2);
    const r = await cli(['runs', 'resume', 'killed', '--store', store, '--json']).done;
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(trials(store, 'killed'), await reference());
    assert.equal((await jobsOf('killed', 'completed')).length, ARCHS.length, 'one job per trial');
  } finally {
    await stopWorker(w);
  }
});

test('Redis restarted mid-run: worker and coordinator reconnect and the run ends with the same result', opts, async () => {
  const store = join(dir, 'restart.db');
  const w = startWorker('w-restart');
  try {
    const c = cli([...SCORE, '--store', store, '--run-id', 'restart', '--redis', redis().url]);
    await until('a first result', async () => (await jobsOf('restart', 'completed')).length >= 1);
    await redis().down();
    await new Promise((r) => setTimeout(r, 1500));
    await redis().up();
    const r = await c.done;
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(trials(store, 'restart'), await reference());
  } finally {
    await stopWorker(w);
  }
});

test('NSGA-II with trained accuracy: workers SIGKILLed mid-training twice, the run equals an uninterrupted local one, each trial stored once', opts, async () => {
  const local = join(dir, 'nsga2-local.db');
  const a = await cli([...NSGA2, '--store', local, '--run-id', 'local']).done;
  assert.equal(a.code, 0, a.stderr);
  const store = join(dir, 'nsga2-remote.db');
  const c = cli([...NSGA2, '--store', store, '--run-id', 'nsga2', '--redis', redis().url]);
  let w = startWorker('w-a');
  try {
    for (const next of ['w-b', 'w-c']) {
      // kill the worker while a trained evaluation runs (its child process is training)
      await until('a job running', async () => (await jobsOf('nsga2', 'active')).length > 0);
      await new Promise((r) => setTimeout(r, 300));
      w.child.kill('SIGKILL');
      await w.done;
      w = startWorker(next);
    }
    const b = await c.done;
    assert.equal(b.code, 0, b.stderr);
    const strip = (o: Record<string, unknown>) => ({ ...o, wall_s: 0, run: null });
    assert.deepEqual(strip(lastJson(b.stdout)), strip(lastJson(a.stdout)));
    const got = trials(store, 'nsga2');
    assert.deepEqual(got, trials(local, 'local'));
    assert.equal(new Set(got.map((t) => t.arch)).size, 4);
    assert.equal((await jobsOf('nsga2', 'completed')).length, 4, 'one job per evaluation');
  } finally {
    await stopWorker(w);
  }
});

test('regularized evolution in rounds through Redis, coordinator SIGKILLed and resumed: the run equals the local one, each evaluation one job', opts, async () => {
  const EVO = [
    'search',
    'evolution',
    '--objectives',
    'accuracy:trained,params',
    '--preset',
    'tiny',
    '--dataset',
    'synthetic',
    '--budget',
    '5',
    '--pop-size',
    '2',
    '--sample-size',
    '2',
    '--round-size',
    '2',
  ];
  EVO.push('--seed', '1', '--backend', 'auto', '--json', '--no-progress');
  const local = join(dir, 'evo-local.db');
  const a = await cli([...EVO, '--store', local, '--run-id', 'local']).done;
  assert.equal(a.code, 0, a.stderr);
  const store = join(dir, 'evo-remote.db');
  const w = startWorker('w-evo');
  try {
    const c = cli([...EVO, '--store', store, '--run-id', 'evo', '--redis', redis().url]);
    // the initial population (2) is in; a round of 2 children is on the queue
    await until('a first round under way', async () => (await jobsOf('evo', 'completed')).length >= 3);
    c.child.kill('SIGKILL');
    assert.equal((await c.done).signal, 'SIGKILL', 'killed mid-run');
    const b = await cli(['runs', 'resume', 'evo', '--store', store, '--json']).done;
    assert.equal(b.code, 0, b.stderr);
    const strip = (o: Record<string, unknown>) => ({ ...o, wall_s: 0, run: null });
    assert.deepEqual(strip(lastJson(b.stdout)), strip(lastJson(a.stdout)));
    assert.deepEqual(trials(store, 'evo'), trials(local, 'local'));
    assert.equal((await jobsOf('evo', 'completed')).length, 5, 'one job per evaluation');
  } finally {
    await stopWorker(w);
  }
});
