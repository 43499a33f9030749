import sharp from 'sharp';
import { thumbnailPng } from '../../../../shared/data/images/thumbnail';
import type { ImageSpec } from '../../../../shared/data/images/image_spec';

const rgb = (size: number): ImageSpec => ({ size, channels: 3, layout: 'NHWC', scale: 1 / 255 });

/** A batch of two images: the first all red, the second all mid-grey. */
function batch(spec: ImageSpec): Float32Array {
  const floats = spec.size * spec.size * spec.channels;
  const x = new Float32Array(2 * floats);
  for (let i = 0; i < floats; i += spec.channels) {
    if (spec.channels === 3) x[i] = 1;
    for (let c = 0; c < spec.channels; c++) x[floats + i + c] = 128 / 255;
  }
  return x;
}

describe('a thumbnail of a preprocessed image', () => {
  it('is a PNG of the row asked for, at the model\'s size when small', async () => {
    const spec = rgb(16);
    const png = await thumbnailPng(batch(spec), 0, spec);
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    expect(info).toMatchObject({ format: 'raw', width: 16, height: 16, channels: 3 });
    expect([...data.subarray(0, 3)]).toEqual([255, 0, 0]);
    const grey = await sharp(await thumbnailPng(batch(spec), 1, spec)).raw().toBuffer();
    expect([...grey.subarray(0, 3)]).toEqual([128, 128, 128]);
  });

  it('is shrunk to the largest side allowed, and stays grayscale for a one-channel model', async () => {
    const big = rgb(96);
    expect(await sharp(await thumbnailPng(batch(big), 1, big)).metadata()).toMatchObject({ format: 'png', width: 64, height: 64 });
    const grey: ImageSpec = { ...rgb(28), channels: 1 };
    expect(await sharp(await thumbnailPng(batch(grey), 1, grey)).metadata()).toMatchObject({ format: 'png', width: 28, height: 28, channels: 1 });
  });

  it('refuses a row outside the batch', async () => {
    const spec = rgb(8);
    await expect(thumbnailPng(batch(spec), 2, spec)).rejects.toThrow(RangeError);
    await expect(thumbnailPng(batch(spec), -1, spec)).rejects.toThrow(RangeError);
  });
});
