import { MloopError } from '../../../shared/core/errors';
import { parseDatasetConfig } from '../../../shared/pipeline/dataset_config';

describe('parseDatasetConfig', () => {
  it('fills defaults when there is no mloop.json', () => {
    for (const raw of [undefined, null, {}]) {
      expect(parseDatasetConfig(raw)).toEqual({ target: 'isFraud', algorithm: 'mlp', promotion: { metric: 'auc' }, drop: [] });
    }
  });

  it('keeps every documented field', () => {
    const config = parseDatasetConfig({
      target: 'default',
      positive_class: 'Yes',
      task: 'binary',
      algorithm: 'logistic',
      promotion: { metric: 'auc', delta: 0.02 },
      epochs: 12,
      drop: ['customer'],
      seed: 7,
      sample: 500_000,
      time_column: 'created_at',
    });
    expect(config).toMatchObject({ target: 'default', positive_class: 'Yes', algorithm: 'logistic', promotion: { delta: 0.02 }, epochs: 12, seed: 7 });
    expect(config).toMatchObject({ task: 'binary', sample: 500_000, time_column: 'created_at' });
    expect(parseDatasetConfig({ positive_class: 1 }).positive_class).toBe(1);
  });

  it('rejects unknown keys, naming them and the allowed ones', () => {
    const err = (() => {
      try {
        parseDatasetConfig({ epoch: 3 });
      } catch (e) {
        return e as MloopError;
      }
    })();
    expect(err).toBeInstanceOf(MloopError);
    expect(err!.code).toBe('invalid_argument');
    expect(err!.message).toMatch(/unknown field "epoch".*allowed: .*epochs/);
    expect(() => parseDatasetConfig({ promotion: { threshold: 1 } })).toThrow(/unknown field "threshold" in "promotion"/);
  });

  it('names the field of a wrong value', () => {
    expect(() => parseDatasetConfig({ algorithm: 'xgboost' })).toThrow(/field "algorithm"/);
    expect(() => parseDatasetConfig({ promotion: { delta: -1 } })).toThrow(/field "promotion.delta"/);
    expect(() => parseDatasetConfig({ epochs: 2.5 })).toThrow(/field "epochs"/);
    expect(() => parseDatasetConfig({ task: 'ranking' })).toThrow(/field "task"/);
    expect(() => parseDatasetConfig({ sample: 0 })).toThrow(/field "sample"/);
    expect(() => parseDatasetConfig({ time_column: '' })).toThrow(/field "time_column"/);
    expect(() => parseDatasetConfig({ drop: 'a' })).toThrow(/field "drop"/);
    expect(() => parseDatasetConfig([1])).toThrow(/must be a JSON object, got an array/);
  });
});
