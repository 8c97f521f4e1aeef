/**
 * DAS combination rules fitted offline on the per-layer statistics of bench/research/das-layers.ts
 * (issue 9: "explore combination rules, choose the best with a documented protocol"):
 *
 *   npx tsx bench/research/das-rules.ts runs/das-layers.jsonl [--unique runs/das-unique.jsonl] [--fit-n 500] [--target cifar10_test_acc] [--top 12]
 *
 * Protocol: every rule family below is fitted by Kendall τ on the first --fit-n architectures of
 * the seeded sample and reported on all the others (never used for any choice). Families, with
 * B the batch, N_A all units, ld_l = ln|K̂_l + 1e-3·I| of ReLU tensor l (multiplicity m_l),
 * ld_s = ln|K̂_s| of resolution stage s's whole kernel, a = mean active fraction:
 *   whole     ln|K̂| + λ·B·ln N_A − α·B·a                (λ = 1, α = 0 is NASWOT exactly)
 *   perlayer  Σ m_l ld_l / Σ m_l + λ·B·ln N_A − α·B·a     (the current default family)
 *   stage     Σ_s w_s·ld_s / Σ_s w_s + λ·B·ln N_A        (how much each resolution stage's
 *                                                        distinguishing ability counts)
 *   depth     Σ m_l t_l^p ld_l / Σ m_l t_l^p + λ·B·ln N_A (t_l = position of the tensor in the
 *                                                        forward pass, 1..L: later layers weigh more for p > 0)
 *   hamming   perlayer + k·(mean normalised Hamming distance) | + k·(mean ln of the smallest one)
 *             | − k·(std over samples of the active fraction), + λ·B·ln N_A
 *   distinct  (with --unique) perlayer or whole dis + λ·B·ln U − α·B·a, U = the number of distinct
 *             activation units (whole network) or Σ_l U_l (distinct within each ReLU tensor)
 *   conn      (with --macs FILE, any scores file with a `flops` score per arch, e.g. the full-space
 *             runs/space/all.jsonl) perlayer or whole + λ·B·ln N_A − α·B·a + γ·B·ln(MACs): units
 *             weighted by their fan-in, i.e. the network's connections
 * Disconnected cells (singular whole kernel, NASWOT = −∞) rank last under every rule.
 */
import { readFileSync } from 'node:fs';
import { kendallTau, spearman } from '../../src/util/stats.js';
import { DAS_TWO_TERM, DEFAULT_DAS, parseDasRule } from '../../src/proxies/naswot.js';

interface Line {
  arch: string;
  acc: Record<string, number>;
  naswot: number | null;
  units: number;
  dis: number | null;
  N: number;
  layers: { u: number; m: number; ld: number | null; a: number; asd?: number; h?: number; hmin?: number }[];
  stages: { u: number; N: number; ld: number | null; ldd: number | null }[];
}

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
}

const file = process.argv[2] ?? 'runs/das-layers.jsonl';
const readLines = <T>(f: string) =>
  readFileSync(f, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as T);
let rows = readLines<Line>(file);
// --unique FILE (bench/research/das-unique.ts): distinct activation units; rows without them are dropped
const uniqueFile = arg('unique', '');
const uniq = new Map(uniqueFile ? readLines<{ arch: string; NA: number; U: number; Ul: number; dead: number }>(uniqueFile).map((u) => [u.arch, u]) : []);
if (uniqueFile) rows = rows.filter((r) => uniq.has(r.arch));
const macsFile = arg('macs', '');
const macs = new Map(macsFile ? readLines<{ arch: string; scores: { flops?: number } }>(macsFile).map((l) => [l.arch, (l.scores.flops ?? NaN) * 1e6]) : []);
if (macsFile) rows = rows.filter((r) => Number.isFinite(macs.get(r.arch) ?? NaN));
const fitN = Number(arg('fit-n', '500'));
const target = arg('target', 'cifar10_test_acc');
const top = Number(arg('top', '12'));
const B = 128;
const fin = (v: number | null | undefined) => (typeof v === 'number' && Number.isFinite(v) ? v : -Infinity);
const disconnected = (r: Line) => !Number.isFinite(fin(r.naswot));

// per-row precomputations
const pre = rows.map((r) => {
  const m = r.layers.reduce((s, l) => s + l.m, 0);
  const perlayer = r.layers.reduce((s, l) => s + l.m * fin(l.ld), 0) / m;
  const active = r.layers.reduce((s, l) => s + l.m * l.u * l.a, 0) / r.N;
  // stages in order of resolution: largest units per sample first
  const st = [...r.stages].sort((p, q) => q.u - p.u).map((s) => fin(s.ldd));
  // mean pairwise normalised Hamming distance, log of the smallest one, sample std of the active fraction
  const hmean = r.layers.reduce((s, l) => s + l.m * (l.h ?? NaN), 0) / m;
  const hmin = r.layers.reduce((s, l) => s + l.m * Math.log(Math.max(l.hmin ?? NaN, 1e-6)), 0) / m;
  const asd = r.layers.reduce((s, l) => s + l.m * (l.asd ?? NaN), 0) / m;
  const u = uniq.get(r.arch);
  return {
    r,
    perlayer,
    active,
    st,
    hmean,
    hmin,
    asd,
    lnMacs: B * Math.log(macs.get(r.arch) ?? NaN),
    lnU: u ? B * Math.log(u.U) : NaN,
    lnUl: u ? B * Math.log(u.Ul) : NaN,
    dead: u ? u.dead / u.NA : NaN,
  };
});
type Pre = (typeof pre)[number];

interface Rule {
  family: string;
  name: string;
  f: (p: Pre) => number;
}
const rules: Rule[] = [];
const lambdas = [0, 0.25, 0.5, 0.75, 1, 1.5, 2];
const actives = [0, 3, 10, 30];
for (const l of lambdas)
  for (const a of actives) {
    rules.push({ family: 'whole', name: `whole λ${l} α${a}`, f: (p) => fin(p.r.dis) + l * p.r.units - a * B * p.active });
    rules.push({ family: 'perlayer', name: `perlayer λ${l} α${a}`, f: (p) => p.perlayer + l * p.r.units - a * B * p.active });
  }
const ws = [0, 0.5, 1, 2, 4];
for (const w1 of ws)
  for (const w2 of ws)
    for (const w3 of ws) {
      if (w1 + w2 + w3 === 0) continue;
      for (const l of lambdas) {
        rules.push({ family: 'stage', name: `stage w(${w1},${w2},${w3}) λ${l}`, f: (p) => (w1 * p.st[0]! + w2 * p.st[1]! + w3 * p.st[2]!) / (w1 + w2 + w3) + l * p.r.units });
      }
    }
for (const pw of [-1, -0.5, 0.5, 1, 2, 3])
  for (const l of lambdas) {
    rules.push({
      family: 'depth',
      name: `depth p${pw} λ${l}`,
      f: (p) => {
        let s = 0,
          w = 0;
        p.r.layers.forEach((x, i) => {
          const k = x.m * (i + 1) ** pw;
          s += k * fin(x.ld);
          w += k;
        });
        return s / w + l * p.r.units;
      },
    });
  }

// distinguishing ability read off the Hamming distances directly (mean / worst-case separation)
for (const l of lambdas)
  for (const k of [10, 30, 100, 300, 1000]) {
    rules.push({ family: 'hamming', name: `perlayer + ${k}·mean h, λ${l}`, f: (p) => p.perlayer + k * p.hmean + l * p.r.units });
    rules.push({ family: 'hamming', name: `perlayer + ${k / 10}·mean ln h_min, λ${l}`, f: (p) => p.perlayer + (k / 10) * p.hmin + l * p.r.units });
    rules.push({ family: 'hamming', name: `perlayer − ${k}·sd(active), λ${l}`, f: (p) => p.perlayer - k * p.asd + l * p.r.units });
  }

// the unit-count term counting distinct activation units only (columns of the sign matrix)
if (uniqueFile) {
  for (const l of lambdas)
    for (const a of actives) {
      rules.push({ family: 'distinct', name: `perlayer + λ${l}·B·ln U (network-distinct) α${a}`, f: (p) => p.perlayer + l * p.lnU - a * B * p.active });
      rules.push({ family: 'distinct', name: `perlayer + λ${l}·B·ln ΣU_l (tensor-distinct) α${a}`, f: (p) => p.perlayer + l * p.lnUl - a * B * p.active });
      rules.push({ family: 'distinct', name: `whole + λ${l}·B·ln U α${a}`, f: (p) => fin(p.r.dis) + l * p.lnU - a * B * p.active });
      rules.push({ family: 'distinct', name: `whole + λ${l}·B·ln ΣU_l α${a}`, f: (p) => fin(p.r.dis) + l * p.lnUl - a * B * p.active });
    }
}

// the unit-count term weighted by fan-in: connections (MACs per image)
if (macsFile) {
  for (const l of lambdas)
    for (const a of actives)
      for (const g of [0.1, 0.2, 0.25, 0.3, 0.4, 0.5]) {
        rules.push({ family: 'conn', name: `perlayer λ${l} α${a} + ${g}·B·ln MACs`, f: (p) => p.perlayer + l * p.r.units - a * B * p.active + g * p.lnMacs });
        rules.push({ family: 'conn', name: `whole λ${l} α${a} + ${g}·B·ln MACs`, f: (p) => fin(p.r.dis) + l * p.r.units - a * B * p.active + g * p.lnMacs });
      }
}

const score = (rule: Rule, p: Pre) => (disconnected(p.r) ? -Infinity : rule.f(p));
const fit = pre.slice(0, fitN);
const test = pre.slice(fitN);
const y = (ps: Pre[]) => ps.map((p) => p.r.acc[target]!);
const tau = (ps: Pre[], f: (p: Pre) => number) => kendallTau(ps.map(f), y(ps));
const rho = (ps: Pre[], f: (p: Pre) => number) => spearman(ps.map(f), y(ps));

const results = rules.map((r) => ({ ...r, fitTau: tau(fit, (p) => score(r, p)) }));
results.sort((a, b) => b.fitTau - a.fitTau);
// the shipped rules, read from the code (both are perlayer rules)
const dflt = parseDasRule(DEFAULT_DAS);
const twoTerm = (p: Pre) => p.perlayer + dflt.lambda * p.r.units - dflt.active * B * p.active;
const base: [string, (p: Pre) => number][] = [
  ['naswot', (p) => fin(p.r.naswot)],
  ['units (B·ln N_A)', (p) => (disconnected(p.r) ? -Infinity : p.r.units)],
  ['dis (ln|K̂|)', (p) => fin(p.r.dis)],
  ...(uniqueFile
    ? ([
        ['B·ln U (distinct units)', (p: Pre) => (disconnected(p.r) ? -Infinity : p.lnU)],
        ['B·ln ΣU_l', (p: Pre) => (disconnected(p.r) ? -Infinity : p.lnUl)],
      ] as [string, (p: Pre) => number][])
    : []),
  [`two-term das (${DAS_TWO_TERM})`, (p) => (disconnected(p.r) ? -Infinity : twoTerm(p))],
  ...(macsFile ? ([[`default das (${DEFAULT_DAS})`, (p: Pre) => (disconnected(p.r) ? -Infinity : twoTerm(p) + dflt.conn * p.lnMacs)]] as [string, (p: Pre) => number][]) : []),
];
const nsw = tau(test, base[0]![1]);
console.log(`${file}: n=${rows.length}, fit on the first ${fit.length}, test on the other ${test.length}, target ${target}; ${rules.length} rules`);
console.log('| rule | τ fit | τ test | ρ test | τ test / NASWOT |');
console.log('|---|---|---|---|---|');
for (const [name, f] of base) console.log(`| ${name} | ${tau(fit, f).toFixed(3)} | ${tau(test, f).toFixed(3)} | ${rho(test, f).toFixed(3)} | ${(tau(test, f) / nsw).toFixed(3)} |`);
for (const r of results.slice(0, top)) {
  const f = (p: Pre) => score(r, p);
  console.log(`| ${r.name} | ${r.fitTau.toFixed(3)} | ${tau(test, f).toFixed(3)} | ${rho(test, f).toFixed(3)} | ${(tau(test, f) / nsw).toFixed(3)} |`);
}
console.log('\nbest of each family (by fit τ):');
for (const fam of ['whole', 'perlayer', 'stage', 'depth', 'hamming', ...(uniqueFile ? ['distinct'] : []), ...(macsFile ? ['conn'] : [])]) {
  const r = results.find((x) => x.family === fam)!;
  const f = (p: Pre) => score(r, p);
  console.log(`| ${r.name} | ${r.fitTau.toFixed(3)} | ${tau(test, f).toFixed(3)} | ${rho(test, f).toFixed(3)} | ${(tau(test, f) / nsw).toFixed(3)} |`);
}

// NASWOT's protocol question (issue 9): its code sets failed scores to NaN. Disconnected cells
// (singular kernel, 10 % accuracy) ranked last vs dropped, on both accuracy columns, whole sample.
console.log('\nNASWOT τ over the whole sample, disconnected cells ranked last vs dropped:');
console.log('| column | n | τ (ranked last) | n without them | τ (dropped) |');
console.log('|---|---|---|---|---|');
for (const col of ['cifar10_test_acc', 'cifar10_valid_val_acc', 'cifar100_test_acc', 'imagenet16_120_test_acc']) {
  const all = pre.map((p) => p.r);
  const ok = all.filter((r) => !disconnected(r));
  const t = (rs: Line[]) =>
    kendallTau(
      rs.map((r) => fin(r.naswot)),
      rs.map((r) => r.acc[col]!),
    );
  console.log(`| ${col} | ${all.length} | ${t(all).toFixed(3)} | ${ok.length} | ${t(ok).toFixed(3)} |`);
}
