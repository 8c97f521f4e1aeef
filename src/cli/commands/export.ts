/** `tsnas export`: a trained run as a TF.js LayersModel (model.json + weights.bin), its genotype and a model card. */
import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { exportRun } from '../../train/export-run.js';
import { TsnasError } from '../../util/errors.js';
import { emit, intArg, log, startBackend, withCommon, type CommonOptions } from '../common.js';

export function exportCommand(): Command {
  return withCommon(
    new Command('export')
      .description('Export a trained run (tsnas train / dtb) as a TF.js LayersModel with its genotype and a model card')
      .requiredOption('--run <dir>', 'run directory (config.json + checkpoint.ckpt)')
      .addOption(new Option('--format <fmt>', 'export format').choices(['tfjs']).default('tfjs'))
      .option('--no-normalization', 'leave the input normalisation out of the model (it then takes normalised pixels)')
      .option('--latency-reps <n>', 'timed predictions for the latency figure', intArg('latency-reps', 1, 10000), 20)
      .option('--browser-latency', 'also time the model in headless Chromium on the TF.js wasm backend (playwright-core)')
      .option('--browser <path>', 'the Chromium binary for --browser-latency (default $TSNAS_CHROMIUM or /usr/bin/chromium)'),
  ).action(async (o: CommonOptions & { run: string; format: string; normalization: boolean; latencyReps: number; browserLatency?: boolean; browser?: string }) => {
    if (o.format !== 'tfjs') throw new TsnasError(`unknown export format '${o.format}'`);
    await startBackend(o);
    const out = resolve(o.out ?? join(o.run, 'tfjs'));
    if (o.browser && !o.browserLatency) throw new TsnasError('--browser names the Chromium for --browser-latency; add --browser-latency');
    const card = await exportRun(o.run, out, { normalize: o.normalization, latencyReps: o.latencyReps, browserLatency: o.browserLatency ? (o.browser ?? true) : false });
    if (!o.json) log(`wrote ${out}`);
    emit(
      o,
      {
        out,
        genotype: card.genotype,
        params: card.params,
        flops: card.flops_per_image,
        accuracy: card.accuracy,
        latency_ms: card.latency.median_ms,
        backend: card.latency.backend,
        size_bytes: card.size_bytes,
        classes: card.classes,
        ...(card.latency_browser ? { latency_browser_ms: card.latency_browser.median_ms } : {}),
      },
      () =>
        `${out}\n${card.genotype}\nparams ${card.params}  FLOPs ${card.flops_per_image}  size ${card.size_bytes} B  latency ${card.latency.median_ms.toFixed(2)} ms${card.latency_browser ? `  browser ${card.latency_browser.median_ms.toFixed(2)} ms` : ''}  ${JSON.stringify(card.accuracy)}`,
    );
  });
}
