/**
 * Issue 20's bad input through the CLI: a space file with an unknown block, a duplicated label, an
 * empty choice or a cyclic input choice; a sample outside the space; an image folder with an empty
 * class, a corrupt JPEG, a 0-byte PNG, or grayscale and colour images mixed without --color. Each is
 * one line on stderr naming the problem (and the file, label or path), a non-zero exit, and nothing
 * stored: no run in the store, no decoded-image cache in the folder.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { IMAGE_FOLDER_CACHE_DIR } from '../../src/data/folder.js';
import { Store } from '../../src/store/store.js';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'tsnas-bad20-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

/** An 8×8 RGBA pattern, different per seed. */
function rgba(seed: number): Buffer {
  return Buffer.from(Array.from({ length: 8 * 8 * 4 }, (_, i) => (i % 4 === 3 ? 255 : (i * 29 + seed * 71) % 256)));
}
const png = (seed: number, colorType: 0 | 2 = 2) => {
  const p = new PNG({ width: 8, height: 8 });
  rgba(seed).copy(p.data);
  return PNG.sync.write(p, { colorType });
};
const jpg = (seed: number) => jpeg.encode({ data: rgba(seed), width: 8, height: 8 }, 90).data;

/** A good folder (2 classes, a PNG and a JPEG each), copied and then spoilt by `spoil`. */
const good = join(dir, 'good');
for (const [c, cls] of ['cat', 'dog'].entries()) {
  mkdirSync(join(good, cls), { recursive: true });
  writeFileSync(join(good, cls, 'a.png'), png(c));
  writeFileSync(join(good, cls, 'b.jpg'), jpg(c + 10));
}
function folder(name: string, spoil: (d: string) => void): string {
  const d = join(dir, name);
  cpSync(good, d, { recursive: true });
  spoil(d);
  return d;
}
const emptyClass = folder('empty-class', (d) => mkdirSync(join(d, 'owl')));
const corruptJpeg = folder('corrupt-jpeg', (d) => writeFileSync(join(d, 'dog', 'c.jpg'), Buffer.concat([jpg(3).subarray(0, 120), Buffer.alloc(40, 0x55)])));
const zeroPng = folder('zero-png', (d) => writeFileSync(join(d, 'cat', 'z.png'), Buffer.alloc(0)));
const mixed = folder('mixed', (d) => writeFileSync(join(d, 'dog', 'g.png'), png(5, 0)));

/** A space file: a valid header and `layers`. */
function space(name: string, layers: string, extra = ''): string {
  const p = join(dir, `${name}.yaml`);
  writeFileSync(p, `name: ${name}\ninput: [8, 8, 3]\nnumClasses: 2\n${extra}layers:\n${layers}`);
  return p;
}
const unknownBlock = space('unknown-block', '  - { type: sepconv, kernel: 3, channels: 4 }\n');
const dupLabel = space('dup-label', '  - { type: conv, kernel: $op, channels: 4 }\n  - { type: layer_choice, label: op, candidates: { a: { type: identity } } }\n', 'choices: { op: [3, 5] }\n');
const emptyChoice = space('empty-choice', '  - { type: conv, kernel: $k, channels: 4 }\n', 'choices: { k: [] }\n');
const cyclic = space('cyclic', '  - { type: input_choice, label: in, candidates: [stem, b] }\n  - { type: conv, kernel: 3, channels: 4, id: b }\n');
const fine = space('fine', '  - { type: conv, kernel: { choice: k, values: [1, 3] }, channels: 4 }\n');

const tiny = ['--backend', 'cpu', '--batch', '2', '--image-size', '8'];
const onFolder = (d: string) => ['--dataset', 'folder', '--data-dir', d, ...tiny];
const moo = ['--objectives', 'accuracy:trained,size', '--preset', 'tiny', '--budget', '2'];
const re = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const CASES: [name: string, argv: string[], error: RegExp, folder?: string][] = [
  ['space file: unknown block', ['search', 'nsga2', '--space', unknownBlock, ...moo, '--dataset', 'synthetic'], new RegExp(`space file ${re(unknownBlock)}: layers\\[0\\]: unknown block 'sepconv'`)],
  [
    'space file: duplicated label',
    ['search', 'evolution', '--space', dupLabel, ...moo, '--dataset', 'synthetic'],
    new RegExp(`space file ${re(dupLabel)}: layers\\[1\\]: duplicated label 'op' \\(also choices\\.op\\)`),
  ],
  ['space file: empty choice', ['search', 'tnd-nas', '--space', emptyChoice, '--objectives', 'params', '--budget', '2'], new RegExp(`space file ${re(emptyChoice)}: choices\\.k: empty choice`)],
  [
    'space file: cyclic input choice',
    ['train', '--space', cyclic, '--arch', '{"in":"b"}', '--dataset', 'synthetic', '--epochs', '1'],
    new RegExp(`space file ${re(cyclic)}: layers\\[0\\]: cyclic input choice 'in': candidate 'b' is a later output`),
  ],
  [
    'sample outside the space (train)',
    ['train', '--space', 'mobile', '--arch', '{"s1.depth":5}', '--dataset', 'synthetic', '--epochs', '1'],
    /^tsnas: error: label 's1\.depth': 5 is not one of 1, 2, 3, 4$/,
  ],
  ['sample outside the space (score)', ['score', '--space', fine, '--arch', '{"k":2}', '--proxies', 'params', '--dataset', 'synthetic'], /^tsnas: error: label 'k': 2 is not one of 1, 3$/],
  ['image folder: empty class', ['search', 'random', '--space', fine, ...moo, ...onFolder(emptyClass)], new RegExp(`class folder ${re(join(emptyClass, 'owl'))} has no images`), emptyClass],
  [
    'image folder: corrupt JPEG',
    ['search', 'naswot', '--space', fine, '--n', '2', '--workers', '1', ...onFolder(corruptJpeg)],
    new RegExp(`corrupt JPEG ${re(join(corruptJpeg, 'dog', 'c.jpg'))}`),
    corruptJpeg,
  ],
  [
    'image folder: 0-byte PNG',
    ['train', '--space', fine, '--arch', '{"k":3}', '--val-split', '0.5', '--epochs', '1', ...onFolder(zeroPng)],
    new RegExp(`image ${re(join(zeroPng, 'cat', 'z.png'))} is empty \\(0 bytes\\)`),
    zeroPng,
  ],
  [
    'image folder: grayscale and colour without --color',
    ['search', 'nsga2', '--space', fine, ...moo, ...onFolder(mixed)],
    new RegExp(`the folder mixes grayscale \\(${re(join(mixed, 'dog', 'g.png'))}\\) and colour \\(.*\\) images; pass --color rgb or --color gray`),
    mixed,
  ],
];

for (const [name, argv, error, imageFolder] of CASES) {
  test(`bad input: ${name}`, async () => {
    const store = join(dir, `${name.replace(/\W+/g, '-')}.db`);
    const quiet = argv[0] === 'score' ? [] : ['--no-progress']; // score has no progress bar
    const r = await runCli([...argv, '--store', store, '--json', ...quiet]);
    assert.notEqual(r.code, 0, `${name}: exit code`);
    const err = r.stderr.trim();
    assert.equal(err.split('\n').length, 1, `${name}: one line, got ${JSON.stringify(r.stderr)}`);
    assert.match(err, /^tsnas: error: /);
    assert.match(err, error);
    assert.equal(r.stdout, '', `${name}: no result printed`);
    if (existsSync(store)) {
      const s = Store.open(store);
      const runs = s.listRuns();
      s.close();
      assert.deepEqual(
        runs.map((x) => `${x.id} (${x.status})`),
        [],
        `${name}: no run stored`,
      );
    }
    if (imageFolder) assert.equal(existsSync(join(imageFolder, IMAGE_FOLDER_CACHE_DIR)), false, `${name}: no decoded-image cache`);
  });
}

test('the good folder and space pass where the spoilt ones fail (the cases test their one fault)', async () => {
  const store = join(dir, 'good.db');
  const r = await runCli(['search', 'random', '--space', fine, ...moo, ...onFolder(good), '--store', store, '--run-id', 'ok', '--json', '--no-progress']);
  assert.equal(r.code, 0, r.stderr);
  const mixedRgb = await runCli(['search', 'random', '--space', fine, ...moo, ...onFolder(mixed), '--color', 'rgb', '--store', store, '--run-id', 'mixed-rgb', '--json', '--no-progress']);
  assert.equal(mixedRgb.code, 0, mixedRgb.stderr);
  const s = Store.open(store);
  assert.deepEqual(
    s
      .listRuns()
      .map((x) => [x.id, x.status, s.trials(x.id).length])
      .sort(),
    [
      ['mixed-rgb', 'done', 2],
      ['ok', 'done', 2],
    ],
  );
  s.close();
});
