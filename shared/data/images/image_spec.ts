export interface ImageSpec { size: number; channels: 1 | 3; layout: 'NHWC'; scale: number /* 1/255 */ }
export const DEFAULT_IMAGE_SPEC: ImageSpec = { size: 64, channels: 3, layout: 'NHWC', scale: 1 / 255 };
/** N images of spec.size² × channels float32, NHWC, already preprocessed, with class indices. */
export interface ImageTrainingData { spec: ImageSpec; classes: string[]; train: { x: Float32Array; y: Int32Array; n: number };
  validation: { x: Float32Array; y: Int32Array; n: number }; test: { x: Float32Array; y: Int32Array; n: number } }
