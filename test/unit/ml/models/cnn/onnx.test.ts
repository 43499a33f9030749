/**
 * @jest-environment ./test/support/native_arrays_environment.js
 */
import * as ort from 'onnxruntime-node';
import * as tf from '@tensorflow/tfjs';
import { onnx } from 'onnx-proto';
import type { ImageSpec } from '../../../../../shared/data/images/image_spec';
import { seededRandom, type Random } from '../../../../../shared/data/random';
import { trainImages, trainTable } from '../../../../../shared/ml/models/trainers';
import { cnnProbabilities } from '../../../../../shared/ml/models/cnn/forward';
import { exportCnnOnnx, readCnnWeights } from '../../../../../shared/ml/models/cnn/onnx';
import { denseFeatures, initialWeights, type CnnWeights } from '../../../../../shared/ml/models/cnn/weights';
import { barImageSet } from '../../../../support/bar_images';

/** Every weight random, batch-norm statistics included, so that a misplaced axis cannot hide behind ones and zeros. */
function randomWeights(channels: number, filters: number[], classes: number, random: Random, features?: number): CnnWeights {
  const w = initialWeights(channels, filters, classes, random, features);
  const fill = (a: Float32Array, from: number, to: number) => a.forEach((_, i) => (a[i] = from + (to - from) * random.next()));
  for (const b of w.blocks) {
    fill(b.gamma, 0.5, 1.5);
    fill(b.beta, -0.3, 0.3);
    fill(b.movingMean, -0.2, 0.2);
    fill(b.movingVariance, 0.05, 2);
  }
  fill(w.dense.bias, -0.5, 0.5);
  return w;
}

async function runOnnx(bytes: Uint8Array, x: Float32Array, spec: ImageSpec, n: number): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const result = await session.run({ images: new ort.Tensor('float32', x, [n, spec.size, spec.size, spec.channels]) });
    return result.probabilities.data as Float32Array;
  } finally {
    await session.release();
  }
}

const worstDifference = (a: Float32Array, b: Float32Array) => {
  expect(a).toHaveLength(b.length);
  return a.reduce((worst, v, i) => Math.max(worst, Math.abs(v - b[i])), 0);
};

describe('the CNN as ONNX', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it.each([
    [1, 16, [4, 8], 'gap'],
    [3, 20, [6, 5, 7], 'gap'],
    [1, 28, [4, 8], 'flatten'],
    // an odd side: 20 → 10 → 5 → 2, the last row and column dropped by the pooling
    [3, 20, [6, 5, 7], 'flatten'],
  ] as const)('answers as TensorFlow.js does (1e-4) with random weights: %i channels, %i pixels, filters %j, head %s', async (channels, size, filters, head) => {
    const random = seededRandom(size);
    const spec: ImageSpec = { size, channels, layout: 'NHWC', scale: 1 / 255 };
    const classes = ['a', 'b', 'c', 'd'];
    const weights = randomWeights(channels, [...filters], classes.length, random, denseFeatures(filters, size, head));
    const n = 9;
    const x = Float32Array.from({ length: n * size * size * channels }, () => random.next());
    const bytes = exportCnnOnnx({ weights, spec, classes });
    const own = cnnProbabilities(tf, weights, x, n, size, channels);
    const served = await runOnnx(bytes, x, spec, n);
    expect(worstDifference(served, own)).toBeLessThan(1e-4);
    // the probabilities are not all alike, or the comparison would prove little
    expect(Math.max(...own) - Math.min(...own)).toBeGreaterThan(0.1);
    for (let i = 0; i < n; i++) expect(served.subarray(i * 4, i * 4 + 4).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
  });

  it('writes a standard graph: NHWC images in, a Transpose to NCHW, conv blocks, softmax probabilities out', () => {
    const spec: ImageSpec = { size: 16, channels: 3, layout: 'NHWC', scale: 1 / 255 };
    const weights = randomWeights(3, [4, 8], 2, seededRandom(3));
    const model = onnx.ModelProto.decode(exportCnnOnnx({ weights, spec, classes: ['cat', 'dog'] }, 'doc'));
    const graph = model.graph as onnx.GraphProto;
    const shape = (v: onnx.IValueInfoProto) => v.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue));
    expect(model.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', 17]]);
    expect(graph.input.map((i) => [i.name, shape(i)])).toEqual([['images', ['N', 16, 16, 3]]]);
    expect(graph.output.map((o) => [o.name, shape(o)])).toEqual([['probabilities', ['N', 2]]]);
    const block = ['Conv', 'BatchNormalization', 'Relu', 'MaxPool'];
    expect(graph.node.map((n) => n.opType)).toEqual(['Transpose', ...block, ...block, 'GlobalAveragePool', 'Flatten', 'Gemm', 'Softmax']);
    expect(graph.node[0].attribute![0].ints!.map(Number)).toEqual([0, 3, 1, 2]);
    const flat = exportCnnOnnx({ weights: randomWeights(3, [4, 8], 2, seededRandom(3), denseFeatures([4, 8], 16, 'flatten')), spec, classes: ['cat', 'dog'] });
    const flatGraph = onnx.ModelProto.decode(flat).graph as onnx.GraphProto;
    // flattened in NHWC order, as TensorFlow.js reshapes the maps
    expect(flatGraph.node.map((n) => n.opType)).toEqual(['Transpose', ...block, ...block, 'Transpose', 'Flatten', 'Gemm', 'Softmax']);
    expect(flatGraph.node[9].attribute![0].ints!.map(Number)).toEqual([0, 2, 3, 1]);
    expect(Object.fromEntries(model.metadataProps.map((p) => [p.key, JSON.parse(p.value!)]))).toEqual({ image_spec: spec, classes: ['cat', 'dog'] });
  });

  it('gives back the weights it wrote, for a warm start, and refuses a graph that is not a CNN', () => {
    const spec: ImageSpec = { size: 8, channels: 3, layout: 'NHWC', scale: 1 / 255 };
    const weights = randomWeights(3, [5, 6], 3, seededRandom(4));
    expect(readCnnWeights(exportCnnOnnx({ weights, spec, classes: ['a', 'b', 'c'] }))).toEqual(weights);
    const flat = randomWeights(3, [5, 6], 3, seededRandom(5), denseFeatures([5, 6], 8, 'flatten'));
    expect(readCnnWeights(exportCnnOnnx({ weights: flat, spec, classes: ['a', 'b', 'c'] }))).toEqual(flat);
    expect(() => readCnnWeights(Uint8Array.of(1, 2, 3, 250))).toThrow(/not an ONNX file/);
    const empty = onnx.ModelProto.encode({ irVersion: 8, graph: { name: 'g', node: [] } } as onnx.IModelProto).finish();
    expect(() => readCnnWeights(empty)).toThrow(/not an mloop CNN/);
  });

  it.each(['gap', 'flatten'] as const)('exports a trained model (head %s) that onnxruntime scores as the trainer does (1e-4)', async (head) => {
    const spec: ImageSpec = { size: 16, channels: 3, layout: 'NHWC', scale: 1 / 255 };
    const data = barImageSet({ train: 60, validation: 30, test: 30 }, spec, 5);
    const model = await trainImages('cnn', data, { filters: [4, 8], head, epochs: 2, batch_size: 20, learning_rate: 0.01, backend: 'cpu', seed: 3 });
    expect(readCnnWeights(model.onnx).dense.features).toBe(head === 'gap' ? 8 : 8 * 4 * 4);
    const own = model.predict(data.test.x, data.test.n);
    const served = await runOnnx(model.onnx, data.test.x, spec, data.test.n);
    expect(worstDifference(served, own)).toBeLessThan(1e-4);
    // trained batch-norm statistics are in the graph, not the initial ones
    const bn = readCnnWeights(model.onnx).blocks[0];
    expect(bn.movingMean.some((m) => m !== 0)).toBe(true);
    expect(bn.movingVariance.some((v) => v !== 1)).toBe(true);
  });
});
