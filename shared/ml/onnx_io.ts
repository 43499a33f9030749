/**
 * The names of an mloop ONNX model's input and outputs: the contract between every exporter and the
 * scorer. One float input of encoded features [N, width]; the output says what the model predicts.
 */
export const ONNX_INPUT = 'features';

/** An image family's one input: preprocessed images, float32 [N, size, size, channels] (NHWC) in [0, 1]. */
export const ONNX_IMAGE_INPUT = 'images';

export const ONNX_OUTPUTS = {
  /** P(positive) [N, 1]. */
  binary: 'probability',
  /** One probability per class [N, K], in the manifest's class order. */
  multiclass: 'probabilities',
  /** [N, 1]. */
  regression: 'value',
  /** In [0, 1], higher is more anomalous [N, 1]. */
  anomaly: 'anomaly_score',
  /** A clustering model's cluster index, as a float [N, 1]; its second output is ONNX_DISTANCES. */
  clustering: 'cluster',
} as const;

/** A clustering model's second output: each row's Euclidean distance to every centroid, in standardised units [N, k]. */
export const ONNX_DISTANCES = 'distances';

export type OnnxOutput = (typeof ONNX_OUTPUTS)[keyof typeof ONNX_OUTPUTS];
