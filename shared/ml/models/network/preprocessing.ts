import { encodedColumns, type FeatureSpec } from '../../../data/encoding';

/**
 * The input scaling of the dense networks, fitted on the training rows and written into the ONNX graph:
 * a signed log on heavily skewed numeric columns, then standardisation. Every step is rounded to float32
 * as the graph computes it, so that trainer and graph agree to the last bit they can.
 */
export interface Preprocessing {
  /** 1 where the column goes through sign(x)·log(1 + |x|). */
  logScale: Uint8Array;
  mean: Float32Array;
  std: Float32Array;
}

/**
 * Money columns span many orders of magnitude; standardised raw, a zero balance and a small one look
 * alike and the network needs many epochs to tell them apart. A signed log fixes that; it is applied to
 * numeric columns whose training skewness exceeds this.
 */
const SKEW_FOR_LOG = 2;

/** The float32 steps the ONNX graph takes (Abs, Add 1, Log, Sign, Mul). */
function signedLog(x: number): number {
  return Math.sign(x) * Math.fround(Math.log(Math.fround(Math.abs(x) + 1)));
}

function skewedColumns(X: Float32Array, n: number, specs: readonly FeatureSpec[]): Uint8Array {
  const columns = encodedColumns(specs);
  const width = columns.length;
  const mask = new Uint8Array(width);
  columns.forEach((column, j) => {
    if (column.kind !== 'numeric') return;
    let mean = 0;
    for (let i = 0; i < n; i++) mean += X[i * width + j];
    mean /= n;
    let m2 = 0;
    let m3 = 0;
    for (let i = 0; i < n; i++) {
      const d = X[i * width + j] - mean;
      m2 += d * d;
      m3 += d * d * d;
    }
    m2 /= n;
    m3 /= n;
    if (m2 > 0 && Math.abs(m3 / m2 ** 1.5) > SKEW_FOR_LOG) mask[j] = 1;
  });
  return mask;
}

/** Per column, over the (log-scaled) rows; a constant column gets std 1 so it scales to 0, not NaN. */
function moments(X: Float32Array, n: number, logScale: Uint8Array): { mean: Float32Array; std: Float32Array } {
  const width = logScale.length;
  const value = (at: number, j: number) => (logScale[j] ? signedLog(X[at]) : X[at]);
  const sum = new Float64Array(width);
  const sq = new Float64Array(width);
  for (let i = 0; i < n; i++) {
    for (let j = 0, at = i * width; j < width; j++, at++) sum[j] += value(at, j);
  }
  const mean = sum.map((s) => s / n);
  for (let i = 0; i < n; i++) {
    for (let j = 0, at = i * width; j < width; j++, at++) sq[j] += (value(at, j) - mean[j]) ** 2;
  }
  const std = sq.map((s) => Math.sqrt(s / n));
  return { mean: Float32Array.from(mean), std: Float32Array.from(std, (s) => (s > 0 && Number.isFinite(s) ? s : 1)) };
}

export function fitPreprocessing(X: Float32Array, n: number, specs: readonly FeatureSpec[]): Preprocessing {
  const logScale = skewedColumns(X, n, specs);
  return { logScale, ...moments(X, n, logScale) };
}

/** Signed log where masked, then standardisation in two float32 steps, as the graph's Sub and Div. */
export function preprocess(X: Float32Array, n: number, { logScale, mean, std }: Preprocessing): Float32Array {
  const width = logScale.length;
  const out = new Float32Array(n * width);
  for (let i = 0; i < n; i++) {
    for (let j = 0, at = i * width; j < width; j++, at++) {
      const x = logScale[j] ? signedLog(X[at]) : X[at];
      out[at] = Math.fround(x - mean[j]) / std[j];
    }
  }
  return out;
}
