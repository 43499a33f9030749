/**
 * Class probabilities from raw scores laid out row by row ([n × K]), as the ONNX Softmax on axis 1
 * computes them; each row's maximum is subtracted first so that large scores do not overflow exp.
 */
export function softmaxRows(raw: Float32Array, n: number, K: number): Float32Array {
  const out = new Float32Array(n * K);
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let k = 0; k < K; k++) max = Math.max(max, raw[i * K + k]);
    let sum = 0;
    for (let k = 0; k < K; k++) sum += Math.exp(raw[i * K + k] - max);
    for (let k = 0; k < K; k++) out[i * K + k] = Math.exp(raw[i * K + k] - max) / sum;
  }
  return out;
}
