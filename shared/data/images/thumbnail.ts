import sharp from 'sharp';
import { imageFloats, type ImageSpec } from './image_spec';

/** Small enough for a grid of 32 in a page, large enough to tell a leaf's spots apart. */
export const THUMBNAIL_MAX_SIDE = 64;

/**
 * A PNG of one preprocessed image, row `row` of an NHWC batch: the picture as the model saw it (its
 * size, its channels, stretched as preprocessing stretched it), shrunk to maxSide when larger. It is
 * drawn from the floats, never from the uploaded file again, so nothing untrusted is decoded twice.
 */
export async function thumbnailPng(x: Float32Array, row: number, spec: ImageSpec, maxSide = THUMBNAIL_MAX_SIDE): Promise<Buffer> {
  const floats = imageFloats(spec);
  const start = row * floats;
  if (!Number.isInteger(row) || row < 0 || start + floats > x.length) throw new RangeError(`row ${row} is not in a batch of ${x.length / floats} images`);
  const pixels = Buffer.alloc(floats);
  for (let i = 0; i < floats; i++) pixels[i] = Math.round(Math.min(255, Math.max(0, x[start + i] / spec.scale)));
  const side = Math.min(spec.size, maxSide);
  const image = sharp(pixels, { raw: { width: spec.size, height: spec.size, channels: spec.channels } }).resize(side, side, { fit: 'fill' });
  // libvips would write a one-band image as RGB unless told it is grey
  return (spec.channels === 1 ? image.toColourspace('b-w') : image).png().toBuffer();
}
