/**
 * What the native kernel families (kernels/*.ts) share: the kernel signature, and reading and
 * writing the cpu backend's Float32Arrays.
 */
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { tf } from '../tf.js';
import type { NativeAddon } from './addon.js';
import { NativeBackend } from './backend.js';

export type TensorInfo = tf.TensorInfo;
export type Attrs = Record<string, unknown>;
export interface KernelArgs {
  inputs: Record<string, TensorInfo> | TensorInfo[];
  backend: MathBackendCPU;
  attrs?: Attrs;
}
/** A TF.js kernel function (the cpu fallback has this form). */
export type KernelFn = (args: KernelArgs) => TensorInfo | TensorInfo[];
/** A native kernel: runs in C++ where it can, else calls `fallback` (the cpu backend's kernel). */
export type NativeKernel = (args: KernelArgs, fallback: KernelFn) => TensorInfo | TensorInfo[];
/**
 * A native kernel before it is bound to the addon: the backend calls it once when it registers,
 * and it looks up the addon functions it needs then (by name, for the named families).
 */
export type Bind = (A: NativeAddon) => NativeKernel;
/** A family's kernels by TF.js kernel name. */
export type KernelTable = Record<string, Bind>;

export const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** The Float32Array behind a float32 tensor of this backend, or undefined. */
export function f32(backend: MathBackendCPU, t: TensorInfo): Float32Array | undefined {
  if (t.dtype !== 'float32') return undefined;
  const v = backend.data.get(t.dataId)?.values;
  return v instanceof Float32Array ? v : undefined;
}

/** An output buffer of n elements, from the native backend's pool. */
export function alloc(backend: MathBackendCPU, n: number): Float32Array {
  return backend instanceof NativeBackend ? backend.alloc(n) : new Float32Array(n);
}

export function out(backend: MathBackendCPU, shape: number[], values: Float32Array): TensorInfo {
  return backend.makeTensorInfo(shape, 'float32', values);
}

export function inputsOf(args: KernelArgs): Record<string, TensorInfo> {
  return args.inputs as Record<string, TensorInfo>;
}

/** The inputs of a kernel with a variable number of them (AddN, Concat), in order. */
export function listInputs(args: KernelArgs): TensorInfo[] {
  return Array.isArray(args.inputs) ? args.inputs : Object.values(args.inputs);
}

/** The inputs x0, x1, … of a kernel with indexed inputs (weighted sum, sum of squares), in order. */
export function indexedInputs(args: KernelArgs): TensorInfo[] {
  const ins = inputsOf(args);
  const out: TensorInfo[] = [];
  for (let k = 0; ins[`x${k}`]; k++) out.push(ins[`x${k}`]!);
  return out;
}
