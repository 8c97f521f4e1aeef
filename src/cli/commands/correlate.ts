/** `tsnas correlate`: rank correlation of proxies with NAS-Bench-201 (or NB101 records') accuracy over a seeded sample. */
import { appendFileSync, writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { defaultNb201Path, loadNb201Table } from '../../benchmarks/nb201-table.js';
import { defaultNb101Path, loadNb101Records, nb101Column } from '../../benchmarks/nb101-records.js';
import { parseArch } from '../../spaces/index.js';
import { DEFAULT_FAST_TRAIN, parseProxyList } from '../../proxies/index.js';
import { writeScatterSvg } from '../../proxies/run.js';
import type { ArchScore } from '../../proxies/index.js';
import { kendallTau, spearman } from '../../util/stats.js';
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
        .description("Kendall's tau and Spearman's rho between proxies and NAS-Bench-201 accuracy (nb101: accuracy of NB101 records) over a uniform seeded sample")
        .addOption(
          new Option('--space <space>', 'search space: nb201 (the NB201 table, --bench) or nb101 (a JSON file of NB101 records, --bench; default ../shared/data/nb101/nb101_cells_250.json)')
            .choices(['nb201', 'nb101'])
            .default('nb201'),
        )
        .option('--n <n>', 'number of architectures', intArg('n', 2, 15625), 100)
        .option('--target <column>', 'table column to correlate with (default: cifar10_test_acc; nb101: val_accuracy)')
        .option('--plot <file>', 'write an SVG scatter plot of the first proxy vs the target')
        .option('--scores-out <file>', 'append one JSON line per scored architecture (scores + target)')
        .option('--bench-dtb <file>', 'correlate with a DTB (tsnas dtb export --format json) instead of NAS-Bench-201: all its architectures, its space and dataset')
        .option('--epoch <e>', 'with --bench-dtb: the recorded epoch whose value is the target (default: the last)', intArg('epoch', 1))
        .option('--dtb-target <column>', 'with --bench-dtb: val_acc, train_acc, val_loss or train_loss', 'val_acc')
        .option('--resume', 'NB201: continue the run named by --run-id (or `tsnas runs resume`), rescoring only architectures it has no trial for'),
    ),
    'naswot,params',
  ).action(
    async (o: ScoringFlags & { space: 'nb201' | 'nb101'; n: number; target?: string; plot?: string; scoresOut?: string; benchDtb?: string; epoch?: number; dtbTarget: string; resume?: boolean }) => {
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
      if (o.space === 'nb101') {
        const recs = loadNb101Records(o.bench ?? defaultNb101Path());
        target = o.target ?? 'val_accuracy';
        const col = nb101Column(recs, target);
        const idx = sampleTableArchs(
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
        archTexts = sampleTableArchs(table.archStrings(), o.n, o.seed);
        ys = archTexts.map((a) => table.value(a, column));
      }
      // with --redis the workers load the data and start their backends
      const queue = o.redis ? await TrialQueue.open(o.redis) : undefined;
      if (!queue) await startBackend(o);
      const ctx = queue ? undefined : scoringContext(o);
      const t0 = performance.now();
      // The sample's archs are the run's trials (index = position); a resumed run must have the same settings.
      const run = resumeGuard(o, { space: o.space, n: o.n, proxies, ...scoringSettings(o, proxies) });
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
        emit(o, { stopped: true, complete: false, scored: done.size, n: o.n, seed: o.seed, target, run: currentRun()?.id ?? null }, () => line);
        return;
      }
      const res = archTexts.map((_, i) => done.get(i)!);
      const wall = (performance.now() - t0) / 1000;
      const kendall: Record<string, number> = {};
      const spear: Record<string, number> = {};
      for (const p of proxies) {
        const xs = res.map((r) => r.scores[p]!);
        kendall[p] = kendallTau(xs, ys);
        spear[p] = spearman(xs, ys);
      }
      if (o.plot)
        writeScatterSvg(
          o.plot,
          res.map((r) => r.scores[proxies[0]!]!),
          ys,
          proxies[0]!,
          target,
          `${proxies[0]} vs ${target} (n=${o.n}, seed ${o.seed}, tau=${kendall[proxies[0]!]!.toFixed(3)})`,
        );
      if (!o.json) log(`scored ${o.n} architectures in ${wall.toFixed(1)} s`);
      emit(o, { n: o.n, seed: o.seed, target, batch: o.batch, trainSteps: o.trainSteps, kendall, spearman: spear, wall_s: wall }, () =>
        [`n=${o.n} seed=${o.seed} target=${target}`, ...proxies.map((p) => `${p.padEnd(32)} tau=${kendall[p]!.toFixed(4)}  rho=${spear[p]!.toFixed(4)}`)].join('\n'),
      );
    },
  );
}
