import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/rng.js';
import { TsnasError } from '../../src/util/errors.js';
import {
  NB201_SIZE,
  enumerateNb201,
  formatNb201,
  mutateNb201,
  nb201Code,
  nb201FromCode,
  parseNb201,
  sampleNb201,
  DARTS_OPS,
  formatGenotype,
  mutateGenotype,
  parseGenotype,
  sampleGenotype,
  validateGenotype,
  parseArch,
} from '../../src/spaces/index.js';
import { loadNb201Table } from '../../src/benchmarks/nb201-table.js';
import { nb201Available, nb201Path, nb201SkipReason } from '../helpers/bench-path.js';
import { lastJson, runCli } from '../helpers/cli.js';

const BEST = '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|';
const DARTS_V2 =
  "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=range(2, 6))";

test('NB201 strings round-trip and name the edge order', () => {
  const a = parseNb201(BEST);
  assert.deepEqual(a.ops, ['nor_conv_3x3', 'nor_conv_3x3', 'nor_conv_3x3', 'skip_connect', 'nor_conv_3x3', 'nor_conv_1x1']);
  assert.equal(formatNb201(a), BEST);
  assert.equal(formatNb201(parseNb201(`  ${BEST}\n`)), BEST);
});

test('NB201 malformed strings give errors naming the position', () => {
  const cases: [string, RegExp][] = [
    ['', /empty/],
    ['|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|', /expected 3 nodes/],
    ['|conv~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|', /unknown NB201 op 'conv' at position 1/],
    ['|nor_conv_3x3~0|+|nor_conv_3x3~1|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|', /position 18: node 2 input 0 is written as ~1/],
    ['|nor_conv_3x3~0|+|nor_conv_3x3~0|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|', /node 2 needs 2 inputs/],
    ['nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|', /position 0/],
    ['|nor_conv_3x3-0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|', /'nor_conv_3x3-0' is not op~input/],
  ];
  for (const [s, re] of cases)
    assert.throws(
      () => parseNb201(s),
      (e: Error) => e instanceof TsnasError && re.test(e.message),
      s,
    );
});

test('NB201 enumeration covers 15,625 distinct cells; codes invert', () => {
  const seen = new Set<string>();
  for (const a of enumerateNb201()) seen.add(formatNb201(a));
  assert.equal(seen.size, NB201_SIZE);
  const rng = new Rng(1);
  for (let i = 0; i < 100; i++) {
    const a = sampleNb201(rng);
    assert.deepEqual(nb201FromCode(nb201Code(a)).ops, a.ops);
    const m = mutateNb201(a, rng);
    assert.equal(m.ops.filter((o, k) => o !== a.ops[k]).length, 1, 'mutation changes exactly one edge');
  }
});

test('NB201 enumeration is exactly the set of archs in the NB201 table', { skip: nb201Available ? false : nb201SkipReason }, async () => {
  const table = await loadNb201Table(nb201Path);
  for (const a of enumerateNb201()) assert.ok(table.has(formatNb201(a)));
  assert.equal(table.size, NB201_SIZE);
});

test('DARTS genotypes parse (list and range concat), round-trip and validate', () => {
  const g = parseGenotype(DARTS_V2);
  assert.equal(g.normal.length, 8);
  assert.deepEqual(g.reduceConcat, [2, 3, 4, 5]);
  assert.deepEqual(parseGenotype(formatGenotype(g)), g);
  assert.equal(parseArch('darts', DARTS_V2).text, formatGenotype(g));
});

test('DARTS bad genotypes give clear errors', () => {
  const bad: [string, RegExp][] = [
    ['normal=[]', /expected Genotype/],
    [DARTS_V2.replace("('sep_conv_3x3', 0)", "('sep_conv_9x9', 0)"), /unknown DARTS op 'sep_conv_9x9' in normal\[0\]/],
    [DARTS_V2.replace("('dil_conv_3x3', 2)", "('dil_conv_3x3', 5)"), /normal\[7\] takes input 5, node 5 can take 0..4/],
    [DARTS_V2.replace("('sep_conv_3x3', 0), ", ''), /normal has 7 entries/],
    [DARTS_V2.replace("('max_pool_3x3', 0)", "('none', 0)"), /reduce\[0\] is 'none'/],
    [DARTS_V2.replace("[('sep_conv_3x3', 0)", "[('sep_conv_3x3' 0)"), /malformed genotype at position \d+/],
  ];
  for (const [s, re] of bad)
    assert.throws(
      () => parseGenotype(s),
      (e: Error) => e instanceof TsnasError && re.test(e.message),
      s,
    );
});

test('DARTS sampling and mutation stay valid', () => {
  const rng = new Rng(5);
  for (let i = 0; i < 200; i++) {
    const g = sampleGenotype(rng);
    validateGenotype(g);
    for (const [op] of [...g.normal, ...g.reduce]) assert.ok(op !== 'none' && DARTS_OPS.includes(op));
    const m = mutateGenotype(g, rng);
    validateGenotype(m);
    assert.notEqual(formatGenotype(m), formatGenotype(g));
  }
});

test('tsnas arch --random draws seeded, valid architectures (one per line; params in --json)', async () => {
  const draw = async (space: string, seed: string, json = false) => runCli(['arch', '--space', space, '--random', '4', '--seed', seed, '--backend', 'cpu', ...(json ? ['--json'] : [])]);
  const a = await draw('darts', '3');
  assert.equal(a.code, 0, a.stderr);
  const lines = a.stdout.trim().split('\n');
  assert.equal(lines.length, 4);
  for (const l of lines) validateGenotype(parseGenotype(l));
  assert.equal(new Set(lines).size, 4);
  assert.equal((await draw('darts', '3')).stdout, a.stdout, 'same seed, same draw');
  assert.notEqual((await draw('darts', '4')).stdout, a.stdout, 'another seed, another draw');
  const j = lastJson((await draw('nb201', '3', true)).stdout) as { archs: { arch: string; params: number; flops: number }[] };
  assert.equal(j.archs.length, 4);
  for (const x of j.archs) {
    parseArch('nb201', x.arch);
    assert.ok(x.params > 0 && x.flops > 0, x.arch);
  }
});
