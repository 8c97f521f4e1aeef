/**
 * Distinct activation units of a seeded NB201 sample (same sample, batch and initialisation as
 * bench/das-layers.ts and `tsnas correlate`), for DAS rules whose unit-count term counts only
 * units that behave differently (issue 9). A unit's pattern is its B-bit column of ReLU-input
 * signs over the batch; two units with the same column are indistinguishable to the kernel K_H.
 *
 *   npx tsx bench/das-unique.ts --n 1000 --seed 0 --data-dir ../shared/data/cifar10 --out runs/das-unique.jsonl
 *
 * Per architecture: N_A (all units, with multiplicity), U (distinct patterns over the whole
 * network), U_l summed over ReLU tensors with multiplicity (distinct within each tensor), the dead
 * (all-zero) and always-on units. Resumes: architectures already in --out are skipped.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { initBackend } from '../src/engine/backend.js';
import { tf, type Tensor, type Tensor4D } from '../src/engine/tf.js';
import { defaultNb201Path, loadNb201Table } from '../src/bench/nb201-table.js';
import { sampleTableArchs } from '../src/cli/commands/correlate.js';
import { loadDataset, fixedBatch } from '../src/data/index.js';
import { buildEvalNetwork, parseArch } from '../src/spaces/index.js';
import { Rng } from '../src/util/rng.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
}

const n = Number(arg('n', '1000'));
const seed = Number(arg('seed', '0'));
const out = arg('out', 'runs/das-unique.jsonl');
const table = await loadNb201Table(arg('bench', defaultNb201Path()));
const archs = sampleTableArchs(table.archStrings(), n, seed);
await initBackend(arg('backend', 'auto'));
const data = loadDataset('cifar10', { dataDir: arg('data-dir', '../shared/data/cifar10'), split: 'train', seed });
const done = new Set(existsSync(out) ? readFileSync(out, 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { arch: string }).arch) : []);

/** Column patterns of a B×units sign matrix as strings of B/32 words (B must be a multiple of 32). */
function columnKeys(x: Float32Array, B: number, units: number): string[] {
  const words = B >>> 5;
  const pat = new Uint32Array(units * words);
  for (let i = 0; i < B; i++) {
    const row = i * units;
    const w = i >>> 5;
    const bit = 1 << (i & 31);
    for (let u = 0; u < units; u++) if (x[row + u]! > 0) pat[u * words + w]! |= bit;
  }
  const keys = new Array<string>(units);
  for (let u = 0; u < units; u++) {
    let k = '';
    for (let w = 0; w < words; w++) k += pat[u * words + w]!.toString(36) + ',';
    keys[u] = k;
  }
  return keys;
}

const t0 = performance.now();
let scored = 0;
for (const text of archs) {
  if (done.has(text)) continue;
  const a = parseArch('nb201', text);
  const net = buildEvalNetwork('nb201', a, new Rng(seed), { numClasses: data.numClasses, inputShape: [data.height, data.width, data.channels] });
  const b = fixedBatch(data, 128, seed);
  const B = 128;
  const all = new Set<string>();
  const seen = new Map<number, number>(); // tensor id -> its U_l, for repeated reads
  let NA = 0;
  let Ul = 0;
  let dead = 0;
  let on = 0;
  const zero = '0,'.repeat(B >>> 5);
  const full = `${(0xffffffff).toString(36)},`.repeat(B >>> 5);
  tf.tidy(() => {
    net.forward(b.x as Tensor4D, {
      training: true,
      hooks: {
        relu: (t: Tensor) => {
          const units = t.size / B;
          NA += units;
          const hit = seen.get(t.id);
          if (hit !== undefined) {
            Ul += hit;
            return;
          }
          const keys = columnKeys(t.dataSync() as Float32Array, B, units);
          const local = new Set(keys);
          for (const k of keys) {
            all.add(k);
            if (k === zero) dead++;
            else if (k === full) on++;
          }
          seen.set(t.id, local.size);
          Ul += local.size;
        },
      },
    });
  });
  b.x.dispose();
  b.y.dispose();
  net.dispose();
  appendFileSync(out, `${JSON.stringify({ arch: text, NA, U: all.size, Ul, dead, on })}\n`);
  scored++;
  if (scored % 50 === 0) console.error(`${done.size + scored}/${n} (${((performance.now() - t0) / 1000 / scored).toFixed(2)} s/arch, tensors ${tf.memory().numTensors})`);
}
console.error(`done: ${scored} scored now, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
