/**
 * Loading a folder of 10,000 32×32 PNGs (the shared CIFAR-10 training subset written out in the
 * Keras layout, in /tmp, reused when already there): tsnas's cold load (decode + resize to 32, and
 * to 16, cache off), its cached load (second load with the cache on), and PIL (Debian's
 * python3-pil via /usr/bin/python3, bench/perf/pil_folder.py: open, convert('RGB'), resize,
 * numpy) on the same folder in the same run. Prints images/s and the ratios; --json for one line.
 * Usage: npx tsx bench/perf/image-folder.ts [--dir /tmp/tsnas-bench-folder] [--reps 3] [--json]
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadImageFolder, type ImageFolderLoadInfo } from '../../src/data/index.js';
import { writeCifar10Folder } from '../research/cifar10-folder.js';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? dflt) : dflt;
}
const dir = arg('dir', '/tmp/tsnas-bench-folder');
const reps = Number(arg('reps', '3'));
const json = process.argv.includes('--json');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function timeTsnas(size: number, cache: boolean): { per_s: number; seconds: number; n: number; info: ImageFolderLoadInfo | undefined } {
  const secs: number[] = [];
  let n = 0;
  let info: ImageFolderLoadInfo | undefined;
  const cacheDir = join('/tmp', 'tsnas-bench-folder-cache');
  if (cache) {
    rmSync(cacheDir, { recursive: true, force: true });
    loadImageFolder(dir, { imageSize: size, cacheDir }); // fill the cache
  }
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    const ds = loadImageFolder(dir, { imageSize: size, cacheDir: cache ? cacheDir : false, onLoad: (i) => (info = i) });
    secs.push((performance.now() - t0) / 1000);
    n = ds.n;
  }
  const s = median(secs);
  return { per_s: n / s, seconds: s, n, info };
}

function timePil(size: number): { per_s: number; seconds: number; n: number } {
  const runs: { per_s: number; seconds: number; n: number }[] = [];
  for (let r = 0; r < reps; r++) {
    const out = execFileSync('/usr/bin/python3', [join(import.meta.dirname, 'pil_folder.py'), dir, String(size)], { encoding: 'utf8' });
    runs.push(JSON.parse(out.trim().split('\n').pop()!) as { per_s: number; seconds: number; n: number });
  }
  return runs.sort((a, b) => a.seconds - b.seconds)[Math.floor(runs.length / 2)]!;
}

const n = writeCifar10Folder(dir);
const results = {
  images: n,
  reps,
  tsnas_cold_32: timeTsnas(32, false),
  pil_32: timePil(32),
  tsnas_cold_16: timeTsnas(16, false),
  pil_16: timePil(16),
  tsnas_cached_32: timeTsnas(32, true),
};
const r = (a: { per_s: number }, b: { per_s: number }) => (a.per_s / b.per_s).toFixed(2);
if (json) {
  console.log(
    JSON.stringify({
      ...results,
      ratio_cold_32: r(results.tsnas_cold_32, results.pil_32),
      ratio_cold_16: r(results.tsnas_cold_16, results.pil_16),
      ratio_cached_32: r(results.tsnas_cached_32, results.pil_32),
    }),
  );
} else {
  const line = (label: string, x: { per_s: number; seconds: number }) => console.log(`${label.padEnd(34)} ${Math.round(x.per_s).toString().padStart(9)} images/s  (${x.seconds.toFixed(2)} s)`);
  console.log(`${n} PNGs of 32×32 in ${dir}, median of ${reps}`);
  line('tsnas cold, to 32×32 (pure JS)', results.tsnas_cold_32);
  line('PIL, to 32×32', results.pil_32);
  line('tsnas cold, to 16×16 (pure JS)', results.tsnas_cold_16);
  line('PIL, to 16×16', results.pil_16);
  line('tsnas cached, 32×32', results.tsnas_cached_32);
  console.log(`tsnas/PIL: cold 32 ${r(results.tsnas_cold_32, results.pil_32)}×, cold 16 ${r(results.tsnas_cold_16, results.pil_16)}×, cached 32 ${r(results.tsnas_cached_32, results.pil_32)}×`);
}
