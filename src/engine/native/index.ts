/**
 * The `native` TF.js backend: the cpu backend's storage and kernels, with the hot kernels
 * replaced by a C++ addon (native/) on oneDNN and OpenMP. Tensors live in the cpu backend's
 * Float32Arrays; the addon reads and writes those arrays in place (no copies). Every native
 * kernel falls back to the cpu kernel for cases it does not cover (other dtypes, NCHW,
 * broadcasts that are not a single block, primitives oneDNN cannot build).
 * Build the addon with `npm run build:native` (needs `apt-get install libdnnl-dev`).
 *
 * addon.ts loads and types the addon; backend.ts is the backend class (storage, buffer pool);
 * kernels/ has one file per kernel family; start.ts registers them; threads.ts picks the
 * thread count.
 */
export { loadNativeAddon, nativeAvailable, type NativeAddon, type NativeInfo } from './addon.js';
export { NativeBackend, type BufferPoolStats } from './backend.js';
export { NATIVE_KERNEL_NAMES, startNativeBackend } from './start.js';
