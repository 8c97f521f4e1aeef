/**
 * The --json line of every command matches its schema (src/cli/output-schemas.ts), on tiny
 * settings; and a bare --resume continues the store's one unfinished run of the same strategy.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { outputSchemas, type OutputCommand } from '../../src/cli/output-schemas.js';
import { Store } from '../../src/store/store.js';
import { lastJson, runCli } from '../helpers/cli.js';
import { nb201Path, nb201SkipReason } from '../helpers/bench-path.js';

const ARCH = '|nor_conv_3x3~0|+|nor_conv_3x3~0|skip_connect~1|+|skip_connect~0|nor_conv_1x1~1|avg_pool_3x3~2|';

async function json(command: OutputCommand, argv: string[]): Promise<Record<string, unknown>> {
  const r = await runCli([...argv, '--json']);
  assert.equal(r.code, 0, `${argv.join(' ')}: ${r.stderr}`);
  const j = lastJson(r.stdout);
  const parsed = outputSchemas[command].safeParse(j);
  assert.equal(parsed.success, true, `${command}: ${JSON.stringify(parsed.error?.issues)}\n${JSON.stringify(j).slice(0, 400)}`);
  return j;
}

test('every command prints one JSON line of its schema', { timeout: 600_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsnas-json-'));
  const store = join(dir, 'tsnas.db');
  const common = ['--store', store, '--backend', 'cpu'];
  await json('arch', ['arch', '--space', 'nb201', '--arch', ARCH]);
  await json('arch', ['arch', '--space', 'darts', '--random', '2', '--seed', '1']);
  await json('score', ['score', '--space', 'nb201', '--arch', ARCH, '--proxies', 'naswot,params', '--dataset', 'synthetic', '--batch', '8', '--workers', '1', '--run-id', 'sc', ...common]);
  if (!nb201SkipReason) {
    await json('correlate', ['correlate', '--space', 'nb201', '--bench', nb201Path, '--n', '3', '--proxies', 'naswot,params', '--dataset', 'synthetic', '--batch', '8', '--workers', '1', ...common]);
  }
  await json('search', ['search', 'naswot', '--n', '2', '--dataset', 'synthetic', '--batch', '8', '--workers', '1', '--run-id', 'se', ...common]);
  const trainDir = join(dir, 'train');
  const tiny = ['--dataset', 'synthetic', '--C', '4', '--N', '1', '--image-size', '8', '--train-limit', '32', '--test-limit', '16', '--epochs', '1', '--batch', '16'];
  await json('train', ['train', '--space', 'nb201', '--arch', ARCH, ...tiny, '--out', trainDir, '--no-progress', ...common]);
  await json('export', ['export', '--run', trainDir, '--out', join(dir, 'tfjs'), '--latency-reps', '2', '--backend', 'cpu']);
  const dtbDir = join(dir, 'dtb');
  await json('dtb build', ['dtb', 'build', '--space', 'nb201', '--archs', '2', ...tiny, '--out', dtbDir, '--no-progress', ...common]);
  await json('dtb export', ['dtb', 'export', '--out', dtbDir, '--format', 'csv']);
  await json('runs list', ['runs', 'list', '--store', store]);
  await json('runs show', ['runs', 'show', 'se', '--store', store]);
  await json('report', ['report', 'se', '--store', store, '--out', join(dir, 'report.html')]);
  await json('runs rm', ['runs', 'rm', 'sc', '--store', store]);
});

test('search naswot --out DIR --resume without --run-id continues the one unfinished naswot run there', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsnas-bare-resume-'));
  const args = ['search', 'naswot', '--n', '3', '--dataset', 'synthetic', '--batch', '8', '--workers', '1', '--backend', 'cpu', '--out', dir, '--seed', '5'];
  const first = await json('search', args);
  // make it an interrupted run: one architecture not scored yet, status stopped
  const s = Store.open(join(dir, 'tsnas.db'));
  const id = first['run'] as string;
  s.finishRun(id, 'stopped');
  const trials = s.trials(id);
  s.close();
  assert.equal(trials.length, 3);
  const Database = (await import('better-sqlite3')).default;
  const db = new Database(join(dir, 'tsnas.db'));
  db.prepare('DELETE FROM trials WHERE run_id = ? AND idx = 2').run(id);
  db.close();
  const resumed = await runCli([...args, '--resume', '--json']);
  assert.equal(resumed.code, 0, resumed.stderr);
  const j = lastJson(resumed.stdout);
  assert.equal(j['run'], id);
  assert.equal(j['genotype'], first['genotype']);
  assert.equal(j['score'], first['score']);
  const after = Store.open(join(dir, 'tsnas.db'));
  assert.equal(after.trials(id).length, 3);
  assert.equal(after.requireRun(id).status, 'done');
  assert.equal(after.listRuns().length, 1, 'no second run');
  after.close();
  // two unfinished runs: a bare --resume names them and asks for one
  await runCli(['search', 'naswot', '--n', '2', '--dataset', 'synthetic', '--batch', '8', '--workers', '1', '--backend', 'cpu', '--out', dir, '--run-id', 'other', '--json']);
  const db2 = new Database(join(dir, 'tsnas.db'));
  db2.prepare("UPDATE runs SET status = 'stopped'").run();
  db2.close();
  const ambiguous = await runCli([...args, '--resume']);
  assert.notEqual(ambiguous.code, 0);
  assert.match(ambiguous.stderr, /holds 2 unfinished naswot runs .*name one with --run-id/);
});
