/**
 * From search to a model a web page can load: Single-DARTS finds an NB201 cell, the cell is
 * trained from scratch, and the trained network is exported as a TF.js LayersModel (model.json,
 * weights.bin) with its model card. Load it with plain TF.js: `tf.loadLayersModel('.../model.json')`.
 *
 *   npx tsx examples/single-darts-train-export.ts [--epochs 10]
 *
 * Data: the CIFAR-10 subset at ../shared/data/cifar10 (or $TSNAS_CIFAR10_DIR) when present,
 * synthetic images otherwise; TSNAS_EXAMPLE_SMALL=1 uses the `tiny` search preset and one
 * training epoch on synthetic images. Output in examples-out/single-darts/. The last line of
 * stdout is the result as JSON.
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_RECIPE, exportRun, initBackend, runTraining, search, spaceRecipe } from '../src/index.js';

const small = process.env.TSNAS_EXAMPLE_SMALL === '1';
const { values } = parseArgs({ options: { epochs: { type: 'string', default: small ? '1' : '10' }, seed: { type: 'string', default: '0' } } });
const seed = Number(values.seed);
const cifarDir = process.env.TSNAS_CIFAR10_DIR ?? join(import.meta.dirname, '..', '..', 'shared', 'data', 'cifar10');
const dataset = !small && existsSync(cifarDir) ? 'cifar10' : 'synthetic';
const dataDir = dataset === 'cifar10' ? cifarDir : undefined;
await initBackend(small ? 'cpu' : 'auto');

// 1. Search: the cpu-small preset (16 px, C 8, N 1) takes about 2 minutes on 2 cores.
const found = await search(
  'single-darts',
  { space: 'nb201', preset: small ? 'tiny' : 'cpu-small', dataset, dataDir, seed, ...(small ? { epochs: 1, dataLimit: 64 } : {}) },
  { log: (l) => console.error(l) },
);
console.error(`found ${found.genotype}`);

// 2. Train the found cell from scratch with NB201's recipe (shortened), on 16-px images.
const runDir = join(import.meta.dirname, '..', 'examples-out', 'single-darts');
rmSync(runDir, { recursive: true, force: true });
const trained = runTraining(
  {
    net: { space: 'nb201', arch: found.genotype!, C: 8, N: 1, initSeed: seed },
    data: { dataset, dataDir, imageSize: small ? 8 : 16, trainLimit: small ? 128 : 10000, testLimit: small ? 64 : 2000 },
    recipe: { ...DEFAULT_RECIPE, ...spaceRecipe('nb201'), epochs: Number(values.epochs), batch: small ? 32 : 128, seed },
  },
  { runDir },
);
console.error(`trained ${trained.epochs} epochs: test accuracy ${trained.last?.['test_acc']?.toFixed(2)} %`);

// 3. Export for TF.js (normalisation folded into the model: it takes [0, 1] pixels).
const card = await exportRun(runDir, join(runDir, 'tfjs'), { latencyReps: small ? 3 : 20 });
console.log(
  JSON.stringify({
    example: 'single-darts-train-export',
    genotype: found.genotype,
    searchBench: found.bench?.['cifar10_test_acc'] ?? null,
    epochs: trained.epochs,
    testAcc: trained.last?.['test_acc'] ?? null,
    params: card.params,
    latencyMs: card.latency.median_ms,
    model: join(runDir, 'tfjs', 'model.json'),
  }),
);
