import type { Manifest } from '../../../shared/ml/manifest';
import { decodeV2Request, encodeV2Outputs, outputSpecs } from '../../../shared/serving/open_inference';

const manifest = (fields: Partial<Manifest>) => ({ task: 'binary', classes: ['0', '1'], output: { name: 'probability' }, unsupervised: undefined, ...fields }) as unknown as Manifest;

describe('Open Inference Protocol tensors', () => {
  it('turns one input per feature into rows, whatever the shape [n] or [n, 1] and nesting', () => {
    const decoded = decodeV2Request({
      id: 'r1',
      inputs: [
        { name: 'amount', shape: [2, 1], datatype: 'FP64', data: [[1.5], [2]] },
        { name: 'type', shape: [2], datatype: 'BYTES', data: ['A', null] },
        { name: 'flag', shape: [2], datatype: 'BOOL', data: [true, false] },
      ],
      outputs: [{ name: 'score' }],
    });
    expect(decoded).toEqual({
      id: 'r1',
      instances: [
        { amount: 1.5, type: 'A', flag: true },
        { amount: 2, type: null, flag: false },
      ],
      outputs: ['score'],
    });
  });

  it('refuses inputs of different lengths, repeated names and too many rows', () => {
    expect(() => decodeV2Request({ inputs: [{ name: 'a', shape: [1], datatype: 'FP32', data: [1] }, { name: 'b', shape: [2], datatype: 'FP32', data: [1, 2] }] })).toThrow(/2 rows, other inputs have 1/);
    expect(() => decodeV2Request({ inputs: [{ name: 'a', shape: [1], datatype: 'FP32', data: [1] }, { name: 'a', shape: [1], datatype: 'FP32', data: [1] }] })).toThrow(/given twice/);
    expect(() => decodeV2Request({ inputs: [{ name: 'a', shape: [10_001], datatype: 'FP32', data: new Array(10_001).fill(0) }] })).toThrow(/too many instances: 10001/);
    expect(() => decodeV2Request({ inputs: [{ name: 'a', shape: [1, 2], datatype: 'FP32', data: [1, 2] }] })).toThrow(/\[n\] or \[n, 1\]/);
  });

  it('answers each task with its named tensors: multiclass labels and an [n, K] probability matrix', () => {
    const multiclass = manifest({ task: 'multiclass', classes: ['a', 'b', 'c'] });
    const outputs = encodeV2Outputs(multiclass, [
      { label: 'b', probabilities: { a: 0.2, b: 0.7, c: 0.1 } },
      { label: 'a', probabilities: { a: 0.6, b: 0.3, c: 0.1 } },
    ]);
    expect(outputs).toEqual([
      { name: 'label', datatype: 'BYTES', shape: [2], data: ['b', 'a'] },
      { name: 'probabilities', datatype: 'FP32', shape: [2, 3], data: [0.2, 0.7, 0.1, 0.6, 0.3, 0.1], parameters: { classes: ['a', 'b', 'c'] } },
    ]);
    const regression = manifest({ task: 'regression', classes: null, unsupervised: { file: 'anomaly.onnx', algorithm: 'isolation_forest', output: 'anomaly_score', params: {}, metrics: {} } });
    expect(encodeV2Outputs(regression, [{ value: 3.5, anomaly_score: 0.2 }])).toEqual([
      { name: 'value', datatype: 'FP32', shape: [1], data: [3.5] },
      { name: 'anomaly_score', datatype: 'FP32', shape: [1], data: [0.2] },
    ]);
    expect(outputSpecs(manifest({})).map((o) => o.name)).toEqual(['score', 'label']);
    expect(() => encodeV2Outputs(manifest({}), [{ score: 0.5, label: 1 }], ['value'])).toThrow(/outputs: value unknown \(this model answers score, label\)/);
  });

  it('answers a clustering model with its cluster and an [n, k] distance matrix', () => {
    const kmeans = manifest({ task: 'binary', output: { name: 'cluster' }, trainer: { backend: 'js', params: { n_clusters: 3 }, best_iteration: 1, history: [] } });
    expect(outputSpecs(kmeans)).toEqual([
      { name: 'cluster', datatype: 'INT64', shape: [-1] },
      { name: 'distances', datatype: 'FP32', shape: [-1, 3] },
    ]);
    expect(encodeV2Outputs(kmeans, [{ cluster: 2, distances: [1, 2, 0.5] }, { cluster: 0, distances: [0.1, 2, 3] }])).toEqual([
      { name: 'cluster', datatype: 'INT64', shape: [2], data: [2, 0] },
      { name: 'distances', datatype: 'FP32', shape: [2, 3], data: [1, 2, 0.5, 0.1, 2, 3] },
    ]);
  });
});
