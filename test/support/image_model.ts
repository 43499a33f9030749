import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import sharp from 'sharp';
import type { ImageSpec } from '../../shared/data/images/image_spec';
import { seededRandom } from '../../shared/data/random';
import { parseManifest } from '../../shared/ml/manifest';
import { exportCnnOnnx } from '../../shared/ml/models/cnn/onnx';
import { initialWeights } from '../../shared/ml/models/cnn/weights';

export const IMAGE_CLASSES = ['circle', 'cross', 'square', 'triangle'];

/** A small CNN's seeded initial weights, its ONNX model and manifest: an image model without minutes of training. */
export function imageModel(spec: ImageSpec = { size: 16, channels: 3, layout: 'NHWC', scale: 1 / 255 }) {
  const weights = initialWeights(spec.channels, [4, 8], IMAGE_CLASSES.length, seededRandom(5));
  const manifest = parseManifest({
    format_version: 2,
    model: 'leaves',
    version: 'v1',
    run_id: 'run-1',
    task: 'multiclass',
    algorithm: 'cnn',
    target: 'label',
    classes: IMAGE_CLASSES,
    features: [],
    dropped: [],
    threshold: null,
    metrics: { accuracy: 0.5 },
    dataset: { version: 'd', uri: 'data/leaves.zip', rows: 10 },
    trainer: { backend: 'cpu', params: {}, best_iteration: 1, history: [] },
    input: { name: 'images', width: spec.size * spec.size * spec.channels },
    output: { name: 'probabilities' },
    image: spec,
    created_at: '2026-01-01T00:00:00.000Z',
  });
  return { spec, weights, manifest, onnx: exportCnnOnnx({ weights, spec, classes: IMAGE_CLASSES }) };
}

/** An image model's version folder (model.onnx and its manifest) as the train job writes it: what serving tests need of a model. */
export function writeImageModel(dir: string, spec?: ImageSpec): string {
  const { manifest, onnx } = imageModel(spec);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'model.onnx'), onnx);
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
  return dir;
}

/** A plain image of one colour, encoded as the format says. */
export function solidImage(format: 'png' | 'jpeg' | 'webp', rgb: [number, number, number], side = 24): Promise<Buffer> {
  const [r, g, b] = rgb;
  return sharp({ create: { width: side, height: side, channels: 3, background: { r, g, b } } })[format]().toBuffer();
}

/** One PNG chunk (length, type, data, CRC), for hand-made files such as a header declaring a pixel bomb. */
export function pngChunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(body));
  return Buffer.concat([length, body, crc]);
}
