/**
 * Every examples/*.ts runs to completion with small settings (TSNAS_EXAMPLE_SMALL=1): exit code 0
 * and a JSON object as the last line of stdout. New examples are picked up automatically.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..', '..');
const DIR = join(ROOT, 'examples');
const examples = readdirSync(DIR)
  .filter((f) => f.endsWith('.ts'))
  .sort();

test('there are examples', () => assert.ok(examples.length > 0));

for (const file of examples) {
  test(`examples/${file} runs (small settings) and prints a JSON last line`, { timeout: 600_000 }, () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(DIR, file)], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 580_000,
      env: { ...process.env, TSNAS_EXAMPLE_SMALL: '1' },
    });
    assert.equal(r.status, 0, `exit ${r.status ?? r.signal}\n${r.stdout}\n${r.stderr}`);
    const last = r.stdout.trim().split('\n').pop() ?? '';
    let parsed: unknown;
    assert.doesNotThrow(() => (parsed = JSON.parse(last)), `last stdout line is JSON: ${last}`);
    assert.ok(parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed), 'the last line is a JSON object');
  });
}
