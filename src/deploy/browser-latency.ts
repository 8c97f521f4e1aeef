/**
 * `latency:browser`: how long a model takes in a real browser on the TF.js wasm backend, the
 * backend a web deployment would most often run on.
 *
 * Protocol (the same as `latency:wasm` in Node, see objectives.ts): the exported LayersModel is
 * served from a localhost server, loaded with `tf.loadLayersModel` in a headless Chromium page
 * that loads TF.js and its wasm backend from this package's node_modules; `model.predict` on a
 * zero batch (batch 1 by default) with the output read back (`dataSync`), `warmup` untimed runs,
 * then the median of `reps` timed ones (performance.now in the page, ms). The page is not
 * cross-origin isolated, so the wasm backend runs its single-threaded SIMD build, as on a page
 * served without COOP/COEP headers. One browser and one page serve any number of models.
 */
import { median } from '../util/stats.js';
import { TsnasError } from '../util/errors.js';
import { launchChromium, type Chromium } from './chromium.js';
import { WEIGHTS_FILE, type ModelFiles } from './model-files.js';
import { startStaticServer, tfjsDistDirs, type StaticServer } from './static-server.js';
import type { Page } from 'playwright-core';

export interface BrowserLatencyOptions {
  /** The Chromium binary (default: $TSNAS_CHROMIUM or /usr/bin/chromium). */
  executablePath?: string;
  /** Images per timed prediction (default 1). */
  batch?: number;
  /** Untimed predictions first (default 2). */
  warmup?: number;
  /** Timed predictions; the median is reported (default 5). */
  reps?: number;
}

/** What the page reports about its TF.js. */
export interface BrowserBackendInfo {
  backend: string;
  tfjs: string;
  simd: boolean;
  threads: boolean;
}

// The measuring page: TF.js and the wasm backend from the local server, nothing else.
const PAGE = `<!doctype html><meta charset="utf-8"><title>tsnas latency</title>
<script src="/tfjs/tf.min.js"></script>
<script src="/tfjs-wasm/tf-backend-wasm.min.js"></script>
<script>
window.tsnasReady = (async () => {
  tf.wasm.setWasmPaths('/tfjs-wasm/');
  if (!(await tf.setBackend('wasm'))) throw new Error('the TF.js wasm backend did not start');
  await tf.ready();
  return { backend: tf.getBackend(), tfjs: tf.version.tfjs,
    simd: await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'), threads: await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT') };
})();
window.tsnasTime = async (url, batch, warmup, reps) => {
  const model = await tf.loadLayersModel(url);
  const x = tf.zeros([batch, ...model.inputs[0].shape.slice(1)]);
  const run = () => { const y = model.predict(x); y.dataSync(); y.dispose(); };
  try {
    for (let i = 0; i < warmup; i++) run();
    const times = [];
    for (let i = 0; i < reps; i++) { const t0 = performance.now(); run(); times.push(performance.now() - t0); }
    return times;
  } finally { x.dispose(); model.dispose(); }
};
</script>`;

/** What the page defines on `window`. */
interface PageApi {
  tsnasReady: Promise<BrowserBackendInfo>;
  tsnasTime(url: string, batch: number, warmup: number, reps: number): Promise<number[]>;
}

/** A headless browser page ready to time models; `close()` when done. */
export class BrowserLatencyMeter {
  private n = 0;

  private constructor(
    private readonly browser: Chromium,
    private readonly server: StaticServer,
    private readonly page: Page,
    /** The page's TF.js backend (wasm), version and wasm features. */
    readonly info: BrowserBackendInfo,
    private readonly o: Required<Omit<BrowserLatencyOptions, 'executablePath'>>,
  ) {}

  /** Start the server and the browser, load TF.js with the wasm backend in a page. */
  static async open(o: BrowserLatencyOptions = {}): Promise<BrowserLatencyMeter> {
    const opts = { batch: o.batch ?? 1, warmup: o.warmup ?? 2, reps: o.reps ?? 5 };
    if (!(Number.isInteger(opts.batch) && opts.batch >= 1)) throw new TsnasError(`latency batch must be a positive integer, got ${opts.batch}`);
    if (!(Number.isInteger(opts.reps) && opts.reps >= 1)) throw new TsnasError(`latency reps must be a positive integer, got ${opts.reps}`);
    const dist = tfjsDistDirs();
    const server = await startStaticServer({ '/tfjs/': dist.tfjs, '/tfjs-wasm/': dist.wasm });
    server.put('/latency.html', PAGE);
    let browser: Chromium | undefined;
    try {
      browser = await launchChromium({ executablePath: o.executablePath });
      const page = await browser.context.newPage();
      await page.goto(`${server.url}/latency.html`);
      const info = await page.evaluate(() => (window as unknown as PageApi).tsnasReady);
      return new BrowserLatencyMeter(browser, server, page, info, opts);
    } catch (e) {
      await browser?.close();
      await server.close();
      if (e instanceof TsnasError) throw e;
      throw new TsnasError(`the latency page did not start in Chromium: ${(e as Error).message.split('\n')[0]}`);
    }
  }

  /** Every timed prediction of one model (ms), in order. */
  async times(files: ModelFiles): Promise<number[]> {
    const base = `/models/${this.n++}/`;
    this.server.put(`${base}model.json`, files.modelJson);
    this.server.put(base + WEIGHTS_FILE, files.weights);
    try {
      const { batch, warmup, reps } = this.o;
      return await this.page.evaluate(([u, b, w, r]) => (window as unknown as PageApi).tsnasTime(u, b, w, r), [`${base}model.json`, batch, warmup, reps] as const);
    } finally {
      this.server.remove(`${base}model.json`);
      this.server.remove(base + WEIGHTS_FILE);
    }
  }

  /** The model's latency in the browser: median of the timed predictions (ms). */
  async measure(files: ModelFiles): Promise<number> {
    return median(await this.times(files));
  }

  async close(): Promise<void> {
    await this.browser.close();
    await this.server.close();
  }
}
