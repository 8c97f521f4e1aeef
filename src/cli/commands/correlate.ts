/** `tsnas correlate`: rank correlation of proxies with NAS-Bench-201 (or NB101 records') accuracy over a seeded sample. */
import { appendFileSync, writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { defaultNb201Path, loadNb201Table } from '../../benchmarks/nb201-table.js';
import { defaultTargetFile, loadTargetFile, targetColumn } from '../../benchmarks/target-file.js';
import { correlateScores, type ProxyCorrelation } from '../../proxies/correlation.js';
import { parseArch } from '../../spaces/index.js';
import { DEFAULT_FAST_TRAIN, parseProxyList } from '../../proxies/index.js';
import { writeScatterSvg } from '../../proxies/run.js';
import type { ArchScore } from '../../proxies/index.js';
import { scoringBar } from '../progress.js';
import { sampleTableArchs } from '../../benchmarks/sample.js';
import { emit, intArg, log, startBackend, withCommon } from '../common.js';
import { TrialQueue } from '../../queue/coordinator.js';
import { dataSettings } from '../../search/scoring.js';
import { scoreRemaining, scoringContext, scoringSettings, storedScores, withScoringFlags, type ScoringFlags } from './score.js';
import { correlateDtb } from '../../train/dtb-correlate.js';
import { currentRun, resumeGuard } from '../tracking.js';

export function correlateCommand(): Command {
  return withScoringFlags(
    withCommon(
      new Command('correlate')
        .description("Kendall's tau and Spearman's rho, with bootstrap intervals, between proxies and NAS-Bench-201 accuracy or the accuracies of a --targets file (NB101 cells, DARTS genotypes)")
        .addOption(
          new Option('--space <space>', 'search space: nb201 (the NB201 table, --bench, unless --targets), nb101 or darts (a --targets file)').choices(['nb201', 'nb101', 'darts']).default('nb201'),
        )
        .option(
          '--targets <file>',
          'JSON array of architectures with accuracies (fields: arch | genotype | matrix+ops, and numeric columns); default for nb101: ../shared/data/nb101/nb101_cells_250.json, darts: ../shared/data/nb301/nb301_surrogate_360.json',
        )
        .option('--n <n>', 'number of architectures, a uniform seeded sample (default: NB201 table 100, a targets file all of it)', intArg('n', 2, 15625))
        .option('--target <column>', 'column to correlate with (default: cifar10_test_acc; targets file: val_accuracy)')
        .option('--bootstrap <B>', 'bootstrap resamples for the 95% intervals of tau, rho and the ratio to naswot (0: none)', intArg('bootstrap', 0), 1000)
        .option('--plot <file>', 'write an SVG scatter plot of the first proxy vs the target')
        .option('--scores-out <file>', 'append one JSON line per scored architecture (scores + target)')
        .option('--bench-dtb <file>', 'correlate with a DTB (tsnas dtb export --format json) instead of NAS-Bench-201: all its architectures, its space and dataset')
        .option('--epoch <e>', 'with --bench-dtb: the recorded epoch whose value is the target (default: the last)', intArg('epoch', 1))
        .option('--dtb-target <column>', 'with --bench-dtb: val_acc, train_acc, val_loss or train_loss', 'val_acc')
        .option('--resume', 'NB201: continue the run named by --run-id (or `tsnas runs resume`), rescoring only architectures it has no trial for'),
    ),
    'naswot,params',
  ).action(
    async (
      o: ScoringFlags & {
        space: 'nb201' | 'nb101' | 'darts';
        n?: number;
        targets?: string;
        bootstrap: number;
        target?: string;
        plot?: string;
        scoresOut?: string;
        benchDtb?: string;
        epoch?: number;
        dtbTarget: string;
        resume?: boolean;
      },
    ) => {
      if (o.benchDtb) {
        // DTB branch (issue 6): the space, architectures and dataset come from the DTB file.
        const proxies = parseProxyList(o.proxies);
        await startBackend(o);
        const bar = o.json ? undefined : scoringBar();
        const r = (() => {
          try {
            return correlateDtb({
              file: o.benchDtb!,
              epoch: o.epoch,
              target: o.dtbTarget,
              proxies,
              batch: o.batch,
              seed: o.seed,
              dataDir: o.dataDir,
              dataLimit: o.dataLimit,
              train: { ...DEFAULT_FAST_TRAIN, steps: o.trainSteps, lr: o.trainLr, batch: o.trainBatch },
              onProgress: bar ? (e) => bar.update(e) : undefined,
              scoresOut: o.scoresOut,
            });
          } finally {
            bar?.stop();
          }
        })();
        emit(o, { ...r, bench: 'dtb', file: o.benchDtb, seed: o.seed, batch: o.batch, trainSteps: o.trainSteps }, () =>
          [
            `DTB ${o.benchDtb}: n=${r.n} space=${r.space} target=${r.target}@epoch ${r.epoch}`,
            ...proxies.map((p) => `${p.padEnd(32)} tau=${r.kendall[p]!.toFixed(4)}  rho=${r.spearman[p]!.toFixed(4)}`),
          ].join('\n'),
        );
        return;
      }
      const proxies = parseProxyList(o.proxies);
      let target: string;
      let archTexts: string[];
      let ys: number[];
      const targetsFile = o.targets ?? (o.space === 'nb201' ? undefined : (o.bench ?? defaultTargetFile(o.space)));
      if (targetsFile) {
        const recs = loadTargetFile(targetsFile, o.space);
        const col = targetColumn(recs, o.target);
        target = o.target ?? 'val_accuracy';
        const idx =
          o.n === undefined
            ? recs.archs.map((_, i) => i)
            : sampleTableArchs(
                recs.archs.map((_, i) => String(i)),
                o.n,
                o.seed,
              ).map(Number);
        archTexts = idx.map((i) => recs.archs[i]!);
        ys = idx.map((i) => col[i]!);
      } else {
        const table = await loadNb201Table(o.bench ?? defaultNb201Path());
        const column = table.resolveColumn(o.target ?? 'cifar10_test_acc');
        target = column;
        archTexts = sampleTableArchs(table.archStrings(), o.n ?? 100, o.seed);
        ys = archTexts.map((a) => table.value(a, column));
      }
      const n = archTexts.length;
      // with --redis the workers load the data and start their backends
      const queue = o.redis ? await TrialQueue.open(o.redis) : undefined;
      if (!queue) await startBackend(o);
      const ctx = queue ? undefined : scoringContext(o);
      const t0 = performance.now();
      // The sample's archs are the run's trials (index = position); a resumed run must have the same settings.
      const run = resumeGuard(o, { space: o.space, n, ...(targetsFile ? { targets: targetsFile } : {}), proxies, ...scoringSettings(o, proxies) });
      const done = run?.resumed ? storedScores(archTexts, proxies) : new Map<number, ArchScore>();
      if (o.scoresOut && done.size === 0) writeFileSync(o.scoresOut, '');
      if (run?.resumed && !o.json) log(`resuming: ${done.size} of ${archTexts.length} architectures already scored`);
      const line = await scoreRemaining(
        archTexts.map((a) => parseArch(o.space, a)),
        proxies,
        ctx,
        done,
        {
          progress: true,
          workers: o.workers,
          remote: queue ? { queue, settings: dataSettings(o) } : undefined,
          // the experiment store keeps the target accuracy beside the scores
          objectives: (i) => ({ [target]: ys[i]! }),
          onScored: (r, i) => {
            if (o.scoresOut) appendFileSync(o.scoresOut, `${JSON.stringify({ arch: r.arch, scores: r.scores, target: ys[i], seconds: r.seconds })}\n`);
          },
        },
      ).finally(() => queue?.close());
      if (line) {
        emit(o, { stopped: true, complete: false, scored: done.size, n, seed: o.seed, target, run: currentRun()?.id ?? null }, () => line);
        return;
      }
      const res = archTexts.map((_, i) => done.get(i)!);
      const wall = (performance.now() - t0) / 1000;
      const corr = correlateScores(Object.fromEntries(proxies.map((p) => [p, res.map((r) => r.scores[p]!)])), ys, {
        bootstrap: o.bootstrap > 0 ? { resamples: o.bootstrap, seed: o.seed } : false,
        baseline: proxies.includes('naswot') ? 'naswot' : undefined,
      });
      const kendall = Object.fromEntries(proxies.map((p) => [p, corr[p]!.kendall]));
      const spear = Object.fromEntries(proxies.map((p) => [p, corr[p]!.spearman]));
      if (o.plot)
        writeScatterSvg(
          o.plot,
          res.map((r) => r.scores[proxies[0]!]!),
          ys,
          proxies[0]!,
          target,
          `${proxies[0]} vs ${target} (n=${n}, seed ${o.seed}, tau=${kendall[proxies[0]!]!.toFixed(3)})`,
        );
      if (!o.json) log(`scored ${n} architectures in ${wall.toFixed(1)} s`);
      emit(o, { n, seed: o.seed, target, ...(targetsFile ? { targets: targetsFile } : {}), batch: o.batch, trainSteps: o.trainSteps, kendall, spearman: spear, intervals: corr, wall_s: wall }, () =>
        [`n=${n} seed=${o.seed} target=${target}${o.bootstrap > 0 ? ` (95% bootstrap intervals, ${o.bootstrap} resamples)` : ''}`, ...proxies.map((p) => correlationLine(p, corr[p]!))].join('\n'),
      );
    },
  );
}

const ci = (c?: [number, number]) => (c ? ` [${c[0].toFixed(3)}, ${c[1].toFixed(3)}]` : '');

/** One proxy's line: τ and ρ with intervals, and τ as a multiple of NASWOT's. */
function correlationLine(p: string, c: ProxyCorrelation): string {
  const ratio = c.ratio ? `  ${c.ratio.value.toFixed(2)}x ${c.ratio.baseline}${ci(c.ratio.ci)}` : '';
  return `${p.padEnd(32)} tau=${c.kendall.toFixed(4)}${ci(c.kendall_ci)}  rho=${c.spearman.toFixed(4)}${ci(c.spearman_ci)}${ratio}`;
}
