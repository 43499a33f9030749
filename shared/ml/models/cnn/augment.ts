import type { Random } from '../../../data/random';
import type { CnnParams } from './params';

/**
 * Training-time augmentation of NHWC images in [0, 1]: each image of a batch gets its own random flip,
 * shift and brightness, drawn from the trainer's seeded generator so that a run repeats. Written in plain
 * loops rather than TensorFlow.js ops: it is cheap next to a convolution and the same on every backend.
 */
export interface Transform {
  flipX: boolean;
  flipY: boolean;
  /** Pixels the content moves right and down; the uncovered border repeats the edge. */
  dx: number;
  dy: number;
  /** Added to every value, then clipped to [0, 1]. */
  brightness: number;
}

export type AugmentOptions = Pick<CnnParams, 'flip' | 'max_shift' | 'brightness'>;

export function randomTransform(options: AugmentOptions, side: number, random: Random): Transform {
  const shift = Math.round(options.max_shift * side);
  const offset = () => (shift > 0 ? random.int(2 * shift + 1) - shift : 0);
  const flipX = (options.flip === 'horizontal' || options.flip === 'both') && random.next() < 0.5;
  const flipY = (options.flip === 'vertical' || options.flip === 'both') && random.next() < 0.5;
  const dx = offset();
  const dy = offset();
  return { flipX, flipY, dx, dy, brightness: options.brightness > 0 ? (2 * random.next() - 1) * options.brightness : 0 };
}

const clamp = (v: number, max: number) => (v < 0 ? 0 : v > max ? max : v);

/** Writes the transformed image `src` (side × side × channels) into `dst`, which must not overlap it. */
export function transformImage(src: Float32Array, dst: Float32Array, side: number, channels: number, t: Transform): void {
  for (let y = 0; y < side; y++) {
    const sy0 = clamp(y - t.dy, side - 1);
    const sy = t.flipY ? side - 1 - sy0 : sy0;
    for (let x = 0; x < side; x++) {
      const sx0 = clamp(x - t.dx, side - 1);
      const sx = t.flipX ? side - 1 - sx0 : sx0;
      const from = (sy * side + sx) * channels;
      const to = (y * side + x) * channels;
      for (let c = 0; c < channels; c++) dst[to + c] = t.brightness === 0 ? src[from + c] : clamp(src[from + c] + t.brightness, 1);
    }
  }
}

/** Augments the first `m` images of `batch` in place. */
export function augmentBatch(batch: Float32Array, m: number, side: number, channels: number, options: AugmentOptions, random: Random): void {
  const pixels = side * side * channels;
  const original = new Float32Array(pixels);
  for (let i = 0; i < m; i++) {
    const image = batch.subarray(i * pixels, (i + 1) * pixels);
    original.set(image);
    transformImage(original, image, side, channels, randomTransform(options, side, random));
  }
}
