import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTargetFile, targetColumn } from '../../src/benchmarks/target-file.js';
import { getSpace } from '../../src/spaces/index.js';
import { Rng } from '../../src/util/rng.js';
import { sharedDataDir } from '../helpers/bench-path.js';
import { lastJson, runCli } from '../helpers/cli.js';

const DARTS_V2 =
  "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])";

function tmpFile(t: { after: (f: () => void) => void }, name: string, body: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'tsnas-targets-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const f = join(dir, name);
  writeFileSync(f, typeof body === 'string' ? body : JSON.stringify(body));
  return f;
}

test('targets file: arch, genotype and matrix+ops records; columns every record has; val_accuracy by default', (t) => {
  const darts = tmpFile(t, 'd.json', [
    { genotype: DARTS_V2, val_accuracy: 94.1, extra: 1 },
    { arch: DARTS_V2, val_accuracy: 93.5 },
  ]);
  const r = loadTargetFile(darts, 'darts');
  const sp = getSpace('darts');
  assert.deepEqual(r.archs, [sp.format(sp.parse(DARTS_V2)), sp.format(sp.parse(DARTS_V2))]);
  assert.deepEqual(targetColumn(r), [94.1, 93.5]);
  assert.deepEqual([...r.columns.keys()], ['val_accuracy']);
  assert.throws(() => targetColumn(r, 'test_accuracy'), /has no numeric column 'test_accuracy' in every record \(known: val_accuracy\)/);
  const nb101 = tmpFile(t, 'n.json', [
    {
      matrix: [
        [0, 1],
        [0, 0],
      ],
      ops: ['input', 'output'],
      val_accuracy: 80,
    },
    {
      arch: {
        matrix: [
          [0, 1],
          [0, 0],
        ],
        ops: ['input', 'output'],
      },
      val_accuracy: 81,
    },
  ]);
  assert.deepEqual(loadTargetFile(nb101, 'nb101').archs, ['1|', '1|']);
});

test('targets file: bad input is one line naming the file and the record', (t) => {
  assert.throws(() => loadTargetFile('/nonexistent/x.json', 'darts'), /targets file not found: \/nonexistent\/x.json/);
  assert.throws(() => loadTargetFile(tmpFile(t, 'a.json', '{"x":'), 'darts'), /cannot read targets file .*a.json/);
  assert.throws(() => loadTargetFile(tmpFile(t, 'b.json', []), 'darts'), /expected a non-empty JSON array of records/);
  assert.throws(
    () => loadTargetFile(tmpFile(t, 'c.json', [{ genotype: DARTS_V2 }, { val_accuracy: 3 }]), 'darts'),
    /record 1: no architecture: expected a field 'arch', 'genotype' or 'matrix' \+ 'ops'/,
  );
  assert.throws(() => loadTargetFile(tmpFile(t, 'd.json', [{ genotype: DARTS_V2.replace('sep_conv_3x3', 'conv_9x9') }]), 'darts'), /d.json: record 0: .*conv_9x9/);
  assert.throws(() => loadTargetFile(tmpFile(t, 'e.json', [7]), 'darts'), /record 0: expected an object/);
});

const nb301 = join(sharedDataDir, 'nb301', 'nb301_surrogate_360.json');
const nb101 = join(sharedDataDir, 'nb101', 'nb101_cells_250.json');
test(
  'targets file: the shared NB301 and NB101 files load whole',
  { skip: existsSync(nb301) && existsSync(nb101) ? false : `shared data not found at ${sharedDataDir} (set TSNAS_SHARED_DATA)` },
  () => {
    const d = loadTargetFile(nb301, 'darts');
    assert.equal(d.archs.length, 360);
    assert.equal(targetColumn(d).length, 360);
    const n = loadTargetFile(nb101, 'nb101');
    assert.equal(n.archs.length, 250);
    assert.ok(n.columns.has('params_m'));
  },
);

test('CLI: correlate --space darts --targets FILE prints τ and ρ per proxy with bootstrap intervals and the ratio to naswot', { timeout: 300_000 }, async (t) => {
  const sp = getSpace('darts');
  const rng = new Rng(11);
  const recs = Array.from({ length: 4 }, (_, i) => ({ genotype: sp.format(sp.sample(rng)), val_accuracy: 90 + i }));
  const file = tmpFile(t, 'darts.json', recs);
  const dir = mkdtempSync(join(tmpdir(), 'tsnas-targets-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // scoring flags small enough for a test, shared by both runs
  const small = ['--dataset', 'synthetic', '--batch', '4', '--data-limit', '16', '--workers', '1'];
  const r = await runCli(['correlate', '--space', 'darts', '--targets', file, '--proxies', 'naswot,params', ...small, '--bootstrap', '50', '--store', join(dir, 'runs.db'), '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = lastJson(r.stdout) as { n: number; target: string; targets: string; intervals: Record<string, { kendall: number; kendall_ci: [number, number]; ratio?: { baseline: string } }> };
  assert.equal(j.n, 4);
  assert.equal(j.target, 'val_accuracy');
  assert.equal(j.targets, file);
  const p = j.intervals['params']!;
  assert.ok(p.kendall_ci[0] <= p.kendall && p.kendall <= p.kendall_ci[1]);
  assert.equal(p.ratio!.baseline, 'naswot');
  const text = await runCli(['correlate', '--space', 'darts', '--targets', file, '--proxies', 'params', ...small, '--bootstrap', '0', '--store', join(dir, 'runs2.db')]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /params +tau=-?\d\.\d{4} {2}rho=/);
});
