/**
 * A scoring worker process (forked by workers.ts): one TF.js backend, the scoring context sent
 * once, then one architecture per message, answered with its scores. Ctrl-C goes to the whole
 * process group; the parent decides when to stop, so the worker ignores SIGINT.
 */
import { pathToFileURL } from 'node:url';
import { initBackend } from '../engine/backend.js';
import { parseArch } from '../spaces/index.js';
import { scoreArch, type ScoreContext } from './index.js';
import type { ToWorker } from './workers.js';

process.on('SIGINT', () => {});
let ctx: ScoreContext | undefined;
let proxies: string[] = [];

function send(m: unknown): void {
  process.send?.(m);
}

process.on('message', (raw) => {
  const m = raw as ToWorker;
  void (async () => {
    try {
      if (m.type === 'init') {
        await initBackend(m.backend);
        // the modules that register the caller's own proxies
        for (const mod of m.modules ?? []) await import(mod.startsWith('/') ? pathToFileURL(mod).href : mod);
        ctx = m.ctx;
        proxies = m.proxies;
        send({ type: 'ready' });
      } else if (m.type === 'arch') {
        if (!ctx) throw new Error('scoring worker: arch before init');
        send({ type: 'result', k: m.k, result: scoreArch(parseArch(m.space, m.text), proxies, ctx) });
      } else if (m.type === 'exit') {
        process.disconnect?.();
        process.exit(0);
      }
    } catch (e) {
      send({ type: 'error', k: m.type === 'arch' ? m.k : -1, message: (e as Error).message });
    }
  })();
});
