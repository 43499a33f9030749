import type { EncodedColumn } from '../../../data/encoding';

/**
 * What a linear family serves: one affine map of the raw encoded columns to K scores, then a head —
 * sigmoid (P(positive), K = 1), softmax (multinomial classes), identity (a value), or a sigmoid per class
 * normalised to sum to one (one-vs-rest classes, each calibrated on its own). Computed in double, as
 * the ONNX graph does, so that the two agree to far below 1e-5.
 */
export type LinearHead = 'sigmoid' | 'softmax' | 'identity' | 'sigmoid_normalised';

export interface LinearModel {
  width: number;
  /** Row-major [width × K], on the raw encoded columns. */
  weights: Float64Array;
  bias: Float64Array;
  head: LinearHead;
}

const sigmoid = (z: number) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

/** Row-major rows [n × width] → [n × K] scores after the head. */
export function predictLinear(model: LinearModel, X: Float32Array, n: number): Float32Array {
  const { width, weights, bias, head } = model;
  const K = bias.length;
  const out = new Float32Array(n * K);
  const z = new Float64Array(K);
  for (let i = 0; i < n; i++) {
    z.set(bias);
    const row = i * width;
    for (let j = 0; j < width; j++) {
      const x = X[row + j];
      if (x === 0) continue;
      for (let k = 0; k < K; k++) z[k] += x * weights[j * K + k];
    }
    if (head === 'identity') for (let k = 0; k < K; k++) out[i * K + k] = z[k];
    else if (head === 'sigmoid') for (let k = 0; k < K; k++) out[i * K + k] = sigmoid(z[k]);
    else if (head === 'softmax') {
      let max = -Infinity;
      for (let k = 0; k < K; k++) max = Math.max(max, z[k]);
      let sum = 0;
      for (let k = 0; k < K; k++) sum += (z[k] = Math.exp(z[k] - max));
      for (let k = 0; k < K; k++) out[i * K + k] = z[k] / sum;
    } else {
      let sum = 0;
      for (let k = 0; k < K; k++) sum += (z[k] = sigmoid(z[k]));
      for (let k = 0; k < K; k++) out[i * K + k] = z[k] / sum;
    }
  }
  return out;
}

/**
 * The coefficients as the run reports them: per encoded column (a one-hot column names its category) one
 * weight per output, on the raw scale of the column, and the intercepts. `outputs` names the columns of
 * the weights: the positive class, each class, or the value. For a calibrated score, `calibration` holds
 * each output's Platt sigmoid, P = 1 / (1 + exp(−(a · score + b))), fitted on the validation split.
 */
export interface LinearCoefficients {
  outputs: string[];
  intercept: number[];
  columns: Array<{ feature: string; category?: string; weights: number[] }>;
  calibration?: Array<{ a: number; b: number }>;
}

export function reportCoefficients(
  columns: EncodedColumn[],
  outputs: string[],
  weights: Float64Array,
  bias: Float64Array,
  calibration?: Array<{ a: number; b: number }>,
): LinearCoefficients {
  const K = bias.length;
  return {
    outputs,
    intercept: Array.from(bias),
    columns: columns.map((c, j) => ({
      feature: c.feature,
      ...(c.category !== undefined ? { category: c.category } : {}),
      weights: Array.from(weights.subarray(j * K, (j + 1) * K)),
    })),
    ...(calibration ? { calibration } : {}),
  };
}
