import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Store, STORE_SCHEMA_VERSION } from '../../src/store/store.js';
import { Run } from '../../src/store/run.js';
import { TsnasError } from '../../src/util/errors.js';
import { runCli, lastJson } from '../helpers/cli.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'tsnas-store-'));
const BEST = '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|';

test('store keeps runs, trials (no duplicates on re-record), metrics and artifacts', () => {
  const path = join(tmp(), 'a', 'tsnas.db');
  const s = Store.open(path);
  s.createRun({ id: 'r1', command: 'search', argv: ['search', '--seed', '1'], config: { seed: 1 }, seed: 1 });
  assert.throws(() => s.createRun({ id: 'r1', command: 'search', argv: [], config: {} }), /already exists/);
  s.putTrial('r1', { idx: 0, arch: BEST, status: 'done', scores: { naswot: 1.5, bad: NaN }, objectives: {} });
  s.putTrial('r1', { idx: 0, arch: BEST, status: 'done', scores: { naswot: 2.5 }, objectives: {} });
  s.putTrial('r1', { idx: 1, arch: BEST, status: 'failed', scores: {}, objectives: { acc: 90 } });
  assert.equal(s.trials('r1').length, 2);
  assert.equal(s.trials('r1')[0]!.scores.naswot, 2.5);
  s.putMetrics('r1', 'supernet', 0, { loss: 2.3 });
  s.putMetrics('r1', 'supernet', 0, { loss: 2.1 });
  assert.deepEqual(s.metrics('r1', 'supernet'), [{ scope: 'supernet', epoch: 0, values: { loss: 2.1 } }]);
  s.addArtifact('r1', 'plot', 'alpha.svg');
  s.finishRun('r1', 'done', { genotype: BEST });
  s.close();
  const s2 = Store.open(path);
  const r = s2.requireRun('r1');
  assert.equal(r.status, 'done');
  assert.deepEqual(r.result, { genotype: BEST });
  assert.deepEqual(s2.artifacts('r1'), [{ kind: 'plot', path: 'alpha.svg' }]);
  s2.removeRun('r1');
  assert.equal(s2.trials('r1').length, 0, 'trials go with their run');
  s2.close();
});

test('a transaction that fails leaves nothing behind', () => {
  const s = Store.open(join(tmp(), 'tsnas.db'));
  s.createRun({ id: 'r', command: 'search', argv: [], config: {} });
  assert.throws(() =>
    s.atomically(() => {
      s.putTrial('r', { idx: 0, arch: 'a', status: 'done', scores: {}, objectives: {} });
      throw new Error('killed mid-trial');
    }),
  );
  assert.equal(s.trials('r').length, 0);
  s.close();
});

test('a new run that fails on bad input before recording anything is removed; other failures are kept', () => {
  const s = Store.open(join(tmp(), 'tsnas.db'));
  const open = (id: string, resume = false) => Run.open({ store: s, id, command: 'search', resume, config: {} });
  open('bad-input').finish({ error: new TsnasError('class folder photos/owl has no images') });
  const withSettings = open('bad-after-settings');
  withSettings.checkSettings({ seed: 0 });
  withSettings.finish({ error: new TsnasError('corrupt JPEG photos/dog/c.jpg') });
  open('bug').finish({ error: new Error('a bug, not bad input') });
  const midway = open('midway');
  midway.saveProgress([{ idx: 0, arch: BEST, status: 'done', scores: {}, objectives: { params: 1 } }]);
  midway.finish({ error: new TsnasError('corrupt JPEG photos/dog/c.jpg') });
  s.createRun({ id: 'old', command: 'search', argv: [], config: {} });
  s.finishRun('old', 'stopped');
  open('old', true).finish({ error: new TsnasError('data directory not found') });
  assert.deepEqual(
    s
      .listRuns()
      .map((r) => [r.id, r.status])
      .sort(),
    [
      ['bug', 'failed'],
      ['midway', 'failed'],
      ['old', 'failed'],
    ],
  );
  s.close();
});

test('a store from a newer schema is refused and left untouched; corrupt files are named', () => {
  const dir = tmp();
  const path = join(dir, 'new.db');
  const db = new Database(path);
  db.exec("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL); INSERT INTO meta VALUES ('schema_version', '99'); CREATE TABLE mine (x INT); INSERT INTO mine VALUES (7);");
  db.close();
  assert.throws(
    () => Store.open(path),
    (e: Error) => e instanceof TsnasError && /schema version 99, newer than this tsnas \(1\)/.test(e.message),
  );
  const after = new Database(path);
  assert.deepEqual(after.prepare('SELECT x FROM mine').get(), { x: 7 });
  assert.equal((after.prepare("SELECT value FROM meta WHERE key='schema_version'").get() as { value: string }).value, '99');
  after.close();
  const junk = join(dir, 'junk.db');
  writeFileSync(junk, 'this is not a database, just text '.repeat(200));
  assert.throws(
    () => Store.open(junk),
    (e: Error) => e instanceof TsnasError && e.message.includes(junk),
  );
  assert.equal(STORE_SCHEMA_VERSION, 1);
});

test('CLI records runs; runs list/show/rm work with --json', async () => {
  const store = join(tmp(), 'tsnas.db');
  const r = await runCli([
    'score',
    '--space',
    'nb201',
    '--arch',
    BEST,
    '--proxies',
    'params',
    '--dataset',
    'synthetic',
    '--batch',
    '8',
    '--backend',
    'cpu',
    '--store',
    store,
    '--run-id',
    'score-1',
    '--json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const list = lastJson((await runCli(['runs', 'list', '--store', store, '--json'])).stdout) as { runs: { id: string; status: string }[] };
  assert.deepEqual(
    list.runs.map((x) => [x.id, x.status]),
    [['score-1', 'done']],
  );
  const show = lastJson((await runCli(['runs', 'show', 'score-1', '--store', store, '--json'])).stdout) as { result: { results: { scores: { params: number } }[] } };
  assert.equal(show.result.results[0]!.scores.params, 1.073466);
  assert.equal((await runCli(['runs', 'rm', 'score-1', '--store', store, '--json'])).code, 0);
  const gone = await runCli(['runs', 'show', 'score-1', '--store', store]);
  assert.equal(gone.code, 2);
  assert.match(gone.stderr, /no run 'score-1'/);
});
