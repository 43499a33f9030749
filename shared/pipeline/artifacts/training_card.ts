import type { PreparedData } from '../../data/prepare';
import type { Manifest } from '../../ml/manifest';
import { isClustering } from '../../ml/models/family';
import { family } from '../../ml/models/registry';
import { overallMetrics, sliceMetrics, type SliceInput } from '../../ml/slice_metrics';
import { sliceColumnsOf } from '../promotion/slice_columns';
import type { HoldoutRow } from './model_files';
import { modelCard, type ModelCard } from './model_card';

/** What mloop.json says that only the card reads. */
export interface CardConfig {
  intended_use?: string;
  slices?: string[];
}

/**
 * The card the training job writes with the version: the candidate alone on its test rows, overall and
 * per slice, with intervals; no decision yet. The decision's card replaces it (usecases/model_card.ts).
 */
export function trainingCard(data: PreparedData, holdout: HoldoutRow[], predictions: Float32Array, manifest: Manifest, metric: string, config: CardConfig = {}): ModelCard {
  const measurable = data.task === 'binary' || data.task === 'multiclass' || data.task === 'regression';
  const input: SliceInput | null =
    measurable && !isClustering(family(manifest.algorithm))
      ? { task: data.task, classes: data.classes?.length ?? 0, y: data.test.y, candidate: predictions, columns: sliceColumnsOf(holdout, data.specs, config.slices).columns, metric, seed: 1 }
      : null;
  return modelCard({
    manifest,
    intendedUse: config.intended_use,
    slices: input ? sliceMetrics(input) : [],
    overall: input ? overallMetrics(input) : null,
    classCounts: classCounts(data),
  });
}

function classCounts(data: PreparedData): Record<string, number> | null {
  if (!data.classes) return null;
  const counts = Object.fromEntries(data.classes.map((c) => [c, 0]));
  for (const k of data.test.y) counts[data.classes[k]]++;
  return counts;
}
