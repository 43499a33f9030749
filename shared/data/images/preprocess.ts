import type { Metadata, OutputInfo } from 'sharp';
import { MloopError } from '../../core/errors';
import { exclusive, shared } from './decode_gate';
import { imageFloats, type ImageSpec } from './image_spec';
import { decodePlainPng } from './plain_png';
import { quickHeader } from './quick_header';
import { loadSharp } from './sharp_loader';
import { imageProperties, type ImageProperties } from './image_properties';

/**
 * The one function that turns image bytes into a model's input, shared by training and scoring so the
 * two cannot drift apart. Choices, and why:
 * - EXIF orientation is applied first: phones store portrait photos sideways with a rotate flag.
 * - Alpha is composited onto black. Encoders store fully transparent pixels as black, so this gives
 *   what PIL's convert('RGB') gives for them, and a resize cannot bleed the colour hidden under a
 *   transparent pixel into its neighbours (libvips premultiplies alpha when it resizes).
 * - Grayscale is repeated into R, G and B for a 3-channel spec, and a 1-channel spec takes ITU-R 601 luma
 *   of the sRGB values: what PIL's convert() and Keras' image_dataset_from_directory do, so a model and
 *   its Keras twin see the same numbers. CMYK is converted to sRGB.
 * - The resize is `fill` (stretch to size×size, aspect not kept), as Keras' default: every pixel of the
 *   subject stays in view, where `cover` would crop an off-centre subject away. sharp's lanczos3 kernel
 *   downsamples without the aliasing of plain bilinear.
 * - Decoding is bounded: an image declaring more than maxInputPixels is refused from its header, before
 *   any pixel memory is allocated (a pixel bomb), and only JPEG, PNG and WebP are decoded (no SVG or TIFF
 *   from an untrusted upload).
 */
export const MAX_INPUT_PIXELS = 40_000_000;

export const DECODED_FORMATS = ['jpeg', 'png', 'webp'] as const;

export type ImageProblem = 'undecodable' | 'truncated' | 'too_many_pixels' | 'unsupported_format' | 'unsupported_colour';

export class ImageRejected extends MloopError {
  constructor(
    readonly reason: ImageProblem,
    message: string,
  ) {
    super('invalid_argument', message, { reason });
  }
}

/** How the pixels of a source image are stored, before preprocessing maps them to the spec's channels. */
export type ImageColour = 'rgb' | 'rgba' | 'grayscale' | 'grayscale_alpha' | 'cmyk';

export interface PreprocessOptions {
  maxInputPixels?: number;
  /** Write into this array at `offset` (floats) instead of allocating one: a batch of N is filled in place. */
  out?: Float32Array;
  offset?: number;
  /** Given the image's properties (image_properties.ts), measured on the pixels just decoded: no second decode. */
  onProperties?: (properties: ImageProperties) => void;
}

export interface ImageHeader {
  /** After EXIF orientation. */
  width: number;
  height: number;
  format: (typeof DECODED_FORMATS)[number];
  colour: ImageColour;
  /** Bands in the source, alpha included. */
  channels: number;
}

function rejectionOf(err: unknown): ImageRejected {
  if (err instanceof ImageRejected) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (/pixel limit/i.test(message)) return new ImageRejected('too_many_pixels', `the image has more pixels than allowed: ${message}`);
  if (/premature end|truncat|unexpected end|end of (file|stream)|not enough data/i.test(message)) {
    return new ImageRejected('truncated', `the image is truncated: ${message}`);
  }
  if (/unsupported image format/i.test(message)) return new ImageRejected('undecodable', 'the bytes are not an image sharp can read');
  return new ImageRejected('undecodable', `the image cannot be decoded: ${message}`);
}

function colourOf(space: string, channels: number): ImageColour | null {
  if (space === 'cmyk') return 'cmyk';
  if (space === 'b-w' || space === 'grey16') return channels === 2 ? 'grayscale_alpha' : channels === 1 ? 'grayscale' : null;
  if (space === 'srgb' || space === 'rgb' || space === 'rgb16' || space === 'scrgb') {
    return channels === 4 ? 'rgba' : channels === 3 ? 'rgb' : null;
  }
  return null;
}

/** A refusal is confirmed by a second try alone, where libvips' error message is the image's own. */
async function gated<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await shared(work);
  } catch (err) {
    if (!(err instanceof ImageRejected)) throw err;
    return exclusive(work);
  }
}

/** Format, size and colour from the header alone (no pixels decoded); refuses what preprocessImage would. */
export function readImageHeader(bytes: Uint8Array, maxInputPixels = MAX_INPUT_PIXELS): Promise<ImageHeader> {
  return gated(() => headerOf(bytes, maxInputPixels));
}

async function headerOf(bytes: Uint8Array, maxInputPixels: number): Promise<ImageHeader> {
  const header = quickHeader(bytes) ?? (await sharpHeader(bytes, maxInputPixels));
  if (header.width * header.height > maxInputPixels) {
    throw new ImageRejected('too_many_pixels', `the image declares ${header.width}×${header.height} pixels, more than the limit of ${maxInputPixels}`);
  }
  return header;
}

async function sharpHeader(bytes: Uint8Array, maxInputPixels: number): Promise<ImageHeader> {
  const sharp = await loadSharp();
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: maxInputPixels }).metadata();
  } catch (err) {
    throw rejectionOf(err);
  }
  const format = DECODED_FORMATS.find((f) => f === meta.format);
  if (!format) throw new ImageRejected('unsupported_format', `${meta.format} images are not accepted: send JPEG, PNG or WebP`);
  if (meta.width * meta.height > maxInputPixels) {
    throw new ImageRejected('too_many_pixels', `the image declares ${meta.width}×${meta.height} pixels, more than the limit of ${maxInputPixels}`);
  }
  const colour = colourOf(meta.space, meta.channels);
  if (!colour) {
    throw new ImageRejected('unsupported_colour', `the image is ${meta.space} with ${meta.channels} channels: only RGB(A), grayscale and CMYK are accepted`);
  }
  const { width, height } = meta.autoOrient ?? meta;
  return { width, height, format, colour, channels: meta.channels };
}

/** Decodes, orients, converts and resizes one image into spec.size² × spec.channels floats (NHWC) × spec.scale. */
export function preprocessImage(bytes: Uint8Array, spec: ImageSpec, options: PreprocessOptions = {}): Promise<Float32Array> {
  return gated(() => preprocess(bytes, spec, options));
}

async function preprocess(bytes: Uint8Array, spec: ImageSpec, options: PreprocessOptions): Promise<Float32Array> {
  const maxInputPixels = options.maxInputPixels ?? MAX_INPUT_PIXELS;
  const plain = spec.size * spec.size <= maxInputPixels ? decodePlainPng(bytes, spec.size) : null;
  if (plain) {
    const header: ImageHeader = { width: spec.size, height: spec.size, format: 'png', colour: plain.source === 1 ? 'grayscale' : 'rgb', channels: plain.source };
    return toFloats(plain.data, plain.channels, header, spec, options);
  }
  const header = await headerOf(bytes, maxInputPixels);
  const sharp = await loadSharp();
  let raw: { data: Buffer; info: OutputInfo };
  try {
    // failOn 'error': truncated or corrupt data is refused, harmless warnings (stray bytes after the end) are not
    raw = await sharp(bytes, { limitInputPixels: maxInputPixels, failOn: 'error', autoOrient: true })
      .toColourspace('srgb')
      .flatten({ background: '#000000' })
      .resize(spec.size, spec.size, { fit: 'fill' })
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw rejectionOf(err);
  }
  const { data, info } = raw;
  if (info.width !== spec.size || info.height !== spec.size || data.length !== spec.size * spec.size * info.channels) {
    throw new MloopError('internal', `preprocessing produced ${info.width}×${info.height}×${info.channels}, not ${spec.size}×${spec.size}×${spec.channels}`);
  }
  return toFloats(data, info.channels, header, spec, options);
}

/** Decoded 8-bit pixels at the spec's size → the model's floats, in `options.out` when given. */
function toFloats(data: Uint8Array, channels: number, header: ImageHeader, spec: ImageSpec, options: PreprocessOptions): Float32Array {
  const floats = imageFloats(spec);
  const out = options.out ?? new Float32Array(floats);
  const offset = options.offset ?? 0;
  if (offset < 0 || offset + floats > out.length) {
    throw new MloopError('invalid_argument', `no room for an image of ${floats} floats at offset ${offset} of ${out.length}`);
  }
  if (options.onProperties && (channels === 1 || channels === 3)) options.onProperties(imageProperties(header, data, channels));
  const { scale } = spec;
  if (channels === 3 && spec.channels === 3) {
    for (let i = 0; i < floats; i++) out[offset + i] = data[i] * scale;
  } else if (channels === 3 && spec.channels === 1) {
    // ITU-R 601 luma on the encoded values, as PIL's convert('L') and tf.image.rgb_to_grayscale: libvips'
    // own grayscale is gamma-correct luminance, which would give a Keras twin different numbers
    for (let p = 0, o = offset; p < data.length; p += 3, o++) out[o] = (0.299 * data[p] + 0.587 * data[p + 1] + 0.114 * data[p + 2]) * scale;
  } else if (channels === 1) {
    // libvips may keep a grey image one band through an sRGB conversion: repeat it, as PIL's convert('RGB')
    for (let p = 0, o = offset; p < data.length; p++, o += spec.channels) {
      for (let c = 0; c < spec.channels; c++) out[o + c] = data[p] * scale;
    }
  } else {
    throw new MloopError('internal', `preprocessing produced ${channels} channels for a ${spec.channels}-channel spec`);
  }
  return options.out ? out.subarray(offset, offset + floats) : out;
}
