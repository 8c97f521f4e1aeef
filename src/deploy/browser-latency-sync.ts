/**
 * Browser latency behind a synchronous call. Objectives are synchronous functions of an
 * architecture (every strategy, the resume path and the proxies call them that way), while a
 * browser is driven asynchronously; so the browser lives in a worker thread and `measure` blocks
 * this thread (Atomics.wait) until the worker has an answer, which it then reads from a message
 * port (receiveMessageOnPort). One browser serves every measurement until `close()`.
 */
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { TsnasError } from '../util/errors.js';
import type { BrowserBackendInfo, BrowserLatencyOptions } from './browser-latency.js';
import type { ModelFiles } from './model-files.js';
import type { FromMeter, ToMeter } from './browser-latency-worker.js';

/** How long one request may take (browser start included) before it is an error. */
const TIMEOUT_MS = 120_000;

/**
 * The worker's code: import the worker module; from source, register tsx's loader in the worker
 * first (Node 20 resolves a worker's entry before `--import` hooks apply there).
 */
function workerSource(): string {
  const fromSource = import.meta.url.endsWith('.ts');
  const file = JSON.stringify(new URL(`./browser-latency-worker.${fromSource ? 'ts' : 'js'}`, import.meta.url).href);
  if (!fromSource) return `import(${file})`;
  return `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => tsx.register()).then(() => import(${file}))`;
}

/** A browser latency meter with synchronous calls (a worker thread runs the browser). */
export class SyncBrowserLatency {
  private worker: Worker | undefined;
  private port: MessagePort | undefined;
  private readonly flag = new Int32Array(new SharedArrayBuffer(4));
  // a program that exits without close(): close the browser then (Chromium would exit with its pipe, but its profile folder would stay)
  private readonly onExit = () => this.close();

  constructor(private readonly options: BrowserLatencyOptions = {}) {}

  private request(m: ToMeter): unknown {
    if (!this.worker) {
      const { port1, port2 } = new MessageChannel();
      this.worker = new Worker(workerSource(), { eval: true, workerData: { port: port2, flag: this.flag, options: this.options }, transferList: [port2] });
      this.worker.unref();
      this.port = port1;
      process.once('exit', this.onExit);
    }
    Atomics.store(this.flag, 0, 0);
    this.port!.postMessage(m);
    if (Atomics.wait(this.flag, 0, 0, TIMEOUT_MS) === 'timed-out') throw new TsnasError(`latency:browser: no answer from the browser in ${TIMEOUT_MS / 1000} s`);
    const r = receiveMessageOnPort(this.port!)?.message as FromMeter | undefined;
    if (!r) throw new Error('latency:browser: the worker woke without an answer');
    if (!r.ok) throw r.user ? new TsnasError(r.message) : new Error(`latency:browser: ${r.message}`);
    return r.value;
  }

  /** Median latency (ms) of the model in the browser (see browser-latency.ts for the protocol). */
  measure(files: ModelFiles): number {
    return this.request({ type: 'measure', files }) as number;
  }

  /** The page's backend, TF.js version and wasm features (starts the browser if needed). */
  info(): BrowserBackendInfo {
    return this.request({ type: 'info' }) as BrowserBackendInfo;
  }

  /** Close the browser and end the worker; a later call starts them again. */
  close(): void {
    if (!this.worker) return;
    process.off('exit', this.onExit);
    try {
      this.request({ type: 'close' });
    } finally {
      void this.worker.terminate();
      this.port?.close();
      this.worker = undefined;
      this.port = undefined;
    }
  }
}
