/**
 * Score a pool of random NAS-Bench-201 architectures with two training-free proxies (NASWOT and
 * DAS) and print a ranking. Uses only the package's public entry (`tsnas`; here, from the
 * repository, `../src/index.js`).
 *
 *   npx tsx examples/score-pool.ts [--n 20] [--data cifar10|synthetic] [--seed 0]
 *
 * Data: the CIFAR-10 subset at ../shared/data/cifar10 (or $TSNAS_CIFAR10_DIR) when present,
 * synthetic images otherwise. TSNAS_EXAMPLE_SMALL=1 runs a few architectures on a small synthetic
 * batch (what the tests run). The last line of stdout is the result as one JSON object.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_DAS, Rng, initBackend, loadDataset, sampleArch, scoreArch, spearman, type Dataset } from '../src/index.js';

const small = process.env.TSNAS_EXAMPLE_SMALL === '1';
const { values } = parseArgs({
  options: {
    n: { type: 'string', default: small ? '4' : '20' },
    data: { type: 'string' },
    seed: { type: 'string', default: '0' },
    backend: { type: 'string', default: small ? 'cpu' : 'auto' },
  },
});
const n = Number(values.n);
const seed = Number(values.seed);

const cifarDir = process.env.TSNAS_CIFAR10_DIR ?? join(import.meta.dirname, '..', '..', 'shared', 'data', 'cifar10');
const dataName = values.data ?? (!small && existsSync(cifarDir) ? 'cifar10' : 'synthetic');
const batch = small ? 16 : 64;

const backend = await initBackend(values.backend);
const data: Dataset =
  dataName === 'cifar10'
    ? loadDataset('cifar10', { split: 'train', dataDir: cifarDir, limit: 1000 })
    : loadDataset('synthetic', { split: 'train', limit: small ? 64 : 1000, seed, synthetic: { height: small ? 16 : 32 } });

const rng = new Rng(seed);
const proxies = ['naswot', DEFAULT_DAS];
const rows: { arch: string; naswot: number; das: number; seconds: number }[] = [];
for (let i = 0; i < n; i++) {
  const arch = sampleArch('nb201', rng);
  const r = scoreArch(arch, proxies, { data, batch, seed });
  rows.push({ arch: r.arch, naswot: r.scores.naswot!, das: r.scores[DEFAULT_DAS]!, seconds: r.seconds });
  console.error(`[${i + 1}/${n}] ${r.arch} naswot ${r.scores.naswot!.toFixed(2)} das ${r.scores[DEFAULT_DAS]!.toFixed(3)} (${r.seconds.toFixed(1)} s)`);
}

rows.sort((a, b) => b.das - a.das);
console.log(`Ranking by DAS (${DEFAULT_DAS}), ${n} NB201 architectures, ${data.name}, batch ${batch}, backend ${backend.name}:`);
rows.forEach((r, k) => console.log(`${String(k + 1).padStart(3)}. das ${r.das.toFixed(3).padStart(8)}  naswot ${r.naswot.toFixed(2).padStart(8)}  ${r.arch}`));
const agreement =
  n > 2
    ? spearman(
        rows.map((r) => r.naswot),
        rows.map((r) => r.das),
      )
    : null;
console.log(JSON.stringify({ example: 'score-pool', data: data.name, backend: backend.name, n, batch, spearmanNaswotDas: agreement, ranking: rows }));
