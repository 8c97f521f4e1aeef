/**
 * Deployment objectives: what a model costs where it will run.
 *  - `size`: the exported TF.js LayersModel's download size in bytes (model.json + weights.bin,
 *    float32; src/deploy/model-files.ts), of the evaluation network (the input normalisation layer
 *    `tsnas export` may add is left out: it is a few hundred bytes).
 *  - `latency:native` / `latency:wasm`: the measured-latency protocol (objectives.ts: batch 1, zero
 *    input, output read back, median of `reps` after `warmup`) on that TF.js backend in this
 *    process, switched to for the measurement only (engine withBackend), so a session can train on
 *    native and measure on wasm.
 *  - `latency:browser`: the same protocol on the exported model in headless Chromium on the TF.js
 *    wasm backend (src/deploy/browser-latency.ts); one browser serves every evaluation.
 * Every network is built from the same seed, so a value is a function of the architecture.
 */
import { withBackend } from '../engine/backend.js';
import { buildEvalNetwork, type AnyArch, type EvalNetOverrides, type SpaceName } from '../spaces/index.js';
import { toLayersModel } from '../train/export-tfjs.js';
import { downloadBytes, layersModelFiles, type ModelFiles } from '../deploy/model-files.js';
import { SyncBrowserLatency } from '../deploy/browser-latency-sync.js';
import type { BrowserLatencyOptions } from '../deploy/browser-latency.js';
import { Rng } from '../util/rng.js';
import type { Network } from '../nn/network.js';

// `size` and `latency:browser` of one architecture are evaluated one after the other: keep the last export.
let lastExport: { key: string; files: ModelFiles } | undefined;

/** The exported model files of an architecture's evaluation network (seeded random weights). */
export function exportedModelFiles(space: SpaceName, a: AnyArch, o: EvalNetOverrides = {}): ModelFiles {
  const key = `${space}|${JSON.stringify(o)}|${a.text}`;
  if (lastExport?.key === key) return lastExport.files;
  const net = buildEvalNetwork(space, a, new Rng(0), o);
  try {
    const model = toLayersModel(net, { name: `tsnas_${space}` });
    try {
      lastExport = { key, files: layersModelFiles(model) };
    } finally {
      model.dispose();
    }
  } finally {
    net.dispose();
  }
  return lastExport.files;
}

/** Download size in bytes of an architecture's exported TF.js model. */
export function exportedModelBytes(space: SpaceName, a: AnyArch, o: EvalNetOverrides = {}): number {
  return downloadBytes(exportedModelFiles(space, a, o));
}

/** Build the architecture's evaluation network on `backend` and time it there with `time`. */
export function onBackend(backend: string, space: SpaceName, a: AnyArch, o: EvalNetOverrides, time: (net: Network) => number): number {
  return withBackend(backend, () => {
    const net = buildEvalNetwork(space, a, new Rng(0), o);
    try {
      return time(net);
    } finally {
      net.dispose();
    }
  });
}

/** `latency:browser` of architectures: one browser (opened on first use) until `close()`. */
export class BrowserLatencyObjective {
  private readonly meter: SyncBrowserLatency;

  constructor(
    private readonly space: SpaceName,
    private readonly overrides: EvalNetOverrides,
    o: BrowserLatencyOptions,
  ) {
    this.meter = new SyncBrowserLatency(o);
  }

  evaluate(a: AnyArch): number {
    return this.meter.measure(exportedModelFiles(this.space, a, this.overrides));
  }

  close(): void {
    this.meter.close();
  }
}
