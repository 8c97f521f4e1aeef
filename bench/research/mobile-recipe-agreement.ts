/**
 * Does the `mobile` proxies benchmark's training target rank architectures? (issue 20). Reads the
 * rows of bench/research/mobile-proxies.ts (no training) and prints, for the networks two files share:
 * Kendall τ between the two trainings' accuracies (same recipe, another --train-seed: how well the
 * target reproduces itself; or two recipes: whether the short one predicts the long one), and every
 * proxy's τ against the mean of the two (a target with less training noise), with 95 % bootstrap
 * intervals.
 *
 *   npx tsx bench/research/mobile-recipe-agreement.ts [--a results/mobile/proxies-8ep.jsonl] [--b results/mobile/proxies-8ep-seed1.jsonl]
 */
import { parseArgs } from 'node:util';
import { correlateScores } from '../../src/proxies/correlation.js';
import { TsnasError } from '../../src/util/errors.js';
import { readJsonl } from './jsonl.js';

const { values: a } = parseArgs({
  options: {
    a: { type: 'string', default: 'results/mobile/proxies-8ep.jsonl' },
    b: { type: 'string', default: 'results/mobile/proxies-8ep-seed1.jsonl' },
  },
});
/** What this reads of a mobile-proxies.ts row. */
type Row = { arch: string; val_acc: number; scores: Record<string, number> };
const rowsOf = (file: string): Map<string, Row> => new Map(readJsonl<Row>(file).map((r) => [r.arch, r]));
const [first, second] = [rowsOf(a.a!), rowsOf(a.b!)];
const shared = [...first.keys()].filter((arch) => second.has(arch));
if (shared.length < 3) throw new TsnasError(`${a.a} and ${a.b} share ${shared.length} architectures; need at least 3`);
const accA = shared.map((x) => first.get(x)!.val_acc);
const accB = shared.map((x) => second.get(x)!.val_acc);
const bootstrap = { resamples: 1000, seed: 0 };
const agreement = correlateScores({ [a.a!]: accA }, accB, { bootstrap })[a.a!]!;
console.log(`${shared.length} architectures in both files`);
console.log(`τ between the two accuracies: ${agreement.kendall.toFixed(3)} [${agreement.kendall_ci!.map((v) => v.toFixed(2)).join(', ')}]`);
const meanAcc = accA.map((v, k) => (v + accB[k]!) / 2);
const scores = Object.fromEntries(Object.keys(first.get(shared[0]!)!.scores).map((key) => [key, shared.map((x) => first.get(x)!.scores[key]!)]));
console.log('| proxy | τ against the mean accuracy | 95 % interval |');
console.log('|---|---|---|');
for (const [key, c] of Object.entries(correlateScores(scores, meanAcc, { bootstrap }))) {
  console.log(`| ${key} | ${c.kendall.toFixed(3)} | [${c.kendall_ci!.map((v) => v.toFixed(2)).join(', ')}] |`);
}
