/**
 * Ctrl-C (SIGINT) for the remaining long commands (issue 7): `search --strategy nsga2|tnd-nas`,
 * `score --arch-file` and `correlate` stop after the current evaluation / step, keep what is done
 * in the store (trials, checkpoint), mark the run `stopped`, print how to continue and exit 0;
 * `tsnas runs resume` then ends exactly where an uninterrupted run ends. `runs show --json` shows
 * a checkpoint's size, not its blob.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store, type TrialRecord } from '../../src/store/store.js';
import { decodeState } from '../../src/cli/tracking.js';
import { Rng } from '../../src/util/rng.js';
import { MooEvaluator } from '../../src/search/moo-common.js';
import { nsga2, nsga2Steps, type Nsga2State } from '../../src/search/nsga2.js';
import { randomSearch, randomSearchSteps } from '../../src/search/random-search.js';
import { drainAsync } from '../../src/search/steps.js';
import type { ArchObjective, ObjectiveSpec } from '../../src/objectives/index.js';
import { sampleArch, type AnyArch } from '../../src/spaces/index.js';
import { nb201Available, nb201Path, nb201SkipReason } from '../helpers/bench-path.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'tsnas.js');
const tmp = (p: string) => mkdtempSync(join(tmpdir(), `tsnas-sigint-${p}-`));

interface Exit {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/** Run the CLI; send SIGINT once `ready(stderr)` holds (polled every 20 ms), `delayMs` later. */
function runAndInterrupt(args: string[], ready: (stderr: string) => boolean, delayMs = 0): Promise<Exit & { interrupted: boolean }> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let interrupted = false;
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const poll = setInterval(() => {
    if (!ready(stderr)) return;
    clearInterval(poll);
    setTimeout(() => {
      interrupted = child.kill('SIGINT');
    }, delayMs);
  }, 20);
  return new Promise((resolve) =>
    child.on('exit', (code, signal) => {
      clearInterval(poll);
      resolve({ code, signal, stdout, stderr, interrupted });
    }),
  );
}

const runToEnd = (args: string[]) => runAndInterrupt(args, () => false);

function readStore<T>(store: string, f: (s: Store) => T): T | undefined {
  if (!existsSync(store)) return undefined;
  try {
    const s = Store.open(store);
    try {
      return f(s);
    } finally {
      s.close();
    }
  } catch {
    return undefined; // busy: the CLI is writing
  }
}

/** A ready() that holds once the run has at least n trials in the store. */
const trialsAtLeast = (store: string, run: string, n: number) => () => (readStore(store, (s) => (s.getRun(run) ? s.trials(run).length : 0)) ?? 0) >= n;

const lastJson = (s: string) => JSON.parse(s.trim().split('\n').pop()!) as Record<string, unknown>;
const trials = (store: string, run: string): TrialRecord[] => readStore(store, (s) => s.trials(run)) ?? [];
const status = (store: string, run: string) => readStore(store, (s) => s.requireRun(run).status);

/** The clean stop: exit 0, the notice, one line naming how to continue, the run `stopped`, a `stopped` result. */
function assertStopped(r: Exit, store: string, run: string, what: RegExp, json = true): Record<string, unknown> {
  assert.equal(r.signal, null, `exited by itself, not killed by ${r.signal}`);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /stopping after the current step \(Ctrl-C again to quit now\)/);
  const line = r.stderr.split('\n').filter((l) => l.startsWith('stopped after'));
  assert.equal(line.length, 1, `one 'stopped after' line in: ${r.stderr}`);
  assert.match(line[0]!, what);
  assert.ok(line[0]!.includes(`continue with tsnas runs resume ${run} --store ${store} (or: the same command with --resume --run-id ${run})`), line[0]);
  assert.doesNotMatch(r.stderr, /error/i);
  assert.equal(status(store, run), 'stopped');
  // the result: the --json line, and in the store either way
  const res = json ? lastJson(r.stdout) : (readStore(store, (s) => s.requireRun(run).result) as Record<string, unknown>);
  if (json)
    assert.deepEqual(
      readStore(store, (s) => s.requireRun(run).result),
      res,
    );
  assert.equal(res['stopped'], true);
  assert.equal(res['complete'], false);
  return res;
}

// ---------------------------------------------------------------------------------------------
// Step generators (in-process): same result through drainAsync, stop after the current evaluation

const count = (a: AnyArch, pred: (op: string) => boolean) => (a.space === 'nb201' ? a.arch.ops.filter(pred).length : 0);
function custom(key: string, direction: 'min' | 'max', f: (a: AnyArch) => number): ArchObjective {
  const spec: ObjectiveSpec = { raw: key, key, kind: 'accuracy', direction };
  return { spec, key, direction, evaluate: f, violation: () => 0 };
}
const OBJS = [custom('conv3', 'max', (a) => count(a, (o) => o === 'nor_conv_3x3') + 0.1 * count(a, (o) => o === 'skip_connect')), custom('active', 'min', (a) => count(a, (o) => o !== 'none'))];

test('nsga2 and random search as step generators: drainAsync gives the synchronous result; shouldStop ends after the current evaluation and the checkpoint resumes it exactly', async () => {
  const straight = new MooEvaluator(OBJS, 300);
  const g = nsga2(straight, { space: 'nb201', seed: 5, popSize: 10 });
  const viaAsync = new MooEvaluator(OBJS, 300);
  const ga = await drainAsync(nsga2Steps(viaAsync, { space: 'nb201', seed: 5, popSize: 10 }), 0);
  assert.equal(ga.generations, g.generations);
  assert.equal(ga.stopped, undefined);
  assert.deepEqual(
    viaAsync.history.map((r) => r.arch.text),
    straight.history.map((r) => r.arch.text),
  );

  for (const k of [3, 10, 57, 299]) {
    let last: Nsga2State | undefined;
    const ev = new MooEvaluator(OBJS, 300);
    const s = await drainAsync(nsga2Steps(ev, { space: 'nb201', seed: 5, popSize: 10, shouldStop: () => ev.evaluations >= k, onCheckpoint: (st) => (last = structuredClone(st)) }), 0);
    assert.equal(s.stopped, true);
    // polled after every evaluation (and before a generation's batch is evaluated): it stops right after the k-th
    assert.equal(ev.evaluations, k, 'stopped right after the k-th evaluation');
    // what the CLI does on resume: the checkpoint's evaluations, later ones answered from the trials
    const resumed = new MooEvaluator(OBJS, 300);
    for (const r of ev.history.slice(0, last?.evaluations ?? 0)) resumed.evaluate(r.arch);
    const g2 = nsga2(resumed, { space: 'nb201', seed: 5, popSize: 10, resume: last });
    assert.equal(g2.generations, g.generations);
    assert.deepEqual(
      resumed.history.map((r) => r.arch.text),
      straight.history.map((r) => r.arch.text),
      `stopped at evaluation ${k}`,
    );
  }

  const rs = new MooEvaluator(OBJS, 50);
  randomSearch(rs, { space: 'nb201', seed: 2 });
  const rs2 = new MooEvaluator(OBJS, 50);
  assert.deepEqual(await drainAsync(randomSearchSteps(rs2, { space: 'nb201', seed: 2, shouldStop: () => rs2.evaluations >= 20 }), 0), { stopped: true });
  assert.equal(rs2.evaluations, 20);
  assert.deepEqual(
    rs2.history.map((r) => r.arch.text),
    rs.history.slice(0, 20).map((r) => r.arch.text),
  );
});

// ---------------------------------------------------------------------------------------------
// Through the CLI

test(
  'search --strategy nsga2: Ctrl-C stops after the current evaluation; tsnas runs resume ends as the uninterrupted run',
  { timeout: 240_000, skip: nb201Available ? false : nb201SkipReason },
  async () => {
    // accuracy from the table, params from the built network (slow enough to be interrupted)
    const budget = 40;
    const args = [
      'search',
      '--strategy',
      'nsga2',
      '--space',
      'nb201',
      '--bench',
      nb201Path,
      '--objectives',
      'accuracy,params',
      '--budget',
      String(budget),
      '--pop-size',
      '8',
      '--seed',
      '7',
      '--backend',
      'cpu',
      '--json',
    ];
    const dir = tmp('nsga2');
    const straightStore = join(dir, 'a.db');
    const a = await runToEnd([...args, '--store', straightStore, '--run-id', 'a']);
    assert.equal(a.code, 0, a.stderr);

    const store = join(dir, 'b.db');
    // after the initial population's checkpoint (8 trials), at a random moment of the next generation
    const s = await runAndInterrupt([...args, '--store', store, '--run-id', 'k'], trialsAtLeast(store, 'k', 8), new Rng(Date.now() % 100000).int(300));
    const res = assertStopped(s, store, 'k', /^stopped after \d+ of 40 evaluations; /);
    const done = trials(store, 'k');
    assert.ok(done.length >= 8 && done.length < budget, `stopped mid-search (${done.length} trials)`);
    assert.equal(res['evaluations'], done.length, 'every evaluation made is a trial');
    assert.deepEqual(
      done.map((t) => t.idx),
      [...done.keys()],
    );

    // runs show --json: the checkpoint's size, not its state
    const show = await runToEnd(['runs', 'show', 'k', '--store', store, '--json']);
    assert.equal(show.code, 0, show.stderr);
    const ck = (lastJson(show.stdout)['metrics'] as { scope: string; values: Record<string, unknown> }[]).find((m) => m.scope === 'checkpoint');
    assert.ok(ck, 'a checkpoint is kept');
    const bytes = readStore(store, (st) => Buffer.byteLength(st.metrics('k', 'checkpoint')[0]!.values['state'] as string));
    assert.deepEqual(ck.values, { state: { omitted: true, bytes } });

    const b = await runToEnd(['runs', 'resume', 'k', '--store', store, '--json']);
    assert.equal(b.code, 0, b.stderr);
    const ra = lastJson(a.stdout);
    const rb = lastJson(b.stdout);
    assert.deepEqual(rb['pareto'], ra['pareto'], 'same Pareto front');
    assert.deepEqual(rb['extra'], ra['extra'], 'same number of generations');
    assert.equal(rb['evaluations'], budget);
    const strip = (t: TrialRecord[]) => t.map(({ idx, arch, status: st, objectives }) => ({ idx, arch, status: st, objectives }));
    assert.deepEqual(strip(trials(store, 'k')), strip(trials(straightStore, 'a')), 'each architecture one trial, as in the uninterrupted run');
    assert.equal(status(store, 'k'), 'done');
  },
);

test(
  'search --strategy tnd-nas (supernet, tiny): Ctrl-C checkpoints inside the epoch; tsnas runs resume ends as the uninterrupted run',
  { timeout: 240_000, skip: nb201Available ? false : nb201SkipReason },
  async () => {
    const args = [
      'search',
      '--strategy',
      'tnd-nas',
      '--preset',
      'tiny',
      '--dataset',
      'synthetic',
      '--space',
      'nb201',
      '--bench',
      nb201Path,
      '--budget',
      '400',
      '--tnd-samples',
      '4',
      '--seed',
      '2',
      '--backend',
      'cpu',
    ];
    const dir = tmp('tnd');
    const straightStore = join(dir, 'a.db');
    const a = await runToEnd([...args, '--store', straightStore, '--run-id', 'a']);
    assert.equal(a.code, 0, a.stderr);

    const store = join(dir, 'b.db');
    // without --json the stage lines show when training starts: interrupt during its first epochs
    const s = await runAndInterrupt([...args, '--store', store, '--run-id', 't'], (err) => /stage 0 epoch 0:/.test(err), new Rng(Date.now() % 100000).int(200));
    assertStopped(s, store, 't', /^stopped after \d+ of 400 evaluations, supernet checkpointed; /, false);
    const state = readStore(store, (st) => decodeState<{ state: { stage: number; epoch: number; it?: number; weights: string[] } }>(st.metrics('t', 'checkpoint')[0]!.values['state'] as string).state);
    assert.ok(state, 'a checkpoint');
    assert.equal(typeof state.it, 'number', `the stop wrote its own checkpoint (stage ${state.stage}, epoch ${state.epoch}, step ${state.it})`);
    assert.ok(state.weights.length > 0, 'with the supernet weights');

    const b = await runToEnd(['runs', 'resume', 't', '--store', store]);
    assert.equal(b.code, 0, b.stderr);
    const result = (st: string, run: string) => readStore(st, (x) => ({ ...(x.requireRun(run).result as Record<string, unknown>), wall_s: 0, run: null }));
    assert.deepEqual(result(store, 't'), result(straightStore, 'a'), 'same front, α, stages and log');
    assert.equal(status(store, 't'), 'done');
    const strip = (t: TrialRecord[]) => t.map(({ idx, arch, objectives }) => ({ idx, arch, objectives }));
    assert.deepEqual(strip(trials(store, 't')), strip(trials(straightStore, 'a')));
  },
);

test('score --arch-file: Ctrl-C stops after the current architecture; tsnas runs resume scores the rest, same scores', { timeout: 240_000 }, async () => {
  const rng = new Rng(21);
  const archs = Array.from({ length: 10 }, () => sampleArch('nb201', rng).text);
  const dir = tmp('score');
  const file = join(dir, 'archs.txt');
  writeFileSync(file, `${archs.join('\n')}\n`);
  const args = ['score', '--space', 'nb201', '--arch-file', file, '--proxies', 'naswot,params', '--dataset', 'synthetic', '--batch', '16', '--seed', '2', '--backend', 'cpu', '--json'];
  const a = await runToEnd([...args, '--store', join(dir, 'a.db'), '--run-id', 'a']);
  assert.equal(a.code, 0, a.stderr);

  const store = join(dir, 'b.db');
  const s = await runAndInterrupt([...args, '--store', store, '--run-id', 's'], trialsAtLeast(store, 's', 2));
  const res = assertStopped(s, store, 's', /^stopped after \d+ of 10 architectures; /);
  const done = trials(store, 's');
  assert.ok(done.length >= 2 && done.length < archs.length, `stopped mid-pool (${done.length} scored)`);
  assert.equal(res['scored'], done.length);

  const b = await runToEnd(['runs', 'resume', 's', '--store', store, '--json']);
  assert.equal(b.code, 0, b.stderr);
  const scores = (r: Record<string, unknown>) => (r['results'] as { arch: string; scores: Record<string, number> }[]).map(({ arch, scores: sc }) => ({ arch, sc }));
  assert.deepEqual(scores(lastJson(b.stdout)), scores(lastJson(a.stdout)), 'same scores for every architecture, in file order');
  assert.deepEqual(
    trials(store, 's').map((t) => t.arch),
    archs,
    'each architecture exactly once',
  );
  assert.equal(status(store, 's'), 'done');
});

test(
  'correlate: Ctrl-C stops after the current architecture; tsnas runs resume gives the uninterrupted correlations',
  { timeout: 240_000, skip: nb201Available ? false : nb201SkipReason },
  async () => {
    const args = ['correlate', '--bench', nb201Path, '--n', '10', '--proxies', 'naswot,params', '--dataset', 'synthetic', '--batch', '16', '--seed', '4', '--backend', 'cpu', '--json'];
    const dir = tmp('corr');
    const a = await runToEnd([...args, '--store', join(dir, 'a.db'), '--run-id', 'a']);
    assert.equal(a.code, 0, a.stderr);

    const store = join(dir, 'b.db');
    const s = await runAndInterrupt([...args, '--store', store, '--run-id', 'c'], trialsAtLeast(store, 'c', 2));
    assertStopped(s, store, 'c', /^stopped after \d+ of 10 architectures; /);
    assert.ok(trials(store, 'c').length < 10, 'stopped mid-sample');

    const b = await runToEnd(['runs', 'resume', 'c', '--store', store, '--json']);
    assert.equal(b.code, 0, b.stderr);
    const pick = (r: Record<string, unknown>) => ({ n: r['n'], target: r['target'], kendall: r['kendall'], spearman: r['spearman'] });
    assert.deepEqual(pick(lastJson(b.stdout)), pick(lastJson(a.stdout)));
    const strip = (t: TrialRecord[]) => t.map(({ idx, arch, scores, objectives }) => ({ idx, arch, scores, objectives }));
    assert.deepEqual(strip(trials(store, 'c')), strip(trials(join(dir, 'a.db'), 'a')), 'each architecture one trial, same scores');
    assert.equal(status(store, 'c'), 'done');
  },
);
