/**
 * Where a supernet training step spends its time: one forward + backward + SGD step under
 * tf.profile, kernel times summed by kernel name (and by kernel name × output shape with --shapes).
 * Usage: npx tsx bench/perf/profile-step.ts [--net nb201|nb201-small|darts] [--batch 64] [--backend native] [--shapes] [--no-share] [--reps 5]
 *   nb201 = C16 N5 32px (the engine benchmark's nb201_supernet), nb201-small = cpu-small's C8 N1 16px.
 *   --no-share recomputes ReLU and pooling per use instead of once per node and pass (A/B of that sharing).
 */
import { parseArgs } from 'node:util';
import { tf } from '../../src/engine/tf.js';
import { initBackend } from '../../src/engine/backend.js';
import { Rng } from '../../src/util/rng.js';
import { Nb201Supernet } from '../../src/nn/nb201-supernet.js';
import { DartsSupernet } from '../../src/nn/darts-supernet.js';
import { Sgd } from '../../src/optim/index.js';
import { median } from '../../src/util/stats.js';

const { values: a } = parseArgs({
  options: {
    net: { type: 'string', default: 'nb201' },
    batch: { type: 'string', default: '64' },
    backend: { type: 'string', default: 'native' },
    shapes: { type: 'boolean', default: false },
    'no-share': { type: 'boolean', default: false },
    top: { type: 'string', default: '25' },
    reps: { type: 'string', default: '5' },
  },
});
await initBackend(a.backend!);
const batch = Number(a.batch);
const rng = new Rng(0);
const nets = {
  nb201: () => ({ net: new Nb201Supernet(rng, { C: 16, N: 5, numClasses: 10, inputShape: [32, 32, 3] }), px: 32 }),
  'nb201-small': () => ({ net: new Nb201Supernet(rng, { C: 8, N: 1, numClasses: 10, inputShape: [16, 16, 3] }), px: 16 }),
  darts: () => ({ net: new DartsSupernet(rng, { C: 8, layers: 5, numClasses: 10, inputShape: [16, 16, 3] }), px: 16 }),
} as const;
const make = nets[a.net as keyof typeof nets];
if (!make) throw new Error(`--net must be one of ${Object.keys(nets).join(', ')}`);
const { net, px } = make();
const params = [...net.parameters(), ...net.archParameters()];
const x = tf.randomNormal([batch, px, px, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
const y = tf.oneHot(
  tf.tensor1d(
    Array.from({ length: batch }, (_, i) => i % 10),
    'int32',
  ),
  10,
);
// tsnas's own optimizer, as the engine benchmark uses (one fused kernel on native)
const opt = new Sgd(
  params.map((p) => [p.name, p] as [string, tf.Variable]),
  { lr: 0.01, momentum: 0.9, nesterov: false, weightDecay: 0 },
);
const step = (): void => {
  const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, net.forward(x, { training: true, share: !a['no-share'] })) as tf.Scalar, params);
  opt.step(grads);
  value.dataSync();
  value.dispose();
  tf.dispose(grads);
};
for (let i = 0; i < 3; i++) step();
const times: number[] = [];
for (let i = 0; i < Number(a.reps); i++) {
  const t0 = performance.now();
  step();
  times.push(performance.now() - t0);
}
const wall = median(times);
const prof = await tf.profile(step);
const by = new Map<string, { ms: number; n: number }>();
let total = 0;
for (const k of prof.kernels) {
  const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
  total += ms;
  const key = a.shapes ? `${k.name} ${JSON.stringify(k.outputShapes)}` : k.name;
  const e = by.get(key) ?? { ms: 0, n: 0 };
  e.ms += ms;
  e.n += 1;
  by.set(key, e);
}
console.log(
  `${a.net}${a['no-share'] ? ' (no sharing)' : ''} batch ${batch} on ${a.backend}: step ${wall.toFixed(0)} ms unprofiled (median of ${times.length}); ${prof.kernels.length} kernels, ${total.toFixed(0)} ms kernel time`,
);
console.log('kernel\tcalls\tms\tshare');
for (const [k, e] of [...by].sort((p, q) => q[1].ms - p[1].ms).slice(0, Number(a.top))) {
  console.log(`${k}\t${e.n}\t${e.ms.toFixed(1)}\t${((100 * e.ms) / total).toFixed(1)}%`);
}
