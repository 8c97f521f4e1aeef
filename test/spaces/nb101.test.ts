import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf, type Tensor4D } from '../../src/engine/tf.js';
import { initBackend } from '../../src/engine/backend.js';
import { Rng } from '../../src/util/rng.js';
import { TsnasError } from '../../src/util/errors.js';
import { decodeNb101, encodeNb101, formatNb101, getSpace, makeNb101Cell, mutateNb101, nb101Hash, nb101Space, parseArch, parseNb101, sampleNb101, type Nb101Arch } from '../../src/spaces/index.js';
import { Nb101Network, nb101VertexChannels } from '../../src/nn/nb101-net.js';
import { collectActivationStats } from '../../src/proxies/activations.js';
import { naswotScore } from '../../src/proxies/naswot.js';
import { sharedDataDir } from '../helpers/bench-path.js';
import { lastJson, runCli } from '../helpers/cli.js';

interface OfficialRecord {
  hash: string;
  matrix: number[][];
  ops: string[];
  params: number;
}

const officialPath = join(sharedDataDir, 'nb101', 'nb101_official_30.json');
const officialSkip: string | false = existsSync(officialPath)
  ? false
  : `NB101 official records not found at ${officialPath} (set TSNAS_SHARED_DATA to the folder holding nb101/nb101_official_30.json)`;
const official = (): OfficialRecord[] => JSON.parse(readFileSync(officialPath, 'utf8')) as OfficialRecord[];

const I = 'input';
const O = 'output';
const C3 = 'conv3x3-bn-relu';
const C1 = 'conv1x1-bn-relu';
const MP = 'maxpool3x3';

function valid(a: Nb101Arch): void {
  // a valid cell is its own pruned form and survives its text
  assert.deepEqual(makeNb101Cell(a.matrix, a.ops), a);
  assert.deepEqual(parseNb101(formatNb101(a)), a);
}

test('NB101: all 30 official records have exactly the official parameter count', { skip: officialSkip }, () => {
  const bad: string[] = [];
  for (const r of official()) {
    const net = new Nb101Network(makeNb101Cell(r.matrix, r.ops), new Rng(0));
    const p = net.paramCount();
    net.dispose();
    if (p !== r.params) bad.push(`${r.hash}: ${p} != ${r.params}`);
  }
  assert.deepEqual(bad, []);
});

test("NB101: the isomorphism hash equals every official record's hash", { skip: officialSkip }, () => {
  for (const r of official()) assert.equal(nb101Hash(makeNb101Cell(r.matrix, r.ops)), r.hash);
  // the hash ignores vertex order: swapping two parallel interior vertices keeps it
  const a = makeNb101Cell(
    [
      [0, 1, 1, 0],
      [0, 0, 0, 1],
      [0, 0, 0, 1],
      [0, 0, 0, 0],
    ],
    [I, C3, C1, O],
  );
  const b = makeNb101Cell(
    [
      [0, 1, 1, 0],
      [0, 0, 0, 1],
      [0, 0, 0, 1],
      [0, 0, 0, 0],
    ],
    [I, C1, C3, O],
  );
  assert.notEqual(formatNb101(a), formatNb101(b));
  assert.equal(nb101Hash(a), nb101Hash(b));
  assert.notEqual(nb101Hash(a), nb101Hash(makeNb101Cell(a.matrix, [I, C3, MP, O])));
});

test('NB101: pruning drops vertices on no input→output path', () => {
  const m = Array.from({ length: 7 }, () => new Array<number>(7).fill(0));
  m[0]![1] = 1; // input → 1
  m[1]![6] = 1; // 1 → output
  m[1]![5] = 1; // 5 is reached from the input but reaches nothing
  m[4]![6] = 1; // 4 reaches the output but is not reached from the input
  m[2]![3] = 1; // 2, 3: isolated pair
  const a = makeNb101Cell(m, [I, C1, C3, C3, MP, C3, O]);
  assert.deepEqual(a, {
    matrix: [
      [0, 1, 0],
      [0, 0, 1],
      [0, 0, 0],
    ],
    ops: [I, C1, O],
  });
  assert.equal(formatNb101(a), `101|${C1}`);
  // JSON and compact spellings read the same cell
  assert.deepEqual(parseNb101(JSON.stringify({ matrix: m, ops: [I, C1, C3, C3, MP, C3, O] })), a);
  assert.deepEqual(parseArch('nb101', ` 101|${C1} `).arch, a);
});

test('NB101: invalid cells give errors naming the bad entry', () => {
  const chain = (n: number) => Array.from({ length: n }, (_, r) => Array.from({ length: n }, (_, c) => (c === r + 1 ? 1 : 0)));
  const ops7 = [I, C3, C3, C3, C3, C3, O];
  const lower = chain(7);
  lower[2]![1] = 1;
  const ten = chain(7); // 6 chain edges + 4 more, every vertex on a path
  for (const [r, c] of [
    [0, 2],
    [0, 3],
    [1, 3],
    [4, 6],
  ] as const)
    ten[r]![c] = 1;
  const ragged = chain(7);
  ragged[2] = [0, 0, 0, 1, 0, 0];
  const cases: [() => unknown, RegExp][] = [
    [() => makeNb101Cell(lower, ops7), /matrix\[2\]\[1\] is 1 on or below the diagonal/],
    [() => makeNb101Cell(ten, ops7), /10 edges after pruning; NB101 allows at most 9/],
    [() => makeNb101Cell(chain(7), [I, C3, C3, 'conv5x5', C3, C3, O]), /ops\[3\] "conv5x5" is not an NB101 op/],
    [() => makeNb101Cell(ragged, ops7), /matrix row 2 has 6 entries; the matrix must be 7×7/],
    [() => makeNb101Cell(chain(8), [...ops7, O]), /matrix has 8 rows/],
    [() => makeNb101Cell(chain(7), ops7.slice(1)), /ops has 6 entries but the matrix is 7×7/],
    [
      () =>
        makeNb101Cell(
          chain(3).map((r, i) => (i === 0 ? [0, 2, 0] : r)),
          [I, C3, O],
        ),
      /matrix\[0\]\[1\] is 2/,
    ],
    [() => makeNb101Cell(chain(3), [C3, C3, O]), /ops\[0\] is "conv3x3-bn-relu"; the input vertex's op must be 'input'/],
    [
      () =>
        makeNb101Cell(
          [
            [0, 1, 0],
            [0, 0, 0],
            [0, 0, 0],
          ],
          [I, C3, O],
        ),
      /input is not connected to the output/,
    ],
    [() => parseNb101(`1011|${C3}`), /1 ops make 3 vertices, which need 3 matrix bits, found 4/],
    [() => parseNb101(`1x1|${C3}`), /bit 1 \(matrix\[0\]\[2\]\) is 'x'/],
    [() => parseNb101(`101|conv7x7`), /op 0 \(ops\[1\]\) 'conv7x7'/],
    [() => parseNb101('{"matrix": [[0,1],[0,0]]}'), /needs "matrix" and "ops"/],
  ];
  for (const [f, re] of cases) assert.throws(f, (e: unknown) => e instanceof TsnasError && re.test(e.message), String(re));
});

test('NB101: sample, mutate and crossover stay valid over 200 seeded draws; encode/decode round-trip', () => {
  const rng = new Rng(7);
  const space = getSpace<Nb101Arch>('nb101');
  assert.equal(space, nb101Space);
  assert.equal(space.decisions().length, 26);
  let prev = sampleNb101(rng);
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const a = space.sample(rng);
    valid(a);
    const m = mutateNb101(a, rng);
    valid(m);
    assert.notEqual(formatNb101(m), formatNb101(a));
    const c = space.crossover(a, prev, rng);
    valid(c);
    const codes = encodeNb101(a);
    assert.equal(codes.length, 26);
    assert.deepEqual(decodeNb101(codes), a);
    seen.add(formatNb101(a));
    prev = m;
  }
  // NB101's sampler favours small pruned cells (large ones break the 9-edge rule): many repeats
  assert.ok(seen.size > 100, `only ${seen.size} distinct samples`);
  // seeded
  assert.equal(formatNb101(sampleNb101(new Rng(3))), formatNb101(sampleNb101(new Rng(3))));
  assert.throws(() => decodeNb101(new Array<number>(26).fill(0)), /input is not connected/);
  assert.throws(() => decodeNb101([...new Array<number>(21).fill(0), 0, 0, 3, 0, 0]), /decision op 3: index 3 out of range/);
});

test('NB101: vertex channels follow compute_vertex_channels; the tiny cell has hand-counted params and FLOPs', () => {
  // three vertices feed the output: 128 = 43 + 43 + 42, the remainder to the first ones; vertex 1
  // feeds only vertex 2 and takes its channels
  const m6 = [
    [0, 1, 0, 1, 1, 0],
    [0, 0, 1, 0, 0, 0],
    [0, 0, 0, 0, 0, 1],
    [0, 0, 0, 0, 0, 1],
    [0, 0, 0, 0, 0, 1],
    [0, 0, 0, 0, 0, 0],
  ];
  assert.deepEqual(nb101VertexChannels(64, 128, m6), [64, 43, 43, 43, 42, 128]);
  // input → output only: every cell is one 1×1 conv-BN-ReLU projection to the cell's channels.
  // params: stem 3·9·128 + 2·128; stack 1: 3·(128·128 + 256); stack 2: 128·256 + 512 + 2·(256·256 + 512);
  // stack 3: 256·512 + 1024 + 2·(512·512 + 1024); dense 512·10 + 10.
  const params = 3 * 9 * 128 + 256 + 3 * (128 * 128 + 256) + (128 * 256 + 512 + 2 * (256 * 256 + 512)) + (256 * 512 + 1024 + 2 * (512 * 512 + 1024)) + 5130;
  // FLOPs (multiply-accumulates of convs and the dense layer, per 32×32 image):
  const flops = 32 * 32 * 9 * 3 * 128 + 3 * 32 * 32 * 128 * 128 + 16 * 16 * (128 * 256 + 2 * 256 * 256) + 8 * 8 * (256 * 512 + 2 * 512 * 512) + 5130;
  assert.equal(params, 882_570);
  assert.equal(flops, 137_761_802);
  const net = new Nb101Network(parseNb101('1|'), new Rng(0));
  assert.equal(net.paramCount(), params);
  assert.equal(net.flopsPerImage(), flops);
  net.dispose();
});

test('NB101: the network forward gives [batch, 10] logits and a finite NASWOT score (C 16, 16 px)', async () => {
  await initBackend('auto');
  const a = makeNb101Cell(
    [
      [0, 1, 0, 1, 0, 0, 0],
      [0, 0, 1, 1, 1, 0, 0],
      [0, 0, 0, 1, 0, 0, 0],
      [0, 0, 0, 0, 0, 0, 1],
      [0, 0, 0, 0, 0, 1, 0],
      [0, 0, 0, 0, 0, 0, 1],
      [0, 0, 0, 0, 0, 0, 0],
    ],
    [I, C3, C1, C1, C3, C1, O],
  );
  const net = nb101Space.buildNetwork(a, new Rng(1), { C: 16, inputShape: [16, 16, 3] });
  const rng = new Rng(2);
  const x = tf.tensor4d(
    Float32Array.from({ length: 8 * 16 * 16 * 3 }, () => rng.normal()),
    [8, 16, 16, 3],
  ) as Tensor4D;
  const y = tf.tidy(() => net.forward(x, { training: false }));
  assert.deepEqual(y.shape, [8, 10]);
  assert.ok((y.dataSync() as Float32Array).every(Number.isFinite));
  y.dispose();
  const s = collectActivationStats(net, x);
  // stem + 9 cells × (5 convs + 2 input projections: the input feeds vertices 1 and 3) ReLUs
  assert.equal(s.layers.length, 1 + 9 * 7);
  assert.ok(Number.isFinite(naswotScore(s)));
  x.dispose();
  net.dispose();
});

test('NB101 CLI: tsnas arch prints params and FLOPs; errors name the entry', async () => {
  const r = await runCli(['arch', '--space', 'nb101', '--arch', '{"matrix":[[0,1],[0,0]],"ops":["input","output"]}', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = lastJson(r.stdout);
  assert.equal(j['arch'], '1|');
  assert.equal(j['params'], 0.88257);
  assert.equal(j['flops'], 137.761802);
  const bad = await runCli(['arch', '--space', 'nb101', '--arch', `111|${C3},${C1}`]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /2 ops make 4 vertices, which need 6 matrix bits, found 3/);
});

test('NB101 CLI: tsnas score and tsnas correlate --space nb101', { skip: officialSkip }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsnas-nb101-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const common = ['--dataset', 'synthetic', '--batch', '8', '--data-limit', '32', '--workers', '1', '--store', join(dir, 'runs.db'), '--json'];
  const s = await runCli(['score', '--space', 'nb101', '--arch', '{"matrix":[[0,1],[0,0]],"ops":["input","output"]}', '--proxies', 'naswot,das,params,flops', ...common]);
  assert.equal(s.code, 0, s.stderr);
  const res = (lastJson(s.stdout)['results'] as { arch: string; scores: Record<string, number> }[])[0]!;
  assert.equal(res.arch, '1|');
  assert.equal(res.scores['params'], 0.88257);
  for (const k of ['naswot', 'das', 'flops']) assert.ok(Number.isFinite(res.scores[k]), k);
  const c = await runCli(['correlate', '--space', 'nb101', '--targets', officialPath, '--target', 'test_accuracy', '--n', '4', '--proxies', 'params', ...common]);
  assert.equal(c.code, 0, c.stderr);
  const j = lastJson(c.stdout);
  assert.equal(j['n'], 4);
  assert.equal(j['target'], 'test_accuracy');
  assert.ok(Number.isFinite((j['kendall'] as Record<string, number>)['params']));
  const bad = await runCli(['correlate', '--space', 'nb101', '--targets', officialPath, '--target', 'nope', '--n', '4', '--proxies', 'params', ...common]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /has no numeric column 'nope' in every record \(known: params, val_accuracy, test_accuracy\)/);
});
