import { errorMessage, MloopError } from '../../core/errors';
import { DATASET_CONFIG_VERSION, parseDatasetConfig, type DatasetConfig, type PromotionConfig } from '../dataset_config';
import { resolveRunPlan, type RunPlan } from '../training/training_plan';
import type { DatasetDoc, RunDoc } from './documents';

/**
 * The typed configuration stored on dataset and run documents, read back. mloop.json is parsed once, at
 * ingest, and the run settles its plan when it is created; documents written before those were stored
 * typed (a `config` kept as its raw object, a run without `plan`) are parsed here, once per read, and
 * this is the only place that does. Their config passed validation when it was written, so it parses:
 * if it no longer does (a field whose rules tightened since), the error names the dataset.
 */
export function datasetConfigOf(dataset: Pick<DatasetDoc, 'model' | 'version' | 'config' | 'config_version'>): DatasetConfig {
  if (dataset.config_version === DATASET_CONFIG_VERSION && dataset.config) return dataset.config;
  try {
    return parseDatasetConfig(dataset.config ?? {});
  } catch (err) {
    throw new MloopError('failed_precondition', `dataset ${dataset.model}:${dataset.version} was recorded with a config this version cannot read: ${errorMessage(err)}; fix datasets/${dataset.model}/mloop.json and upload new data`);
  }
}

/** The run's stored plan, or for a run created before plans were stored, the one its dataset and request give. */
export function runPlanOf(run: Pick<RunDoc, 'plan' | 'training'>, dataset: Parameters<typeof datasetConfigOf>[0]): RunPlan {
  return run.plan ?? resolveRunPlan(datasetConfigOf(dataset), run.training);
}

/** The run's promotion policy, or its dataset's for a run created before the policy was stored with it. */
export function promotionOf(run: Pick<RunDoc, 'promotion'>, dataset: Parameters<typeof datasetConfigOf>[0] | null): PromotionConfig {
  if (run.promotion) return run.promotion;
  return dataset ? datasetConfigOf(dataset).promotion : parseDatasetConfig({}).promotion;
}
