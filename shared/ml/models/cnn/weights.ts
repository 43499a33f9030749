import type { Random } from '../../../data/random';

/**
 * A CNN's weights as plain arrays: what the trainer snapshots for early stopping, what the ONNX graph
 * stores and what a warm start reads back from it. Plain data, so that no TensorFlow.js backend is needed
 * to hold them and a backend can be chosen after they exist.
 */
export interface ConvBlock {
  inputs: number;
  filters: number;
  /** [3, 3, inputs, filters] (height, width, in, out), as TensorFlow.js stores a convolution kernel. */
  kernel: Float32Array;
  /** Batch norm's scale and offset, and the moving statistics inference uses; one per filter. */
  gamma: Float32Array;
  beta: Float32Array;
  movingMean: Float32Array;
  movingVariance: Float32Array;
}

export interface CnnWeights {
  blocks: ConvBlock[];
  /**
   * [features × classes] row-major, and one bias per class. features = the last block's filters when the
   * head averages them (gap), filters × side² when it flattens the last maps (NHWC order, as TensorFlow.js
   * reshapes them); the two agree when a single pixel is left.
   */
  dense: { kernel: Float32Array; bias: Float32Array; features: number; classes: number };
}

export const KERNEL_SIDE = 3;
/** Keras' batch-norm epsilon; the ONNX graph carries the same one. */
export const BN_EPSILON = 1e-3;

/** The features the dense layer reads: see CnnWeights.dense. Each block halves the side, rounding down. */
export function denseFeatures(filters: readonly number[], side: number, head: 'gap' | 'flatten'): number {
  const last = filters[filters.length - 1];
  if (head === 'gap') return last;
  const left = filters.reduce((s) => Math.floor(s / 2), side);
  return last * left * left;
}

/** Whether the dense layer reads the last maps flattened rather than averaged. */
export const flattens = (w: CnnWeights): boolean => w.dense.features !== w.blocks[w.blocks.length - 1].filters;

const uniform = (length: number, limit: number, random: Random) => Float32Array.from({ length }, () => (2 * random.next() - 1) * limit);

/** He-uniform convolutions (a Relu follows each), Glorot-uniform softmax layer, from the seeded generator. */
export function initialWeights(channels: number, filters: readonly number[], classes: number, random: Random, features = filters[filters.length - 1]): CnnWeights {
  const blocks = filters.map((out, k): ConvBlock => {
    const inputs = k === 0 ? channels : filters[k - 1];
    const fanIn = KERNEL_SIDE * KERNEL_SIDE * inputs;
    return {
      inputs,
      filters: out,
      kernel: uniform(fanIn * out, Math.sqrt(6 / fanIn), random),
      gamma: new Float32Array(out).fill(1),
      beta: new Float32Array(out),
      movingMean: new Float32Array(out),
      movingVariance: new Float32Array(out).fill(1),
    };
  });
  return {
    blocks,
    dense: { kernel: uniform(features * classes, Math.sqrt(6 / (features + classes)), random), bias: new Float32Array(classes), features, classes },
  };
}

export const copyWeights = (w: CnnWeights): CnnWeights => ({
  blocks: w.blocks.map((b) => ({ ...b, kernel: b.kernel.slice(), gamma: b.gamma.slice(), beta: b.beta.slice(), movingMean: b.movingMean.slice(), movingVariance: b.movingVariance.slice() })),
  dense: { ...w.dense, kernel: w.dense.kernel.slice(), bias: w.dense.bias.slice() },
});

/**
 * A previous model's weights made to start this training, or why they cannot: the convolutions must be
 * the same shape, and the classes the same set. Classes in another order are matched by name, so that the
 * softmax layer's columns keep their meaning.
 */
export function warmStartWeights(
  previous: CnnWeights,
  previousClasses: readonly string[],
  channels: number,
  filters: readonly number[],
  classes: readonly string[],
  features = filters[filters.length - 1],
): { weights: CnnWeights } | { reason: string } {
  const shape = previous.blocks.map((b) => b.filters);
  if (previous.blocks[0]?.inputs !== channels) return { reason: `the previous model reads ${previous.blocks[0]?.inputs} channels, these images have ${channels}` };
  if (shape.join() !== filters.join()) return { reason: `the previous model's blocks have [${shape.join(', ')}] filters, this training asks for [${filters.join(', ')}]` };
  if (previous.dense.features !== features) return { reason: `the previous model's dense layer reads ${previous.dense.features} features, this training ${features} (another head or image size)` };
  const same = previousClasses.length === classes.length && new Set(previousClasses).size === classes.length && classes.every((c) => previousClasses.includes(c));
  if (!same || previous.dense.classes !== classes.length) {
    return { reason: `the class set changed: the previous model has [${previousClasses.join(', ')}], this dataset [${classes.join(', ')}]` };
  }
  const weights = copyWeights(previous);
  const K = classes.length;
  classes.forEach((name, k) => {
    const from = previousClasses.indexOf(name);
    weights.dense.bias[k] = previous.dense.bias[from];
    for (let f = 0; f < features; f++) weights.dense.kernel[f * K + k] = previous.dense.kernel[f * K + from];
  });
  return { weights };
}
