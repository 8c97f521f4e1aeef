import { NB201_OPS } from '../../src/spaces/nb201.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { NB201_ACCURACY_COLUMNS, NB201_LATENCY_COLUMNS, NB201_REQUIRED_COLUMNS, defaultNb201Path, isNb201Arch, loadNb201Table } from '../../src/benchmarks/index.js';
import { TsnasError } from '../../src/util/errors.js';
import { nb201Path, nb201SkipReason } from '../helpers/bench-path.js';

const BEST_C10_ARCH = '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|';

/** The i-th arch of the space in a fixed enumeration (edges in string order, base 5). */
function archAt(i: number): string {
  const op = (k: number) => NB201_OPS[Math.floor(i / 5 ** k) % 5]!;
  return `|${op(0)}~0|+|${op(1)}~0|${op(2)}~1|+|${op(3)}~0|${op(4)}~1|${op(5)}~2|`;
}

/** A synthetic table in the shipped format with `n` rows (CRLF line ends, like the real file). */
function syntheticCsv(n: number, mutate?: (lines: string[]) => void): string {
  const header = NB201_REQUIRED_COLUMNS.join(',');
  const lines = [header];
  for (let i = 0; i < n; i++) {
    const nums = NB201_REQUIRED_COLUMNS.slice(2).map((_, k) => (i * 0.5 + k).toString());
    lines.push([String(i), archAt(i), ...nums].join(','));
  }
  mutate?.(lines);
  return lines.join('\r\n') + '\r\n';
}

const dir = mkdtempSync(join(tmpdir(), 'tsnas-nb201-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;
function writeTable(text: string, gzip = false): string {
  const p = join(dir, `t${fileNo++}.csv${gzip ? '.gz' : ''}`);
  writeFileSync(p, gzip ? gzipSync(text) : text);
  return p;
}

async function rejects(p: Promise<unknown>, ...patterns: RegExp[]): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof TsnasError, `expected a TsnasError, got ${String(e)}`);
    for (const re of patterns) assert.match(e.message, re);
    return true;
  });
}

test('synthetic partial table loads plain and gzipped (magic-byte detection) with allowPartial', async () => {
  const text = syntheticCsv(30);
  const warnings: string[] = [];
  const plain = await loadNb201Table(writeTable(text), { allowPartial: true, onWarning: (m) => warnings.push(m) });
  // gzipped content under a name without .gz: detection is by content
  const gzPath = join(dir, 'looks-plain.csv');
  writeFileSync(gzPath, gzipSync(text));
  const gz = await loadNb201Table(gzPath, { allowPartial: true });
  for (const t of [plain, gz]) {
    assert.equal(t.size, 30);
    assert.equal(t.complete, false);
    assert.equal(t.get(7).arch, archAt(7));
    assert.equal(t.value(archAt(3), 'cifar10_test_acc'), 3 * 0.5 + 1);
  }
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /30 architectures, expected 15625/);
});

test('a partial table is an error without allowPartial', async () => {
  await rejects(loadNb201Table(writeTable(syntheticCsv(10))), /10 architectures, expected 15625/, /allowPartial/);
});

test('missing column is an error naming the file and the column', async () => {
  const text = syntheticCsv(5).replace('lat_pixel3_ms,', 'lat_pixelZ_ms,');
  const p = writeTable(text);
  await rejects(loadNb201Table(p, { allowPartial: true }), new RegExp(p.replace(/[.\\/]/g, '\\$&')), /'lat_pixel3_ms'/);
});

test('malformed rows are errors naming the file and line', async () => {
  const shortRow = syntheticCsv(5, (l) => (l[3] = l[3]!.split(',').slice(0, -1).join(',')));
  const p1 = writeTable(shortRow, true);
  await rejects(loadNb201Table(p1, { allowPartial: true }), /t\d+\.csv\.gz/, /line 4: 34 fields, expected 35/);

  const badNum = syntheticCsv(5, (l) => (l[2] = l[2]!.replace(/,2\.5,/, ',abc,')));
  await rejects(loadNb201Table(writeTable(badNum), { allowPartial: true }), /line 3: column '\w+' is not a number: 'abc'/);

  const badArch = syntheticCsv(5, (l) => (l[5] = l[5]!.replace('~2|', '~3|')));
  await rejects(loadNb201Table(writeTable(badArch), { allowPartial: true }), /line 6: .* is not a NAS-Bench-201 arch string/);

  const dupArch = syntheticCsv(5, (l) => (l[5] = l[5]!.replace(archAt(4), archAt(1))));
  await rejects(loadNb201Table(writeTable(dupArch), { allowPartial: true }), /line 6: architecture .* already appeared on line 3/);

  const dupIndex = syntheticCsv(5, (l) => (l[5] = l[5]!.replace(/^4,/, '1,')));
  await rejects(loadNb201Table(writeTable(dupIndex), { allowPartial: true }), /line 6: index 1 already appeared/);

  await rejects(loadNb201Table(writeTable('')), /empty/);
  await rejects(loadNb201Table(join(dir, 'nope.csv.gz')), /not found: .*nope\.csv\.gz/);
  const corrupt = join(dir, 'corrupt.gz');
  writeFileSync(corrupt, Buffer.from([0x1f, 0x8b, 0x08, 0, 1, 2, 3]));
  await rejects(loadNb201Table(corrupt), /corrupt\.gz is not a valid gzip file/);
});

test('NaN fields, rows out of index order, whitespace around archs', async () => {
  const text = syntheticCsv(6, (l) => {
    l[1] = l[1]!.replace(/,1,/, ',NaN,'); // row index 0, cifar10_test_acc (row i has i/2 + 1)
    [l[1], l[6]] = [l[6]!, l[1]!];
  });
  const t = await loadNb201Table(writeTable(text), { allowPartial: true });
  assert.deepEqual(
    [...t.rows()].map((r) => r.index),
    [0, 1, 2, 3, 4, 5],
  );
  assert.ok(Number.isNaN(t.value(0, 'cifar10_test_acc')));
  assert.equal(t.value(1, 'cifar10_test_acc'), 1.5);
  assert.equal(t.best('cifar10_test_acc', 'min').index, 1, 'NaN skipped');
  assert.equal(t.best('cifar10_test_acc', 'max').index, 5);
  assert.equal(t.get(`  ${archAt(2)}\n`).index, 2);
  assert.equal(t.has(` ${archAt(5)} `), true);
  assert.equal(t.column('index')[5], 5);
});

test('defaultNb201Path honours TSNAS_NB201, else <repo>/../shared/data/nb201', () => {
  const saved = process.env['TSNAS_NB201'];
  try {
    process.env['TSNAS_NB201'] = '/somewhere/table.csv';
    assert.equal(defaultNb201Path(), '/somewhere/table.csv');
    delete process.env['TSNAS_NB201'];
    assert.match(defaultNb201Path(), /[\\/]shared[\\/]data[\\/]nb201[\\/]nb201\.csv\.gz$/);
  } finally {
    if (saved === undefined) delete process.env['TSNAS_NB201'];
    else process.env['TSNAS_NB201'] = saved;
  }
});

test('the NAS-Bench-201 table', { skip: nb201SkipReason }, async (t) => {
  // Load time is a benchmark (docs/benchmarks), not a test: a busy machine must not fail it.
  const table = await loadNb201Table(nb201Path);

  await t.test('loads completely', () => {
    assert.equal(table.size, 15625);
    assert.equal(table.complete, true);
  });

  await t.test('columns and aliases', () => {
    assert.equal(table.latencyColumns.length, 27);
    assert.deepEqual([...table.latencyColumns], [...NB201_LATENCY_COLUMNS]);
    assert.deepEqual([...table.columns], ['index', ...NB201_ACCURACY_COLUMNS, ...NB201_LATENCY_COLUMNS]);
    assert.equal(table.resolveColumn('pixel3'), 'lat_pixel3_ms');
    assert.equal(table.resolveColumn('lat_pixel3'), 'lat_pixel3_ms');
    assert.equal(table.resolveColumn('1080ti_256'), 'lat_1080ti_256_ms');
    assert.equal(table.resolveColumn('raspi4'), 'lat_raspi4_ms');
    assert.equal(table.resolveColumn('cifar100_test'), 'cifar100_test_acc');
    assert.throws(
      () => table.column('pixel9'),
      (e: unknown) => e instanceof TsnasError && /pixel9/.test(e.message),
    );
  });

  await t.test('lookups by arch and index', () => {
    const r0 = table.get(0);
    assert.equal(r0.arch, '|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|');
    assert.equal(r0.values['cifar10_valid_val_acc'], 81.9);
    assert.equal(table.get(r0.arch).index, 0);
    assert.equal(table.get(`\t${r0.arch}  `).index, 0);
    assert.equal(table.value(r0.arch, 'pixel3'), r0.values['lat_pixel3_ms']);
    assert.ok(table.has(BEST_C10_ARCH));
    assert.equal(table.has('|nope|'), false);
    assert.equal(table.has(15625), false);
    let n = 0;
    for (const row of table.rows()) {
      assert.ok(isNb201Arch(row.arch));
      n++;
    }
    assert.equal(n, 15625);
  });

  await t.test('errors name the missing arch', () => {
    assert.throws(
      () => table.get('|foo~0|'),
      (e: unknown) => e instanceof TsnasError && /'\|foo~0\|'/.test(e.message),
    );
    assert.throws(
      () => table.get(99999),
      (e: unknown) => e instanceof TsnasError && /99999/.test(e.message),
    );
  });

  await t.test('columns and best', () => {
    const c10 = table.column('cifar10_test_acc');
    assert.equal(c10.length, 15625);
    assert.equal(c10[0], table.get(0).values['cifar10_test_acc']);
    const best = table.best('cifar10_test_acc', 'max');
    assert.equal(best.arch, BEST_C10_ARCH);
    assert.equal(best.values['cifar10_test_acc'], Math.max(...c10));
    const fastest = table.best('pixel3', 'min');
    assert.equal(fastest.values['lat_pixel3_ms'], Math.min(...table.column('lat_pixel3_ms')));
    // columns are copies
    c10[0] = -1;
    assert.notEqual(table.column('cifar10_test_acc')[0], -1);
  });
});
