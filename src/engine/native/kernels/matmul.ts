/**
 * Matmul on oneDNN (native/src/matmul.cc): BatchMatMul (transposes as strides, broadcast batch)
 * and _FusedMatMul (its bias and activation as the elementwise kernels, in place).
 */
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { tf } from '../../tf.js';
import { named, type NativeAddon, type UnaryFn, type UnaryOp } from '../addon.js';
import { alloc, f32, inputsOf, out, sizeOf, type Attrs, type Bind, type KernelTable, type TensorInfo } from '../kernel.js';
import { broadcastPattern } from './elementwise.js';

const { backend_util, util } = tf;

function batchMatMulCore(backend: MathBackendCPU, A: NativeAddon, a: TensorInfo, b: TensorInfo, tA: boolean, tB: boolean): TensorInfo | undefined {
  const av = f32(backend, a);
  const bv = f32(backend, b);
  if (!av || !bv || a.shape.length < 2 || b.shape.length < 2) return undefined;
  const ra = a.shape.length;
  const rb = b.shape.length;
  const M = tA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const K = tA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const K2 = tB ? b.shape[rb - 1]! : b.shape[rb - 2]!;
  const N = tB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  if (K !== K2) return undefined; // let the cpu kernel raise its own error
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  const BA = sizeOf(batchA);
  const BB = sizeOf(batchB);
  let outBatch: number[];
  if (BA === BB && util.arraysEqual(batchA, batchB)) outBatch = batchA;
  else if (BA === 1 && batchA.length <= batchB.length) outBatch = batchB;
  else if (BB === 1 && batchB.length <= batchA.length) outBatch = batchA;
  else return undefined;
  if (M * N === 0 || K === 0) return undefined;
  const o = alloc(backend, Math.max(BA, BB) * M * N);
  if (!A.matmul(av, bv, o, Int32Array.from([BA, BB, M, K, N, tA ? 1 : 0, tB ? 1 : 0]))) return undefined;
  return out(backend, [...outBatch, M, N], o);
}

const batchMatMul: Bind = (A) => (args, fallback) => {
  const { a, b } = inputsOf(args);
  const at = args.attrs as Attrs;
  return batchMatMulCore(args.backend, A, a!, b!, !!at.transposeA, !!at.transposeB) ?? fallback(args);
};

/** _FusedMatMul's activations that have a native unary kernel, by the kernel's name. */
const ACT_UNARY: Record<string, UnaryOp> = { relu: 'Relu', relu6: 'Relu6', sigmoid: 'Sigmoid' };

const fusedMatMul: Bind = (A) => {
  const add = named(A, 'binary', 'Add');
  const acts = new Map<string, UnaryFn>(Object.entries(ACT_UNARY).map(([act, name]) => [act, named(A, 'unary', name)]));
  return (args, fallback) => {
    const { a, b, bias, preluActivationWeights } = inputsOf(args);
    const at = args.attrs as Attrs;
    const act = (at.activation as string | undefined) ?? 'linear';
    const actFn = acts.get(act);
    if (preluActivationWeights || (act !== 'linear' && !actFn)) return fallback(args);
    const { backend } = args;
    if (bias && !f32(backend, bias)) return fallback(args);
    const mm = batchMatMulCore(backend, A, a!, b!, !!at.transposeA, !!at.transposeB);
    if (!mm) return fallback(args);
    const v = f32(backend, mm)!;
    if (bias) {
      const outShape = backend_util.assertAndGetBroadcastShape(mm.shape, bias.shape);
      const pb = util.arraysEqual(outShape, mm.shape) ? broadcastPattern(bias.shape, outShape) : undefined;
      if (!pb) {
        backend.disposeIntermediateTensorInfo(mm);
        return fallback(args);
      }
      add(v, 1, v.length, f32(backend, bias)!, pb[0], pb[1], v);
    }
    if (actFn) actFn(v, v);
    return mm;
  };
};

export const matmulKernels: KernelTable = {
  BatchMatMul: batchMatMul,
  _FusedMatMul: fusedMatMul,
};
