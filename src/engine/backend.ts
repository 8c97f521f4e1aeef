/**
 * Picks and initialises the TF.js backend. `auto` takes the fastest one that really works here,
 * a named backend that cannot start is a loud error (never a silent fall-back to a slower one).
 */
import { tf } from './tf.js';
import { TsnasError } from '../util/errors.js';
import { registerGradientFixes } from './gradients.js';
import { registerWasmKernels } from './wasm-kernels.js';

export const BACKENDS = ['auto', 'native', 'wasm', 'cpu', 'webgpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

/** Order in which `auto` tries backends: fastest first (measured, see BENCHMARKS.md). */
const AUTO_ORDER: Exclude<BackendName, 'auto'>[] = ['webgpu', 'native', 'wasm', 'cpu'];

export interface BackendInfo {
  name: string;
  requested: BackendName;
  threads: number;
  detail: string;
}

let current: BackendInfo | undefined;

async function startWasm(): Promise<string> {
  await import('@tensorflow/tfjs-backend-wasm');
  if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend failed to initialise');
  registerWasmKernels();
  return 'XNNPACK (SIMD), tsnas gradient kernels registered';
}

async function startNative(): Promise<string> {
  const mod = await import('./native/index.js');
  return mod.startNativeBackend();
}

async function startWebgpu(): Promise<string> {
  let gpu: { create?: (args: string[]) => unknown } | undefined;
  try {
    // Optional dependency: Dawn bindings for Node. Absent on most machines.
    const name = 'webgpu';
    gpu = (await import(name)) as typeof gpu;
  } catch {
    throw new Error("the 'webgpu' package (Dawn for Node) is not installed");
  }
  const g = globalThis as Record<string, unknown>;
  if (!g.navigator) g.navigator = {};
  const nav = g.navigator as Record<string, unknown>;
  if (!nav.gpu && gpu?.create) nav.gpu = gpu.create([]);
  const adapter = await (nav.gpu as { requestAdapter?: () => Promise<unknown> } | undefined)?.requestAdapter?.();
  if (!adapter) throw new Error('no WebGPU adapter found (no GPU driver on this machine)');
  await import('@tensorflow/tfjs-backend-webgpu' as string);
  if (!(await tf.setBackend('webgpu'))) throw new Error('the webgpu backend failed to initialise');
  return 'Dawn WebGPU adapter';
}

async function startCpu(): Promise<string> {
  if (!(await tf.setBackend('cpu'))) throw new Error('the cpu backend failed to initialise');
  return 'pure JavaScript';
}

const STARTERS: Record<Exclude<BackendName, 'auto'>, () => Promise<string>> = {
  native: startNative,
  wasm: startWasm,
  cpu: startCpu,
  webgpu: startWebgpu,
};

/** Initialise the requested backend; idempotent for the same request. */
export async function initBackend(requested: BackendName | string = 'auto'): Promise<BackendInfo> {
  if (!(BACKENDS as readonly string[]).includes(requested)) {
    throw new TsnasError(`unknown backend '${requested}' (expected one of: ${BACKENDS.join(', ')})`);
  }
  const req = requested as BackendName;
  if (current && (current.requested === req || current.name === req)) return current;
  registerGradientFixes();
  tf.env().set('IS_TEST', false);
  const candidates = req === 'auto' ? AUTO_ORDER : [req];
  const failures: string[] = [];
  for (const name of candidates) {
    try {
      const detail = await STARTERS[name]();
      current = { name: tf.getBackend(), requested: req, threads: threadsOf(name), detail };
      return current;
    } catch (e) {
      failures.push(`${name}: ${(e as Error).message}`);
    }
  }
  if (req === 'auto') throw new TsnasError(`no TF.js backend could start (${failures.join('; ')})`);
  throw new TsnasError(`backend '${req}' is not available: ${failures[0]!.replace(/^[a-z]+: /, '')}`);
}

function threadsOf(name: string): number {
  if (name === 'native') return Number(process.env.TSNAS_THREADS ?? 0) || navigatorCores();
  return 1;
}

function navigatorCores(): number {
  return Math.max(1, (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1);
}

export function backendInfo(): BackendInfo | undefined {
  return current;
}

/**
 * Run `f` on another, already started backend (initBackend on it first), then switch back: how
 * `latency:wasm` is measured in a session that trains on native. Switching to a started backend
 * takes effect before `tf.setBackend` returns its promise (tfjs-core only awaits a backend's first
 * initialisation), so the switch is synchronous; the check below guards that.
 */
export function withBackend<T>(name: string, f: () => T): T {
  const prev = tf.getBackend();
  if (prev === name) return f();
  if (!tf.findBackend(name)) throw new TsnasError(`backend '${name}' is not started (initBackend('${name}') before measuring on it)`);
  const to = (b: string) => {
    void tf.setBackend(b);
    if (tf.getBackend() !== b) throw new Error(`could not switch the TF.js backend to ${b}`);
  };
  to(name);
  try {
    return f();
  } finally {
    to(prev);
  }
}
