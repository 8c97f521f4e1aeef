/**
 * The mixed op of every supernet edge, Σ_k w[index_k]·x_k, and its gradient (tsnas's fused
 * TsnasWeightedSum/Grad, fused.ts; native/src/weighted_sum.cc).
 */
import { WEIGHTED_SUM_GRAD_KERNEL, WEIGHTED_SUM_KERNEL } from '../../fused.js';
import { alloc, f32, indexedInputs, inputsOf, out, sizeOf, type Attrs, type Bind, type KernelArgs, type KernelTable } from '../kernel.js';

/** The weights a weighted-sum kernel applies to its inputs, w[index_k] (attr `index`). */
function pickedWeights(args: KernelArgs, w: Float32Array): { wk: Float32Array; index: number[] } {
  const index = ((args.attrs as Attrs)?.index as number[] | undefined) ?? Array.from(w, (_, k) => k);
  return { wk: Float32Array.from(index, (i) => w[i]!), index };
}

const weightedSumKernel: Bind = (A) => (args) => {
  const { backend } = args;
  const ts = indexedInputs(args);
  const { wk } = pickedWeights(args, f32(backend, inputsOf(args).w!)!);
  const y = alloc(backend, sizeOf(ts[0]!.shape));
  A.weightedSum(
    ts.map((t) => f32(backend, t)!),
    wk,
    y,
  );
  return out(backend, ts[0]!.shape, y);
};

const weightedSumGradKernel: Bind = (A) => (args) => {
  const { backend } = args;
  const ts = indexedInputs(args);
  const { dy, w } = inputsOf(args);
  const wv = f32(backend, w!)!;
  const { wk, index } = pickedWeights(args, wv);
  const dyv = f32(backend, dy!)!;
  const dxs = ts.map(() => alloc(backend, dyv.length));
  const dwk = new Float32Array(ts.length);
  A.weightedSumGrad(
    dyv,
    ts.map((t) => f32(backend, t)!),
    wk,
    dxs,
    dwk,
  );
  const dw = new Float32Array(wv.length);
  index.forEach((i, k) => (dw[i]! += dwk[k]!));
  return [...dxs.map((d, k) => out(backend, ts[k]!.shape, d)), out(backend, w!.shape, dw)];
};

export const weightedSumKernels: KernelTable = {
  [WEIGHTED_SUM_KERNEL]: weightedSumKernel,
  [WEIGHTED_SUM_GRAD_KERNEL]: weightedSumGradKernel,
};
