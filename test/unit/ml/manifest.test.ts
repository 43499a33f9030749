import { parseManifest } from '../../../shared/ml/manifest';
import { selectBackend } from '../../../shared/ml/models/network/tf_backend';
import { trainTable } from '../../../shared/ml/models/trainers';

const manifest = {
  format_version: 2,
  model: 'fraud',
  version: 'v2',
  run_id: 'run-2',
  task: 'binary',
  algorithm: 'mlp',
  target: 'isFraud',
  classes: ['0', '1'],
  features: [
    { name: 'amount', kind: 'numeric', mean: 1, std: 2, min: 0, max: 9, fill: 1 },
    { name: 'type', kind: 'categorical', categories: ['A', 'B'] },
  ],
  dropped: [{ name: 'nameOrig', reason: 'id-like' }],
  threshold: 0.5,
  metrics: { auc: null, pr_auc: 0.2, logloss: 0.3, accuracy: 0.9, positives: 4 },
  dataset: { version: 'd', uri: 'data/x.csv', rows: 10 },
  trainer: { backend: 'wasm', params: { epochs: 3 }, best_iteration: 2, history: [{ iteration: 1, loss: 0.5, val_loss: null }] },
  input: { name: 'features', width: 3 },
  output: { name: 'probability' },
  created_at: '2024-01-01T00:00:00.000Z',
};

describe('manifest', () => {
  it('reads undefined metrics (null in JSON) back as NaN', () => {
    const parsed = parseManifest(JSON.parse(JSON.stringify(manifest)));
    expect(parsed.metrics.auc).toBeNaN();
    expect(parsed.metrics.positives).toBe(4);
    expect(parsed.trainer.history[0].val_loss).toBeNaN();
  });

  it('names what is wrong', () => {
    expect(() => parseManifest({ ...manifest, input: { name: 'features', width: 4 } })).toThrow(/input\.width: input\.width differs/);
    expect(() => parseManifest({ ...manifest, dropped: [{ name: 'x', reason: 'whim' }] })).toThrow(/dropped\.0\.reason/);
    expect(() => parseManifest({ ...manifest, format_version: 1 })).toThrow(/format_version/);
    expect(() => parseManifest({ ...manifest, output: { name: 'value' } })).toThrow(/output\.name: output\.name does not match the task/);
    expect(() => parseManifest({ ...manifest, classes: ['a', 'b', 'c'] })).toThrow(/classes must be \[negative, positive\]/);
    expect(() => parseManifest({ ...manifest, threshold: null })).toThrow(/a binary model has a threshold/);
  });

  it('describes every task and a second, unsupervised model', () => {
    const multiclass = { ...manifest, task: 'multiclass', classes: ['a', 'b', 'c'], threshold: null, output: { name: 'probabilities' } };
    expect(parseManifest(multiclass).classes).toEqual(['a', 'b', 'c']);
    const regression = { ...manifest, task: 'regression', classes: null, threshold: null, output: { name: 'value' }, metrics: { rmse: 2.5 } };
    expect(parseManifest(regression).metrics.rmse).toBe(2.5);
    const forest = { ...manifest, algorithm: 'isolation_forest', output: { name: 'anomaly_score' } };
    expect(parseManifest(forest).output.name).toBe('anomaly_score');
    const unsupervised = { file: 'anomaly.onnx', algorithm: 'isolation_forest', output: 'anomaly_score', params: { n_estimators: 100 }, metrics: { anomaly_auc: 0.9 } };
    expect(parseManifest({ ...manifest, unsupervised }).unsupervised?.file).toBe('anomaly.onnx');
    expect(() => parseManifest({ ...manifest, unsupervised: { ...unsupervised, file: 'other.onnx' } })).toThrow(/unsupervised\.file/);
  });
});

describe('manifest of an image model', () => {
  const image = {
    ...manifest,
    task: 'multiclass',
    algorithm: 'cnn',
    target: 'label',
    classes: ['circle', 'square', 'triangle'],
    features: [],
    dropped: [],
    threshold: null,
    metrics: { accuracy: 0.9, macro_f1: 0.88, top_2_accuracy: 1 },
    trainer: { backend: 'cpu', params: {}, best_iteration: 1, history: [{ iteration: 1, loss: 0.9, val_loss: 0.8, accuracy: 0.5, val_accuracy: null }] },
    input: { name: 'images', width: 32 * 32 * 3 },
    output: { name: 'probabilities' },
    image: { size: 32, channels: 3, layout: 'NHWC', scale: 1 / 255 },
  };

  it('keeps the preprocessing and the accuracy history', () => {
    const parsed = parseManifest(JSON.parse(JSON.stringify(image)));
    expect(parsed.image).toEqual({ size: 32, channels: 3, layout: 'NHWC', scale: 1 / 255 });
    expect(parsed.classes).toEqual(['circle', 'square', 'triangle']);
    expect(parsed.trainer.history[0].accuracy).toBe(0.5);
    expect(parsed.trainer.history[0].val_accuracy).toBeNaN();
  });

  it('refuses an image spec that does not match the input, or a table model without features', () => {
    expect(() => parseManifest({ ...image, image: { ...image.image, size: 64 } })).toThrow(/input\.width/);
    expect(() => parseManifest({ ...image, image: { ...image.image, channels: 2 } })).toThrow(/image\.channels/);
    expect(() => parseManifest({ ...image, image: { ...image.image, layout: 'NCHW' } })).toThrow(/image\.layout/);
    expect(() => parseManifest({ ...image, input: { name: 'features', width: 32 * 32 * 3 } })).toThrow(/an image model reads images/);
    expect(() => parseManifest({ ...image, task: 'binary', classes: ['a', 'b'], threshold: 0.5 })).toThrow(/an image model reads images, is multiclass/);
    const { image: _spec, ...withoutSpec } = image;
    expect(() => parseManifest(withoutSpec)).toThrow(/input\.name/);
    expect(() => parseManifest({ ...manifest, features: [] })).toThrow(/input\.width|has features/);
  });
});

describe('selectBackend', () => {
  it('falls back from the native backends, saying why, and trains on what it found', async () => {
    const selected = await selectBackend('node-gpu');
    expect(selected.name).toBe('wasm');
    expect(selected.skipped.map((s) => s.name)).toEqual(['node-gpu', 'node']);
    expect(selected.skipped[0].reason).toMatch(/Cannot find module '@tensorflow\/tfjs-node-gpu'/);
    expect(selected.tf.getBackend()).toBe('wasm');
    expect(await selectBackend('node-gpu')).toBe(selected);
  });

  it('uses the pure JavaScript backend when asked, and the trainer records it', async () => {
    // tfjs suggests installing tfjs-node on its first CPU tensor; expected here
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    const cpu = await selectBackend('cpu');
    expect([cpu.name, cpu.tf.getBackend(), cpu.skipped]).toEqual(['cpu', 'cpu', []]);
    const X = Float32Array.from({ length: 200 * 2 }, (_, i) => ((i * 7919) % 100) / 10);
    const y = Float32Array.from({ length: 200 }, (_, i) => (X[i * 2] > 5 ? 1 : 0));
    const split = { X, y, n: 200 };
    const specs = [
      { name: 'a', kind: 'numeric' as const, mean: 0, std: 1, min: 0, max: 10, fill: 0 },
      { name: 'b', kind: 'numeric' as const, mean: 0, std: 1, min: 0, max: 10, fill: 0 },
    ];
    const model = await trainTable('logistic', { task: 'binary', classes: ['0', '1'], specs, train: split, validation: split }, { backend: 'cpu', epochs: 2 });
    expect(model.backend).toBe('cpu');
    expect(model.history).toHaveLength(2);
    warn.mockRestore();
  });
});
