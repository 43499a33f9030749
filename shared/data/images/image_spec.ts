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
}

/** Floats of one preprocessed image: the stride between rows of an NHWC batch. */
export const imageFloats = (spec: ImageSpec): number => spec.size * spec.size * spec.channels;

/** Bytes of one preprocessed image, so a caller knows the memory of N before allocating it. */
export const imageBytes = (spec: ImageSpec): number => imageFloats(spec) * Float32Array.BYTES_PER_ELEMENT;
