/**
 * @jest-environment ./test/support/native_arrays_environment.js
 */
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { preprocessImage } from '../../../shared/data/images/preprocess';
import { cnnProbabilities } from '../../../shared/ml/models/cnn/forward';
import { exportCnnOnnx } from '../../../shared/ml/models/cnn/onnx';
import { loadScorer, TOP_K, type ImagePrediction } from '../../../shared/ml/scorer';
import { IMAGE_CLASSES, imageModel } from '../../support/image_model';

/** An image model served: files in, each decoded with the manifest's spec, top classes out; a bad file is the caller's error. */
const { spec, weights, manifest } = imageModel();
const classes = IMAGE_CLASSES;

const png = (r: number, g: number, b: number, side = 24) => sharp({ create: { width: side, height: side, channels: 3, background: { r, g, b } } }).png().toBuffer();

describe('an image scorer', () => {
  it('answers each image with its most probable class, that probability and the top classes, as the network computes them', async () => {
    const scorer = await loadScorer(exportCnnOnnx({ weights, spec, classes }), manifest);
    try {
      const images = [await png(200, 30, 30), await png(10, 120, 240, 40)];
      const result = await scorer.predict([{ bytes: images[0] }, { b64: images[1].toString('base64') }]);
      if (!result.ok) throw new Error(JSON.stringify(result.errors));
      await tf.setBackend('cpu');
      for (const [i, image] of images.entries()) {
        const expected = cnnProbabilities(tf, weights, await preprocessImage(image, spec), 1, spec.size, spec.channels);
        const best = expected.indexOf(Math.max(...expected));
        const prediction = result.predictions[i] as ImagePrediction;
        expect(prediction.label).toBe(classes[best]);
        expect(prediction.score).toBeCloseTo(expected[best], 4);
        expect(prediction.top_k).toHaveLength(TOP_K);
        expect(prediction.top_k[0]).toEqual({ label: prediction.label, score: prediction.score });
        const scores = prediction.top_k.map((t) => t.score);
        expect([...scores].sort((a, b) => b - a)).toEqual(scores);
      }
      // the holdout's records: base64 files, probabilities per class row-major
      const scored = await scorer.scoreRecords([{ b64: images[0].toString('base64') }]);
      expect(scored).toHaveLength(classes.length);
      await expect(scorer.warm!()).resolves.toBeUndefined();
    } finally {
      await scorer.release();
    }
  });

  it('names each instance that is no image, and refuses the records of a holdout that are not', async () => {
    const scorer = await loadScorer(exportCnnOnnx({ weights, spec, classes }), manifest);
    try {
      const good = await png(1, 2, 3);
      const result = await scorer.predict([{ bytes: good }, { bytes: good.subarray(0, 40) }, { b64: 'not base64!' }, { amount: 3 }, 'x']);
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.errors.map((e) => e.index)).toEqual([1, 2, 3, 4]);
      expect(result.errors[0].message).toMatch(/^instance 1: /);
      expect(result.errors[1].message).toMatch(/b64 is not base64/);
      expect(await scorer.predict([])).toMatchObject({ ok: false });
      expect(await scorer.predict({ b64: '' })).toMatchObject({ ok: false });
      await expect(scorer.scoreRecords([{ b64: Buffer.from('text').toString('base64') }])).rejects.toThrow(/instance 0/);
    } finally {
      await scorer.release();
    }
  });
});
