import { DEFAULT_GBDT_PARAMS, gbdtRowDefaults, resolveGbdtParams } from '../../../../../shared/ml/models/gbdt/params';
import { trainGbdt } from '../../../../../shared/ml/models/gbdt/train';
import { taskData } from '../../../../support/task_data';

describe('gbdt defaults that scale with the training rows', () => {
  it('gives √rows per leaf between 20 and 100 and 1 000 rounds below 10 000 rows; the fraud-tuned values from there', () => {
    expect(gbdtRowDefaults(140)).toEqual({ min_data_in_leaf: 20, num_iterations: 1000 });
    expect(gbdtRowDefaults(721)).toEqual({ min_data_in_leaf: 27, num_iterations: 1000 });
    expect(gbdtRowDefaults(3_100)).toEqual({ min_data_in_leaf: 56, num_iterations: 1000 });
    expect(gbdtRowDefaults(9_999)).toEqual({ min_data_in_leaf: 100, num_iterations: 1000 });
    for (const rows of [10_000, 70_000, 700_000, 4_410_000]) {
      expect(gbdtRowDefaults(rows)).toEqual({ min_data_in_leaf: DEFAULT_GBDT_PARAMS.min_data_in_leaf, num_iterations: DEFAULT_GBDT_PARAMS.num_iterations });
    }
  });

  it('fills them in under what is given, and without the rows keeps the large-data defaults', () => {
    expect(resolveGbdtParams({}, 400)).toMatchObject({ min_data_in_leaf: 20, num_iterations: 1000, learning_rate: 0.05 });
    expect(resolveGbdtParams({ min_data_in_leaf: 7, num_iterations: 50 }, 400)).toMatchObject({ min_data_in_leaf: 7, num_iterations: 50 });
    expect(resolveGbdtParams({})).toEqual(DEFAULT_GBDT_PARAMS);
  });

  it('trains with the defaults of its training rows, and records them', async () => {
    const data = taskData('regression', 900, 21);
    const model = await trainGbdt(data, { early_stopping_rounds: 5 });
    expect(model.params).toMatchObject({ min_data_in_leaf: 30, num_iterations: 1000 });
    expect(model.history.length).toBeLessThan(1000);
  });
});
