/**
 * @jest-environment ./test/support/native_arrays_environment.js
 */
import * as tf from '@tensorflow/tfjs';
import { MloopError } from '../../../../../shared/core/errors';
import type { ImageSpec, ImageTrainingData } from '../../../../../shared/data/images/image_spec';
import { evaluateImages } from '../../../../../shared/ml/image_metrics';
import { family } from '../../../../../shared/ml/models/registry';
import { trainImages, trainTable } from '../../../../../shared/ml/models/trainers';
import { classWeights } from '../../../../../shared/ml/models/cnn/class_weights';
import type { ImageTrainedModel } from '../../../../../shared/ml/trained_model';
import { barImageSet } from '../../../../support/bar_images';

/**
 * Training on the CPU, on the wasm backend: it has no Conv2DBackpropFilter kernel of its own, and trains
 * only because the backend chain registers mloop's. The networks are small so that this stays a unit
 * test on a shared machine.
 */
const SPEC: ImageSpec = { size: 16, channels: 1, layout: 'NHWC', scale: 1 / 255 };
const SMALL = { filters: [4, 8], batch_size: 15, learning_rate: 0.02, flip: 'both', seed: 7 };

const accuracyOf = (model: ImageTrainedModel, data: ImageTrainingData) => evaluateImages(data.test.y, model.predict(data.test.x, data.test.n), data.classes).metrics.accuracy;

/** The same images with the classes listed in another order, labels following their names. */
function reorder(data: ImageTrainingData, classes: string[]): ImageTrainingData {
  const relabel = (split: ImageTrainingData['train']) => ({ ...split, y: split.y.map((k) => classes.indexOf(data.classes[k])) });
  return { ...data, classes, train: relabel(data.train), validation: relabel(data.validation), test: relabel(data.test) };
}

describe('the CNN family', () => {
  const data = barImageSet({ train: 90, validation: 30, test: 60 }, SPEC);
  let trained: ImageTrainedModel;

  it('learns bars from noise in a few epochs, reporting loss and accuracy per epoch, without leaking tensors', async () => {
    const before = tf.memory().numTensors;
    const progress: Array<Record<string, unknown>> = [];
    trained = await trainImages('cnn', data, { ...SMALL, epochs: 5, patience: 3 }, (p) => {
      progress.push({ ...p });
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(accuracyOf(trained, data)).toBeGreaterThanOrEqual(0.9);

    expect(progress.map((p) => p.iteration)).toEqual(trained.history.map((h) => h.iteration));
    for (const [p, h] of progress.map((p, i) => [p, trained.history[i]] as const)) {
      expect(p).toMatchObject({ ...h, iterations: 5 });
      expect(p.seconds).toBeGreaterThan(0);
      for (const key of ['accuracy', 'val_accuracy'] as const) expect(h[key]).toBeGreaterThanOrEqual(0);
      for (const key of ['accuracy', 'val_accuracy'] as const) expect(h[key]).toBeLessThanOrEqual(1);
    }
    expect(trained.history.at(-1)!.val_accuracy).toBeGreaterThan(trained.history[0].val_accuracy! - 0.01);
    // the model kept is the best epoch's, and training stopped no later than patience allows
    const losses = trained.history.map((h) => h.val_loss);
    expect(trained.history[trained.bestIteration - 1].val_loss).toBe(Math.min(...losses));
    expect(trained.history.length).toBeLessThanOrEqual(trained.bestIteration + 3);
    expect(trained.params).toEqual({ ...family('cnn').defaults, ...SMALL, epochs: 5, patience: 3 });

    // the chain's native backends are absent here; wasm trains, with the filter gradient the chain registered
    expect(trained.backend).toBe('wasm');
    expect(trained.skippedBackends.map((s) => s.name)).toEqual(['node-gpu', 'node']);
    expect(trained.warmStart).toBeUndefined();
  });

  it('stops early on the validation loss', async () => {
    const tiny = barImageSet({ train: 30, validation: 15, test: 3 }, SPEC, 9);
    // validation labels shifted by one class: the better the network learns the bars, the worse its validation loss
    const misleading = { ...tiny, validation: { ...tiny.validation, y: tiny.validation.y.map((k) => (k + 1) % 3) } };
    const model = await trainImages('cnn', misleading, { ...SMALL, filters: [4], epochs: 20, patience: 1 });
    expect(model.history.length).toBeLessThan(20);
    expect(model.history.length).toBe(model.bestIteration + 1);
    expect(model.history.at(-1)!.val_loss).toBeGreaterThanOrEqual(model.history[model.bestIteration - 1].val_loss);
  });

  it('repeats a run exactly for a seed, augmentation and dropout included', async () => {
    const tiny = barImageSet({ train: 30, validation: 15, test: 3 }, SPEC, 4);
    const params = { ...SMALL, filters: [4], epochs: 2 };
    const first = await trainImages('cnn', tiny, params);
    const again = await trainImages('cnn', tiny, params);
    expect(again.history).toEqual(first.history);
    expect(Buffer.from(again.onnx).equals(Buffer.from(first.onnx))).toBe(true);
    const other = await trainImages('cnn', tiny, { ...params, seed: 8 });
    expect(other.history).not.toEqual(first.history);
  });

  it('weighs the classes in the loss as asked, the validation loss included', async () => {
    const tiny = barImageSet({ train: 36, validation: 15, test: 3 }, SPEC, 6);
    // most 'none' images left out of training: a rare class
    const keep = Array.from(tiny.train.y.keys()).filter((i) => tiny.train.y[i] !== 2 || i < 6);
    const pixels = SPEC.size * SPEC.size;
    const train = { x: Float32Array.from(keep.flatMap((i) => Array.from(tiny.train.x.subarray(i * pixels, (i + 1) * pixels)))), y: Int32Array.from(keep, (i) => tiny.train.y[i]), n: keep.length };
    const rare = { ...tiny, train };
    for (const class_weight of ['balanced', 'none'] as const) {
      const model = await trainImages('cnn', rare, { ...SMALL, filters: [4], epochs: 1, class_weight });
      const weights = classWeights(train.y, 3, { class_weight, max_class_weight: 50 });
      const p = model.predict(rare.validation.x, rare.validation.n);
      const expected = Array.from(rare.validation.y).reduce((sum, k, i) => sum - weights[k] * Math.log(p[i * 3 + k]), 0) / rare.validation.n;
      expect(model.history[0].val_loss).toBeCloseTo(expected, 5);
    }
    expect(Array.from(classWeights(train.y, 3, { class_weight: 'balanced', max_class_weight: 50 }))[2]).toBeGreaterThan(2);
  });

  it('starts from a previous model when the class set is unchanged, whatever its order', async () => {
    // other images of the same classes, listed in another order
    const reordered = reorder(barImageSet({ train: 30, validation: 15, test: 60 }, SPEC, 11), ['none', 'vertical', 'horizontal']);
    // a learning rate too small to learn anything in one epoch: what it knows, it started with
    const params = { ...SMALL, epochs: 1, learning_rate: 1e-5, augment: false };
    const warm = await trainImages('cnn', reordered, params, undefined, { warmStart: { classes: data.classes, onnx: trained.onnx } });
    expect(warm.warmStart).toEqual({ used: true });
    expect(accuracyOf(warm, reordered)).toBeGreaterThanOrEqual(0.9);
    const cold = await trainImages('cnn', reordered, params);
    expect(accuracyOf(cold, reordered)).toBeLessThan(0.7);
  });

  it('trains from scratch, saying why, when the previous model does not fit', async () => {
    const tiny = barImageSet({ train: 30, validation: 15, test: 3 }, SPEC, 5);
    const params = { ...SMALL, epochs: 1 };
    const renamed = { ...tiny, classes: ['vertical', 'horizontal', 'diagonal'] };
    const changed = await trainImages('cnn', renamed, params, undefined, { warmStart: { classes: data.classes, onnx: trained.onnx } });
    expect(changed.warmStart).toEqual({ used: false, reason: 'the class set changed: the previous model has [vertical, horizontal, none], this dataset [vertical, horizontal, diagonal]' });
    const fresh = await trainImages('cnn', renamed, params);
    expect(changed.history).toEqual(fresh.history);
    const deeper = await trainImages('cnn', tiny, { ...params, filters: [4, 8, 8] }, undefined, { warmStart: { classes: data.classes, onnx: trained.onnx } });
    expect(deeper.warmStart).toEqual({ used: false, reason: "the previous model's blocks have [4, 8] filters, this training asks for [4, 8, 8]" });
    const notCnn = await trainImages('cnn', tiny, params, undefined, { warmStart: { classes: data.classes, onnx: Uint8Array.of(8, 8, 18, 0) } });
    expect(notCnn.warmStart).toEqual({ used: false, reason: 'the previous model is not an mloop CNN: it has no convolution' });
  });

  it('refuses a table, unknown parameters and images that do not fit', async () => {
    const refusal = async (run: Promise<unknown>) => run.then(() => null, (err: unknown) => err as MloopError);
    const table = { task: 'multiclass' as const, classes: ['a', 'b'], specs: [], train: { X: new Float32Array(0), y: new Float32Array(0), n: 0 }, validation: { X: new Float32Array(0), y: new Float32Array(0), n: 0 } };
    const cases: Array<[Promise<unknown>, RegExp]> = [
      [trainTable('cnn', table), /^cnn trains on images/],
      [trainImages('cnn', data, { filter: [8] }), /unknown cnn parameter "filter" \(known: epochs, /],
      [trainImages('cnn', data, { dropout: 1 }), /invalid cnn parameters/],
      [trainImages('cnn', data, { head: 'flat' }), /invalid cnn parameters/],
      [trainImages('cnn', data, { filters: [4, 4, 4, 4, 4] }), /images of 16×16 are too small for 5 convolution blocks/],
      [trainImages('cnn', { ...data, classes: ['one'] }, SMALL), /at least 2 classes/],
      [trainImages('cnn', { ...data, train: { ...data.train, n: 89 } }, SMALL), /the train split holds/],
      [trainImages('cnn', { ...data, validation: { ...data.validation, y: data.validation.y.map(() => 3) } }, SMALL), /label outside the 3 classes/],
    ];
    for (const [run, message] of cases) {
      const err = await refusal(run);
      expect(err).toBeInstanceOf(MloopError);
      expect(err!.code).toBe('invalid_argument');
      expect(err!.message).toMatch(message);
    }
  });
});
