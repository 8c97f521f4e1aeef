import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf, type Tensor4D } from '../../src/engine/tf.js';
import { Rng } from '../../src/util/rng.js';
import { TsnasError } from '../../src/util/errors.js';
import {
  asDarts,
  asNb201,
  buildEvalNetwork,
  checkSpace,
  crossoverArch,
  dartsSpace,
  decodeArch,
  encodeArch,
  getSpace,
  listSpaces,
  mutateArch,
  nb201Space,
  parseArch,
  registerSpace,
  sampleArch,
  unregisterSpace,
  uniformCrossover,
  type Arch,
  type EvalNetOverrides,
  type SearchSpace,
} from '../../src/spaces/index.js';
import { benchmarksFor, getBenchmark, loadBenchmark, registerBenchmark, unregisterBenchmark, type BenchmarkTable } from '../../src/benchmarks/index.js';
import { buildObjectives, parseObjectives } from '../../src/objectives/index.js';
import { netSize } from '../../src/objectives/objectives.js';
import { MooEvaluator } from '../../src/search/moo-common.js';
import { nsga2 } from '../../src/search/nsga2.js';
import { Linear, globalAvgPool } from '../../src/nn/layers.js';
import { relu, type ForwardCtx } from '../../src/nn/module.js';
import { Network, type NetworkOutput } from '../../src/nn/network.js';

const BEST = '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|';
const DARTS_V2 =
  "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=range(2, 6))";

// ---- a toy user space: a sample is plain JSON {label: value} ------------------------------------
type Toy = { width: string; act: string; depth: string };
const TOY_DECISIONS = [
  { label: 'width', choices: ['4', '8', '16'] },
  { label: 'act', choices: ['relu', 'linear'] },
  { label: 'depth', choices: ['1', '2'] },
] as const;

class ToyNet extends Network {
  readonly inputShape: readonly [number, number, number];
  readonly layers: Linear[] = [];
  constructor(
    readonly a: Toy,
    rng: Rng,
    o: EvalNetOverrides,
  ) {
    super();
    this.inputShape = o.inputShape ?? [8, 8, 3];
    const w = Number(a.width);
    let c = this.inputShape[2];
    for (let i = 0; i < Number(a.depth); i++) {
      this.layers.push(this.child(`fc${i}`, new Linear(c, w, rng)));
      c = w;
    }
    this.layers.push(this.child('classifier', new Linear(c, o.numClasses ?? 10, rng)));
  }
  forwardFull(x: Tensor4D, ctx: ForwardCtx): NetworkOutput {
    let h: tf.Tensor = globalAvgPool(x);
    this.layers.forEach((l, i) => {
      h = l.forward(h, ctx);
      if (i < this.layers.length - 1 && this.a.act === 'relu') h = relu(h, ctx);
    });
    return { logits: h };
  }
}

const toyFormat = (a: Toy) => TOY_DECISIONS.map((d) => `${d.label}=${a[d.label]}`).join(',');
const toyDecode = (codes: readonly number[]): Toy => {
  const out: Record<string, string> = {};
  TOY_DECISIONS.forEach((d, i) => {
    const v = d.choices[codes[i]!];
    if (v === undefined) throw new TsnasError(`toy decision ${d.label}: index ${codes[i]} out of range`);
    out[d.label] = v;
  });
  return out as Toy;
};
const toyEncode = (a: Toy) => TOY_DECISIONS.map((d) => (d.choices as readonly string[]).indexOf(a[d.label]));
const toySpace: SearchSpace<Toy> = {
  name: 'toy',
  description: 'a three-decision MLP space for tests',
  parse(text) {
    const kv = Object.fromEntries(text.split(',').map((p) => p.trim().split('=') as [string, string]));
    for (const d of TOY_DECISIONS) {
      if (!(d.choices as readonly string[]).includes(kv[d.label] ?? '')) throw new TsnasError(`toy arch: '${d.label}' must be one of ${d.choices.join(', ')}`);
    }
    return { width: kv['width']!, act: kv['act']!, depth: kv['depth']! };
  },
  format: toyFormat,
  sample: (rng) => toyDecode(TOY_DECISIONS.map((d) => rng.int(d.choices.length))),
  mutate(a, rng) {
    const c = toyEncode(a);
    const i = rng.int(c.length);
    c[i] = (c[i]! + 1 + rng.int(TOY_DECISIONS[i]!.choices.length - 1)) % TOY_DECISIONS[i]!.choices.length;
    return toyDecode(c);
  },
  crossover: (a, b, rng) => uniformCrossover({ encode: toyEncode, decode: toyDecode }, a, b, rng),
  decisions: () => TOY_DECISIONS,
  encode: toyEncode,
  decode: toyDecode,
  buildNetwork: (a, rng, o = {}) => new ToyNet(a, rng, o),
  netOptions: [],
};

test('registry: unknown names and duplicates are one-line errors naming the known spaces', () => {
  assert.deepEqual(listSpaces().slice(0, 2), ['nb201', 'darts']);
  assert.throws(
    () => getSpace('nope'),
    (e: unknown) => e instanceof TsnasError && /^unknown search space 'nope' \(known: nb201, darts, nb101, mobile\)$/.test(e.message),
  );
  assert.throws(() => checkSpace('nope'), /unknown search space 'nope' \(known: nb201, darts, nb101/);
  assert.throws(() => parseArch('nope', BEST), /unknown search space 'nope'/);
  assert.throws(() => sampleArch('nope', new Rng(0)), /unknown search space 'nope'/);
  assert.throws(() => registerSpace({ ...nb201Space }), /search space 'nb201' is already registered/);
  assert.throws(() => registerSpace({ ...toySpace, name: 'two words' }), /must be a word/);
  assert.equal(checkSpace('darts'), 'darts');
  assert.throws(() => asNb201(parseArch('darts', DARTS_V2)), /expected an architecture of the nb201 space, got one of darts/);
  assert.throws(() => asDarts(parseArch('nb201', BEST)), /expected an architecture of the darts space, got one of nb201/);
  assert.deepEqual(asNb201(parseArch('nb201', BEST)).ops.length, 6);
});

test('a toy space registered by the user works through the generic helpers, objectives and NSGA-II', async (t) => {
  registerSpace(toySpace);
  t.after(() => unregisterSpace('toy'));
  assert.ok(listSpaces().includes('toy'));
  assert.throws(() => getSpace('nope'), /known: nb201, darts, nb101, mobile, toy\)/);
  const a = parseArch('toy', 'width=8, act=relu, depth=2');
  assert.deepEqual(a, { space: 'toy', arch: { width: '8', act: 'relu', depth: '2' }, text: 'width=8,act=relu,depth=2' });
  assert.throws(() => parseArch('toy', 'width=5,act=relu,depth=1'), /'width' must be one of 4, 8, 16/);
  const rng = new Rng(3);
  const s = sampleArch('toy', rng);
  assert.equal(s.space, 'toy');
  assert.equal(parseArch('toy', s.text).text, s.text);
  const m = mutateArch(s, rng);
  assert.equal(encodeArch(m).filter((c, i) => c !== encodeArch(s)[i]).length, 1);
  assert.deepEqual(decodeArch('toy', [2, 1, 0]).text, 'width=16,act=linear,depth=1');
  assert.throws(() => crossoverArch(s, parseArch('nb201', BEST), rng), /different spaces \(toy, nb201\)/);
  // network: built, run, counted
  const net = buildEvalNetwork('toy', a, new Rng(0), { numClasses: 5, inputShape: [4, 4, 3] });
  try {
    const y = tf.tidy(() => net.forward(tf.ones([2, 4, 4, 3]) as Tensor4D, { training: false }).shape);
    assert.deepEqual(y, [2, 5]);
    assert.equal(net.paramCount(), 3 * 8 + 8 + 8 * 8 + 8 + 8 * 5 + 5);
    assert.equal(net.poolsLastRelu, false);
  } finally {
    net.dispose();
  }
  assert.throws(() => buildEvalNetwork('nb201', a, new Rng(0)), /architecture is from space toy, not nb201/);
  assert.ok(netSize('toy', a, { inputShape: [4, 4, 3] }).params > 0);
  // objectives and a search run on it; table objectives refuse it until a table covers it
  assert.throws(() => buildObjectives(parseObjectives('accuracy'), { space: 'toy' }), /reads a benchmark table, and none is for --space toy \(NAS-Bench-201 covers only --space nb201\)/);
  const objs = buildObjectives(parseObjectives('params,flops'), { space: 'toy', netOverrides: { inputShape: [4, 4, 3] } });
  const ev = new MooEvaluator(objs, 12);
  nsga2(ev, { space: 'toy', seed: 0, popSize: 4 });
  assert.equal(ev.evaluations, 12); // the toy space has exactly 3 × 2 × 2 = 12 archs
  assert.ok(ev.history.every((r) => r.arch.space === 'toy'));

  // a benchmark table for the toy space: registered, loaded lazily once, usable as an evaluator
  let loads = 0;
  const all = [0, 1, 2].flatMap((w) => [0, 1].flatMap((ac) => [0, 1].map((d) => toyFormat(toyDecode([w, ac, d])))));
  const table: BenchmarkTable = {
    name: 'toy-table',
    space: 'toy',
    columns: ['val_acc'],
    resolveColumn: (n) => {
      if (n !== 'val_acc' && n !== 'accuracy') throw new TsnasError(`no column ${n}`);
      return 'val_acc';
    },
    has: (x) => all.includes(x),
    get: (x) => ({ arch: x, values: { val_acc: 50 + all.indexOf(x) } }),
    value: (x) => 50 + all.indexOf(x),
  };
  registerBenchmark({ name: 'toy-table', space: 'toy', title: 'Toy', defaultPath: () => '/nowhere', load: async () => (loads++, table) });
  t.after(() => unregisterBenchmark('toy-table'));
  assert.deepEqual(
    benchmarksFor('toy').map((b) => b.name),
    ['toy-table'],
  );
  assert.equal(await loadBenchmark('toy-table'), table);
  assert.equal(await loadBenchmark('toy-table'), table);
  assert.equal(loads, 1);
  assert.throws(() => buildObjectives(parseObjectives('accuracy'), { space: 'toy' }), /needs the Toy table \(--bench FILE\)/);
  const [acc] = buildObjectives(parseObjectives('accuracy:val_acc'), { space: 'toy', table });
  assert.equal(acc!.evaluate(parseArch('toy', all[5]!)), 55);
  assert.throws(() => getBenchmark('nope'), /unknown benchmark table 'nope' \(known: nb201, toy-table\)/);
});

for (const sp of [nb201Space, dartsSpace] as SearchSpace<unknown>[]) {
  test(`${sp.name}: encode/decode round-trips 200 random archs; crossover takes every decision from a parent`, () => {
    const rng = new Rng(11);
    const decisions = sp.decisions();
    for (let i = 0; i < 200; i++) {
      const a = sp.sample(rng);
      const code = sp.encode(a);
      assert.equal(code.length, decisions.length);
      code.forEach((c, k) => assert.ok(Number.isInteger(c) && c >= 0 && c < decisions[k]!.choices.length, `${decisions[k]!.label}: ${c}`));
      assert.equal(sp.format(sp.decode(code)), sp.format(a));
      const b = sp.sample(rng);
      const child = sp.crossover(a, b, rng);
      const [ca, cb, cc] = [code, sp.encode(b), sp.encode(child)];
      cc.forEach((c, k) => assert.ok(c === ca[k] || c === cb[k], `${sp.name} decision ${decisions[k]!.label} from neither parent`));
      assert.equal(sp.format(sp.parse(sp.format(child))), sp.format(child));
      const m = sp.mutate(a, rng);
      assert.notEqual(sp.format(m), sp.format(a));
    }
    assert.throws(() => sp.decode([]), /decisions, expected/);
    assert.throws(() => sp.decode(decisions.map(() => 99)), new RegExp(`decision ${decisions[0]!.label.replace(/[.<-]/g, '\\$&')}: index 99 out of range`));
  });
}

test('NB201 encode: edge ops as indices of NB201_OPS, in edge order; DARTS encode: input, op per entry', () => {
  const a = parseArch('nb201', BEST);
  // BEST: 1<-0 nor_conv_3x3, 2<-0 nor_conv_3x3, 2<-1 nor_conv_3x3, 3<-0 skip_connect, 3<-1 nor_conv_3x3, 3<-2 nor_conv_1x1
  assert.deepEqual(encodeArch(a), [3, 3, 3, 1, 3, 2]);
  assert.deepEqual(
    nb201Space.decisions().map((d) => d.label),
    ['1<-0', '2<-0', '2<-1', '3<-0', '3<-1', '3<-2'],
  );
  assert.equal(decodeArch('nb201', [3, 3, 3, 1, 3, 2]).text, BEST);
  assert.equal(decodeArch('nb201', [0, 0, 0, 0, 0, 0]).text, '|none~0|+|none~0|none~1|+|none~0|none~1|none~2|');
  const d = parseArch('darts', DARTS_V2);
  const code = encodeArch(d);
  assert.equal(code.length, 32);
  // normal node 2: ('sep_conv_3x3', 0), ('sep_conv_3x3', 1); ops indexed among the 7 real ones (sep_conv_3x3 = 3)
  assert.deepEqual(code.slice(0, 4), [0, 3, 1, 3]);
  assert.deepEqual(
    dartsSpace
      .decisions()
      .slice(0, 4)
      .map((x) => x.label),
    ['normal.node2.input0', 'normal.node2.op0', 'normal.node2.input1', 'normal.node2.op1'],
  );
  // reduce node 2: ('max_pool_3x3', 0), ('max_pool_3x3', 1)
  assert.deepEqual(code.slice(16, 20), [0, 0, 1, 0]);
  assert.equal(decodeArch('darts', code).text, d.text);
  assert.equal(getSpace('nb201').size, 15625);
  assert.equal([...getSpace('nb201').enumerate!()].length, 15625);
  assert.equal(getSpace('darts').enumerate, undefined);
});

test('generic Arch values flow through the AnyArch helpers', () => {
  const a: Arch = sampleArch('nb201', new Rng(1));
  const b = mutateArch(a, new Rng(2));
  assert.equal(b.space, 'nb201');
});
