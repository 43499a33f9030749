import { crc32, inflateSync } from 'node:zlib';

/**
 * The pixels of a small PNG already at the model's size, decoded on the calling thread. Scoring one
 * image through sharp costs a trip through libuv's thread pool and back, and on a busy two-core machine
 * that trip, not the decode, is the tail of the latency. PNG is lossless: its pixels are the same bytes
 * whoever inflates them, and an image at the spec's size is not resized (sharp leaves it alone too), so
 * this answers exactly what sharp would — a test holds the two equal on every kind of PNG.
 *
 * Only the plain case: 8-bit grey or RGB, not interlaced, no palette, transparency, colour profile,
 * gamma or EXIF chunk (sharp would transform or rotate the pixels), width and height equal to `size`,
 * and at most MAX_PIXELS pixels so the event loop is never held for long. Anything else, and any file
 * that does not parse cleanly (bad CRC, short data, unknown filter, bytes missing), is `null`: the caller
 * goes to sharp, which decodes it or refuses it with its own reason. The bytes are untrusted: every read
 * is bounds-checked, and the inflated size is bounded by the declared one before any allocation.
 */
export const MAX_PIXELS = 128 * 128;

export interface PlainPixels {
  /** Row-major pixels, RGB: a grey image is repeated into three bands, as libvips' sRGB conversion gives it. */
  data: Uint8Array;
  channels: 3;
  /** Bands in the file: 1 grey, 3 RGB. */
  source: 1 | 3;
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const type = (s: string) => (s.charCodeAt(0) << 24) | (s.charCodeAt(1) << 16) | (s.charCodeAt(2) << 8) | s.charCodeAt(3);
const IHDR = type('IHDR');
const IDAT = type('IDAT');
const IEND = type('IEND');
/** Ancillary chunks that change the pixels sharp answers: colour tables, profiles, gamma, rotation. */
const TRANSFORMING = new Set(['PLTE', 'tRNS', 'iCCP', 'gAMA', 'cHRM', 'sRGB', 'sBIT', 'eXIf'].map(type));

export function decodePlainPng(bytes: Uint8Array, size: number): PlainPixels | null {
  if (bytes.length < 57 || size * size > MAX_PIXELS) return null;
  for (let i = 0; i < 8; i++) if (bytes[i] !== SIGNATURE[i]) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(8) !== 13 || view.getInt32(12) !== IHDR || !crcHolds(bytes, view, 8, 13)) return null;
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  const [depth, colour, compression, filter, interlace] = [bytes[24], bytes[25], bytes[26], bytes[27], bytes[28]];
  if (width !== size || height !== size || depth !== 8 || compression !== 0 || filter !== 0 || interlace !== 0) return null;
  const bands = colour === 0 ? 1 : colour === 2 ? 3 : 0;
  if (!bands) return null;

  const parts: Uint8Array[] = [];
  let ended = false;
  for (let at = 33; at + 12 <= bytes.length; ) {
    const length = view.getUint32(at);
    const kind = view.getInt32(at + 4);
    if (at + 12 + length > bytes.length) return null;
    if (kind === IEND) {
      ended = true;
      break;
    }
    if (kind === IDAT) {
      if (!crcHolds(bytes, view, at, length)) return null;
      parts.push(bytes.subarray(at + 8, at + 8 + length));
    } else if (TRANSFORMING.has(kind) || kind === IHDR) {
      return null;
    }
    at += 12 + length;
  }
  if (!ended || parts.length === 0) return null;

  const stride = width * bands;
  const expected = (stride + 1) * height;
  let filtered: Buffer;
  try {
    filtered = inflateSync(parts.length === 1 ? parts[0] : Buffer.concat(parts), { maxOutputLength: expected + 1 });
  } catch {
    return null;
  }
  if (filtered.length !== expected) return null;
  const grey = unfilter(filtered, stride, height, bands);
  if (!grey) return null;
  if (bands === 3) return { data: grey, channels: 3, source: 3 };
  const rgb = new Uint8Array(width * height * 3);
  for (let p = 0, o = 0; p < grey.length; p++, o += 3) rgb[o] = rgb[o + 1] = rgb[o + 2] = grey[p];
  return { data: rgb, channels: 3, source: 1 };
}

function crcHolds(bytes: Uint8Array, view: DataView, at: number, length: number): boolean {
  return crc32(bytes.subarray(at + 4, at + 8 + length)) === view.getUint32(at + 8 + length);
}

/** The five PNG row filters undone (ISO/IEC 15948, 9.2), one byte per sample at depth 8. */
function unfilter(filtered: Uint8Array, stride: number, height: number, bpp: number): Uint8Array | null {
  const out = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const method = filtered[y * (stride + 1)];
    const src = y * (stride + 1) + 1;
    const row = y * stride;
    const up = row - stride;
    for (let x = 0; x < stride; x++) {
      const raw = filtered[src + x];
      const a = x >= bpp ? out[row + x - bpp] : 0;
      const b = y > 0 ? out[up + x] : 0;
      let value: number;
      switch (method) {
        case 0:
          value = raw;
          break;
        case 1:
          value = raw + a;
          break;
        case 2:
          value = raw + b;
          break;
        case 3:
          value = raw + ((a + b) >> 1);
          break;
        case 4: {
          const c = x >= bpp && y > 0 ? out[up + x - bpp] : 0;
          const p = a + b - c;
          const pa = Math.abs(p - a);
          const pb = Math.abs(p - b);
          const pc = Math.abs(p - c);
          value = raw + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
          break;
        }
        default:
          return null;
      }
      out[row + x] = value & 0xff;
    }
  }
  return out;
}
