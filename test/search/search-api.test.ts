/**
 * The strategy interface as a library user meets it: search() with validated options, one result
 * shape (checked against the schema for every strategy, through the CLI's --json too), a stop
 * signal, a Run for resume, a strategy registered by the user, and per-strategy --help.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { z } from 'zod';
import { searchResultSchema } from '../../src/search/result.js';
import { getStrategy, listStrategies, registerStrategy } from '../../src/search/registry.js';
import { search } from '../../src/search/search.js';
import { baseSearchOptions, type SearchStrategy } from '../../src/search/strategy.js';
import { sampleArch } from '../../src/spaces/index.js';
import { Run } from '../../src/store/run.js';
import { Store } from '../../src/store/store.js';
import { Rng } from '../../src/util/rng.js';
import { registerObjective, unregisterObjective } from '../../src/objectives/registry.js';
import { lastJson, runCli } from '../helpers/cli.js';
import { nb201Path, nb201SkipReason } from '../helpers/bench-path.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'tsnas-api-'));

test('every built-in strategy is registered once, under its CLI name', () => {
  assert.deepEqual(
    listStrategies()
      .map((s) => s.name)
      .slice(0, 10),
    ['naswot', 'darts', 'darts2', 'single-darts', 'pc-darts', 'ms-darts', 'nsga2', 'random', 'tnd-nas', 'evolution'],
  );
  assert.throws(() => getStrategy('aging'), /unknown --strategy 'aging' \(known: naswot, darts/);
  assert.throws(() => registerStrategy(getStrategy('nsga2')), /already registered/);
});

test('search(): options are validated by the strategy schema, with the option named', async () => {
  await assert.rejects(search('naswot', { n: 0 }), /naswot: n: /);
  await assert.rejects(search('naswot', { nn: 3 }), /naswot: unknown option nn/);
  await assert.rejects(search('nsga2', { popSize: 'x' }), /nsga2: popSize: /);
  await assert.rejects(search('nope'), /unknown --strategy 'nope'/);
});

test('search(): naswot on synthetic data gives a result of the schema; the same seed gives the same pick', async () => {
  const o = { n: 3, batch: 16, dataset: 'synthetic', backend: 'cpu', workers: 1, seed: 2 };
  const a = await search('naswot', o);
  assert.equal(searchResultSchema.safeParse(a).success, true, JSON.stringify(searchResultSchema.safeParse(a).error?.issues));
  assert.equal(a.strategy, 'naswot');
  assert.equal(a.stopped, false);
  assert.equal(a.evaluations, 3);
  assert.equal(a.run, null);
  const b = await search('naswot', o);
  assert.equal(b.genotype, a.genotype);
  assert.equal(b['score'], a['score']);
});

test('search(): an aborted signal stops after the current evaluation with a stopped result; a Run resumes it to the uninterrupted result', { skip: nb201SkipReason }, async () => {
  const o = { space: 'nb201', bench: nb201Path, objectives: 'accuracy,params,counter', budget: 30, popSize: 6, seed: 4 };
  let evals = 0;
  let abortAt = 0;
  const ac = new AbortController();
  // a user objective that also pulls the plug at the 12th evaluation (constant value: it moves nothing)
  registerObjective({ name: 'counter', direction: 'min', evaluate: () => (++evals === abortAt && ac.abort(), 0) });
  try {
    const straight = await search('nsga2', o);
    const store = join(tmp(), 'api.db');
    evals = 0;
    abortAt = 12;
    const run1 = Run.open({ store, id: 'r', command: 'search', config: { strategy: 'nsga2' } });
    const stopped = await search('nsga2', o, { run: run1, signal: ac.signal });
    run1.finish({ stopped: true });
    assert.equal(stopped.stopped, true);
    assert.equal(stopped.complete, false);
    assert.equal(stopped.evaluations, 12);
    assert.ok(searchResultSchema.safeParse(stopped).success);
    const run2 = Run.open({ store, id: 'r', command: 'search', resume: true });
    const resumed = await search('nsga2', { ...o, resume: true }, { run: run2 });
    run2.setResult(resumed);
    run2.finish();
    assert.equal(resumed.stopped, false);
    assert.deepEqual(resumed.pareto, straight.pareto);
    const s = Store.open(store);
    assert.equal(s.trials('r').length, 30, 'each architecture one trial');
    assert.equal(s.requireRun('r').status, 'done');
    s.close();
  } finally {
    unregisterObjective('counter');
  }
});

test('a strategy written by the user is registered with one line and runs through search() and the CLI', async () => {
  const options = baseSearchOptions.extend({ k: z.number().int().min(1).default(2).describe('samples') });
  const first: SearchStrategy<z.output<typeof options>> = {
    name: 'first-sample',
    summary: 'returns the first of k uniform samples (a test strategy)',
    options,
    async run(ctx, o) {
      const rng = new Rng(o.seed);
      const archs = Array.from({ length: o.k }, () => sampleArch(o.space, rng));
      ctx.log(`sampled ${o.k}`);
      return { strategy: 'first-sample', space: o.space, seed: o.seed, stopped: false, complete: true, genotype: archs[0]!.text, evaluations: o.k, wall_s: 0, bench: null, run: ctx.run?.id ?? null };
    },
  };
  registerStrategy(first);
  const r = await search('first-sample', { k: 3, seed: 1 });
  assert.equal(r.genotype, sampleArch('nb201', new Rng(1)).text);
  const cli = await runCli(['search', 'first-sample', '--k', '3', '--seed', '1', '--store', join(tmp(), 's.db'), '--json']);
  assert.equal(cli.code, 0, cli.stderr);
  assert.equal(lastJson(cli.stdout)['genotype'], r.genotype);
  const help = await runCli(['search', 'first-sample', '--help']);
  assert.match(help.stdout, /--k <n>\s+samples/);
});

test('CLI: each strategy --help lists only the flags it reads', async () => {
  const help = async (s: string) => (await runCli(['search', s, '--help'])).stdout;
  const nsga2 = await help('nsga2');
  assert.match(nsga2, /--pop-size/);
  assert.match(nsga2, /--objectives/);
  assert.doesNotMatch(nsga2, /--epochs|--arch-lr|--tnd-samples|--proxy /);
  const darts = await help('darts');
  assert.match(darts, /--epochs/);
  assert.match(darts, /--preset <name>\s+cpu-small/);
  assert.doesNotMatch(darts, /--pop-size|--objectives|--budget/);
  const naswot = await help('naswot');
  assert.match(naswot, /--n <n>/);
  assert.doesNotMatch(naswot, /--epochs|--pop-size|--budget/);
  // --strategy NAME is the same command
  assert.equal((await runCli(['search', '--strategy', 'naswot', '--help'])).stdout, naswot);
});

test('CLI: the --json line of every multi-objective and training-free strategy matches the result schema', { skip: nb201SkipReason, timeout: 300_000 }, async () => {
  const store = join(tmp(), 'cli.db');
  const common = ['--space', 'nb201', '--bench', nb201Path, '--store', store, '--json', '--backend', 'cpu'];
  const runs: string[][] = [
    ['naswot', '--n', '2', '--batch', '8', '--dataset', 'synthetic', '--workers', '1'],
    ['nsga2', '--objectives', 'accuracy,params', '--budget', '12', '--pop-size', '4'],
    ['random', '--objectives', 'accuracy,latency:pixel3', '--budget', '8'],
    ['tnd-nas', '--table-accuracy', '--objectives', 'accuracy,params', '--budget', '8', '--tnd-samples', '4'],
    ['single-darts', '--preset', 'tiny', '--epochs', '1', '--dataset', 'synthetic', '--data-limit', '64'],
  ];
  for (const args of runs) {
    const r = await runCli(['search', ...args, ...common]);
    assert.equal(r.code, 0, `${args[0]}: ${r.stderr}`);
    const j = lastJson(r.stdout);
    const parsed = searchResultSchema.safeParse(j);
    assert.equal(parsed.success, true, `${args[0]}: ${JSON.stringify(parsed.error?.issues)}`);
    assert.equal(j['strategy'], args[0]);
    assert.equal(typeof j['genotype'], 'string');
  }
});

test('CLI: --config FILE may name the strategy (strategy: nsga2) and sets its flags; a key the strategy lacks is refused', { skip: nb201SkipReason }, async () => {
  const dir = tmp();
  const cfg = join(dir, 'search.yaml');
  writeFileSync(cfg, `strategy: nsga2\nbudget: 12\npop-size: 4\nobjectives: accuracy,params\nbench: ${nb201Path}\n`);
  const r = await runCli(['search', '--config', cfg, '--store', join(dir, 's.db'), '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = lastJson(r.stdout);
  assert.equal(j['strategy'], 'nsga2');
  assert.equal(j['evaluations'], 12);
  writeFileSync(cfg, 'strategy: nsga2\nepochs: 3\n');
  const bad = await runCli(['search', '--config', cfg, '--store', join(dir, 's.db')]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /'epochs': unknown key for 'nsga2'/);
});
