import type * as tfjs from '@tensorflow/tfjs';
import type { Tf } from '../network/tf_backend';
import { BN_EPSILON, KERNEL_SIDE, type CnnWeights } from './weights';

/**
 * The CNN's forward pass in TensorFlow.js ops, the same for training and inference but for batch norm's
 * statistics and dropout. Batch norm is written out in arithmetic, as the ONNX BatchNormalization node
 * computes it, so that its gradient exists on every backend.
 */
export type BlockTensors = {
  kernel: tfjs.Tensor4D;
  gamma: tfjs.Tensor1D;
  beta: tfjs.Tensor1D;
  movingMean: tfjs.Tensor1D;
  movingVariance: tfjs.Tensor1D;
};

// type aliases, not interfaces: tidy() returns them only as index-signature containers
export type CnnTensors = {
  blocks: BlockTensors[];
  dense: { kernel: tfjs.Tensor2D; bias: tfjs.Tensor1D };
};

export type Mode =
  | { training: false }
  | {
      training: true;
      /** [batch × features] of 0 and 1/(1 − rate), or none. */
      dropout: tfjs.Tensor2D | null;
      /** Receives each block's batch statistics, kept past any tidy, for the moving averages. */
      batchStats?: Array<{ mean: tfjs.Tensor1D; variance: tfjs.Tensor1D }>;
    };

export function cnnLogits(tf: Tf, x: tfjs.Tensor4D, t: CnnTensors, mode: Mode): tfjs.Tensor2D {
  let h = x;
  for (const b of t.blocks) {
    const z = tf.conv2d(h, b.kernel, 1, 'same');
    let mean: tfjs.Tensor1D = b.movingMean;
    let variance: tfjs.Tensor1D = b.movingVariance;
    if (mode.training) {
      // biased variance over the batch and every position, as Keras normalises a training batch
      const moments = tf.moments(z, [0, 1, 2]);
      mean = moments.mean as tfjs.Tensor1D;
      variance = moments.variance as tfjs.Tensor1D;
      mode.batchStats?.push({ mean: tf.keep(mean), variance: tf.keep(variance) });
    }
    const normed = tf.add(tf.mul(tf.div(tf.sub(z, mean), tf.sqrt(tf.add(variance, BN_EPSILON))), b.gamma), b.beta) as tfjs.Tensor4D;
    h = tf.maxPool(tf.relu(normed), 2, 2, 'valid');
  }
  const features = t.dense.kernel.shape[0];
  // the dense layer's width says the head (see CnnWeights.dense): flattened NHWC maps, or their averages
  let pooled = (features === h.shape[3] ? tf.mean(h, [1, 2]) : tf.reshape(h, [h.shape[0], features])) as tfjs.Tensor2D;
  if (mode.training && mode.dropout) pooled = tf.mul(pooled, mode.dropout);
  return tf.add(tf.matMul(pooled, t.dense.kernel), t.dense.bias);
}

/** Trainable tensors in a fixed order (per block kernel, gamma, beta; then the dense kernel and bias). */
export function trainableOf(t: CnnTensors): tfjs.Tensor[] {
  return [...t.blocks.flatMap((b) => [b.kernel, b.gamma, b.beta]), t.dense.kernel, t.dense.bias];
}

/** The tensors of `weights`; `make` turns each array into a tensor or a variable. */
export function tensorsOf(tf: Tf, w: CnnWeights, make: <T extends tfjs.Tensor>(t: T, trainable: boolean) => T = (t) => t): CnnTensors {
  return {
    blocks: w.blocks.map((b) => ({
      kernel: make(tf.tensor4d(b.kernel, [KERNEL_SIDE, KERNEL_SIDE, b.inputs, b.filters]), true),
      gamma: make(tf.tensor1d(b.gamma), true),
      beta: make(tf.tensor1d(b.beta), true),
      movingMean: make(tf.tensor1d(b.movingMean), false),
      movingVariance: make(tf.tensor1d(b.movingVariance), false),
    })),
    dense: { kernel: make(tf.tensor2d(w.dense.kernel, [w.dense.features, w.dense.classes]), true), bias: make(tf.tensor1d(w.dense.bias), true) },
  };
}

/** `t` with its trainable tensors replaced by `trainable`, in trainableOf's order. */
export function withTrainable(t: CnnTensors, trainable: tfjs.Tensor[]): CnnTensors {
  const n = t.blocks.length;
  return {
    blocks: t.blocks.map((b, k) => ({
      ...b,
      kernel: trainable[3 * k] as tfjs.Tensor4D,
      gamma: trainable[3 * k + 1] as tfjs.Tensor1D,
      beta: trainable[3 * k + 2] as tfjs.Tensor1D,
    })),
    dense: { kernel: trainable[3 * n] as tfjs.Tensor2D, bias: trainable[3 * n + 1] as tfjs.Tensor1D },
  };
}

const PREDICT_CHUNK = 64;

/** Class probabilities [n × K] for n NHWC images, in inference mode. */
export function cnnProbabilities(tf: Tf, w: CnnWeights, x: Float32Array, n: number, side: number, channels: number): Float32Array {
  const K = w.dense.classes;
  const pixels = side * side * channels;
  const out = new Float32Array(n * K);
  const t = tensorsOf(tf, w);
  try {
    for (let start = 0; start < n; start += PREDICT_CHUNK) {
      const m = Math.min(PREDICT_CHUNK, n - start);
      const p = tf.tidy(() => tf.softmax(cnnLogits(tf, tf.tensor4d(x.subarray(start * pixels, (start + m) * pixels), [m, side, side, channels]), t, { training: false })));
      out.set(p.dataSync(), start * K);
      p.dispose();
    }
  } finally {
    tf.dispose([...trainableOf(t), ...t.blocks.flatMap((b) => [b.movingMean, b.movingVariance])]);
  }
  return out;
}
