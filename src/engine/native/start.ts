/**
 * Registering the `native` backend: every cpu kernel under `native`, then the native kernels of
 * each family (kernels/*.ts) over them, each bound to the addon once, here.
 */
import { tf } from '../tf.js';
import { loadNativeAddon, type NativeAddon } from './addon.js';
import { NativeBackend } from './backend.js';
import { listInputs, sizeOf, type KernelArgs, type KernelFn, type KernelTable } from './kernel.js';
import { configuredThreads, governorTick } from './threads.js';
import { batchnormKernels } from './kernels/batchnorm.js';
import { convKernels } from './kernels/conv.js';
import { copyKernels } from './kernels/copy.js';
import { elementwiseKernels } from './kernels/elementwise.js';
import { matmulKernels } from './kernels/matmul.js';
import { optimKernels } from './kernels/optim.js';
import { poolingKernels } from './kernels/pooling.js';
import { reduceKernels } from './kernels/reduce.js';
import { weightedSumKernels } from './kernels/weighted-sum.js';

/** TF.js kernel name → native kernel, over every family. */
const NATIVE_KERNELS: KernelTable = {
  ...convKernels,
  ...matmulKernels,
  ...poolingKernels,
  ...elementwiseKernels,
  ...reduceKernels,
  ...batchnormKernels,
  ...copyKernels,
  ...weightedSumKernels,
  ...optimKernels,
};

/** Names of the kernels the native backend runs in C++ (the rest are the cpu backend's). */
export const NATIVE_KERNEL_NAMES: readonly string[] = Object.keys(NATIVE_KERNELS);

let registered = false;

function hasEmptyInput(args: KernelArgs): boolean {
  return listInputs(args).some((t) => t !== undefined && t !== null && sizeOf(t.shape) === 0);
}

function register(A: NativeAddon): void {
  if (registered) return;
  // bind every kernel first: an addon that lacks one (a stale build) fails here, with its name,
  // before anything is registered
  const bound = Object.entries(NATIVE_KERNELS).map(([name, bind]) => [name, bind(A)] as const);
  if (typeof A.discard !== 'function') throw new Error('the native addon has no discard function; rebuild it with `npm run build:native`');
  const discard = A.discard.bind(A);
  tf.registerBackend('native', () => new NativeBackend(discard), 0);
  const cpuKernels = tf.getKernelsForBackend('cpu');
  const cpuByName = new Map(cpuKernels.map((k) => [k.kernelName, k]));
  for (const k of cpuKernels) {
    if (k.kernelName in NATIVE_KERNELS) continue;
    tf.registerKernel({ ...k, backendName: 'native' });
  }
  const noFallback: KernelFn = () => {
    throw new Error('no cpu fallback for this kernel');
  };
  for (const [name, kernel] of bound) {
    const cpu = cpuByName.get(name);
    const fallback = (cpu?.kernelFunc as unknown as KernelFn | undefined) ?? noFallback;
    tf.registerKernel({
      kernelName: name,
      backendName: 'native',
      kernelFunc: ((args: KernelArgs) => {
        governorTick();
        // the C++ kernels assume at least one element (they read a row to shift by, index [0]);
        // an empty tensor goes to the cpu kernel, which handles it, where there is one (the check
        // costs about 0.07 µs a call on this VM, against at least microseconds for any native kernel)
        if (cpu && hasEmptyInput(args)) return fallback(args);
        return kernel(args, fallback);
      }) as unknown as tf.KernelFunc,
    });
  }
  registered = true;
}

/**
 * Load the addon, register the `native` backend (cpu storage, cpu kernels, native hot kernels),
 * make it current, and describe it.
 */
export async function startNativeBackend(): Promise<string> {
  const A = loadNativeAddon();
  register(A);
  if (!(await tf.setBackend('native'))) throw new Error('the native backend failed to initialise');
  const threads = configuredThreads(A);
  const i = A.info();
  return `oneDNN ${i.version} (${i.isa}), ${threads}, ${i.runtime}, ${NATIVE_KERNEL_NAMES.length} native kernels`;
}
