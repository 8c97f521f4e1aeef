/**
 * The differentiable strategies (darts, darts2, single-darts, pc-darts, ms-darts) as registered
 * strategies: one supernet trainer (../diff/trainer.ts), presets with overrides, per-epoch α and
 * collapse diagnostics in the run (metrics scope 'search'), checkpoints in `out` for resume, and
 * the α heatmap plot. Each strategy is the same code with another step (../diff/strategies.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { defaultNb201Path, loadNb201Table, type Nb201Table } from '../../benchmarks/nb201-table.js';
import { folderOptionsFrom, loadDataset } from '../../data/index.js';
import { DARTS_EDGES, DARTS_OPS } from '../../spaces/darts.js';
import { NB201_EDGES, NB201_OPS } from '../../spaces/nb201.js';
import { TsnasError } from '../../util/errors.js';
import type { Run } from '../../store/run.js';
import { writeAlphaPlot } from '../diff/plot.js';
import { ARCH_OPTIMIZERS, buildConfig, NB201_DERIVATIONS, PRESETS, type ArchOptimizer, type Nb201Derivation } from '../diff/presets.js';
import { STRATEGY_NAMES, type StrategyName } from '../diff/strategies.js';
import { runSearch, type EpochRecord } from '../diff/trainer.js';
import type { SearchResult } from '../result.js';
import { baseSearchOptions, type SearchStrategy } from '../strategy.js';

const options = baseSearchOptions.extend({
  preset: z.enum(PRESETS).default('cpu-small').describe("cpu-small (about 2 min on 2 cores), paper (the papers' settings) or tiny (tests)"),
  epochs: z.number().int().min(1).max(10000).optional().describe('search epochs (overrides the preset)'),
  channels: z.number().int().min(1).max(512).optional().describe('supernet width C (overrides the preset)'),
  depth: z.number().int().min(1).max(64).optional().describe('NB201 cells per stage N, or DARTS cells (overrides the preset)'),
  imageSize: z.number().int().min(4).max(256).optional().describe('square image side; 16 = 2×2 average pool of CIFAR (overrides the preset)'),
  dataLimit: z.number().int().min(1).optional().describe('use only the first n training images (overrides the preset)'),
  archLr: z.number().gt(0).max(10).optional().describe('Adam learning rate of α (overrides the preset)'),
  archOptimizer: z.enum(ARCH_OPTIMIZERS).optional().describe('adam (default: Adam at --arch-lr) or sgd (α steps like w: SGD with its momentum, weight decay and cosine lr)'),
  warmupEpochs: z.number().int().min(0).max(10000).optional().describe('epochs of weight-only training before α moves (default: pc-darts 30 %, ms-darts 12.5 % of the epochs, others 0)'),
  cropPadding: z.number().int().min(0).max(64).optional().describe('random-crop padding of the search batches (default 4 px at 32 px, scaled with --image-size; 0 = off)'),
  flip: z.boolean().default(true).describe('random horizontal flip of the search batches (--no-flip: off)'),
  opAffine: z.boolean().optional().describe("NB201: affine BN (γ, β) in the candidate ops, a diagnostic (NB201's search code uses non-affine BN)"),
  derive: z.enum(NB201_DERIVATIONS).optional().describe('NB201: argmax over all ops per edge (default) or over all but none'),
  plot: z.string().optional().describe('write α heatmaps over epochs (SVG)'),
});

type DiffOptions = z.output<typeof options>;

function edgeNames(space: 'nb201' | 'darts'): string[][] {
  if (space === 'nb201') return [NB201_EDGES.map(([to, from]) => `node ${to} ← ${from}`)];
  const names = DARTS_EDGES.map(([to, from]) => `node ${to} ← ${from}`);
  return [names, names];
}

/**
 * One epoch as a metrics row of the run (scope 'search'): softmax(α) per cell with the names of
 * its edges and ops, derived genotype, accuracies, NB201 ground truth, collapse counts.
 */
function epochMetrics(r: EpochRecord, space: 'nb201' | 'darts', strategy: string): Record<string, unknown> {
  const { numTensors: _n, ...rest } = r;
  return {
    ...rest,
    strategy,
    space,
    ops: space === 'nb201' ? [...NB201_OPS] : [...DARTS_OPS],
    edges: edgeNames(space),
    cells: space === 'nb201' ? ['cell'] : ['normal', 'reduce'],
  };
}

function storeEpochs(run: Run | undefined, recs: readonly EpochRecord[], space: 'nb201' | 'darts', strategy: string): void {
  for (const r of recs) run?.putMetrics('search', r.epoch, epochMetrics(r, space, strategy));
}

function differentiable(strategy: StrategyName, summary: string): SearchStrategy<DiffOptions> {
  return {
    name: strategy,
    summary,
    options,
    async run(sc, o): Promise<SearchResult> {
      if (o.space !== 'nb201' && o.space !== 'darts') throw new TsnasError(`--strategy ${strategy} searches --space nb201 or darts (the spaces with a supernet), not '${o.space}'`);
      const space = o.space;
      // only an explicit --no-flip overrides the preset (the flag defaults to on)
      const cfg = buildConfig(space, strategy, o.preset, o.seed, {
        epochs: o.epochs,
        dataLimit: o.dataLimit,
        channels: o.channels,
        depth: o.depth,
        imageSize: o.imageSize,
        archLr: o.archLr,
        archOptimizer: o.archOptimizer as ArchOptimizer | undefined,
        derive: o.derive as Nb201Derivation | undefined,
        warmupEpochs: o.warmupEpochs,
        cropPadding: o.cropPadding,
        flip: o.flip === false ? false : undefined,
        opAffine: o.opAffine,
      });
      if (o.resume && !o.out) throw new TsnasError('--resume needs --out DIR (where the checkpoint is)');
      let table: Nb201Table | undefined;
      if (space === 'nb201') {
        try {
          table = await loadNb201Table(o.bench ?? defaultNb201Path());
        } catch (e) {
          if (o.bench) throw e;
          sc.log(`note: no NB201 table (${(e as Error).message.split('\n')[0]}); bench accuracies are omitted`);
        }
      }
      await sc.startBackend(o.backend);
      const dataset = o.dataset ?? 'cifar10';
      const data = loadDataset(dataset, {
        dataDir: o.dataDir,
        split: 'train',
        limit: cfg.dataLimit,
        seed: o.seed,
        synthetic: { height: cfg.imageSize },
        ...(dataset === 'folder' ? { folder: folderOptionsFrom({ ...o, imageSize: cfg.imageSize }) } : {}),
      });
      if (o.out) mkdirSync(o.out, { recursive: true });
      let stepMs = 0;
      let stepCount = 0;
      let last = performance.now();
      const res = await runSearch(cfg, data, {
        outDir: o.out,
        resume: o.resume,
        table,
        onStep: sc.progress
          ? (p) => {
              const now = performance.now();
              stepMs += now - last;
              stepCount++;
              last = now;
              const left = (cfg.epochs - p.epoch - 1) * p.steps + (p.steps - p.step);
              sc.progress!({
                label: `${strategy} epoch ${p.epoch + 1}/${cfg.epochs}`,
                done: p.step,
                total: p.steps,
                info: { loss: p.loss.toFixed(3), acc: `${(100 * p.acc).toFixed(1)}%`, runEta: `${Math.round(((stepMs / stepCount) * left) / 1000)}s` },
              });
            }
          : undefined,
        onEpoch: (r) => {
          storeEpochs(sc.run, [r], space, strategy);
          const b = r.bench?.['cifar10_test_acc'];
          sc.log(
            `epoch ${r.epoch}/${cfg.epochs}: train ${r.trainLoss.toFixed(3)}/${(100 * r.trainAcc).toFixed(1)}% val ${r.valLoss.toFixed(3)}/${(100 * r.valAcc).toFixed(1)}% ` +
              `${r.seconds.toFixed(1)} s skip=${r.skipCount} free=${r.paramFreeCount}${b !== undefined ? ` c10=${b.toFixed(2)}` : ''} ${r.genotype}`,
          );
        },
        shouldStop: () => Boolean(sc.signal?.aborted),
      });
      // A resumed run's earlier epochs come from the checkpoint: make sure the store has them too.
      storeEpochs(sc.run, res.history.slice(0, res.resumedFrom), space, strategy);
      const ops = space === 'nb201' ? NB201_OPS : DARTS_OPS;
      if (o.plot) writeAlphaPlot(o.plot, res.history, ops, `${strategy} on ${space} (${o.preset}, seed ${o.seed})`, edgeNames(space));
      const lastEpoch = res.history[res.history.length - 1];
      const stopped = res.stopped;
      const result: SearchResult = {
        strategy,
        space,
        seed: o.seed,
        stopped,
        complete: !stopped,
        genotype: res.genotype,
        evaluations: res.epochs,
        wall_s: Math.round(res.wall_s * 100) / 100,
        bench: res.bench ?? null,
        run: sc.run?.id ?? null,
        epochs: res.epochs,
        preset: o.preset,
        dataset,
        skipCount: res.derived.skipCount,
        paramFreeCount: res.derived.paramFreeCount,
        valAcc: lastEpoch?.valAcc,
        resumedFrom: res.resumedFrom,
        ...(lastEpoch?.altDerive ? { altDerive: lastEpoch.altDerive } : {}),
        config: cfg,
      };
      if (o.out) writeFileSync(join(o.out, 'search.json'), JSON.stringify({ ...result, history: res.history }, null, 1));
      return result;
    },
  };
}

/** The five differentiable strategies. */
export const differentiableStrategies: readonly SearchStrategy<DiffOptions>[] = [
  differentiable('darts', 'DARTS (Liu et al. 2019), first order: alternate α steps on validation batches and w steps on training batches'),
  differentiable('darts2', 'DARTS second order: the α gradient at the unrolled weights, with a finite-difference Hessian-vector product'),
  differentiable('single-darts', 'Single-DARTS (Hou et al. 2021): one backward on a training batch steps both w and α'),
  differentiable('pc-darts', 'PC-DARTS (Xu et al. 2020): first-order DARTS on a partial-channel supernet with edge weights β'),
  differentiable('ms-darts', 'MS-DARTS (Hsieh et al. 2021): DARTS with mean-shift smoothing of the operation weights'),
];

// every name the trainer knows has a strategy
if (differentiableStrategies.length !== STRATEGY_NAMES.length) throw new Error('differentiable strategies out of step with STRATEGY_NAMES');
