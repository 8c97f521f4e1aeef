/**
 * The DTB build as a library user reaches it, through the package's entry point: build, collect,
 * write and read back, with the file equal to what was built.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { buildDtbAsync, collectDtb, DEFAULT_RECIPE, initBackend, readDtb, writeDtb, type DtbBuildSpec } from '../../src/index.js';

test('buildDtbAsync, collectDtb, writeDtb and readDtb from the package entry point round-trip a small DTB', async () => {
  await initBackend('cpu');
  const dir = mkdtempSync(join(tmpdir(), 'tsnas-dtb-api-'));
  const spec: DtbBuildSpec = {
    space: 'nb201',
    seed: 5,
    numArchs: 2,
    net: { C: 4, N: 1 },
    data: { dataset: 'synthetic', imageSize: 8, trainLimit: 32, testLimit: 16 },
    recipe: { ...DEFAULT_RECIPE, epochs: 2, batch: 16 },
  };
  const out = await buildDtbAsync(dir, spec);
  assert.deepEqual([out.done, out.trainedNow, out.total], [2, 2, 2]);
  const d = collectDtb(dir);
  assert.equal(d.archs.length, 2);
  assert.ok(d.archs.every((a) => a.epochs.length === 2 && a.epochs.every((e) => Number.isFinite(e.val_acc))));
  const file = join(dir, 'dtb-v1-export.json'); // not dtb.json: that is the build's manifest
  writeDtb(d, file, 'json');
  assert.deepEqual(readDtb(file), d);
  // a second build of the same spec trains nothing
  const again = await buildDtbAsync(dir, spec);
  assert.equal(again.trainedNow, 0);
});
