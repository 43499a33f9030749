import type { ImageColour, ImageHeader } from './preprocess';

/**
 * An image's format, size and colour read from its first bytes, for the plain cases only: a PNG without
 * palette, transparency or eXIf chunk (8 bits), a baseline or progressive JPEG of 1 or 3 components without an Exif segment, a
 * simple lossy WebP. Scoring a small image pays two trips through libuv's thread pool to sharp (the
 * header, then the decode); this saves the first where the answer needs no EXIF orientation or colour
 * table. Anything else — rotated, palette, CMYK, animated, extended, or bytes that do not parse — is
 * `null`, and the caller asks sharp as before. The bytes are untrusted: every read is bounds-checked and
 * nothing here allocates from a declared size.
 */
export function quickHeader(bytes: Uint8Array): ImageHeader | null {
  if (bytes.length < 32) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (matches(bytes, 0, PNG_SIGNATURE)) return png(bytes, view);
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return jpeg(bytes, view);
  if (matches(bytes, 0, RIFF) && matches(bytes, 8, WEBP)) return webp(bytes, view);
  return null;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const RIFF = [0x52, 0x49, 0x46, 0x46];
const WEBP = [0x57, 0x45, 0x42, 0x50];
const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));

function matches(bytes: Uint8Array, at: number, expected: number[]): boolean {
  if (at + expected.length > bytes.length) return false;
  return expected.every((b, i) => bytes[at + i] === b);
}

const sized = (width: number, height: number, format: ImageHeader['format'], colour: ImageColour, channels: number): ImageHeader | null =>
  width > 0 && height > 0 ? { width, height, format, colour, channels } : null;

const PNG_COLOUR: Record<number, [ImageColour, number]> = { 0: ['grayscale', 1], 2: ['rgb', 3], 4: ['grayscale_alpha', 2], 6: ['rgba', 4] };
const IHDR = ascii('IHDR');
const IDAT = ascii('IDAT');
const EXIF = ascii('eXIf');
const PLTE = ascii('PLTE');
const TRNS = ascii('tRNS');

function png(bytes: Uint8Array, view: DataView): ImageHeader | null {
  if (view.getUint32(8) !== 13 || !matches(bytes, 12, IHDR)) return null;
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  const kind = PNG_COLOUR[bytes[25]];
  if (!kind || bytes[24] !== 8) return null;
  // an eXIf chunk may rotate the image, and it may come anywhere before the pixels: look until IDAT
  for (let at = 33; at + 8 <= bytes.length; ) {
    const length = view.getUint32(at);
    if (matches(bytes, at + 4, IDAT)) return sized(width, height, 'png', kind[0], kind[1]);
    // a transparency chunk gives a grey or RGB image an alpha band in libvips; a palette is sharp's to read
    if ([EXIF, PLTE, TRNS].some((type) => matches(bytes, at + 4, type))) return null;
    at += 12 + length;
  }
  return null;
}

/** Start-of-frame markers: every SOFn but DHT (C4), JPG (C8) and DAC (CC). */
const isFrame = (marker: number) => marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
const EXIF_ID = ascii('Exif');

function jpeg(bytes: Uint8Array, view: DataView): ImageHeader | null {
  for (let at = 2; at + 4 <= bytes.length; ) {
    if (bytes[at] !== 0xff) return null;
    const marker = bytes[at + 1];
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return null; // the image's end or its data, and still no frame
    const length = view.getUint16(at + 2);
    if (length < 2) return null;
    // Exif may carry an orientation that swaps width and height: sharp reads it
    if (marker === 0xe1 && matches(bytes, at + 4, EXIF_ID)) return null;
    if (isFrame(marker)) {
      if (at + 10 > bytes.length || bytes[at + 4] !== 8) return null;
      const height = view.getUint16(at + 5);
      const width = view.getUint16(at + 7);
      const components = bytes[at + 9];
      if (components === 1) return sized(width, height, 'jpeg', 'grayscale', 1);
      if (components === 3) return sized(width, height, 'jpeg', 'rgb', 3);
      return null;
    }
    at += 2 + length;
  }
  return null;
}

const VP8 = ascii('VP8 ');

function webp(bytes: Uint8Array, view: DataView): ImageHeader | null {
  // lossy without the extended header: no alpha, no animation, no EXIF
  if (!matches(bytes, 12, VP8) || bytes.length < 30) return null;
  if (bytes[23] !== 0x9d || bytes[24] !== 0x01 || bytes[25] !== 0x2a) return null;
  const width = view.getUint16(26, true) & 0x3fff;
  const height = view.getUint16(28, true) & 0x3fff;
  return sized(width, height, 'webp', 'rgb', 3);
}
