/**
 * `tsnas/engine`: the TF.js layer under tsnas — the TF.js namespace it uses, tensor types,
 * backend start-up and the fused kernels (batch norm, weighted sums, SGD steps) that the native
 * and wasm backends implement natively.
 *
 * @packageDocumentation
 */
/** The TensorFlow.js namespace tsnas runs on (one instance shared with tsnas's networks). */
export { tf } from './tf.js';
/** A TF.js tensor. */
export { type Tensor } from './tf.js';
/** A rank-1 tensor. */
export { type Tensor1D } from './tf.js';
/** A rank-2 tensor. */
export { type Tensor2D } from './tf.js';
/** A rank-4 (NHWC) tensor. */
export { type Tensor4D } from './tf.js';
/** A TF.js variable. */
export { type Variable } from './tf.js';
/** Pick and start a TF.js backend; call once before any tensor work. */
export { initBackend } from './backend.js';
/** Run a function on another started backend, then switch back. */
export { withBackend } from './backend.js';
/** The backend started by {@link initBackend}, or undefined before it. */
export { backendInfo } from './backend.js';
/** Backend names accepted by {@link initBackend}. */
export { BACKENDS } from './backend.js';
/** One of {@link BACKENDS}. */
export { type BackendName } from './backend.js';
/** What {@link initBackend} started. */
export { type BackendInfo } from './backend.js';
/** Batch-norm normalisation with given statistics (fused kernel where available). */
export { normalizeBatch } from './fused.js';
/** Training-mode batch norm: normalise and update running statistics. */
export { batchNormTrain } from './fused.js';
/** Running mean and variance of a batch-norm layer. */
export { type RunningStats } from './fused.js';
/** Where {@link batchNormTrain} puts batch statistics. */
export { type BnStatsSink } from './fused.js';
/** Inference-mode batch-norm parameters. */
export { type BnInference } from './fused.js';
/** Convolution with batch norm folded in (inference). */
export { ConvBnFold } from './fused.js';
/** Convolution then inference batch norm, folded where possible. */
export { convBnInference } from './fused.js';
/** Weighted sum of tensors (mixed operations). */
export { weightedSum } from './fused.js';
/** One fused momentum-SGD step over a list of parameters. */
export { sgdStep } from './fused.js';
/** Options of {@link sgdStep}. */
export { type SgdStepOptions } from './fused.js';
/** Sum of squares of a list of tensors (gradient norms). */
export { sumOfSquares } from './fused.js';
/** Gradient of ReLU. */
export { reluGrad } from './fused.js';
