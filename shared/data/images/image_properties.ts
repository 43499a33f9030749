/**
 * What drift monitoring compares between the images a model was trained on and the images it scores:
 * the original width and height (after EXIF orientation, before the resize) and the brightness and
 * contrast of the image as the model sees it. One function, called by preprocessImage on the pixels it
 * has just decoded, in training and in scoring alike: the two sides cannot measure differently, and
 * scoring pays one pass over size² pixels, not a second decode of the upload.
 */
export interface ImageProperties {
  width: number;
  height: number;
  /** Mean ITU-R 601 luma of the resized image, 0 (black) to 1 (white). */
  brightness: number;
  /** RMS contrast: the standard deviation of that luma, 0 to 0.5. */
  contrast: number;
}

/** The names, in the order a reference profile and the prediction log list them. */
export const IMAGE_PROPERTY_NAMES = ['width', 'height', 'brightness', 'contrast'] as const satisfies ReadonlyArray<keyof ImageProperties>;

/** Four decimals: finer than any drift test can use, and a log line stays short. */
const round = (x: number) => Math.round(x * 10_000) / 10_000;

/**
 * `pixels` are 8-bit sRGB values, interleaved by `channels` (3: RGB, 1: grey), as sharp's raw output
 * gives them; `size` is the source image's own width and height.
 */
export function imageProperties(size: { width: number; height: number }, pixels: Uint8Array, channels: 1 | 3): ImageProperties {
  const n = Math.floor(pixels.length / channels);
  let sum = 0;
  let squares = 0;
  for (let p = 0; p < n * channels; p += channels) {
    // the luma a 1-channel model is given (preprocess.ts), so grey and colour images measure alike
    const y = channels === 3 ? 0.299 * pixels[p] + 0.587 * pixels[p + 1] + 0.114 * pixels[p + 2] : pixels[p];
    sum += y;
    squares += y * y;
  }
  const mean = n > 0 ? sum / n : 0;
  const variance = n > 0 ? Math.max(0, squares / n - mean * mean) : 0;
  return { width: size.width, height: size.height, brightness: round(mean / 255), contrast: round(Math.sqrt(variance) / 255) };
}

/** Columns of properties, one value per image, filled in place as images are preprocessed. */
export interface ImagePropertyColumns {
  width: Float64Array;
  height: Float64Array;
  brightness: Float64Array;
  contrast: Float64Array;
}

export function propertyColumns(n: number): ImagePropertyColumns {
  return { width: new Float64Array(n), height: new Float64Array(n), brightness: new Float64Array(n), contrast: new Float64Array(n) };
}

export function setProperties(columns: ImagePropertyColumns, row: number, properties: ImageProperties): void {
  for (const name of IMAGE_PROPERTY_NAMES) columns[name][row] = properties[name];
}
