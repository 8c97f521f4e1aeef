import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { etaSeconds, formatEta } from '../../src/cli/progress.js';
import { REPO_ROOT } from '../helpers/data-paths.js';

test('ETA: from the whole run since the first completed item, not a moving window', () => {
  const clock = { startMs: 0 };
  assert.equal(etaSeconds(0, 10, 5000, clock), undefined);
  // one done: time since the start per item
  assert.equal(etaSeconds(1, 10, 4000, { ...clock, first: { ms: 4000, done: 1 } }), 36);
  // after that: time since the first completion over the items after it (start-up left out)
  const first = { ms: 30_000, done: 1 };
  assert.equal(etaSeconds(11, 21, 80_000, { startMs: 0, first }), 50);
  assert.equal(etaSeconds(21, 21, 130_000, { startMs: 0, first }), 0);
  // two workers: the first two items complete together; the estimate converges to the true 5 s/item
  const two = { startMs: 0, first: { ms: 40_000, done: 1 } };
  const eta = (done: number) => etaSeconds(done, 150, 40_000 + (Math.ceil(done / 2) - 1) * 10_000, two)!;
  assert.ok(Math.abs(eta(100) / ((150 - 100) * 5) - 1) < 0.02, `${eta(100)}`);
  // the reported bug: 74/150, then 82/150 after 2.5 minutes (30 s/item meanwhile); the ETA follows the whole run
  const run = { startMs: 0, first: { ms: 20_000, done: 1 } };
  const at74 = etaSeconds(74, 150, 20_000 + 73 * 30_000, run)!;
  const at82 = etaSeconds(82, 150, 20_000 + 73 * 30_000 + 150_000, run)!;
  assert.ok(Math.abs(at74 - 76 * 30) < 1 && at82 < at74 && at82 > 68 * 25, `${at74} ${at82}`);
});

test('ETA formatting', () => {
  assert.equal(formatEta(undefined), '--');
  assert.equal(formatEta(0), '0s');
  assert.equal(formatEta(44.6), '45s');
  assert.equal(formatEta(125), '2m05s');
  assert.equal(formatEta(4020), '1h07m');
});

test('nothing in src/proxies imports src/cli, commander or cli-progress (library code reports progress through callbacks)', () => {
  const files = (dir: string): string[] => readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : [join(dir, f)]));
  for (const f of files(join(REPO_ROOT, 'src', 'proxies')).filter((f) => f.endsWith('.ts'))) {
    const text = readFileSync(f, 'utf8');
    assert.doesNotMatch(text, /from '(commander|cli-progress)'|from '[./]*cli\//, f);
  }
});
