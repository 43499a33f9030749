import { MloopError } from '../../../shared/core/errors';
import { imageSpecOf, parseDatasetConfig } from '../../../shared/pipeline/dataset_config';

describe('parseDatasetConfig', () => {
  it('reads slice columns, the slice guardrail and the intended use, all absent (off) by default', () => {
    const config = parseDatasetConfig({ slices: ['region', 'channel'], intended_use: 'retention calls', promotion: { max_slice_drop: 0.05, min_slice_rows: 100 } }, 'csv');
    expect(config).toMatchObject({ slices: ['region', 'channel'], intended_use: 'retention calls', promotion: { max_slice_drop: 0.05, min_slice_rows: 100 } });
    const bare = parseDatasetConfig({}, 'csv');
    expect([bare.slices, bare.intended_use, bare.promotion.max_slice_drop, bare.promotion.min_slice_rows]).toEqual([undefined, undefined, undefined, undefined]);
    expect(() => parseDatasetConfig({ promotion: { max_slice_drop: -0.1 } })).toThrow(/promotion.max_slice_drop/);
    expect(() => parseDatasetConfig({ promotion: { min_slice_rows: 0 } })).toThrow(/promotion.min_slice_rows/);
  });

  it('fills defaults when there is no mloop.json', () => {
    for (const raw of [undefined, null, {}]) {
      expect(parseDatasetConfig(raw)).toEqual({ target: 'isFraud', algorithm: 'auto', promotion: { metric: 'auc' }, drop: [] });
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

  describe('beside an archive of images', () => {
    it('defaults to the CNN judged on accuracy, and keeps the image fields', () => {
      expect(parseDatasetConfig({}, 'images')).toEqual({ target: 'label', task: 'image_classification', algorithm: 'cnn', promotion: { metric: 'accuracy' }, drop: [] });
      const config = parseDatasetConfig({ image_size: 32, channels: 1, min_images_per_class: 10, promotion: { delta: 0.01 }, params: { filters: [8] } }, 'images');
      expect(config).toMatchObject({ image_size: 32, channels: 1, min_images_per_class: 10, promotion: { metric: 'accuracy', delta: 0.01 }, params: { filters: [8] } });
      expect(imageSpecOf(config)).toEqual({ size: 32, channels: 1, layout: 'NHWC', scale: 1 / 255 });
      expect(parseDatasetConfig({ promotion: { metric: 'macro_f1' } }, 'images').promotion.metric).toBe('macro_f1');
    });

    it('refuses what cannot train on images, and image fields beside a CSV, saying which field', () => {
      const refused = (raw: unknown, kind: 'csv' | 'images') => {
        try {
          parseDatasetConfig(raw, kind);
        } catch (err) {
          return (err as MloopError).message;
        }
        return 'accepted';
      };
      expect(refused({ image_size: 4 }, 'images')).toMatch(/field "image_size"/);
      expect(refused({ channels: 2 }, 'images')).toMatch(/field "channels"/);
      expect(refused({ algorithm: 'gbdt' }, 'images')).toMatch(/field "algorithm": gbdt trains on a table; images train with cnn/);
      expect(refused({ task: 'binary' }, 'images')).toMatch(/field "task": an archive of images is image_classification/);
      expect(refused({ promotion: { metric: 'rmse' } }, 'images')).toMatch(/field "promotion.metric": rmse does not apply to image classification/);
      expect(refused({ image_size: 32 }, 'csv')).toMatch(/field "image_size" applies to an archive of images, not to a CSV/);
      expect(refused({ task: 'image_classification' }, 'csv')).toMatch(/needs an archive of images/);
      expect(refused({ algorithm: 'cnn' }, 'csv')).toMatch(/cnn trains on images, not on a CSV/);
      expect(refused({ target: 'y' }, 'csv')).toBe('accepted');
    });
  });
});

describe('a BigQuery source in mloop.json', () => {
  it('takes a table or a query, with a filter, a sample and a location', () => {
    const config = parseDatasetConfig({ target: 'fraud', source: { bigquery: { table: 'acme-prod.sales.orders', filter: 'amount > 0', sample_percent: 10, location: 'EU' } } });
    expect(config.source).toEqual({ bigquery: { table: 'acme-prod.sales.orders', filter: 'amount > 0', sample_percent: 10, location: 'EU' } });
  });

  it('refuses a source that is not one table or one snapshot-reading query, and unknown keys, naming the field', () => {
    expect(() => parseDatasetConfig({ source: { bigquery: {} } })).toThrow(/field "source.bigquery": name exactly one of "table"/);
    expect(() => parseDatasetConfig({ source: { bigquery: { query: 'SELECT * FROM `p1234.s.t`' } } })).toThrow(/FOR SYSTEM_TIME AS OF @snapshot_time/);
    expect(() => parseDatasetConfig({ source: { bigquery: { table: 'acme-prod.sales.orders', sample: 5 } } })).toThrow(/unknown field "sample"/);
    expect(() => parseDatasetConfig({ source: { snowflake: {} } })).toThrow(/unknown field "snowflake"/);
  });
});
