/**
 * The worker thread behind `SyncBrowserLatency`: holds one BrowserLatencyMeter (opened on the
 * first request) and answers each request on its port, then wakes the blocked caller through
 * the shared flag. See browser-latency-sync.ts.
 */
import { workerData, type MessagePort } from 'node:worker_threads';
import type { BrowserLatencyMeter, BrowserLatencyOptions } from './browser-latency.js';
import type { ModelFiles } from './model-files.js';

export type ToMeter = { type: 'measure'; files: ModelFiles } | { type: 'info' } | { type: 'close' };
export type FromMeter = { ok: true; value: unknown } | { ok: false; message: string; user: boolean };

const { port, flag, options } = workerData as { port: MessagePort; flag: Int32Array; options: BrowserLatencyOptions };
let meter: Promise<BrowserLatencyMeter> | undefined;

function reply(m: FromMeter): void {
  port.postMessage(m);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
}

port.on('message', (m: ToMeter) => {
  void (async () => {
    try {
      if (m.type === 'close') {
        const open = meter;
        meter = undefined;
        // a meter that failed to open has nothing to close (its error was already answered)
        if (open)
          await open.then(
            (mt) => mt.close(),
            () => undefined,
          );
        reply({ ok: true, value: null });
        port.close();
        return;
      }
      // imported here, so that a failing import is an answer rather than a silent dead worker
      meter ??= import('./browser-latency.js').then((mod) => mod.BrowserLatencyMeter.open(options));
      const mt = await meter;
      reply({ ok: true, value: m.type === 'info' ? mt.info : await mt.measure(m.files) });
    } catch (e) {
      const err = e as Error;
      reply({ ok: false, message: err.message, user: err.name === 'TsnasError' });
    }
  })();
});
