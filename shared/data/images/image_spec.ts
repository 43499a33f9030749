import { MloopError } from '../../core/errors';
import type { ImagePropertyColumns } from './image_properties';

/**
 * The contract between the image data layer, the CNN family and scoring: what one preprocessed image is.
 * Training and scoring both go through preprocessImage with the model's spec, so they cannot disagree.
 */
export interface ImageSpec {
  size: number;
  channels: 1 | 3;
  layout: 'NHWC';
  scale: number /* 1/255 */;
}

export const DEFAULT_IMAGE_SPEC: ImageSpec = { size: 64, channels: 3, layout: 'NHWC', scale: 1 / 255 };

/** N images of spec.size² × channels float32, NHWC, already preprocessed, with class indices. */
export interface ImageTrainingData {
  spec: ImageSpec;
  classes: string[];
  train: { x: Float32Array; y: Int32Array; n: number };
  validation: { x: Float32Array; y: Int32Array; n: number };
  test: { x: Float32Array; y: Int32Array; n: number };
  /** The train split's image properties (image_properties.ts), for the drift reference; absent when not measured. */
  trainProperties?: ImagePropertyColumns;
}

/** Floats of one preprocessed image: the stride between rows of an NHWC batch. */
export const imageFloats = (spec: ImageSpec): number => spec.size * spec.size * spec.channels;

/** Bytes of one preprocessed image, so a caller knows the memory of N before allocating it. */
export const imageBytes = (spec: ImageSpec): number => imageFloats(spec) * Float32Array.BYTES_PER_ELEMENT;

/**
 * A spec from a model's settings (mloop.json's image_size and channels), checked: past 512 pixels a side
 * the arrays of a PlantVillage-sized set no longer fit the job's memory (54 000 × 512² × 3 × 4 bytes).
 */
export function imageSpecFrom(settings: { image_size?: unknown; channels?: unknown }): ImageSpec {
  const size = settings.image_size ?? DEFAULT_IMAGE_SPEC.size;
  const channels = settings.channels ?? DEFAULT_IMAGE_SPEC.channels;
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 8 || size > 512) {
    throw new MloopError('invalid_argument', `image_size must be a whole number of pixels from 8 to 512, not ${JSON.stringify(size)}`);
  }
  if (channels !== 1 && channels !== 3) throw new MloopError('invalid_argument', `channels must be 1 (grayscale) or 3 (RGB), not ${JSON.stringify(channels)}`);
  return { ...DEFAULT_IMAGE_SPEC, size, channels };
}
