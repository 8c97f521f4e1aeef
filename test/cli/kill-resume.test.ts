/**
 * Long commands killed with SIGKILL and continued with --resume. A search killed at random moments, several times, and continued with --resume
 * ends exactly where an uninterrupted run with the same seed ends: same α trajectory, same
 * genotype, no epoch lost or repeated, and the run is `done` in the store.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../../src/store/store.js';
import { Rng } from '../../src/util/rng.js';
import { nb201Available, nb201Path, nb201SkipReason } from '../helpers/bench-path.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'tsnas.js');
const ARGS = ['search', '--strategy', 'darts', '--space', 'nb201', '--preset', 'tiny', '--dataset', 'synthetic', '--epochs', '4', '--seed', '3', '--backend', 'cpu', '--json'];

function run(args: string[], killAfterMs?: number, out?: string): Promise<{ code: number | null; signal: string | null; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'ignore'] });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    let timer: NodeJS.Timeout | undefined;
    if (killAfterMs !== undefined && out) {
      // Kill at a random moment once the run has written its first checkpoint.
      const poll = setInterval(() => {
        if (existsSync(join(out, 'checkpoint.json'))) {
          clearInterval(poll);
          timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
        }
      }, 50);
      child.on('exit', () => clearInterval(poll));
    }
    child.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, stdout });
    });
  });
}

function history(out: string): unknown[] {
  const h = JSON.parse(readFileSync(join(out, 'search.json'), 'utf8')).history as Record<string, unknown>[];
  return h.map(({ seconds: _s, numTensors: _n, ...rest }) => rest);
}

test('search killed by SIGKILL at random points and resumed equals an uninterrupted run', { timeout: 600_000 }, async () => {
  const straight = mkdtempSync(join(tmpdir(), 'tsnas-straight-'));
  const a = await run([...ARGS, '--out', straight]);
  assert.equal(a.code, 0);

  const out = mkdtempSync(join(tmpdir(), 'tsnas-killed-'));
  const rng = new Rng(Date.now() % 100000);
  let kills = 0;
  let r = await run([...ARGS, '--out', out, '--run-id', 'killed'], rng.int(2500), out);
  for (let attempt = 0; attempt < 6 && r.code !== 0; attempt++) {
    assert.equal(r.signal, 'SIGKILL');
    kills++;
    r = await run([...ARGS, '--out', out, '--run-id', 'killed', '--resume'], attempt < 2 ? rng.int(2500) : undefined, out);
  }
  assert.equal(r.code, 0, 'the resumed run finishes');
  assert.ok(kills >= 1, 'the run was killed at least once');
  const last = (s: string) => JSON.parse(s.trim().split('\n').pop()!) as { genotype: string; epochs: number };
  assert.equal(last(r.stdout).genotype, last(a.stdout).genotype);
  assert.equal(last(r.stdout).epochs, 4);
  assert.deepEqual(history(out), history(straight), 'α trajectory, losses and genotypes per epoch are identical');
  const store = Store.open(join(out, 'tsnas.db'));
  assert.equal(store.requireRun('killed').status, 'done');
  assert.equal(store.listRuns().length, 1, 'resuming does not create a second run');
  store.close();
});

test('correlate killed by SIGKILL mid-pool and resumed gives the uninterrupted result, no trial lost or duplicated', { timeout: 600_000, skip: nb201Available ? false : nb201SkipReason }, async () => {
  const args = [
    'correlate',
    '--space',
    'nb201',
    '--bench',
    nb201Path,
    '--proxies',
    'naswot,params',
    '--n',
    '20',
    '--seed',
    '4',
    '--dataset',
    'synthetic',
    '--batch',
    '16',
    '--backend',
    'cpu',
    '--json',
  ];
  const straight = await run([...args, '--store', join(mkdtempSync(join(tmpdir(), 'tsnas-corr-a-')), 's.db')]);
  assert.equal(straight.code, 0);
  const store = join(mkdtempSync(join(tmpdir(), 'tsnas-corr-b-')), 's.db');
  const trials = () => {
    if (!existsSync(store)) return 0;
    const s = Store.open(store);
    const n = s.getRun('c') ? s.trials('c').length : 0;
    s.close();
    return n;
  };
  // Kill once a few trials are in the store.
  const child = spawn(process.execPath, [BIN, ...args, '--store', store, '--run-id', 'c'], { stdio: 'ignore' });
  await new Promise<void>((resolve) => {
    const poll = setInterval(() => {
      if (trials() >= 3) {
        clearInterval(poll);
        child.kill('SIGKILL');
      }
    }, 100);
    child.on('exit', () => {
      clearInterval(poll);
      resolve();
    });
  });
  const before = trials();
  assert.ok(before >= 3 && before < 20, `killed mid-pool (${before} trials)`);
  const resumed = await run([...args, '--store', store, '--run-id', 'c', '--resume']);
  assert.equal(resumed.code, 0);
  const last = (s: string) => JSON.parse(s.trim().split('\n').pop()!) as { kendall: Record<string, number>; spearman: Record<string, number> };
  assert.deepEqual(last(resumed.stdout).kendall, last(straight.stdout).kendall);
  assert.deepEqual(last(resumed.stdout).spearman, last(straight.stdout).spearman);
  const s = Store.open(store);
  assert.deepEqual(
    s.trials('c').map((t) => t.idx),
    [...Array(20).keys()],
    'each architecture exactly once',
  );
  assert.equal(s.requireRun('c').status, 'done');
  s.close();
});
