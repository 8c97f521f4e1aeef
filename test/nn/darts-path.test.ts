/**
 * The DARTS supernet's single path (forwardPath, MixedOp.forwardOne) and the DARTS network's
 * parameter count without building it (dartsParamCount).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf, type Tensor4D } from '../../src/engine/tf.js';
import { Rng } from '../../src/util/rng.js';
import { DartsSupernet } from '../../src/nn/darts-supernet.js';
import { DartsNetwork, DARTS_EVAL_CONFIG, dartsParamCount } from '../../src/nn/darts-net.js';
import { DARTS_EDGES, DARTS_OPS, sampleGenotype, type DartsGenotype, type DartsOp } from '../../src/spaces/darts.js';
import { useBackend } from '../helpers/backends.js';

await useBackend('cpu');

const REAL: readonly DartsOp[] = DARTS_OPS.filter((o) => o !== 'none');

/** One-hot op weights and masks that leave exactly the genotype's edges and ops on. */
function oneHotOf(cell: DartsGenotype['normal'], ops: readonly string[]): { w: number[][]; masks: boolean[][] } {
  const w = DARTS_EDGES.map(() => ops.map(() => 0));
  const masks = DARTS_EDGES.map(() => ops.map(() => false));
  cell.forEach(([op, from], k) => {
    const node = 2 + Math.floor(k / 2);
    const e = DARTS_EDGES.findIndex(([to, f]) => to === node && f === from);
    w[e]![ops.indexOf(op)] = 1;
    masks[e]![ops.indexOf(op)] = true;
  });
  return { w, masks };
}

test('DARTS supernet forwardPath equals the mixed forward with one-hot weights on the genotype and every other edge off', () => {
  const rng = new Rng(5);
  const net = new DartsSupernet(new Rng(2), { C: 4, layers: 3, numClasses: 5, inputShape: [8, 8, 3] }, REAL);
  const x = tf.randomNormal([3, 8, 8, 3], 0, 1, 'float32', 7) as Tensor4D;
  for (let t = 0; t < 3; t++) {
    const g = sampleGenotype(rng);
    const n = oneHotOf(g.normal, REAL);
    const r = oneHotOf(g.reduce, REAL);
    const [a, b] = tf.tidy(() => [
      net.forwardPath(x, { training: true }, g).logits.arraySync() as number[][],
      net.forwardFull(x, { training: true }, { weightsNormal: tf.tensor2d(n.w), weightsReduce: tf.tensor2d(r.w), masksNormal: n.masks, masksReduce: r.masks }).logits.arraySync() as number[][],
    ]);
    a.flat().forEach((v, i) => assert.ok(Math.abs(v - b.flat()[i]!) < 1e-4, `logit ${i}: ${v} vs ${b.flat()[i]}`));
  }
  x.dispose();
  net.dispose();
});

test('DARTS supernet forwardPath trains only the genotype ops (partial channels too) and leaks no tensors', () => {
  for (const K of [1, 2]) {
    const net = new DartsSupernet(new Rng(3), { C: 4, layers: 3, numClasses: 5, inputShape: [8, 8, 3], partialChannels: K }, REAL);
    const g = sampleGenotype(new Rng(11 + K));
    const x = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 1) as Tensor4D;
    const y = tf.oneHot(tf.tensor1d([0, 3], 'int32'), 5);
    const before = tf.memory().numTensors;
    const names = new Map(net.namedParameters().map(([k, v]) => [v.name, k]));
    const touched = tf.tidy(() => {
      const { grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, net.forwardPath(x, { training: true }, g).logits) as tf.Scalar, net.weightParameters());
      return Object.keys(grads).map((v) => names.get(v)!);
    });
    assert.equal(tf.memory().numTensors, before, `K ${K}: no tensor left behind`);
    // every op parameter with a gradient belongs to a gene's (edge, op); each gene's parametric op has one
    const genes = new Set<string>();
    net.cells.forEach((cell, c) =>
      (cell.reduction ? g.reduce : g.normal).forEach(([op, from], k) => {
        const node = 2 + Math.floor(k / 2);
        genes.add(`cells.${c}._ops.${DARTS_EDGES.findIndex(([to, f]) => to === node && f === from)}._ops.${REAL.indexOf(op)}.`);
      }),
    );
    const opParams = touched.filter((n) => /\._ops\.\d+\._ops\.\d+\./.test(n));
    for (const n of opParams)
      assert.ok(
        [...genes].some((p) => n.startsWith(p)),
        `K ${K}: ${n} is on no gene`,
      );
    assert.ok(opParams.length > 0, `K ${K}: op parameters are trained`);
    tf.dispose([x, y]);
    net.dispose();
  }
});

test('dartsParamCount equals the built DARTS network parameter count', () => {
  const rng = new Rng(9);
  for (const cfg of [DARTS_EVAL_CONFIG, { ...DARTS_EVAL_CONFIG, C: 8, layers: 5, numClasses: 7, auxiliary: false }]) {
    for (let t = 0; t < 3; t++) {
      const g = sampleGenotype(rng);
      const net = new DartsNetwork(g, new Rng(0), cfg);
      assert.equal(dartsParamCount(g, cfg), net.paramCount(), `C ${cfg.C} layers ${cfg.layers}`);
      net.dispose();
    }
  }
});
