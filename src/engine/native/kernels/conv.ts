/**
 * Convolutions on oneDNN (native/src/conv.cc, depthwise.cc): Conv2D and FusedConv2D (bias and
 * ReLU inside the primitive), their gradients, and the depthwise forms (grouped convolution).
 */
import { tf } from '../../tf.js';
import { named, type ConvActivation, type ConvKind } from '../addon.js';
import { alloc, f32, inputsOf, out, sizeOf, type Attrs, type Bind, type KernelTable, type TensorInfo } from '../kernel.js';

const { backend_util } = tf;
type Conv2DInfo = ReturnType<typeof tf.backend_util.computeConv2DInfo>;

/** oneDNN wants padding consistent with the output size: (I − Keff + pt + pb)/s + 1 = O. */
function convParams(c: Conv2DInfo, groups: number): Int32Array {
  const needB = (c.outHeight - 1) * c.strideHeight + c.effectiveFilterHeight - c.inHeight - c.padInfo.top;
  const needR = (c.outWidth - 1) * c.strideWidth + c.effectiveFilterWidth - c.inWidth - c.padInfo.left;
  return Int32Array.from([
    c.batchSize,
    c.inHeight,
    c.inWidth,
    c.inChannels,
    c.outHeight,
    c.outWidth,
    c.outChannels,
    c.filterHeight,
    c.filterWidth,
    c.strideHeight,
    c.strideWidth,
    c.dilationHeight,
    c.dilationWidth,
    c.padInfo.top,
    c.padInfo.left,
    needB >= 0 ? needB : c.padInfo.bottom,
    needR >= 0 ? needR : c.padInfo.right,
    groups,
  ]);
}

function convKernel(kind: ConvKind, depthwise: boolean, fused = false): Bind {
  return (A) => {
    const conv = named(A, 'conv', kind);
    return (args, fallback) => {
      const { backend } = args;
      const ins = inputsOf(args);
      const at = args.attrs as Attrs;
      const dataFormat = backend_util.convertConv2DDataFormat((at.dataFormat as 'NHWC' | 'NCHW') ?? 'NHWC');
      if (dataFormat !== 'channelsLast') return fallback(args);
      const dil = (at.dilations ?? 1) as number | [number, number];
      const strides = at.strides as number | [number, number];
      const pad = at.pad as Parameters<typeof backend_util.computeConv2DInfo>[4];
      const rnd = at.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined;
      let a: TensorInfo;
      let b: TensorInfo;
      let info: Conv2DInfo;
      let outShape: number[];
      if (kind === 'forward') {
        a = ins.x!;
        b = ins.filter!;
        info = backend_util.computeConv2DInfo(a.shape as never, b.shape as never, strides, dil, pad, rnd, depthwise);
        outShape = info.outShape;
      } else if (kind === 'backwardInput') {
        a = ins.dy!;
        b = ins.filter!;
        const inputShape = at.inputShape as [number, number, number, number];
        info = backend_util.computeConv2DInfo(inputShape, b.shape as never, strides, dil, pad, rnd, depthwise);
        outShape = inputShape;
      } else {
        a = ins.x!;
        b = ins.dy!;
        const filterShape = at.filterShape as [number, number, number, number];
        info = backend_util.computeConv2DInfo(a.shape as never, filterShape, strides, dil, pad, rnd, depthwise);
        outShape = filterShape;
      }
      const av = f32(backend, a);
      const bv = f32(backend, b);
      if (!av || !bv) return fallback(args);
      // FusedConv2D: a per-channel bias and ReLU run inside the oneDNN primitive (bias, post-op)
      let bias: Float32Array | null = null;
      let act: ConvActivation = 'linear';
      if (fused) {
        const activation = (at.activation as string | undefined) ?? 'linear';
        if ((activation !== 'linear' && activation !== 'relu') || ins.preluActivationWeights) return fallback(args);
        act = activation;
        if (ins.bias) {
          bias = f32(backend, ins.bias) ?? null;
          if (!bias || bias.length !== info.outChannels) return fallback(args);
        }
      }
      const o = alloc(backend, sizeOf(outShape));
      const p = convParams(info, depthwise ? info.inChannels : 1);
      if (!(fused ? conv(av, bv, o, p, bias, act) : conv(av, bv, o, p))) return fallback(args);
      return out(backend, outShape, o);
    };
  };
}

export const convKernels: KernelTable = {
  Conv2D: convKernel('forward', false),
  FusedConv2D: convKernel('forward', false, true),
  Conv2DBackpropInput: convKernel('backwardInput', false),
  Conv2DBackpropFilter: convKernel('backwardFilter', false),
  DepthwiseConv2dNative: convKernel('forward', true),
  DepthwiseConv2dNativeBackpropInput: convKernel('backwardInput', true),
  DepthwiseConv2dNativeBackpropFilter: convKernel('backwardFilter', true),
};
