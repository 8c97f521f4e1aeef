/**
 * A worker's child process (forked by worker.ts): one TF.js backend, then one task per message.
 * CPU-bound training runs here, so the worker's own event loop stays free to renew BullMQ's job
 * locks. The child ends with its parent: when the IPC channel closes (the worker exited), or, as
 * a task runs synchronously and blocks that event, when a watcher thread sees the parent gone (a
 * SIGKILLed worker's child is re-parented): a training orphan would hold a core for nothing, its
 * result going nowhere while the job runs again elsewhere.
 */
import { Worker } from 'node:worker_threads';
import { initBackend } from '../engine/backend.js';
import { encodeState } from '../store/run.js';
import { runTask, type DataDirs } from './task-runners.js';
import type { TaskKind } from './tasks.js';

/** Messages from the worker to its child. */
export type ToTaskProcess = { type: 'init'; backend: string; dirs: DataDirs } | { type: 'run'; id: number; kind: TaskKind; payload: unknown };

/** Messages from the child to the worker: results are encoded with encodeState (NaN and ±∞ survive). */
export type FromTaskProcess = { type: 'ready'; backend: string } | { type: 'result'; id: number; value: string } | { type: 'error'; id: number; message: string };

// TF.js's "install tfjs-node" banner is advice for a package this project cannot use.
const warn = console.warn;
console.warn = (...a: unknown[]) => (String(a[0]).includes('tfjs-node') ? undefined : warn(...a));
// Ctrl-C reaches the whole process group; the worker decides when its children stop.
process.on('SIGINT', () => {});
process.on('disconnect', () => process.exit(0));
watchParent(process.ppid);
let dirs: DataDirs = { byName: {} };

function send(m: FromTaskProcess): void {
  process.send?.(m);
}

process.on('message', (raw) => {
  const m = raw as ToTaskProcess;
  void (async () => {
    try {
      if (m.type === 'init') {
        const info = await initBackend(m.backend);
        dirs = m.dirs;
        send({ type: 'ready', backend: `${info.name}: ${info.detail}` });
      } else {
        send({ type: 'result', id: m.id, value: encodeState(runTask(m.kind, m.payload, dirs)) });
      }
    } catch (e) {
      send({ type: 'error', id: m.type === 'run' ? m.id : -1, message: (e as Error).message });
    }
  })();
});

/**
 * Ends this process (SIGTERM, which nothing here handles) once its parent is gone, checked every
 * 500 ms from a thread of its own, which runs while the main thread trains.
 */
function watchParent(ppid: number): void {
  const code = `const { workerData } = require('node:worker_threads');
setInterval(() => { if (process.ppid !== workerData) process.kill(process.pid, 'SIGTERM'); }, 500);`;
  new Worker(code, { eval: true, workerData: ppid }).unref();
}
