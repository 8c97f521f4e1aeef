/**
 * Batch normalisation (native/src/batchnorm.cc): training BN with γ, β (tsnas's fused
 * TsnasBatchNormAffineForward/Backward, fused.ts) and TF.js's inference FusedBatchNorm.
 */
import { BN_AFFINE_BACKWARD_KERNEL, BN_AFFINE_FORWARD_KERNEL } from '../../fused.js';
import { alloc, f32, inputsOf, out, type Attrs, type Bind, type KernelTable } from '../kernel.js';

const bnAffineForward: Bind = (A) => (args, fallback) => {
  const { x, gamma, beta, runningMean, runningVar } = inputsOf(args);
  const { backend } = args;
  const [xv, gv, bv] = [f32(backend, x!), f32(backend, gamma!), f32(backend, beta!)];
  if (!xv || !gv || !bv) return fallback(args);
  const C = x!.shape[x!.shape.length - 1]!;
  const y = alloc(backend, xv.length);
  const mean = new Float32Array(C);
  const invstd = new Float32Array(C);
  const eps = Number((args.attrs as Attrs)?.eps ?? 1e-5);
  const variance = new Float32Array(C);
  A.bnAffineForward(xv, gv, bv, y, mean, invstd, C, eps, variance);
  const outs = [out(backend, x!.shape, y), out(backend, [C], mean), out(backend, [C], invstd), out(backend, [C], variance)];
  if (runningMean && runningVar) {
    // running statistics as PyTorch updates them (unbiased batch variance), in the same kernel
    // an empty batch carries no statistics: the running ones stay as they are
    const m = xv.length === 0 ? 0 : Number((args.attrs as Attrs)?.momentum ?? 0.1);
    const [rm, rv] = [f32(backend, runningMean)!, f32(backend, runningVar)!];
    const n = xv.length / C;
    const unbias = n / Math.max(1, n - 1);
    const nm = new Float32Array(C);
    const nv = new Float32Array(C);
    for (let c = 0; c < C; c++) {
      nm[c] = rm[c]! * (1 - m) + mean[c]! * m;
      nv[c] = rv[c]! * (1 - m) + variance[c]! * unbias * m;
    }
    outs.push(out(backend, [C], nm), out(backend, [C], nv));
  }
  return outs;
};

const bnAffineBackward: Bind = (A) => (args, fallback) => {
  const { dy, x, mean, invstd, gamma } = inputsOf(args);
  const { backend } = args;
  const vs = [dy, x, mean, invstd, gamma].map((t) => f32(backend, t!));
  if (vs.some((v) => !v)) return fallback(args);
  const C = x!.shape[x!.shape.length - 1]!;
  const dx = alloc(backend, vs[0]!.length);
  const dgamma = new Float32Array(C);
  const dbeta = new Float32Array(C);
  A.bnAffineBackward(vs[0]!, vs[1]!, vs[2]!, vs[3]!, vs[4]!, dx, dgamma, dbeta, C);
  return [out(backend, x!.shape, dx), out(backend, [C], dgamma), out(backend, [C], dbeta)];
};

/** Inference batch-norm (tf.batchNorm): one pass of x·a + b with per-channel a, b. */
const fusedBatchNorm: Bind = (A) => (args, fallback) => {
  const { x, mean, variance, offset, scale } = inputsOf(args);
  const { backend } = args;
  const xv = f32(backend, x!);
  const C = x!.shape[x!.shape.length - 1] ?? 0;
  const vals = [mean, variance, offset, scale].map((t) => (t ? f32(backend, t) : undefined));
  if (!xv || C === 0 || !vals[0] || !vals[1] || (offset && !vals[2]) || (scale && !vals[3])) return fallback(args);
  // the cpu kernel indexes each parameter cyclically by its own length: per channel when it divides C
  if (vals.some((v) => v !== undefined && C % v.length !== 0)) return fallback(args);
  const eps = Number((args.attrs as Attrs)?.varianceEpsilon ?? 0.001);
  const [m, v, off, sc] = vals as [Float32Array, Float32Array, Float32Array | undefined, Float32Array | undefined];
  const a = new Float32Array(C);
  const b = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    a[c] = (sc ? sc[c % sc.length]! : 1) / Math.sqrt(v[c % v.length]! + eps);
    b[c] = (off ? off[c % off.length]! : 0) - m[c % m.length]! * a[c]!;
  }
  const o = alloc(backend, xv.length);
  A.affine(xv, a, b, o);
  return out(backend, x!.shape, o);
};

export const batchnormKernels: KernelTable = {
  FusedBatchNorm: fusedBatchNorm,
  [BN_AFFINE_FORWARD_KERNEL]: bnAffineForward,
  [BN_AFFINE_BACKWARD_KERNEL]: bnAffineBackward,
};
