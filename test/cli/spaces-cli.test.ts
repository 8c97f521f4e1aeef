/**
 * Every multi-objective strategy (TND-NAS over the space's decisions) and the training-free search run on the `mobile` space and on
 * space files (`--space FILE.yaml`, `--space FILE.ts`) at tiny settings; a bad space file is one
 * line on stderr with nothing stored.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { searchResultSchema } from '../../src/search/result.js';
import { getSpace } from '../../src/spaces/index.js';
import { Store } from '../../src/store/store.js';
import { lastJson, runCli } from '../helpers/cli.js';

const FIXTURES = join(import.meta.dirname, '..', 'spaces', 'fixtures');
const dir = mkdtempSync(join(tmpdir(), 'tsnas-spaces-cli-'));
const tiny = ['--dataset', 'synthetic', '--image-size', '8', '--batch', '8', '--data-limit', '32'];

for (const space of ['mobile', join(FIXTURES, 'tiny-space.yaml'), join(FIXTURES, 'tiny-space.ts')]) {
  for (const strategy of ['random', 'evolution', 'nsga2', 'tnd-nas', 'naswot']) {
    const label = space === 'mobile' ? space : space.slice(space.lastIndexOf('/') + 1);
    test(`tsnas search ${strategy} --space ${label}`, { timeout: 300_000 }, async () => {
      const store = join(dir, `${strategy}-${label}.db`);
      const budget = space === 'mobile' ? 3 : 6;
      const argv =
        strategy === 'naswot'
          ? ['search', strategy, '--space', space, '--n', '2', '--workers', '1', ...tiny]
          : [
              'search',
              strategy,
              '--space',
              space,
              '--objectives',
              'naswot,params',
              '--budget',
              String(budget),
              ...tiny,
              ...(strategy === 'evolution' || strategy === 'nsga2' ? ['--pop-size', '2'] : []),
              ...(strategy === 'evolution' ? ['--sample-size', '2'] : []),
            ];
      const r = await runCli([...argv, '--store', store, '--run-id', 'r', '--json']);
      assert.equal(r.code, 0, r.stderr);
      const j = lastJson(r.stdout);
      assert.equal(searchResultSchema.safeParse(j).success, true, JSON.stringify(j).slice(0, 300));
      const s = getSpace(space);
      // the pick is an architecture of the space, in its canonical JSON form
      assert.equal(s.format(s.parse(j['genotype'] as string)), j['genotype']);
      const st = Store.open(store);
      assert.equal(st.trials('r').length, strategy === 'naswot' ? 2 : budget);
      st.close();
    });
  }
}

test('tsnas with a bad space file: one line on stderr, nothing stored', async () => {
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'name: bad\nlayers:\n  - { type: sepconv, kernel: 3 }\n');
  for (const argv of [
    ['search', 'random', '--space', bad, '--objectives', 'params', '--budget', '2'],
    ['arch', '--space', bad, '--random', '1'],
  ]) {
    const store = join(dir, `bad-${argv[0]}.db`);
    const r = await runCli([...argv, '--store', store]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr.trim(), /space file .*bad\.yaml: layers\[0\]: unknown block 'sepconv'/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.equal(existsSync(store), false, 'nothing stored');
  }
  const r = await runCli(['arch', '--space', 'mobile', '--arch', '{"s1.depth": 5}']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr.trim(), /label 's1.depth': 5 is not one of 1, 2, 3, 4$/);
});
