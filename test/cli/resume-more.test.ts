/**
 * Resume for the remaining long commands (issue 7): multi-objective search and `score --arch-file`
 * killed with SIGKILL at random moments, several times, and continued with --resume end exactly
 * where an uninterrupted run with the same seed ends, each architecture one trial; NSGA-II and
 * table-mode TND-NAS checkpoints continue bit-for-bit; `train` and `dtb build` stop cleanly on
 * Ctrl-C (SIGINT) after the current step with a checkpoint, and resume to the uninterrupted result.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store, type TrialRecord } from '../../src/store/store.js';
import { Rng } from '../../src/util/rng.js';
import { buildObjectives, parseObjectives, type ArchObjective, type ObjectiveSpec } from '../../src/objectives/index.js';
import { loadNb201Table } from '../../src/benchmarks/nb201-table.js';
import { MooEvaluator } from '../../src/search/moo-common.js';
import { nsga2, type Nsga2State } from '../../src/search/nsga2.js';
import { tndNasTable, type TndTableState } from '../../src/search/tnd-nas/index.js';
import { sampleArch, type AnyArch } from '../../src/spaces/index.js';
import { runCli } from '../helpers/cli.js';
import { parseDasRule } from '../../src/proxies/index.js';
import { nb201Available, nb201Path, nb201SkipReason } from '../helpers/bench-path.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'tsnas.js');
const tmp = (p: string) => mkdtempSync(join(tmpdir(), `tsnas-${p}-`));

interface Exit {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

function spawnCli(args: string[]): { child: ChildProcess; done: Promise<Exit> } {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<Exit>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

const runToEnd = (args: string[]) => spawnCli(args).done;

function trialsOf(store: string, run: string): TrialRecord[] {
  if (!existsSync(store)) return [];
  const s = Store.open(store);
  try {
    return s.getRun(run) ? s.trials(run) : [];
  } finally {
    s.close();
  }
}

/** trialsOf while another process may be writing (or recovering) the store: -1 when it is busy. */
function trialCount(store: string, run: string): number {
  try {
    return trialsOf(store, run).length;
  } catch {
    return -1;
  }
}

/** Run, and SIGKILL it `delayMs` after the run has at least `minTrials` trials in the store. */
async function runAndKill(args: string[], store: string, run: string, minTrials: number, delayMs: number): Promise<Exit> {
  const { child, done } = spawnCli(args);
  let timer: NodeJS.Timeout | undefined;
  const poll = setInterval(() => {
    if (timer || trialCount(store, run) < minTrials) return;
    clearInterval(poll);
    timer = setTimeout(() => child.kill('SIGKILL'), delayMs);
  }, 40);
  const r = await done;
  clearInterval(poll);
  if (timer) clearTimeout(timer);
  return r;
}

const lastJson = (s: string) => JSON.parse(s.trim().split('\n').pop()!) as Record<string, unknown>;

/**
 * Kill the run at random points (random trial threshold, random delay) until it has been killed
 * `kills` times or finishes, then resume it to the end. Returns the final exit and the kill count.
 */
async function killRepeatedly(args: string[], store: string, run: string, total: number, kills: number, seed: number): Promise<{ final: Exit; killed: number; trialsAtKill: number[] }> {
  const rng = new Rng(seed);
  let killed = 0;
  const trialsAtKill: number[] = [];
  let resume: string[] = [];
  for (let attempt = 0; attempt < kills + 4 && killed < kills; attempt++) {
    const have = trialsOf(store, run).length;
    const threshold = Math.min(total - 2, have + 1 + rng.int(Math.max(1, Math.floor((total - have) / 3))));
    const r = await runAndKill([...args, ...resume], store, run, threshold, rng.int(100));
    if (r.code === 0) return { final: r, killed, trialsAtKill };
    assert.equal(r.signal, 'SIGKILL', `killed, not failed: ${r.stderr.split('\n').slice(-3).join(' | ')}`);
    killed++;
    trialsAtKill.push(trialsOf(store, run).length);
    resume = ['--resume'];
  }
  return { final: await runToEnd([...args, ...resume]), killed, trialsAtKill };
}

function assertSameTrials(store: string, run: string, straightStore: string, straightRun: string, n: number): void {
  const a = trialsOf(store, run);
  const b = trialsOf(straightStore, straightRun);
  assert.deepEqual(
    a.map((t) => t.idx),
    [...Array(n).keys()],
    'each architecture exactly once, none lost',
  );
  assert.deepEqual(
    a.map(({ idx, arch, status, objectives }) => ({ idx, arch, status, objectives })),
    b.map(({ idx, arch, status, objectives }) => ({ idx, arch, status, objectives })),
  );
  const s = Store.open(store);
  assert.equal(s.requireRun(run).status, 'done');
  assert.equal(s.listRuns().length, 1, 'resuming does not create another run');
  s.close();
}

// ---------------------------------------------------------------------------------------------
// Checkpoint state machines (in-process, no store)

const count = (a: AnyArch, pred: (op: string) => boolean) => (a.space === 'nb201' ? a.arch.ops.filter(pred).length : 0);
function custom(key: string, direction: 'min' | 'max', f: (a: AnyArch) => number): ArchObjective {
  const spec: ObjectiveSpec = { raw: key, key, kind: 'accuracy', direction };
  return { spec, key, direction, evaluate: f, violation: () => 0 };
}

/** A fresh evaluator holding the first n evaluations of `from` (what the CLI rebuilds from trials). */
function replayed(from: MooEvaluator, objs: ArchObjective[], n: number): MooEvaluator {
  const ev = new MooEvaluator(objs, from.budget);
  for (const r of from.history.slice(0, n)) ev.evaluate(r.arch);
  return ev;
}

test('nsga2: continuing from any generation checkpoint gives the uninterrupted run', () => {
  const objs = [custom('conv3', 'max', (a) => count(a, (o) => o === 'nor_conv_3x3') + 0.1 * count(a, (o) => o === 'skip_connect')), custom('active', 'min', (a) => count(a, (o) => o !== 'none'))];
  const states: Nsga2State[] = [];
  const straight = new MooEvaluator(objs, 400);
  const g = nsga2(straight, { space: 'nb201', seed: 9, popSize: 12, onCheckpoint: (s) => states.push(structuredClone(s)) });
  assert.equal(states.length, g.generations + 1, 'one checkpoint after the initial population and one per generation');
  for (const k of [0, 3, Math.floor(states.length / 2), states.length - 2]) {
    const st = states[k]!;
    const ev = replayed(straight, objs, st.evaluations);
    const g2 = nsga2(ev, { space: 'nb201', seed: 9, popSize: 12, resume: st });
    assert.equal(g2.generations, g.generations);
    assert.deepEqual(
      ev.history.map((r) => r.arch.text),
      straight.history.map((r) => r.arch.text),
      `resumed at generation ${st.generation}`,
    );
  }
  assert.throws(() => nsga2(new MooEvaluator(objs, 400), { space: 'nb201', seed: 9, popSize: 12, resume: states[3]! }), /holds 0 evaluations/);
});

test('tnd-nas (table): continuing from any α-step checkpoint gives the uninterrupted run', { skip: nb201SkipReason }, async () => {
  const table = await loadNb201Table(nb201Path);
  const objs = buildObjectives(parseObjectives('accuracy,latency:pixel3'), { space: 'nb201', table });
  const states: TndTableState[] = [];
  const straight = new MooEvaluator(objs, 100000);
  const a = tndNasTable(straight, { seed: 4, samples: 5, stepsPerStage: 6, onCheckpoint: (s) => states.push(structuredClone(s)) });
  assert.equal(states.length, 18);
  for (const k of [0, 5, 6, 11, 16]) {
    const st = states[k]!;
    const ev = replayed(straight, objs, st.evaluations);
    const b = tndNasTable(ev, { seed: 4, samples: 5, stepsPerStage: 6, resume: structuredClone(st) });
    assert.deepEqual(b.policy.alpha, a.policy.alpha, `α after resuming at step ${k}`);
    assert.deepEqual(b.log, a.log);
    assert.deepEqual(b.stages, a.stages);
    assert.equal(b.argmax, a.argmax);
    assert.deepEqual(
      ev.history.map((r) => r.arch.text),
      straight.history.map((r) => r.arch.text),
    );
  }
});

// ---------------------------------------------------------------------------------------------
// SIGKILL and --resume through the CLI

test('search --strategy nsga2 killed by SIGKILL several times and resumed equals the uninterrupted run', { timeout: 300_000, skip: nb201Available ? false : nb201SkipReason }, async () => {
  // accuracy from the table, params from the built network (slow enough to be killed mid-search)
  const budget = 48;
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
  const straightStore = join(tmp('nsga2-a'), 's.db');
  const a = await runToEnd([...args, '--store', straightStore, '--run-id', 'a']);
  assert.equal(a.code, 0, a.stderr);
  const store = join(tmp('nsga2-b'), 's.db');
  const { final, killed, trialsAtKill } = await killRepeatedly([...args, '--store', store, '--run-id', 'k'], store, 'k', budget, 3, Date.now() % 100000);
  assert.equal(final.code, 0, final.stderr);
  assert.ok(killed >= 2, `killed at least twice (${killed}: at ${trialsAtKill.join(', ')} trials)`);
  const ra = lastJson(a.stdout);
  const rb = lastJson(final.stdout);
  assert.deepEqual(rb['pareto'], ra['pareto'], 'same Pareto front');
  assert.equal(rb['evaluations'], budget);
  assert.deepEqual(rb['extra'], ra['extra'], 'same number of generations');
  assertSameTrials(store, 'k', straightStore, 'a', budget);

  // `tsnas runs resume` of a finished run refuses; --resume with other settings is refused and leaves the run as it was
  const other = await runCli([...args, '--store', store, '--run-id', 'k', '--resume', '--pop-size', '12']);
  assert.equal(other.code, 2);
  assert.match(other.stderr, /--resume: run 'k' was started with other settings \(popSize: 8 then, 12 now\)/);
  const nothing = await runCli([...args, '--store', store, '--run-id', 'nope', '--resume']);
  assert.match(nothing.stderr, /--resume: no run 'nope'/);
  const s = Store.open(store);
  assert.equal(s.requireRun('k').status, 'done', 'a refused resume does not touch the run');
  assert.deepEqual(
    s.listRuns().map((r) => r.id),
    ['k'],
    'a refused resume adds no run',
  );
  s.close();
});

test('search --strategy tnd-nas --table-accuracy: tsnas runs resume after a kill equals the uninterrupted run', { timeout: 300_000, skip: nb201Available ? false : nb201SkipReason }, async () => {
  const args = [
    'search',
    '--strategy',
    'tnd-nas',
    '--table-accuracy',
    '--space',
    'nb201',
    '--bench',
    nb201Path,
    '--objectives',
    'accuracy,params',
    '--budget',
    '28',
    '--tnd-samples',
    '4',
    '--seed',
    '3',
    '--backend',
    'cpu',
    '--json',
  ];
  const straightStore = join(tmp('tnd-a'), 's.db');
  const a = await runToEnd([...args, '--store', straightStore, '--run-id', 'a']);
  assert.equal(a.code, 0, a.stderr);
  const store = join(tmp('tnd-b'), 's.db');
  const k = await runAndKill([...args, '--store', store, '--run-id', 't'], store, 't', 6, 0);
  let final: Exit;
  if (k.code === 0)
    final = k; // finished before the kill landed (a slow poll): still compared below
  else {
    assert.equal(k.signal, 'SIGKILL');
    final = await runToEnd(['runs', 'resume', 't', '--store', store, '--json']);
  }
  assert.equal(final.code, 0, final.stderr);
  const ra = lastJson(a.stdout);
  const rb = lastJson(final.stdout);
  assert.deepEqual(rb['pareto'], ra['pareto']);
  assert.deepEqual((rb['extra'] as Record<string, unknown>)['alpha'], (ra['extra'] as Record<string, unknown>)['alpha'], 'same final α');
  assertSameTrials(store, 't', straightStore, 'a', ra['evaluations'] as number);
});

/**
 * Run `args` as run 't' in a store under `dir`, SIGKILL it at a random moment after its first
 * checkpoint, resume it (`runs resume`), and check the result and the trials equal the
 * uninterrupted run 'a' in `straightStore` (result `ra`).
 */
async function killAfterCheckpointAndResume(args: string[], dir: string, straightStore: string, ra: Record<string, unknown>): Promise<void> {
  const store = join(dir, 's.db');
  const checkpointed = () => {
    try {
      const s = Store.open(store);
      const n = s.getRun('t') ? s.metrics('t', 'checkpoint').length : 0;
      s.close();
      return n > 0;
    } catch {
      return false;
    }
  };
  const { child, done } = spawnCli([...args, '--store', store, '--run-id', 't']);
  const delay = new Rng(Date.now() % 100000).int(1500);
  const poll = setInterval(() => {
    if (!existsSync(store) || !checkpointed()) return;
    clearInterval(poll);
    setTimeout(() => child.kill('SIGKILL'), delay);
  }, 50);
  const k = await done;
  clearInterval(poll);
  let final = k;
  if (k.code !== 0) {
    assert.equal(k.signal, 'SIGKILL');
    final = await runToEnd(['runs', 'resume', 't', '--store', store, '--json']);
  }
  assert.equal(final.code, 0, final.stderr);
  const strip = (r: Record<string, unknown>) => ({ ...r, wall_s: 0, run: null });
  assert.deepEqual(strip(lastJson(final.stdout)), strip(ra), 'same front, α, stages and log');
  assertSameTrials(store, 't', straightStore, 'a', ra['evaluations'] as number);
}

test(
  'search --strategy tnd-nas (supernet, tiny): killed after an epoch checkpoint, resumed equals the uninterrupted run',
  { timeout: 300_000, skip: nb201Available ? false : nb201SkipReason },
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
      '--json',
    ];
    const straightStore = join(tmp('tnds-a'), 's.db');
    const a = await runToEnd([...args, '--store', straightStore, '--run-id', 'a']);
    assert.equal(a.code, 0, a.stderr);
    await killAfterCheckpointAndResume(args, tmp('tnds-b'), straightStore, lastJson(a.stdout));
  },
);

test('search --strategy tnd-nas --space darts (supernet, tiny, partial channels): killed after an epoch checkpoint, resumed equals the uninterrupted run', { timeout: 600_000 }, async () => {
  const args = [
    'search',
    '--strategy',
    'tnd-nas',
    '--space',
    'darts',
    '--objectives',
    'accuracy:supernet,params',
    '--preset',
    'tiny',
    '--partial-channels',
    '2',
    '--dataset',
    'synthetic',
    '--budget',
    '400',
    '--tnd-samples',
    '3',
    '--seed',
    '4',
    '--backend',
    'cpu',
    '--json',
  ];
  const straightStore = join(tmp('tndd-a'), 's.db');
  const a = await runToEnd([...args, '--store', straightStore, '--run-id', 'a']);
  assert.equal(a.code, 0, a.stderr);
  const ra = lastJson(a.stdout);
  assert.equal(ra['space'], 'darts');
  assert.deepEqual(
    ((ra['extra'] as Record<string, unknown>)['stages'] as { keep: number }[]).map((s) => s.keep),
    [7, 5, 3],
  );
  for (const p of ra['pareto'] as { arch: string }[]) assert.match(p.arch, /^Genotype\(normal=\[/);
  await killAfterCheckpointAndResume(args, tmp('tndd-b'), straightStore, ra);
});

test('score --arch-file killed by SIGKILL several times and resumed scores each architecture once, same scores', { timeout: 300_000 }, async () => {
  const rng = new Rng(11);
  const archs = Array.from({ length: 12 }, () => sampleArch('nb201', rng).text);
  const dir = tmp('score');
  const file = join(dir, 'archs.txt');
  writeFileSync(file, `# pool\n${archs.join('\n')}\n`);
  const args = ['score', '--space', 'nb201', '--arch-file', file, '--proxies', 'naswot,params', '--dataset', 'synthetic', '--batch', '16', '--seed', '2', '--backend', 'cpu', '--json'];
  const straightStore = join(dir, 'a.db');
  const a = await runToEnd([...args, '--store', straightStore, '--run-id', 'a']);
  assert.equal(a.code, 0, a.stderr);
  const store = join(dir, 'b.db');
  const { final, killed } = await killRepeatedly([...args, '--store', store, '--run-id', 's'], store, 's', archs.length, 3, (Date.now() % 100000) + 1);
  assert.equal(final.code, 0, final.stderr);
  assert.ok(killed >= 2, `killed at least twice (${killed})`);
  const strip = (r: Record<string, unknown>) => (r['results'] as { arch: string; scores: Record<string, number> }[]).map(({ arch, scores }) => ({ arch, scores }));
  assert.deepEqual(strip(lastJson(final.stdout)), strip(lastJson(a.stdout)), 'same scores for every architecture, in file order');
  const t = trialsOf(store, 's');
  assert.deepEqual(
    t.map((x) => x.idx),
    [...archs.keys()],
    'each architecture exactly once',
  );
  assert.deepEqual(
    t.map((x) => x.arch),
    archs,
  );
  // other settings are refused
  const other = await runCli([...args, '--store', store, '--run-id', 's', '--resume', '--batch', '32']);
  assert.equal(other.code, 2);
  assert.match(other.stderr, /other settings \(batch: 16 then, 32 now\)/);
});

// ---------------------------------------------------------------------------------------------
// Ctrl-C (SIGINT): stop after the current step with a checkpoint, then resume

const ARCH = '|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|';
const TRAIN = [
  '--space',
  'nb201',
  '--dataset',
  'synthetic',
  '--image-size',
  '8',
  '--train-limit',
  '300',
  '--test-limit',
  '50',
  '--C',
  '4',
  '--N',
  '1',
  '--epochs',
  '3',
  '--batch',
  '10',
  '--cutout',
  '2',
  '--backend',
  'wasm',
  '--seed',
  '5',
  '--json',
  '--no-progress',
];
const curves = (dir: string) => (JSON.parse(readFileSync(join(dir, 'curves.json'), 'utf8')) as Record<string, number>[]).map(({ epoch_s: _e, wall_s: _w, num_tensors: _n, ...r }) => r);

/** Start, send SIGINT `delayMs` after `ready` exists; retry with a shorter delay when it finished first. */
async function interrupt(args: string[], ready: string, delays: number[], outDir: string): Promise<Exit> {
  let last: Exit | undefined;
  for (const delayMs of delays) {
    // each try starts clean: a ready file left by the previous try would fire the signal at start-up
    rmSync(outDir, { recursive: true, force: true });
    const { child, done } = spawnCli(args);
    const poll = setInterval(() => {
      if (!existsSync(ready)) return;
      clearInterval(poll);
      setTimeout(() => child.kill('SIGINT'), delayMs);
    }, 20);
    last = await done;
    clearInterval(poll);
    if (/"stopped":true/.test(last.stdout)) return last;
    // Too late: the run finished before the signal (exit 0), or finished its loop and was in its
    // teardown, outside the graceful section, where Ctrl-C keeps Node's default (killed by SIGINT):
    // try again with a shorter delay. Anything else is the answer.
    if (!(last.code === 0 || last.signal === 'SIGINT')) return last;
  }
  return last!;
}

test('train: Ctrl-C stops after the current step with a checkpoint; tsnas runs resume finishes it exactly', { timeout: 300_000 }, async () => {
  const straight = tmp('train-a');
  const a = await runToEnd(['train', '--arch', ARCH, ...TRAIN, '--out', straight]);
  assert.equal(a.code, 0, a.stderr);
  const out = tmp('train-b');
  const rng = new Rng(Date.now() % 100000);
  const s = await interrupt(['train', '--arch', ARCH, ...TRAIN, '--out', out, '--run-id', 'tr'], join(out, 'config.json'), [300 + rng.int(1500), 200, 50, 0], out);
  assert.ok(s.code === 0 || s.code === 130, `exit status ${s.code} (${s.signal})`);
  assert.match(s.stderr, /stopping after the current step/);
  assert.match(s.stderr, /stopped (at step \d+ of \d+ in epoch \d|after epoch \d).*continue with the same command and --resume \(or: tsnas runs resume tr /);
  assert.doesNotMatch(s.stderr, /error/i);
  const r = lastJson(s.stdout);
  assert.equal(r['stopped'], true);
  assert.equal(r['complete'], false);
  assert.ok(existsSync(join(out, 'checkpoint.ckpt')), 'checkpoint present');
  const st = Store.open(join(out, 'tsnas.db'));
  assert.equal(st.requireRun('tr').status, 'stopped');
  st.close();

  const b = await runToEnd(['runs', 'resume', 'tr', '--store', join(out, 'tsnas.db'), '--json']);
  assert.equal(b.code, 0, b.stderr);
  const ra = lastJson(a.stdout);
  const rb = lastJson(b.stdout);
  for (const k of ['epochs', 'complete', 'train_acc', 'test_acc', 'train_loss', 'test_loss']) assert.equal(rb[k], ra[k], k);
  assert.deepEqual(curves(out), curves(straight), 'every epoch identical to the uninterrupted run');
  const st2 = Store.open(join(out, 'tsnas.db'));
  assert.equal(st2.requireRun('tr').status, 'done');
  st2.close();
});

test('dtb build: Ctrl-C stops inside an architecture with a checkpoint; rerunning finishes the same benchmark', { timeout: 300_000 }, async () => {
  const args = [
    'dtb',
    'build',
    '--space',
    'nb201',
    '--archs',
    '2',
    '--dataset',
    'synthetic',
    '--image-size',
    '8',
    '--train-limit',
    '200',
    '--test-limit',
    '40',
    '--epochs',
    '2',
    '--batch',
    '10',
    '--backend',
    'wasm',
    '--seed',
    '1',
    '--json',
    '--no-progress',
  ];
  const straight = tmp('dtb-a');
  assert.equal((await runToEnd([...args, '--out', straight])).code, 0);
  const out = tmp('dtb-b');
  const s = await interrupt([...args, '--out', out], join(out, 'runs', '0000', 'config.json'), [100, 0], out);
  assert.ok(s.code === 0 || s.code === 130, `exit status ${s.code} (${s.signal})`);
  assert.match(s.stderr, /stopped (in|before) architecture \d.*continue with the same command/);
  assert.equal(lastJson(s.stdout)['complete'], false);
  const b = await runToEnd([...args, '--out', out, '--resume']);
  assert.equal(b.code, 0, b.stderr);
  assert.equal(lastJson(b.stdout)['complete'], true);
  const epochs = (d: string) =>
    [0, 1].map((i) =>
      (JSON.parse(readFileSync(join(d, 'runs', String(i).padStart(4, '0'), 'result.json'), 'utf8')) as { epochs: Record<string, number>[] }).epochs.map(({ epoch_s: _e, wall_s: _w, ...r }) => r),
    );
  assert.deepEqual(epochs(out), epochs(straight), 'every architecture and epoch identical to the uninterrupted build');
});

test(
  'a resumed scoring run records the DAS rule: scores made under another default rule are not reused; correlate checks its settings',
  { skip: nb201Available ? false : nb201SkipReason },
  async () => {
    const dir = tmp('dasrule');
    const store = join(dir, 's.db');
    const arch = '|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|avg_pool_3x3~0|none~1|nor_conv_3x3~2|';
    const args = [
      'score',
      '--space',
      'nb201',
      '--arch',
      arch,
      '--proxies',
      'naswot,das',
      '--dataset',
      'synthetic',
      '--batch',
      '8',
      '--data-limit',
      '32',
      '--backend',
      'cpu',
      '--json',
      '--store',
      store,
      '--run-id',
      'd',
    ];
    const first = await runCli(args);
    assert.equal(first.code, 0, first.stderr);
    const s = Store.open(store);
    const settings = s.metrics('d', 'resume-settings')[0]!.values;
    assert.deepEqual(settings['dasRules'], { das: parseDasRule('das').name });
    // the same run as an older tsnas would have stored it, when `das` was another rule
    s.putMetrics('d', 'resume-settings', 0, { ...settings, dasRules: { das: 'das:kernel=perlayer,lambda=0.5,active=10' } });
    s.close();
    const again = await runCli([...args, '--resume']);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /other settings \(dasRules: .*lambda=0\.5,active=10"\} then, .*conn=.*now\)/);
    // correlate --resume compares settings too
    const corr = [
      'correlate',
      '--space',
      'nb201',
      '--bench',
      nb201Path,
      '--proxies',
      'naswot',
      '--n',
      '3',
      '--seed',
      '1',
      '--dataset',
      'synthetic',
      '--batch',
      '8',
      '--data-limit',
      '32',
      '--backend',
      'cpu',
      '--json',
      '--store',
      store,
      '--run-id',
      'c',
    ];
    assert.equal((await runCli(corr)).code, 0);
    const other = await runCli([...corr, '--resume', '--batch', '16']);
    assert.equal(other.code, 2);
    assert.match(other.stderr, /other settings \(batch: 8 then, 16 now\)/);
    const same = await runCli([...corr, '--resume']);
    assert.equal(same.code, 0, same.stderr);
  },
);
