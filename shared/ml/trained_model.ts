/**
 * What every trainer returns and reports, whatever the model family, so that the pipeline evaluates,
 * exports and serves them all the same way.
 */
export interface TrainedModel {
  /** Input `features` [N, width]; output `probability`, `probabilities`, `value` or `anomaly_score`. */
  onnx: Uint8Array;
  /**
   * The trainer's own forward pass over encoded rows [n × width]: binary → P(positive) [n];
   * multiclass → probabilities [n × K]; regression → value [n]; isolation forest → anomaly score [n].
   */
  predict(X: Float32Array, n: number): Float32Array;
  history: Array<{ iteration: number; loss: number; val_loss: number }>;
  /** 1-based; the model kept is the one of this iteration. */
  bestIteration: number;
  backend: string;
  params: Record<string, unknown>;
  importance?: Array<{ feature: string; gain: number }>;
}

export type TrainProgress = {
  iteration: number;
  iterations: number;
  loss?: number;
  val_loss?: number;
  /** Wall time of this iteration. */
  seconds: number;
};

export type OnProgress = (progress: TrainProgress) => void | Promise<void>;
