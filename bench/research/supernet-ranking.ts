/**
 * How well does TND-NAS's weight-sharing supernet rank DARTS-space architectures? (issue 24: where
 * TND-NAS loses, the evidence.) A finished supernet-mode run's final supernet (its last
 * checkpoint) scores every architecture of a DARTS DTB (standalone-trained, every epoch recorded)
 * as a single path, on m held-out images for several m; Kendall τ of those scores against the
 * DTB's final validation accuracy, against the parameter count's τ on the same architectures.
 * m = the preset's batch (64) is the precision the search re-scores its front with by default;
 * the larger m show what more re-scoring images buy. Also: the run's policy entropy per α step
 * (normalised: 1 uniform, 0 decided), where the run logged it.
 *
 *   npx tsx bench/research/supernet-ranking.ts --store /work/runs-sn/sn.db --run-id tnd-darts-s0 \
 *     --dtb results/dtb-darts-c10-v1.json --data-dir ../shared/data/cifar10 [--images 64,256,1024,5000]
 *     [--repeats 4] [--json OUT]
 *
 * `--repeats r`: the small m are drawn r times (other seeds); their τ is reported as mean and range.
 * The held-out images are the run's own: the second half of its training images (the half its
 * α steps score on), never the DTB's validation images; they go through the supernet in batches of
 * the preset's size, as in the search (BN runs on batch statistics).
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { downsample, loadDataset } from '../../src/data/index.js';
import { initBackend } from '../../src/engine/backend.js';
import { correlateScores } from '../../src/proxies/correlation.js';
import { DARTS_TND, TND_DARTS_PRESETS, heldOutSample, subnetAccuraciesOn, supernetFromCheckpoint, type TndSupernetState, type TndStepLog } from '../../src/search/tnd-nas/index.js';
import { parseArch } from '../../src/spaces/index.js';
import { storedCheckpoint, storedSettings } from '../../src/store/run.js';
import { Store } from '../../src/store/store.js';
import { readDtb } from '../../src/train/dtb.js';
import { TsnasError } from '../../src/util/errors.js';
import { kendallTau, mean } from '../../src/util/stats.js';

const { values: a } = parseArgs({
  options: {
    store: { type: 'string' },
    'run-id': { type: 'string' },
    dtb: { type: 'string' },
    'data-dir': { type: 'string', default: '../shared/data/cifar10' },
    images: { type: 'string', default: '64,256,1024,5000' },
    repeats: { type: 'string', default: '4' },
    json: { type: 'string' },
  },
});
if (!a.store || !a['run-id'] || !a.dtb) throw new TsnasError('give --store, --run-id (a finished DARTS tnd-nas supernet run) and --dtb (an exported DARTS DTB)');
const store = Store.open(a.store);
const runId = a['run-id'];
const settings = storedSettings(store, runId);
const ck = storedCheckpoint<{ strategy: string; state: TndSupernetState }>(store, runId);
store.close();
if (!settings || !ck) throw new TsnasError(`run '${runId}' in ${a.store} has no settings or checkpoint`);
if (settings['strategy'] !== 'tnd-nas' || settings['space'] !== 'darts' || settings['tableAccuracy']) throw new TsnasError(`run '${runId}' is not a DARTS supernet-mode tnd-nas run`);
const preset = TND_DARTS_PRESETS[String(settings['preset'] ?? 'cpu-small')]!;
const seed = Number(settings['seed'] ?? 0);
const state = ck.state;
const finalStage = state.epoch >= preset.epochsPerStage && state.stage === 2;
const dtb = readDtb(a.dtb);
if (dtb.space !== 'darts') throw new TsnasError(`${a.dtb} is a ${dtb.space} DTB, not a DARTS one`);

await initBackend('auto');
// the run's own data: the same images, in the same order, at the same size (tnd-nas strategy)
let data = loadDataset(String(settings['dataset'] ?? 'cifar10'), { dataDir: a['data-dir'], split: 'train', limit: preset.dataLimit, seed });
if (data.height !== preset.imageSize) data = downsample(data, data.height / preset.imageSize);
const nTrain = Math.floor(data.n / 2);
const net = supernetFromCheckpoint(DARTS_TND, preset, state, {
  numClasses: data.numClasses,
  channels: data.channels,
  partialChannels: Number(settings['partialChannels'] ?? 1),
  fixedDepth: settings['fixedDepth'] === true,
});

const archs = dtb.archs.map((r) => parseArch('darts', r.arch));
const finalAcc = dtb.archs.map((r) => r.epochs[r.epochs.length - 1]!.val_acc);
const params = dtb.archs.map((r) => r.params);
const sizes = a.images!.split(',').map(Number);
const repeats = Number(a.repeats);

interface Row {
  images: number;
  draws: number;
  tau: number;
  tau_min: number;
  tau_max: number;
  tau_ci?: [number, number];
  mean_acc: number;
}
const rows: Row[] = [];
const t0 = performance.now();
for (const m of sizes) {
  const draws = m >= data.n - nTrain ? 1 : repeats;
  const taus: number[] = [];
  let ci: [number, number] | undefined;
  let accMean = 0;
  for (let d = 0; d < draws; d++) {
    const idx = heldOutSample(nTrain, data.n, m, 1000 * seed + 17 * m + d);
    const scores = subnetAccuraciesOn(DARTS_TND, net, archs, data, idx, preset.batch);
    if (d === 0) ci = correlateScores({ supernet: scores }, finalAcc, { bootstrap: { resamples: 1000, seed: 0 } })['supernet']!.kendall_ci;
    taus.push(kendallTau(scores, finalAcc));
    accMean += mean(scores) / draws;
  }
  rows.push({ images: m, draws, tau: mean(taus), tau_min: Math.min(...taus), tau_max: Math.max(...taus), tau_ci: ci, mean_acc: accMean });
  process.stderr.write(`${m} images: τ ${mean(taus).toFixed(3)} (${draws} draws) ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
}
net.dispose();
const paramsCorr = correlateScores({ params }, finalAcc, { bootstrap: { resamples: 1000, seed: 0 } })['params']!;
const log = state.log as TndStepLog[];
const entropy = log.filter((e) => e.entropy !== undefined).map((e) => ({ stage: e.stage, step: e.step, entropy: e.entropy! }));

const f = (x: number) => x.toFixed(3);
console.log(
  `run ${runId} (${preset.name}, stage ${state.stage} epoch ${state.epoch}${finalStage ? ', finished' : ', NOT finished'}); DTB ${a.dtb}: ${archs.length} archs, final accuracy ${Math.min(...finalAcc).toFixed(1)}–${Math.max(...finalAcc).toFixed(1)} %`,
);
console.log('| held-out images | draws | τ vs standalone (mean) | range over draws | 95 % CI (first draw) | mean supernet acc % |');
console.log('|---|---|---|---|---|---|');
for (const r of rows)
  console.log(`| ${r.images} | ${r.draws} | ${f(r.tau)} | ${f(r.tau_min)} – ${f(r.tau_max)} | ${r.tau_ci ? `[${f(r.tau_ci[0])}, ${f(r.tau_ci[1])}]` : '–'} | ${r.mean_acc.toFixed(1)} |`);
console.log(`| params (reference) | – | ${f(paramsCorr.kendall)} | – | [${f(paramsCorr.kendall_ci![0])}, ${f(paramsCorr.kendall_ci![1])}] | – |`);
if (entropy.length) {
  const at = (q: number) => entropy[Math.min(entropy.length - 1, Math.floor(q * (entropy.length - 1)))]!;
  console.log(`policy entropy (normalised) over ${entropy.length} α steps: ${[0, 0.25, 0.5, 0.75, 1].map((q) => `step ${at(q).step} (stage ${at(q).stage}) ${f(at(q).entropy)}`).join(', ')}`);
}
if (a.json) writeFileSync(a.json, JSON.stringify({ run: runId, preset: preset.name, seed, dtb: a.dtb, n: archs.length, rows, params: paramsCorr, entropy }, null, 1) + '\n');
