/**
 * Export a trained evaluation network as a TF.js LayersModel (model.json + weights.bin, the
 * standard format `tf.loadLayersModel` reads), built from the same modules as the tsnas network:
 * every tsnas op maps to stock Keras layers, BN is kept as BatchNormalization in inference mode.
 *
 * Mappings that are not one-to-one:
 *  - padding p: ZeroPadding2D(p) then a 'valid' convolution;
 *  - stride s together with dilation d (DARTS reduction dil_convs): subsample by s first (a 1×1
 *    depthwise conv of ones with stride s, exact), then dilation d/s, padding p/s — as layers.ts;
 *  - 3×3 pooling with padding 1 (count_include_pad=False, −∞ pads): stride 1 is TF's 'same'
 *    pooling; stride 2 is 'same' stride-1 pooling subsampled at even positions (exact);
 *  - the `none` op: a 1×1 depthwise conv with zero weights (and the op's stride);
 *  - FactorizedReduce's one-pixel shift: ZeroPadding2D bottom/right then Cropping2D top/left;
 *  - declarative-space blocks (nn/blocks.ts): k×k pooling with padding k//2 as 3×3 above; an
 *    inverted residual's skip is an Add layer; an input choice's mean is an Average layer.
 * Optionally the input normalisation (x − mean)/std is the first layer (a 1×1 depthwise conv with
 * weight 1/std and bias −mean/std), so the model takes [0, 1] pixels.
 * The auxiliary head and drop-path are training-only and not exported.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tf, type Tensor } from '../engine/tf.js';
import type { Network } from '../nn/network.js';
import { BatchNorm, Conv2d, Linear } from '../nn/layers.js';
import { DilConv, FactorizedReduce, Identity, Pool, ReLUConvBN, SepConv, Zero, type Op } from '../nn/ops.js';
import { Nb201Cell, Nb201Network, ResNetBasicBlock } from '../nn/nb201-net.js';
import { DartsCell, DartsNetwork } from '../nn/darts-net.js';
import { ConvBlock, ConvBnAct, DwSepBlock, IdentityBlock, MbConvBlock, PoolBlock, ZeroBlock, type Block } from '../nn/blocks.js';
import { PlanNetwork } from '../nn/plan-net.js';
import { NB201_EDGES, NB201_NODES } from '../spaces/nb201.js';
import { DARTS_STEPS } from '../spaces/darts.js';
import { TsnasError } from '../util/errors.js';

type Sym = tf.SymbolicTensor;
type Layer = tf.layers.Layer;

class Builder {
  private readonly pending: { layer: Layer; weights: Tensor[] }[] = [];
  private readonly used = new Map<string, number>();

  name(base: string): string {
    const b = base.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '') || 'layer';
    const k = this.used.get(b) ?? 0;
    this.used.set(b, k + 1);
    return k ? `${b}_${k}` : b;
  }

  apply(layer: Layer, x: Sym | Sym[], weights: Tensor[] = []): Sym {
    const y = layer.apply(x) as Sym;
    if (weights.length) this.pending.push({ layer, weights });
    return y;
  }

  private readonly temps: Tensor[] = [];

  /** A tensor made here, disposed after setWeights. */
  keep<T extends Tensor>(t: T): T {
    this.temps.push(t);
    return t;
  }

  /** Set every layer's weights (after the model is built). Copies the tensors. */
  setWeights(): void {
    for (const { layer, weights } of this.pending) layer.setWeights(weights);
    tf.dispose(this.temps);
    this.temps.length = 0;
  }

  channels(x: Sym): number {
    return x.shape[x.shape.length - 1] as number;
  }

  subsample(x: Sym, s: number, n: string): Sym {
    const c = this.channels(x);
    return this.apply(tf.layers.depthwiseConv2d({ name: this.name(`${n}_subsample`), kernelSize: 1, strides: s, padding: 'valid', useBias: false }), x, [this.keep(tf.ones([1, 1, c, 1]))]);
  }

  pad(x: Sym, p: [[number, number], [number, number]], n: string): Sym {
    return this.apply(tf.layers.zeroPadding2d({ name: this.name(`${n}_pad`), padding: p }), x);
  }

  conv(x: Sym, m: Conv2d, n: string): Sym {
    let input = x;
    let stride = m.stride;
    let dilation = m.dilation;
    let pad = m.padding;
    if (stride > 1 && dilation > 1) {
      input = this.subsample(input, stride, n);
      dilation /= stride;
      pad /= stride;
      stride = 1;
    }
    if (pad > 0)
      input = this.pad(
        input,
        [
          [pad, pad],
          [pad, pad],
        ],
        n,
      );
    let kernel: Tensor = m.weight;
    let k = m.k;
    if (m.depthwise && dilation > 1) {
      // TF.js's DepthwiseConv2D layer ignores dilationRate in its output shape: use the equivalent
      // undilated kernel of side (k−1)·d+1 with zeros between the taps (exact).
      kernel = this.keep(dilateKernel(m.weight, dilation));
      k = (m.k - 1) * dilation + 1;
      dilation = 1;
    }
    const w: Tensor[] = [kernel, ...(m.bias ? [m.bias] : [])];
    const common = { name: this.name(n), kernelSize: k, strides: stride, padding: 'valid' as const, dilationRate: dilation, useBias: !!m.bias };
    const layer = m.depthwise ? tf.layers.depthwiseConv2d({ ...common, depthMultiplier: 1 }) : tf.layers.conv2d({ ...common, filters: m.cout });
    return this.apply(layer, input, w);
  }

  bn(x: Sym, m: BatchNorm, n: string): Sym {
    if (!m.runningMean || !m.runningVar) throw new TsnasError('cannot export a batch-norm without running statistics');
    const w: Tensor[] = [...(m.affine ? [m.gamma!, m.beta!] : []), m.runningMean, m.runningVar];
    return this.apply(tf.layers.batchNormalization({ name: this.name(n), axis: -1, epsilon: m.eps, center: m.affine, scale: m.affine }), x, w);
  }

  relu(x: Sym, n: string): Sym {
    return this.apply(tf.layers.reLU({ name: this.name(`${n}_relu`) }), x);
  }

  add(xs: Sym[], n: string): Sym {
    return xs.length === 1 ? xs[0]! : this.apply(tf.layers.add({ name: this.name(`${n}_add`) }), xs);
  }

  concat(xs: Sym[], n: string): Sym {
    return this.apply(tf.layers.concatenate({ name: this.name(`${n}_concat`), axis: -1 }), xs);
  }

  zeros(x: Sym, stride: number, n: string): Sym {
    const c = this.channels(x);
    return this.apply(tf.layers.depthwiseConv2d({ name: this.name(`${n}_zero`), kernelSize: 1, strides: stride, padding: 'valid', useBias: false }), x, [this.keep(tf.zeros([1, 1, c, 1]))]);
  }

  linear(x: Sym, m: Linear, n: string): Sym {
    return this.apply(tf.layers.dense({ name: this.name(n), units: m.fout, useBias: true }), x, [m.weight, m.bias]);
  }

  op(x: Sym, op: Op, n: string): Sym {
    if (op instanceof Identity) return x;
    if (op instanceof Zero) {
      if (this.channels(x) !== op.cout) throw new TsnasError(`cannot export a 'none' op changing channels (${this.channels(x)} → ${op.cout})`);
      return this.zeros(x, op.stride, n);
    }
    if (op instanceof ReLUConvBN) return this.bn(this.conv(this.relu(x, n), op.conv, `${n}_conv`), op.bn, `${n}_bn`);
    if (op instanceof DilConv) {
      const h = this.conv(this.relu(x, n), op.dw, `${n}_dw`);
      return this.bn(this.conv(h, op.pw, `${n}_pw`), op.bn, `${n}_bn`);
    }
    if (op instanceof SepConv) return this.op(this.op(x, op.a, `${n}_a`), op.b, `${n}_b`);
    if (op instanceof FactorizedReduce) {
      const r = this.relu(x, n);
      const shifted = this.apply(
        tf.layers.cropping2D({
          name: this.name(`${n}_shift`),
          cropping: [
            [1, 0],
            [1, 0],
          ],
        }),
        this.pad(
          r,
          [
            [0, 1],
            [0, 1],
          ],
          `${n}_shift`,
        ),
      );
      const y = this.concat([this.conv(r, op.c1, `${n}_conv1`), this.conv(shifted, op.c2, `${n}_conv2`)], n);
      return this.bn(y, op.bn, `${n}_bn`);
    }
    if (op instanceof Pool) {
      let h = op.pre ? this.op(x, op.pre, `${n}_pre`) : x;
      const cfg = { name: this.name(`${n}_${op.kind}pool`), poolSize: 3, strides: 1, padding: 'same' as const };
      h = this.apply(op.kind === 'avg' ? tf.layers.averagePooling2d(cfg) : tf.layers.maxPooling2d(cfg), h);
      if (op.stride > 1) h = this.subsample(h, op.stride, n);
      return op.bn ? this.bn(h, op.bn, `${n}_bn`) : h;
    }
    throw new TsnasError(`cannot export op ${op.constructor.name}`);
  }

  nb201(x: Sym, net: Nb201Network): Sym {
    let h = this.bn(this.conv(x, net.stem, 'stem_conv'), net.stemBn, 'stem_bn');
    net.cells.forEach((cell, k) => {
      const n = `cell${k}`;
      if (cell instanceof ResNetBasicBlock) {
        const main = this.op(this.op(h, cell.a, `${n}_a`), cell.b, `${n}_b`);
        const pooled = this.apply(tf.layers.averagePooling2d({ name: this.name(`${n}_down_pool`), poolSize: 2, strides: 2, padding: 'valid' }), h);
        h = this.add([main, this.conv(pooled, cell.down, `${n}_down`)], n);
        return;
      }
      const c = cell as Nb201Cell;
      const nodes: Sym[] = [h];
      for (let j = 1; j < NB201_NODES; j++) {
        const terms: Sym[] = [];
        NB201_EDGES.forEach(([to, from], e) => {
          if (to === j && c.arch.ops[e] !== 'none') terms.push(this.op(nodes[from]!, c.ops[e]!, `${n}_e${to}${from}`));
        });
        nodes.push(terms.length ? this.add(terms, `${n}_node${j}`) : this.zeros(nodes[0]!, 1, `${n}_node${j}`));
      }
      h = nodes[NB201_NODES - 1]!;
    });
    h = this.relu(this.bn(h, net.lastBn, 'last_bn'), 'last');
    h = this.apply(tf.layers.globalAveragePooling2d({ name: this.name('gap') }), h);
    return this.linear(h, net.classifier, 'classifier');
  }

  convBnAct(x: Sym, m: ConvBnAct, n: string): Sym {
    const y = this.bn(this.conv(x, m.conv, `${n}_conv`), m.bn, `${n}_bn`);
    return m.act ? this.relu(y, n) : y;
  }

  block(x: Sym, b: Block, n: string): Sym {
    if (b instanceof ConvBlock) return this.convBnAct(x, b.op, n);
    if (b instanceof DwSepBlock) return this.convBnAct(this.convBnAct(x, b.dw, `${n}_dw`), b.pw, `${n}_pw`);
    if (b instanceof MbConvBlock) {
      const h = b.expand ? this.convBnAct(x, b.expand, `${n}_expand`) : x;
      const y = this.convBnAct(this.convBnAct(h, b.dw, `${n}_dw`), b.project, `${n}_project`);
      return b.residual ? this.add([x, y], n) : y;
    }
    if (b instanceof PoolBlock) {
      // k//2 padding, pads ignored: TF's 'same' at stride 1 (odd k), then every s-th position
      const cfg = { name: this.name(`${n}_${b.plan.pool}pool`), poolSize: b.plan.k, strides: 1, padding: 'same' as const };
      const h = this.apply(b.plan.pool === 'avg' ? tf.layers.averagePooling2d(cfg) : tf.layers.maxPooling2d(cfg), x);
      return b.plan.stride > 1 ? this.subsample(h, b.plan.stride, n) : h;
    }
    if (b instanceof IdentityBlock) return x;
    if (b instanceof ZeroBlock) return this.zeros(x, b.plan.stride, n);
    throw new TsnasError(`cannot export block ${b.constructor.name}`);
  }

  planNet(x: Sym, net: PlanNetwork): Sym {
    const outs: Sym[] = [net.stem ? this.block(x, net.stem, 'stem') : x];
    net.plan.nodes.forEach((node, i) => {
      const n = `layer${i}`;
      if ('block' in node) {
        outs.push(this.block(outs[outs.length - 1]!, net.blocks[i]!, n));
        return;
      }
      const xs = node.inputs.map((j) => outs[j]!);
      if (xs.length === 1) outs.push(xs[0]!);
      else if (node.reduce === 'concat') outs.push(this.concat(xs, n));
      else if (node.reduce === 'mean') outs.push(this.apply(tf.layers.average({ name: this.name(`${n}_mean`) }), xs));
      else outs.push(this.add(xs, n));
    });
    let h = outs[outs.length - 1]!;
    if (net.head) h = this.convBnAct(h, net.head, 'head');
    h = this.apply(tf.layers.globalAveragePooling2d({ name: this.name('gap') }), h);
    return this.linear(h, net.classifier, 'classifier');
  }

  dartsCell(s0: Sym, s1: Sym, cell: DartsCell, n: string): Sym {
    const states: Sym[] = [this.op(s0, cell.pre0, `${n}_pre0`), this.op(s1, cell.pre1, `${n}_pre1`)];
    for (let i = 0; i < DARTS_STEPS; i++) {
      const hs = [0, 1].map((t) => this.op(states[cell.genes[2 * i + t]![1]]!, cell.ops[2 * i + t]!, `${n}_n${i + 2}_${t}`));
      states.push(this.add(hs, `${n}_n${i + 2}`));
    }
    return this.concat(
      cell.concat.map((c) => states[c]!),
      n,
    );
  }

  darts(x: Sym, net: DartsNetwork): Sym {
    let s0 = this.bn(this.conv(x, net.stem, 'stem_conv'), net.stemBn, 'stem_bn');
    let s1 = s0;
    net.cells.forEach((cell, i) => {
      [s0, s1] = [s1, this.dartsCell(s0, s1, cell, `cell${i}`)];
    });
    const h = this.apply(tf.layers.globalAveragePooling2d({ name: this.name('gap') }), s1);
    return this.linear(h, net.classifier, 'classifier');
  }
}

/** A [k, k, c, m] kernel with dilation d as the equivalent dense kernel of side (k−1)·d+1. */
export function dilateKernel(w: Tensor, d: number): Tensor {
  const [k, , c, m] = w.shape as [number, number, number, number];
  const K = (k - 1) * d + 1;
  const src = w.dataSync();
  const out = new Float32Array(K * K * c * m);
  const per = c * m;
  for (let i = 0; i < k; i++)
    for (let j = 0; j < k; j++) {
      out.set(src.subarray((i * k + j) * per, (i * k + j + 1) * per), (i * d * K + j * d) * per);
    }
  return tf.tensor4d(out, [K, K, c, m]);
}

export interface ExportOptions {
  /** Put (x − mean)/std in the model so it takes [0, 1] pixels. */
  normalization?: { mean: number[]; std: number[] };
  name?: string;
}

/** An equivalent tf.LayersModel (inference mode) of a tsnas evaluation network. */
export function toLayersModel(net: Network, o: ExportOptions = {}): tf.LayersModel {
  const [h, w, c] = net.inputShape;
  const b = new Builder();
  const input = tf.input({ shape: [h, w, c], name: 'image' });
  let x: Sym = input;
  const extra: Tensor[] = [];
  if (o.normalization) {
    const { mean, std } = o.normalization;
    if (mean.length !== c || std.length !== c) throw new TsnasError(`normalisation statistics have ${mean.length} channels, the network takes ${c}`);
    const wt = tf.tensor4d(
      std.map((s) => 1 / s),
      [1, 1, c, 1],
    );
    const bt = tf.tensor1d(mean.map((m, i) => -m / std[i]!));
    extra.push(wt, bt);
    x = b.apply(tf.layers.depthwiseConv2d({ name: 'normalize', kernelSize: 1, useBias: true }), x, [wt, bt]);
  }
  let out: Sym;
  if (net instanceof Nb201Network) out = b.nb201(x, net);
  else if (net instanceof DartsNetwork) out = b.darts(x, net);
  else if (net instanceof PlanNetwork) out = b.planNet(x, net);
  else throw new TsnasError(`cannot export ${net.constructor.name}`);
  const model = tf.model({ inputs: input, outputs: out, name: o.name ?? 'tsnas' });
  b.setWeights();
  tf.dispose(extra);
  return model;
}

/** Save a LayersModel as model.json + weights.bin in `dir` (the format tf.loadLayersModel reads over HTTP or file://). */
export async function saveLayersModel(model: tf.LayersModel, dir: string): Promise<{ modelJson: string; weightsBin: string; bytes: number }> {
  mkdirSync(dir, { recursive: true });
  const modelJson = join(dir, 'model.json');
  const weightsBin = join(dir, 'weights.bin');
  let bytes = 0;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      const data = a.weightData as ArrayBuffer | ArrayBuffer[] | undefined;
      const buf = Array.isArray(data) ? Buffer.concat(data.map((d) => Buffer.from(d))) : Buffer.from(data ?? new ArrayBuffer(0));
      bytes = buf.length;
      writeFileSync(weightsBin, buf);
      const json = {
        modelTopology: a.modelTopology,
        format: a.format ?? 'layers-model',
        generatedBy: a.generatedBy,
        convertedBy: 'tsnas export',
        weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }],
      };
      writeFileSync(modelJson, JSON.stringify(json));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: bytes } };
    }),
  );
  return { modelJson, weightsBin, bytes };
}

/** Median single-image latency (ms) of model.predict after warm-up, on the current backend. */
export function measureLatency(model: tf.LayersModel, reps = 20, batch = 1): { median_ms: number; p90_ms: number; reps: number; batch: number; backend: string } {
  const shape = model.inputs[0]!.shape.slice(1) as number[];
  const x = tf.randomUniform([batch, ...shape]);
  const times: number[] = [];
  try {
    for (let i = 0; i < reps + 3; i++) {
      const t = performance.now();
      const y = model.predict(x) as Tensor;
      y.dataSync();
      y.dispose();
      if (i >= 3) times.push(performance.now() - t);
    }
  } finally {
    x.dispose();
  }
  times.sort((a, b) => a - b);
  return { median_ms: times[Math.floor(times.length / 2)]!, p90_ms: times[Math.min(times.length - 1, Math.floor(times.length * 0.9))]!, reps, batch, backend: tf.getBackend() };
}
