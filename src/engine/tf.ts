/**
 * The single import point for TensorFlow.js. The umbrella package is used (not tfjs-core alone)
 * because only its ESM entry registers the gradient functions training needs.
 */
import * as tf from '@tensorflow/tfjs';
export { tf };
export type Tensor = tf.Tensor;
export type Tensor4D = tf.Tensor4D;
export type Tensor2D = tf.Tensor2D;
export type Tensor1D = tf.Tensor1D;
export type Variable = tf.Variable;
