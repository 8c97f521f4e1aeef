/** Scoring a pool of architectures, reporting progress through a callback, and the scatter plot. */
import { writeFileSync } from 'node:fs';
import type { AnyArch } from '../spaces/index.js';
import { scoreArch, type ArchScore, type ScoreContext } from './index.js';

/** Progress of a pool: `done` of `total` architectures scored, `arch` the one just scored. */
export interface ScoreProgress {
  done: number;
  total: number;
  arch?: string;
}

export interface PoolOptions {
  /** Called once with done = 0 before the first architecture, then after each one. */
  onProgress?: (e: ScoreProgress) => void;
  /** Called after each architecture (e.g. to append to a JSONL log). */
  onResult?: (r: ArchScore, i: number) => void;
}

export function scorePool(archs: AnyArch[], proxies: string[], ctx: ScoreContext, o: PoolOptions = {}): ArchScore[] {
  const g = poolSteps(archs, proxies, ctx, o);
  for (;;) {
    const r = g.next();
    if (r.done) return r.value;
  }
}

/**
 * scorePool giving the event loop a turn after every architecture, so that a Ctrl-C handler can
 * run: once `shouldStop()` is true it ends after the current architecture. Returns the scores of
 * the architectures scored (a prefix of `archs`) and whether it stopped early.
 */
export async function scorePoolAsync(
  archs: AnyArch[],
  proxies: string[],
  ctx: ScoreContext,
  o: PoolOptions & { shouldStop?: () => boolean } = {},
): Promise<{ results: ArchScore[]; stopped: boolean }> {
  const g = poolSteps(archs, proxies, ctx, o);
  for (;;) {
    const r = g.next();
    if (r.done) return { results: r.value, stopped: false };
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (o.shouldStop?.()) {
      g.return([]);
      return { results: r.value, stopped: true };
    }
  }
}

/** Score one architecture per step (yielding the scores so far after each). */
function* poolSteps(archs: AnyArch[], proxies: string[], ctx: ScoreContext, o: PoolOptions): Generator<ArchScore[], ArchScore[], void> {
  const out: ArchScore[] = [];
  o.onProgress?.({ done: 0, total: archs.length });
  for (let i = 0; i < archs.length; i++) {
    const r = scoreArch(archs[i]!, proxies, ctx);
    out.push(r);
    o.onResult?.(r, i);
    o.onProgress?.({ done: i + 1, total: archs.length, arch: r.arch });
    if (i + 1 < archs.length) yield out;
  }
  return out;
}

/** A minimal SVG scatter plot of score (x) against accuracy (y). */
export function writeScatterSvg(file: string, xs: number[], ys: number[], xLabel: string, yLabel: string, title: string): void {
  const W = 640;
  const H = 480;
  const m = { l: 60, r: 20, t: 40, b: 50 };
  const ok = xs.map((x, i) => [x, ys[i]!] as const).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const [x0, x1] = extent(ok.map((p) => p[0]));
  const [y0, y1] = extent(ok.map((p) => p[1]));
  const sx = (x: number) => m.l + ((x - x0) / (x1 - x0 || 1)) * (W - m.l - m.r);
  const sy = (y: number) => H - m.b - ((y - y0) / (y1 - y0 || 1)) * (H - m.t - m.b);
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const pts = ok.map(([x, y]) => `<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="2.5" fill="#1f77b4" fill-opacity="0.6"/>`).join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="${W / 2}" y="22" text-anchor="middle" font-size="14">${esc(title)}</text>
<line x1="${m.l}" y1="${H - m.b}" x2="${W - m.r}" y2="${H - m.b}" stroke="black"/>
<line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${H - m.b}" stroke="black"/>
<text x="${m.l}" y="${H - m.b + 16}">${x0.toPrecision(4)}</text>
<text x="${W - m.r}" y="${H - m.b + 16}" text-anchor="end">${x1.toPrecision(4)}</text>
<text x="${m.l - 4}" y="${H - m.b}" text-anchor="end">${y0.toPrecision(4)}</text>
<text x="${m.l - 4}" y="${m.t + 10}" text-anchor="end">${y1.toPrecision(4)}</text>
<text x="${W / 2}" y="${H - 12}" text-anchor="middle">${esc(xLabel)}</text>
<text x="16" y="${H / 2}" text-anchor="middle" transform="rotate(-90 16 ${H / 2})">${esc(yLabel)}</text>
${pts}
</svg>
`;
  writeFileSync(file, svg);
}

function extent(v: number[]): [number, number] {
  if (!v.length) return [0, 1];
  let lo = Infinity;
  let hi = -Infinity;
  for (const x of v) {
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  return [lo, hi];
}
