/**
 * `mobile`: a MobileNetV2/ProxylessNAS-like macro space for image classifiers that run on phones
 * and in browsers, written with the declarative API (src/spaces/declarative/):
 *   - stem: conv 3×3-BN-ReLU, 16 channels, stride 2 for inputs of 64 px or more, else 1;
 *   - 5 stages of inverted-residual (MBConv) blocks; per stage four decisions:
 *     `sN.depth` 1–4 blocks, `sN.kernel` 3/5/7, `sN.expansion` 3/4/6, `sN.width` (output channels,
 *     about 0.75×/1×/1.25× of ProxylessNAS's 24, 40, 80, 112, 192);
 *   - head: conv 1×1-BN-ReLU to 512 channels, global average pooling, linear classifier.
 * Stride schedule (fixed, not searched): the stages' nominal strides are 2, 2, 2, 1, 2 (as
 * MobileNetV2 from its second stage), and a stride 2 is applied only while the feature map is at
 * least 8 px, so small inputs keep a 4–7 px final map (32 px: 32→16→8→4→4→4; 224 px: stem
 * 112, then 56, 28, 14, 14, 7). 108⁵ ≈ 1.5·10¹⁰ architectures; every decision is always active.
 */
import { choice, defineSpace, repeat, type SpaceSpec } from './declarative/index.js';

const STAGES = [
  { stride: 2, widths: [16, 24, 32] },
  { stride: 2, widths: [32, 40, 48] },
  { stride: 2, widths: [64, 80, 96] },
  { stride: 1, widths: [88, 112, 136] },
  { stride: 2, widths: [144, 192, 240] },
] as const;

/** The mobile spec for an input size: decisions identical for every size, strides by the schedule. */
export function mobileSpec(inputShape: readonly [number, number, number] = [32, 32, 3], numClasses = 10): SpaceSpec {
  const stemStride = inputShape[0] >= 64 ? 2 : 1;
  let side = Math.ceil(Math.min(inputShape[0], inputShape[1]) / stemStride);
  const layers = STAGES.map((st, i) => {
    const s = `s${i + 1}`;
    const stride = st.stride === 2 && side >= 8 ? 2 : 1;
    side = Math.ceil(side / stride);
    return repeat(`${s}.depth`, [1, 2, 3, 4], {
      type: 'mbconv',
      kernel: choice(`${s}.kernel`, [3, 5, 7]),
      expansion: choice(`${s}.expansion`, [3, 4, 6]),
      channels: choice(`${s}.width`, st.widths),
      stride,
    });
  });
  return defineSpace({
    name: 'mobile',
    description: 'MobileNetV2/ProxylessNAS-like macro space: 5 MBConv stages, per stage depth 1-4, kernel 3/5/7, expansion 3/4/6, width; JSON {label: value}',
    input: [...inputShape],
    numClasses,
    stem: { type: 'conv', kernel: 3, stride: stemStride, channels: 16 },
    layers,
    head: { channels: 512 },
  }).spec;
}

export const mobileSpace = defineSpace(mobileSpec(), { specFor: (inputShape) => mobileSpec(inputShape) });
