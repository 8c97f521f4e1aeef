/** Backends the engine tests run on: cpu and wasm always, native when its addon is built. */
import { tf } from '../../src/engine/tf.js';
import { initBackend, type BackendName } from '../../src/engine/backend.js';

let nativeOk: boolean | undefined;

export async function testBackends(): Promise<BackendName[]> {
  if (nativeOk === undefined) {
    try {
      await import('../../src/engine/native/index.js').then((m) => m.startNativeBackend());
      nativeOk = true;
    } catch (e) {
      nativeOk = false;
      console.log(`# native backend skipped: ${(e as Error).message}`);
    }
  }
  return nativeOk ? ['cpu', 'wasm', 'native'] : ['cpu', 'wasm'];
}

/** Switch backend (initialising it once). */
export async function useBackend(name: BackendName): Promise<void> {
  await initBackend(name);
  if (!(await tf.setBackend(name))) throw new Error(`cannot switch to ${name}`);
}
