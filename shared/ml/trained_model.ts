import type { ExplainerModel } from './explain/explainer_file';
import type { LinearCoefficients } from './models/linear/linear_model';
import type { Selection } from './selection';

/**
 * What every trainer returns and reports, whatever the model family, so that the pipeline evaluates,
 * exports and serves them all the same way.
 */
export interface TrainedModel {
  /** Input `features` [N, width] (an image family: `images` [N, size, size, channels]); output `probability`, `probabilities`, `value` or `anomaly_score`. */
  onnx: Uint8Array;
  /**
   * The trainer's own forward pass over encoded rows [n × width]: binary → P(positive) [n];
   * multiclass → probabilities [n × K]; regression → value [n]; isolation forest → anomaly score [n].
   * An image family reads preprocessed images [n × size × size × channels] and answers probabilities [n × K].
   */
  predict(X: Float32Array, n: number): Float32Array;
  /** accuracy and val_accuracy where the family reports them (the CNN does), as the progress does. */
  history: Array<{ iteration: number; loss: number; val_loss: number; accuracy?: number; val_accuracy?: number }>;
  /** 1-based; the model kept is the one of this iteration. */
  bestIteration: number;
  /** The iterations (epochs, rounds, trees) it would have run without stopping early: its budget. */
  maxIterations?: number;
  backend: string;
  params: Record<string, unknown>;
  importance?: Array<{ feature: string; gain: number }>;
  /** A linear family's coefficients, per encoded column on its raw scale, and intercepts. */
  coefficients?: LinearCoefficients;
  /** A pseudo-family's (auto's): the family that trained this model, and how it was chosen. */
  chosen?: { family: string; selection: Selection };
  /** What the family measured on the model itself, reported beside its test metrics (a forest's out-of-bag score; kmeans: inertia, silhouette; knn: the rows it stored). */
  metrics?: Record<string, number>;
  /** What explaining its predictions needs beyond the ONNX graph (explain/explainer_file.ts), where the family can explain. */
  explainer?: ExplainerModel;
}

export type TrainProgress = {
  iteration: number;
  iterations: number;
  loss?: number;
  val_loss?: number;
  accuracy?: number;
  val_accuracy?: number;
  /** Wall time of this iteration. */
  seconds: number;
  /** A portfolio's (auto's): the family training now, which of how many (0-based), and its unit. */
  family?: string;
  candidate?: number;
  candidates?: number;
  unit?: 'epoch' | 'iteration';
};

export type OnProgress = (progress: TrainProgress) => void | Promise<void>;

/** What an image family's training returns besides: how the backend was chosen and what became of a warm start. */
export interface ImageTrainedModel extends TrainedModel {
  /** Backends passed over before the one that trained, each with why (not installed, or a kernel it lacks). */
  skippedBackends: Array<{ name: string; reason: string }>;
  /** Absent when none was asked for; otherwise whether the previous weights were used, or why not. */
  warmStart?: { used: true } | { used: false; reason: string };
}
