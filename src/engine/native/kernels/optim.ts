/**
 * The optimizer step over every parameter tensor and the global gradient norm's sum of squares
 * (tsnas's fused TsnasSgdStep and TsnasSumSquares, fused.ts; native/src/optim.cc).
 */
import { SGD_STEP_KERNEL, SUM_SQUARES_KERNEL } from '../../fused.js';
import { alloc, f32, indexedInputs, inputsOf, out, type Attrs, type Bind, type KernelTable } from '../kernel.js';

const sgdStepKernel: Bind = (A) => (args) => {
  const { backend } = args;
  const at = args.attrs as Attrs;
  const n = Number(at.n);
  const ins = inputsOf(args);
  const ps = Array.from({ length: n }, (_, i) => ins[`p${i}`]!);
  const pv = ps.map((t) => f32(backend, t)!);
  const gv = ps.map((_, i) => f32(backend, ins[`g${i}`]!)!);
  const vv = ps.map((_, i) => (ins[`v${i}`] ? f32(backend, ins[`v${i}`]!)! : null));
  const po = pv.map((p) => alloc(backend, p.length));
  const vo = pv.map((p) => alloc(backend, p.length));
  A.sgdStep(pv, gv, vv, po, vo, Number(at.lr), Number(at.momentum), Number(at.weightDecay), !!at.nesterov, Number(at.scale ?? 1));
  return [...po.map((v, i) => out(backend, ps[i]!.shape, v)), ...vo.map((v, i) => out(backend, ps[i]!.shape, v))];
};

const sumSquaresKernel: Bind = (A) => (args) => {
  const { backend } = args;
  const xs = indexedInputs(args).map((t) => f32(backend, t)!);
  return out(backend, [], Float32Array.of(A.sumSquares(xs)));
};

export const optimKernels: KernelTable = {
  [SGD_STEP_KERNEL]: sgdStepKernel,
  [SUM_SQUARES_KERNEL]: sumSquaresKernel,
};
