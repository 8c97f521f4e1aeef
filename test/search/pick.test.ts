/** Picking architectures out of a search run for `tsnas train`: trial ids, --top k, JSON entries. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../../src/store/store.js';
import { archFromJson, latestSearchRun, pickTop, pickTrial } from '../../src/search/pick.js';
import { TsnasError } from '../../src/util/errors.js';

function withStore(f: (s: Store) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'tsnas-pick-'));
  const s = Store.open(join(dir, 'tsnas.db'));
  try {
    f(s);
  } finally {
    s.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('pickTop ranks feasible trials by the first objective in its direction; pickTrial finds one', () =>
  withStore((s) => {
    s.createRun({ id: 'moo', command: 'search', argv: [], config: { strategy: 'nsga2', space: 'nb201', objectives: 'accuracy,size<=2MB' } });
    const acc = [91, 94, 93, 95, 89];
    const viol = [0, 0, 0, 0.2, 0]; // the most accurate one is infeasible
    acc.forEach((a, i) => s.putTrial('moo', { idx: i, arch: `a${i}`, status: 'done', scores: { violation: viol[i]! }, objectives: { accuracy: a, size: 1e6 } }));
    assert.deepEqual(
      pickTop(s, 'moo', 2).map((p) => [p.trial, p.arch, p.space]),
      [
        [1, 'a1', 'nb201'],
        [2, 'a2', 'nb201'],
      ],
    );
    // a finished run's result states the direction: min here
    s.finishRun('moo', 'done', { space: 'nb201', objectives: [{ key: 'accuracy', direction: 'min' }] });
    assert.deepEqual(
      pickTop(s, 'moo', 1).map((p) => p.trial),
      [4],
    );
    assert.equal(pickTrial(s, 'moo', 3).arch, 'a3');
    assert.throws(
      () => pickTrial(s, 'moo', 9),
      (e: unknown) => e instanceof TsnasError && /has no trial 9 \(it has 5: 0..4\)/.test(e.message),
    );
    assert.throws(() => pickTop(s, 'nope', 1), /no run 'nope'/);
    s.createRun({ id: 'train-1', command: 'train', argv: [], config: {} });
    assert.equal(latestSearchRun(s), 'moo', 'train runs are not search runs');
  }));

test('archFromJson: a Pareto entry, a JSON string, or text (and a sample object) as is', () => {
  const a = '|nor_conv_3x3~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|';
  assert.equal(archFromJson(JSON.stringify({ arch: a, objectives: { accuracy: 90 }, evaluation: 3, feasible: true })), a);
  assert.equal(archFromJson(JSON.stringify(a)), a);
  assert.equal(archFromJson(a), a);
  const sample = '{"depth":1,"k":5,"op":"conv"}'; // a declarative space's sample is its own text
  assert.equal(archFromJson(sample), sample);
  assert.throws(() => archFromJson('{"arch": 3}'), /an object with an "arch"/);
  assert.throws(() => archFromJson('{bad'), /does not parse/);
});
