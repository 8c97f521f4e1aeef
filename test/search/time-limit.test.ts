/**
 * `--time-limit`: a multi-objective search starts no new generation or batch once the run's wall
 * clock (over all its sessions) passes the limit. The clock is Date's, mocked here: every
 * evaluation of the `tick` objective costs exactly one virtual second, so the counts are exact.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { mock } from 'node:test';
import { registerObjective, unregisterObjective } from '../../src/objectives/registry.js';
import { search } from '../../src/search/search.js';
import { Run } from '../../src/store/run.js';
import { Store } from '../../src/store/store.js';
import { parseDuration } from '../../src/util/flag-parsers.js';

let ticks = 0;
let abortAt = 0;
let ac = new AbortController();

test.before(() => {
  mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
  const evaluate = () => {
    mock.timers.tick(1000);
    if (++ticks === abortAt) ac.abort();
    return ticks % 7;
  };
  registerObjective({ name: 'tick', direction: 'min', evaluate });
  // TND-NAS's first objective is one to maximise
  registerObjective({ name: 'tickup', direction: 'max', evaluate });
});
test.after(() => {
  unregisterObjective('tick');
  unregisterObjective('tickup');
  mock.timers.reset();
});

const base = { space: 'nb201', objectives: 'params,tick', budget: 500, seed: 3 };

test('parseDuration reads seconds, minutes and hours, and names the flag on bad input', () => {
  assert.equal(parseDuration('90s', 'time-limit'), 90);
  assert.equal(parseDuration('20m', 'time-limit'), 1200);
  assert.equal(parseDuration('1.5h', 'time-limit'), 5400);
  assert.equal(parseDuration('300', 'time-limit'), 300);
  for (const bad of ['', 'abc', '0', '-5m', '5d', '1e3'])
    assert.throws(
      () => parseDuration(bad, 'time-limit'),
      (e: Error) => e.message === `--time-limit must be a positive duration such as 90s, 20m or 1.5h, got '${bad}'`,
    );
});

test('random search stops at the limit, and its evaluations are a prefix of the unlimited run', async () => {
  const full = await search('random', { ...base, budget: 12 });
  ticks = 0;
  const limited = await search('random', { ...base, budget: 12, timeLimit: '5s' });
  assert.equal(limited.evaluations, 5, 'five one-second evaluations reach the 5 s limit');
  assert.equal(limited['ended_by'], 'time-limit');
  assert.equal(limited['time_limit_s'], 5);
  assert.equal(full['ended_by'], 'budget');
  const firsts = (r: typeof full) => (r.pareto ?? []).filter((p) => p.evaluation <= 5).map((p) => p.arch);
  assert.deepEqual(firsts(limited), firsts(full), 'the same architectures in the same order');
});

test('NSGA-II finishes the generation it started: evaluations are whole generations', async () => {
  ticks = 0;
  const r = await search('nsga2', { ...base, popSize: 4, timeLimit: '6s' });
  // initial population at 0–4 s, generation 2 starts at 4 s < 6 s and ends at 8 s: no third
  assert.equal(r.evaluations, 8);
  assert.equal(r['ended_by'], 'time-limit');
});

test('evolution stops at the limit; without one it runs to its budget', async () => {
  ticks = 0;
  const r = await search('evolution', { ...base, popSize: 4, timeLimit: '7s' });
  assert.equal(r.evaluations, 7);
  assert.equal(r['ended_by'], 'time-limit');
  const b = await search('evolution', { ...base, popSize: 4, budget: 9 });
  assert.equal(b.evaluations, 9);
  assert.equal(b['ended_by'], 'budget');
});

test("the clock is the run's: a stopped run resumes with the seconds it had already spent", async () => {
  const store = join(mkdtempSync(join(tmpdir(), 'tsnas-time-')), 't.db');
  const o = { ...base, popSize: 4, timeLimit: '10s' };
  ticks = 0;
  abortAt = 6; // stop during generation 2
  ac = new AbortController();
  const run1 = Run.open({ store, id: 't', command: 'search', config: { strategy: 'nsga2' } });
  const stopped = await search('nsga2', o, { run: run1, signal: ac.signal });
  run1.finish({ stopped: true });
  assert.equal(stopped.stopped, true);
  abortAt = 0;
  const run2 = Run.open({ store, id: 't', command: 'search', resume: true });
  const resumed = await search('nsga2', { ...o, resume: true }, { run: run2 });
  run2.finish();
  // an uninterrupted run: generations end at 4, 8, 12 s (12 ≥ 10 ends it); the resumed one replays
  // the checkpoint at 4 s (free) and continues the clock from the last stored second
  const straight = await search('nsga2', o);
  assert.equal(straight.evaluations, 12);
  assert.equal(resumed['ended_by'], 'time-limit');
  // (a clock restarted at 0 would run one more generation: 16)
  assert.equal(resumed.evaluations, straight.evaluations, "the first session's seconds count");
  const s = Store.open(store);
  assert.equal(s.trials('t').length, resumed.evaluations);
  s.close();
});

test('a bad --time-limit is refused before anything is stored', async () => {
  const store = join(mkdtempSync(join(tmpdir(), 'tsnas-time-')), 'b.db');
  const run = Run.open({ store, id: 'b', command: 'search', config: { strategy: 'random' } });
  await assert.rejects(search('random', { ...base, timeLimit: '10 days' }, { run }), /--time-limit must be a positive duration/);
  run.finish({ error: new Error('x') });
  const s = Store.open(store);
  assert.equal(s.trials('b').length, 0);
  s.close();
});

test("TND-NAS over a space's decisions stops after the α step during which the limit passed", async () => {
  ticks = 0;
  const r = await search('tnd-nas', { ...base, space: 'darts', objectives: 'tickup,params', tndSamples: 3, timeLimit: '5s' });
  // α steps of 3 samples: 3 s, 6 s (≥ 5: the last); repeated samples cost no tick, so at most 6
  assert.equal(r['ended_by'], 'time-limit');
  assert.ok(r.evaluations >= 5 && r.evaluations <= 6, `${r.evaluations} evaluations`);
});
