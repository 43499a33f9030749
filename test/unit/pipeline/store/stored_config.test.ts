import { MloopError } from '../../../../shared/core/errors';
import { DATASET_CONFIG_VERSION, parseDatasetConfig, type DatasetConfig } from '../../../../shared/pipeline/dataset_config';
import type { DatasetDoc } from '../../../../shared/pipeline/store/documents';
import { datasetConfigOf, promotionOf, runPlanOf } from '../../../../shared/pipeline/store/stored_config';

/**
 * Documents as the previous version wrote them: `config` the mloop.json object with defaults filled but
 * `search` as the file spelled it, no `config_version`, runs without `plan` or `promotion`.
 */
const legacyConfig = {
  target: 'label',
  algorithm: 'gbdt',
  params: { num_leaves: 7 },
  search: { learning_rate: [0.05, 0.1] },
  promotion: { metric: 'pr_auc', delta: 0.02 },
  drop: [],
} as unknown as DatasetConfig;
const legacy = { model: 'churn', version: 'd0', config: legacyConfig };

describe('the stored config of a dataset', () => {
  it('is returned as stored when typed', () => {
    const config = parseDatasetConfig({ target: 'label', search: { a: [1, 2] } });
    const doc = { model: 'churn', version: 'd1', config, config_version: DATASET_CONFIG_VERSION };
    expect(datasetConfigOf(doc)).toBe(config);
  });

  it('of a document written before it was typed is parsed when read: search in full form, defaults filled', () => {
    const config = datasetConfigOf(legacy);
    expect(config.search).toEqual({ space: { learning_rate: [0.05, 0.1] }, method: 'grid', seed: 7 });
    expect(config).toMatchObject({ target: 'label', algorithm: 'gbdt', promotion: { metric: 'pr_auc', delta: 0.02 } });
    expect(datasetConfigOf({ model: 'churn', version: 'd2' })).toEqual(parseDatasetConfig({}));
  });

  it('that no longer parses names the dataset and what to do', () => {
    const broken = { model: 'churn', version: 'd3', config: { target: 'label', epoch: 3 } as unknown as DatasetDoc['config'] };
    expect(() => datasetConfigOf(broken)).toThrow(MloopError);
    expect(() => datasetConfigOf(broken)).toThrow(/dataset churn:d3 was recorded with a config this version cannot read: .*unknown field "epoch".*fix datasets\/churn\/mloop\.json/);
  });
});

describe('the plan and promotion policy of a run', () => {
  it('are the stored ones when the run has them', () => {
    const plan = { algorithm: 'mlp' as const, params: {}, trials: [{}], epochs: null, seed: null, sample: null, unsupervised: false, metric: 'auc' as const, target_recall: null };
    expect(runPlanOf({ plan, training: { algorithm: 'gbdt' } }, legacy)).toBe(plan);
    expect(promotionOf({ promotion: { metric: 'auc', delta: 0.5 } }, legacy)).toEqual({ metric: 'auc', delta: 0.5 });
  });

  it('of a run created before they were stored come from its dataset and request', () => {
    expect(runPlanOf({ training: { params: { num_leaves: 15 } } }, legacy)).toMatchObject({
      algorithm: 'gbdt',
      params: { num_leaves: 15 },
      trials: [{ learning_rate: 0.05 }, { learning_rate: 0.1 }],
      metric: 'pr_auc',
    });
    expect(() => runPlanOf({ training: { search: { a: [] } } }, legacy)).toThrow(/invalid search space/);
    expect(promotionOf({}, legacy)).toEqual({ metric: 'pr_auc', delta: 0.02 });
    expect(promotionOf({}, null)).toEqual({ metric: 'auc' });
  });
});
