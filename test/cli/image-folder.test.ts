/** The folder dataset from the command line: score, search and train on a folder of PNGs. */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { PNG } from 'pngjs';
import { lastJson, runCli } from '../helpers/cli.js';

const ARCH = '|nor_conv_3x3~0|+|nor_conv_3x3~0|skip_connect~1|+|skip_connect~0|nor_conv_1x1~1|avg_pool_3x3~2|';

/** 3 classes × 8 random 32×32 PNGs. */
function makeFolder(dir: string): void {
  for (const cls of ['a', 'b', 'c']) {
    mkdirSync(join(dir, cls), { recursive: true });
    for (let i = 0; i < 8; i++) {
      const png = new PNG({ width: 32, height: 32 });
      for (let k = 0; k < png.data.length; k++) png.data[k] = k % 4 === 3 ? 255 : (k * 13 + i * 31 + cls.charCodeAt(0) * 7) % 256;
      writeFileSync(join(dir, cls, `${i}.png`), PNG.sync.write(png));
    }
  }
}

test('tsnas score, search and train on --dataset folder', { timeout: 300_000 }, async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'tsnas-cli-folder-'));
  try {
    const data = join(tmp, 'images');
    makeFolder(data);
    const common = ['--store', join(tmp, 'tsnas.db'), '--backend', 'cpu', '--json'];
    const r = await runCli([
      'score',
      '--space',
      'nb201',
      '--arch',
      ARCH,
      '--dataset',
      'folder',
      '--data-dir',
      data,
      '--image-size',
      '16',
      '--proxies',
      'naswot',
      '--batch',
      '8',
      '--workers',
      '1',
      ...common,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const j = lastJson(r.stdout) as { results: { scores: { naswot: number } }[] };
    assert.ok(Number.isFinite(j.results[0]!.scores.naswot));
    assert.ok(existsSync(join(data, '.tsnas-cache')), 'the decoded images are cached');

    const s = await runCli([
      'search',
      'naswot',
      '--n',
      '2',
      '--dataset',
      'folder',
      '--data-dir',
      data,
      '--color',
      'gray',
      '--class-names',
      'c,b,a',
      '--image-size',
      '16',
      '--batch',
      '8',
      '--workers',
      '1',
      ...common,
    ]);
    assert.equal(s.code, 0, s.stderr);

    const t = await runCli([
      'train',
      '--space',
      'nb201',
      '--arch',
      ARCH,
      '--dataset',
      'folder',
      '--data-dir',
      data,
      '--val-split',
      '0.25',
      '--image-size',
      '8',
      '--C',
      '4',
      '--N',
      '1',
      '--epochs',
      '1',
      '--batch',
      '8',
      '--out',
      join(tmp, 'train'),
      '--no-progress',
      ...common,
    ]);
    assert.equal(t.code, 0, t.stderr);

    const bad = await runCli(['train', '--space', 'nb201', '--arch', ARCH, '--dataset', 'folder', '--data-dir', data, '--epochs', '1', '--out', join(tmp, 'train2'), '--no-progress', ...common]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr.trim(), /^[^\n]*no test split[^\n]*--test-dir[^\n]*$/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
