import { encodedWidth, encodeRecords } from '../../data/encoding';
import { silhouette } from '../../ml/models/kmeans/silhouette';
import { fitScaler, scale } from '../../ml/models/standard_scaler';
import { ONNX_OUTPUTS } from '../../ml/onnx_io';
import type { Scorer } from '../../ml/scorer';
import type { HoldoutRow } from '../artifacts/model_files';
import type { HoldoutMetric } from './holdout_metric';

/** Holdout rows a silhouette is measured on, at most (it is quadratic in them): the first ones, the same for champion and challenger. */
export const SILHOUETTE_ROWS = 2000;

/**
 * A clustering model's promotion metric: the silhouette of the clusters it gives the holdout's rows,
 * measured in its own encoding of them, standardised on those rows. It reads no label.
 */
export async function holdoutSilhouette(scorer: Scorer, version: string, holdout: HoldoutRow[]): Promise<HoldoutMetric> {
  const { manifest } = scorer;
  if (manifest.output.name !== ONNX_OUTPUTS.clustering) return { value: null, error: `${version} answers ${manifest.output.name}, not clusters: a silhouette compares clusterings` };
  const records = holdout.slice(0, SILHOUETTE_ROWS).map((row) => row.record);
  const n = records.length;
  const width = encodedWidth(manifest.features);
  const clusters = await scorer.scoreRecords(records);
  const X = encodeRecords(records, manifest.features);
  const value = silhouette(scale(X, n, fitScaler(X, n, width)), n, width, Int32Array.from(clusters), Number(manifest.trainer.params.n_clusters));
  return { value: Number.isFinite(value) ? value : null, predicted: clusters, classes: null };
}
