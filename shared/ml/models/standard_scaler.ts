import { onnx } from 'onnx-proto';
import { tensor } from '../onnx_graph';

/**
 * Standardisation for the distance-based families (knn, kmeans): fitted on the rows they learn from and
 * folded into their ONNX graph as Sub then Div, so that a raw encoded row is all a caller gives. Each
 * step is rounded to float32 as the graph computes it, so that trainer and graph see the same numbers.
 */
export interface StandardScaler {
  mean: Float32Array;
  /** A constant column gets 1, so that it scales to 0 and weighs nothing in a distance. */
  std: Float32Array;
}

export function fitScaler(X: Float32Array, n: number, width: number): StandardScaler {
  const sum = new Float64Array(width);
  const sq = new Float64Array(width);
  for (let i = 0; i < n; i++) for (let j = 0; j < width; j++) sum[j] += X[i * width + j];
  const mean = sum.map((s) => s / Math.max(n, 1));
  for (let i = 0; i < n; i++) for (let j = 0; j < width; j++) sq[j] += (X[i * width + j] - mean[j]) ** 2;
  const std = sq.map((s) => Math.sqrt(s / Math.max(n, 1)));
  return { mean: Float32Array.from(mean), std: Float32Array.from(std, (s) => (s > 0 && Number.isFinite(s) ? s : 1)) };
}

/** The float32 Sub and Div of the graph, row-major [n × width]. */
export function scale(X: Float32Array, n: number, { mean, std }: StandardScaler): Float32Array {
  const width = mean.length;
  const out = new Float32Array(n * width);
  for (let i = 0, at = 0; i < n; i++) for (let j = 0; j < width; j++, at++) out[at] = Math.fround(X[at] - mean[j]) / std[j];
  return out;
}

/** The nodes and initializers that turn `input` into `output`, standardised. */
export function scalerNodes(scaler: StandardScaler, input: string, output: string): { node: onnx.INodeProto[]; initializer: onnx.ITensorProto[] } {
  const width = scaler.mean.length;
  return {
    node: [
      { opType: 'Sub', input: [input, 'scaler_mean'], output: ['scaler_centred'], name: 'centre' },
      { opType: 'Div', input: ['scaler_centred', 'scaler_std'], output: [output], name: 'standardise' },
    ],
    initializer: [tensor('scaler_mean', [width], scaler.mean), tensor('scaler_std', [width], scaler.std)],
  };
}
