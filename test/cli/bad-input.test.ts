/**
 * Bad input never crashes with a stack trace and never damages existing runs: each case gives a
 * one-line error naming the problem and a non-zero exit, and the store's existing runs stay as
 * they were.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Store } from '../../src/store/store.js';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'tsnas-bad-'));
const store = join(dir, 'tsnas.db');
const BEST = '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|';

function file(name: string, content: string | Buffer): string {
  const p = join(dir, name);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, content);
  return p;
}

// Fixtures.
const cifarTrunc = join(dir, 'cifar-trunc');
file('cifar-trunc/train_10k.bin', Buffer.alloc(3073 * 2 + 100));
file('cifar-trunc/test_2k.bin', Buffer.alloc(3073 * 2));
const cifarLabel = join(dir, 'cifar-label');
file('cifar-label/train_10k.bin.gz', gzipSync(Buffer.concat([Buffer.from([12]), Buffer.alloc(3072)])));
file('cifar-label/test_2k.bin.gz', gzipSync(Buffer.concat([Buffer.from([1]), Buffer.alloc(3072)])));
const fmnist = join(dir, 'fmnist');
for (const f of ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']) file(`fmnist/${f}`, Buffer.from([0, 0, 0, 0, 1, 2, 3, 4]));
const emptyCsv = file('empty.csv', '');
const badCsv = file('bad.csv', 'index,arch_str,cifar10_test_acc\n0,|nor_conv_3x3~0|,not-a-number\n');
const badYaml = file('bad.yaml', 'space: [nb201\n');
const unknownKey = file('unknown.yaml', 'space: nb201\nbatchsize: 64\n');
const wrongType = file('wrongtype.json', '{"space": "nb201", "json": "yes"}');
const junkStore = file('junk.db', 'not a database '.repeat(300));
const newer = join(dir, 'newer.db');
{
  const db = new Database(newer);
  db.exec("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL); INSERT INTO meta VALUES ('schema_version', '42');");
  db.close();
}
const score = (...extra: string[]) => ['score', '--space', 'nb201', '--arch', BEST, '--proxies', 'params', '--backend', 'cpu', '--batch', '8', '--store', store, ...extra];

const CASES: [string, string[], RegExp][] = [
  ['malformed NB201 arch string', ['arch', '--space', 'nb201', '--arch', '|nor_conv_3x3~0|+|nor_conv_3x3~0|'], /malformed NB201 arch string/],
  ['unknown NB201 op', ['arch', '--space', 'nb201', '--arch', BEST.replace('skip_connect', 'skip')], /unknown NB201 op 'skip' at position \d+/],
  ['unknown DARTS op', ['arch', '--space', 'darts', '--arch', "Genotype(normal=[('sep_conv_7x7', 0)], reduce=[])"], /unknown DARTS op 'sep_conv_7x7'/],
  ['malformed genotype', ['arch', '--space', 'darts', '--arch', 'Genotype(normal=oops'], /malformed genotype/],
  ['unknown space', ['arch', '--space', 'nb999', '--arch', BEST], /nb999.*invalid|Allowed choices/],
  ['unknown backend', ['arch', '--space', 'nb201', '--arch', BEST, '--backend', 'tpu'], /tpu.*invalid|Allowed choices/],
  ['arch with neither --arch nor --random', ['arch', '--space', 'darts'], /give exactly one of --arch STR or --random N/],
  ['arch with both --arch and --random', ['arch', '--space', 'nb201', '--arch', BEST, '--random', '2'], /give exactly one of --arch STR or --random N/],
  ['zero random archs', ['arch', '--space', 'nb201', '--random', '0'], /--random must be an integer in \[1, 1000000\], got '0'/],
  ['unknown strategy', ['search', '--space', 'nb201', '--strategy', 'aging', '--store', store], /unknown --strategy 'aging'/],
  ['unknown proxy', score('--proxies', 'magic', '--dataset', 'synthetic'), /unknown proxy 'magic'/],
  [
    'rescore images without a supernet',
    ['search', '--space', 'nb201', '--strategy', 'tnd-nas', '--table-accuracy', '--rescore-images', '100', '--store', store],
    /--rescore-images sets the supernet; --table-accuracy trains none/,
  ],
  ['negative count', ['search', '--space', 'nb201', '--strategy', 'naswot', '--n', '-3', '--store', store], /--n must be an integer/],
  ['absurd batch', score('--batch', '1000000000', '--dataset', 'synthetic'), /--batch must be an integer/],
  ['zero supernet width', ['search', '--space', 'nb201', '--strategy', 'single-darts', '--channels', '0', '--store', store], /--channels must be an integer in \[1, 512\], got '0'/],
  ['absurd image side', ['search', '--space', 'nb201', '--strategy', 'darts', '--image-size', '2', '--store', store], /--image-size must be an integer in \[4, 256\], got '2'/],
  [
    'warm-up as long as the search',
    ['search', '--space', 'nb201', '--strategy', 'single-darts', '--dataset', 'synthetic', '--epochs', '3', '--warmup-epochs', '3', '--store', store],
    /--warmup-epochs 3 leaves no epoch for α/,
  ],
  ['negative seed', score('--seed', '-1', '--dataset', 'synthetic'), /--seed must be an integer/],
  ['zero scoring workers', score('--workers', '0', '--dataset', 'synthetic'), /--workers must be 'auto' or an integer in \[1, 256\], got '0'/],
  ['missing data dir', score('--dataset', 'cifar10', '--data-dir', join(dir, 'nowhere')), /data directory not found: .*nowhere/],
  ['truncated CIFAR file', score('--proxies', 'naswot', '--dataset', 'cifar10', '--data-dir', cifarTrunc), /train_10k\.bin/],
  ['CIFAR label out of range', score('--proxies', 'naswot', '--dataset', 'cifar10', '--data-dir', cifarLabel), /label/],
  ['IDX wrong magic', score('--proxies', 'naswot', '--dataset', 'fashion-mnist', '--data-dir', fmnist), /idx|magic/i],
  ['missing arch file', ['score', '--space', 'nb201', '--arch-file', join(dir, 'none.txt'), '--proxies', 'params', '--store', store], /cannot read --arch-file .*none\.txt/],
  ['empty NB201 CSV', ['search', '--space', 'nb201', '--strategy', 'naswot', '--n', '2', '--dataset', 'synthetic', '--backend', 'cpu', '--bench', emptyCsv, '--store', store], /empty\.csv/],
  ['malformed NB201 CSV', ['search', '--space', 'nb201', '--strategy', 'naswot', '--n', '2', '--dataset', 'synthetic', '--backend', 'cpu', '--bench', badCsv, '--store', store], /bad\.csv/],
  ['missing NB201 CSV', ['search', '--space', 'nb201', '--strategy', 'naswot', '--n', '2', '--dataset', 'synthetic', '--backend', 'cpu', '--bench', join(dir, 'nb.csv'), '--store', store], /nb\.csv/],
  ['config: invalid YAML', ['score', '--config', badYaml], /bad\.yaml is not valid YAML/],
  ['config: unknown key', ['score', '--config', unknownKey], /'batchsize': unknown key for 'score'/],
  ['config: wrong type', ['score', '--config', wrongType], /'json'/],
  ['config: missing file', ['score', '--config', join(dir, 'no.yaml')], /cannot read config file .*no\.yaml/],
  ['corrupt store', score('--dataset', 'synthetic', '--store', junkStore), /junk\.db/],
  ['store from a newer schema', score('--dataset', 'synthetic', '--store', newer), /schema version 42, newer than this tsnas/],
  [
    'unwritable out dir (a path below a file)',
    ['score', '--space', 'nb201', '--arch', BEST, '--proxies', 'params', '--backend', 'cpu', '--dataset', 'synthetic', '--out', join(emptyCsv, 'run')],
    /cannot create the store directory .*empty\.csv/,
  ],
  ['unknown run', ['runs', 'show', 'no-such-run', '--store', store], /no run 'no-such-run'/],
];

test('setup: a store with one finished run', async () => {
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
    '--backend',
    'cpu',
    '--batch',
    '8',
    '--store',
    store,
    '--run-id',
    'keep',
    '--json',
  ]);
  assert.equal(r.code, 0, r.stderr);
});

const ONLY = process.env.BAD_ONLY ? new RegExp(process.env.BAD_ONLY) : undefined;
for (const [name, argv, re] of CASES.filter(([n]) => !ONLY || ONLY.test(n))) {
  test(`bad input: ${name}`, async () => {
    const r = await runCli(argv);
    assert.notEqual(r.code, 0, `${name}: exit code`);
    const lines = r.stderr
      .trim()
      .split('\n')
      .filter((l) => !/^\s*$/.test(l) && !l.startsWith('backend:'));
    const err = lines[lines.length - 1] ?? '';
    assert.match(err, re, `${name}: stderr was ${JSON.stringify(r.stderr)}`);
    assert.ok(!/\n\s+at /.test(r.stderr), `${name}: no stack trace without --debug`);
  });
}

test('after all bad inputs the existing run is intact', () => {
  assert.ok(CASES.length >= 20);
  const s = Store.open(store);
  const run = s.requireRun('keep');
  assert.equal(run.status, 'done');
  assert.deepEqual((run.result as { results: { scores: { params: number } }[] }).results[0]!.scores.params, 1.073466);
  s.close();
});
