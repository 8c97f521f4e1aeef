/**
 * Declarative spaces: samples are plain JSON of the active labels; sample, check, mutate, cross
 * over, encode and decode agree over many seeds; parameter and FLOP counts equal a hand
 * computation; files and modules load wherever --space is accepted; every bad input is one line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineSpace, getSpace, layerChoice, loadSpaceFile, resolveSpace, type DeclarativeSample, type DeclarativeSpace } from '../../src/spaces/index.js';
import { Rng } from '../../src/util/rng.js';
import { TsnasError } from '../../src/util/errors.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'tiny-space.yaml');
const tiny = () => getSpace(FIXTURE) as DeclarativeSpace;
const tmp = mkdtempSync(join(tmpdir(), 'tsnas-decl-'));

/** A space file with `body` (YAML), loaded; the error message when it fails. */
function loadYaml(name: string, body: string): string {
  const f = join(tmp, `${name}.yaml`);
  writeFileSync(f, body);
  try {
    loadSpaceFile(f);
    return 'loaded';
  } catch (e) {
    assert.ok(e instanceof TsnasError, String(e));
    assert.equal(e.message.split('\n').length, 1);
    return e.message;
  }
}

test('declarative: a YAML file is a space registered under its name; inactive labels are left out', () => {
  const s = tiny();
  assert.equal(s.name, 'tiny');
  assert.equal(getSpace('tiny'), s);
  assert.deepEqual(
    s.decisions().map((d) => d.label),
    ['op1', 'k1', 'w', 'depth', 'blk.0', 'blk.1', 'e', 'in'],
  );
  assert.deepEqual(s.decisions().find((d) => d.label === 'in')!.choices, ['stem+a', 'stem+b', 'a+b']);
  const a = s.check({ op1: 'skip', depth: 0, in: ['stem', 'a'] });
  assert.equal(s.format(a), '{"depth":0,"in":["stem","a"],"op1":"skip"}');
  const b = s.check({ op1: 'conv', k1: 3, w: 8, depth: 2, 'blk.0': 'zero', 'blk.1': 'mb', e: 2, in: ['stem', 'a'] });
  assert.equal(Object.keys(b).length, 8);
  assert.deepEqual(s.encode(a), [3, 0, 0, 0, 0, 0, 0, 0]);
  assert.equal(s.format(s.decode(s.encode(b))), s.format(b));
  // decode ignores the codes of inactive decisions
  assert.equal(s.format(s.decode([3, 1, 1, 0, 1, 1, 1, 0])), s.format(a));
});

test('declarative: sample, check, mutate, crossover, encode/decode agree over many seeds', () => {
  const s = tiny();
  const rng = new Rng(11);
  const seen = new Set<string>();
  for (let i = 0; i < 300; i++) {
    const a = s.sample(rng);
    const b = s.sample(rng);
    seen.add(s.format(a));
    for (const x of [a, b]) {
      assert.ok(s.contains(x), s.format(x));
      assert.equal(s.format(s.parse(s.format(x))), s.format(x));
      assert.equal(s.format(s.decode(s.encode(x))), s.format(x));
    }
    const m = s.mutate(a, rng);
    assert.ok(s.contains(m));
    // one decision changed: exactly one label active in both differs (others may switch on or off)
    const shared = Object.keys(a).filter((l) => l in m);
    const changed = shared.filter((l) => JSON.stringify(a[l]) !== JSON.stringify(m[l]));
    assert.equal(changed.length, 1, `${s.format(a)} → ${s.format(m)}`);
    const c = s.crossover(a, b, rng);
    assert.ok(s.contains(c));
    for (const [l, v] of Object.entries(c)) {
      const fromParent = [a, b].some((p) => l in p && JSON.stringify(p[l]) === JSON.stringify(v));
      assert.ok(fromParent || !(l in a || l in b), `crossover label ${l}=${JSON.stringify(v)} from neither parent`);
    }
  }
  assert.ok(seen.size > 50, `${seen.size} distinct samples`);
});

test('declarative: parameter and FLOP counts equal a hand computation', () => {
  const s = defineSpace({
    name: 'hand',
    input: [6, 6, 2],
    numClasses: 3,
    stem: { type: 'conv', kernel: 3, channels: 4 },
    layers: [layerChoice('op', { mb: { type: 'mbconv', kernel: 3, expansion: 2, channels: 4 }, sep: { type: 'dwsep', kernel: 3, channels: 6 } })],
  });
  const count = (a: DeclarativeSample) => {
    const net = s.buildNetwork(a, new Rng(0));
    const r = [net.paramCount(), net.flopsPerImage()];
    net.dispose();
    return r;
  };
  // stem: 3·3·2·4 weights + BN 2·4 = 80; 36 positions · 72 = 2592 FLOPs
  // mbconv (e 2, residual): expand 4·8 + 16, depthwise 9·8 + 16, project 8·4 + 8 = 176; 36·(32 + 72 + 32) FLOPs
  // classifier 4·3 + 3 = 15 (and as many FLOPs)
  assert.deepEqual(count({ op: 'mb' }), [80 + 176 + 15, 2592 + 36 * 136 + 15]);
  // dwsep: depthwise 9·4 + 8, pointwise 4·6 + 12 = 80; 36·(36 + 24) FLOPs; classifier 6·3 + 3 = 21
  assert.deepEqual(count({ op: 'sep' }), [80 + 80 + 21, 2592 + 36 * 60 + 21]);
});

test('declarative: a TypeScript module exporting a space loads by path', async () => {
  const s = await resolveSpace(join(import.meta.dirname, 'fixtures', 'tiny-space.ts'));
  assert.equal(s.name, 'tiny-ts');
  assert.equal(getSpace('tiny-ts'), s);
  const a = s.sample(new Rng(2));
  assert.equal(s.format(s.parse(s.format(a))), s.format(a));
});

test('declarative: a sample outside the space is one line naming the label', () => {
  const s = tiny();
  const ok = { op1: 'skip', depth: 0, in: ['stem', 'a'] };
  const bad: [unknown, RegExp][] = [
    [{ ...ok, bogus: 1 }, /^unknown label 'bogus'/],
    [{ ...ok, op1: 'conv3' }, /^label 'op1': "conv3" is not one of "conv", "sep", "pool", "skip"$/],
    [{ op1: 'skip', in: ['stem', 'a'] }, /^label 'depth' is missing/],
    [{ ...ok, 'blk.0': 'mb' }, /^label 'blk.0' is inactive in this architecture/],
    [{ ...ok, in: ['a', 'stem'] }, /^label 'in': \["a","stem"\] is not one of/],
    [{ ...ok, depth: 1, 'blk.0': 'mb', e: 1, in: ['stem', 'b'] }, /layers\[3\] \(in\): concat of inputs with different sizes \(8×8, 4×4\)/],
    [[1, 2], /is a JSON object/],
  ];
  for (const [x, re] of bad) {
    assert.throws(
      () => s.check(x),
      (e: unknown) => e instanceof TsnasError && re.test(e.message) && !e.message.includes('\n'),
      JSON.stringify(x),
    );
    assert.equal(s.contains(x), false);
  }
  assert.throws(() => s.parse('{not json'), /is JSON \{label: value\}/);
  assert.throws(() => s.decode([9, 0, 0, 0, 0, 0, 0, 0]), /decision op1: index 9 out of range \[0, 4\)/);
});

test('declarative: bad space files are one line naming the path in the file', () => {
  const head = 'name: bad\n';
  const cases: [string, string, RegExp][] = [
    ['unknown-block', 'layers:\n  - { type: convv, kernel: 3, channels: 4 }\n', /: layers\[0\]: unknown block 'convv' \(known: conv, dwsep, mbconv/],
    ['unknown-candidate-block', 'layers:\n  - { type: layer_choice, label: op, candidates: { a: { type: sepconv } } }\n', /layers\[0\]\.candidates\.a: unknown block 'sepconv'/],
    [
      'dup-label',
      'choices: { op: [3, 5] }\nlayers:\n  - { type: conv, kernel: $op, channels: 4 }\n  - { type: layer_choice, label: op, candidates: { a: { type: identity } } }\n',
      /layers\[1\]: duplicated label 'op' \(also choices\.op\)/,
    ],
    [
      'dup-inline',
      'layers:\n  - { type: conv, kernel: { choice: k, values: [3] }, channels: 4 }\n  - { type: conv, kernel: { choice: k, values: [5] }, channels: 4 }\n',
      /layers\[1\]\.kernel: duplicated label 'k' \(also layers\[0\]\.kernel\)/,
    ],
    ['dup-yaml-key', 'choices:\n  k: [3]\n  k: [5]\nlayers:\n  - { type: conv, kernel: $k, channels: 4 }\n', /duplicated label or key/],
    ['empty-choice', 'choices: { k: [] }\nlayers:\n  - { type: conv, kernel: $k, channels: 4 }\n', /choices\.k: empty choice$/],
    ['empty-candidates', 'layers:\n  - { type: layer_choice, label: op, candidates: {} }\n', /layers\[0\]: empty choice 'op' \(no candidates\)/],
    ['empty-depths', 'layers:\n  - { type: repeat, label: d, depths: [], block: { type: identity } }\n', /layers\[0\]: empty choice 'd' \(no depths\)/],
    [
      'cyclic-self',
      'layers:\n  - { type: conv, kernel: 3, channels: 4, id: a }\n  - { type: input_choice, label: in, id: me, candidates: [a, me] }\n',
      /layers\[1\]: cyclic input choice 'in': candidate 'me' is the choice itself/,
    ],
    [
      'cyclic-later',
      'layers:\n  - { type: input_choice, label: in, candidates: [stem, b] }\n  - { type: conv, kernel: 3, channels: 4, id: b }\n',
      /layers\[0\]: cyclic input choice 'in': candidate 'b' is a later output \(layers\[1\] \(b\)\)/,
    ],
    ['even-kernel', 'layers:\n  - { type: conv, kernel: 4, channels: 4 }\n', /layers\[0\]\.kernel: kernel size must be odd/],
    ['bad-choice-value', 'choices: { k: [3, 4] }\nlayers:\n  - { type: conv, kernel: $k, channels: 4 }\n', /choices\.k: value 4 does not fit layers\[0\]\.kernel/],
    ['undefined-ref', 'layers:\n  - { type: conv, kernel: $k, channels: 4 }\n', /layers\[0\]\.kernel: '\$k' names no choice/],
    ['unknown-key', 'layers:\n  - { type: conv, kernel: 3, channels: 4, colour: red }\n', /layers\[0\]: unknown key colour/],
  ];
  for (const [name, body, re] of cases) assert.match(loadYaml(name, head + body), re, name);
  assert.equal(loadYaml('fine', `${head}layers:\n  - { type: conv, kernel: 3, channels: 4 }\n`), 'loaded');
  assert.throws(() => getSpace(join(tmp, 'missing.yaml')), /cannot read space file .*missing\.yaml: ENOENT/);
  assert.throws(() => getSpace(join(tmp, 'x.ts')), /space module .* is not loaded yet/);
  writeFileSync(join(tmp, 'nb.yaml'), 'name: nb201\nlayers:\n  - { type: identity }\n');
  assert.throws(() => getSpace(join(tmp, 'nb.yaml')), /its name 'nb201' is taken by a registered space/);
});
