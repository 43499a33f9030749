import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import busboy from 'busboy';
import { errorMessage, MloopError } from '../core/errors';
import type { ImageInstance } from '../ml/scorer';
import type { ImageProperties } from '../data/images/image_properties';
import { MAX_IMAGES } from './limits';

/**
 * The images of a request to an image model, whatever way they came: the file itself (`image/jpeg`,
 * `image/png`, `image/webp`), a form upload (`multipart/form-data`, one `file` field per image), or JSON
 * (`{"instances": [{"b64": "..."}]}`, returned as null for the JSON path to read). Multipart is parsed by
 * busboy, a maintained parser, over the body already read and size-checked. Whether the bytes are an
 * image is preprocessImage's to say, later; here only what the request declares is checked.
 */
export const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp'] as const;
export const FILE_FIELD = 'file';

export function mediaTypeOf(headers: IncomingHttpHeaders): string {
  return (headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
}

export const unsupportedMediaType = (type: string) =>
  new MloopError(
    'unsupported_media_type',
    `an image model reads ${IMAGE_TYPES.join(', ')}, multipart/form-data (a "${FILE_FIELD}" field per image) or application/json {"instances": [{"b64": "..."}]}, not ${type || 'a body without a content type'}`,
  );

/**
 * The images of an image or form body, or null for any other: the JSON path reads those (and says
 * what is wrong with a body that is not JSON, as it always has on /score).
 */
export async function imageInstancesOf(headers: IncomingHttpHeaders, body: Buffer): Promise<ImageInstance[] | null> {
  const type = mediaTypeOf(headers);
  if ((IMAGE_TYPES as readonly string[]).includes(type)) {
    if (body.length === 0) throw new MloopError('invalid_argument', `the ${type} body is empty: send the image file as the body`);
    return [{ bytes: body }];
  }
  if (type === 'multipart/form-data') return multipartImages(headers, body);
  return null;
}

/** /predict reads images and JSON only: any other declared type is refused (415) before its body is read. */
export function checkPredictType(headers: IncomingHttpHeaders): void {
  const type = mediaTypeOf(headers);
  if (type !== '' && type !== 'application/json' && type !== 'multipart/form-data' && !(IMAGE_TYPES as readonly string[]).includes(type)) throw unsupportedMediaType(type);
}

/** The `file` parts of a form, in order. A part that declares a non-image type is refused by its name. */
export function multipartImages(headers: IncomingHttpHeaders, body: Buffer): Promise<ImageInstance[]> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers, limits: { files: MAX_IMAGES, fields: 20, parts: MAX_IMAGES + 20 } });
    } catch (err) {
      return reject(new MloopError('invalid_argument', `the multipart/form-data body cannot be read: ${errorMessage(err)}`));
    }
    const images: Array<Promise<ImageInstance>> = [];
    let failure: MloopError | null = null;
    const fail = (err: MloopError) => {
      failure ??= err;
    };
    parser.on('file', (field, stream, info) => {
      const index = images.length;
      if (field !== FILE_FIELD) fail(new MloopError('invalid_argument', `form field "${field}" is not read: send each image as a "${FILE_FIELD}" field`));
      else if (info.mimeType && info.mimeType !== 'application/octet-stream' && !(IMAGE_TYPES as readonly string[]).includes(info.mimeType)) {
        fail(new MloopError('unsupported_media_type', `file ${index} (${info.filename ?? 'unnamed'}) is ${info.mimeType}: send JPEG, PNG or WebP images`));
      }
      images.push(
        new Promise((done) => {
          const chunks: Buffer[] = [];
          stream.on('data', (chunk: Buffer) => chunks.push(chunk));
          stream.on('end', () => done({ bytes: Buffer.concat(chunks) }));
          // a form cut short fails its open file too: without a listener, that error would take the process down
          stream.on('error', (err) => {
            fail(new MloopError('invalid_argument', `the multipart/form-data body cannot be read: ${errorMessage(err)}`));
            done({ bytes: Buffer.alloc(0) });
          });
        }),
      );
    });
    parser.on('filesLimit', () => fail(new MloopError('invalid_argument', `too many images: at most ${MAX_IMAGES} per request (split the batch)`)));
    parser.on('error', (err) => {
      fail(new MloopError('invalid_argument', `the multipart/form-data body cannot be read: ${errorMessage(err)}`));
      settle();
    });
    let settled = false;
    const settle = () => {
      if (settled) return;
      settled = true;
      Promise.all(images).then((read) => {
        if (failure) return reject(failure);
        if (read.length === 0) return reject(new MloopError('invalid_argument', `the form has no "${FILE_FIELD}" field: send each image as a "${FILE_FIELD}" file field`));
        const empty = read.findIndex((r) => 'bytes' in r && r.bytes.length === 0);
        if (empty >= 0) return reject(new MloopError('invalid_argument', `file ${empty} of the form is empty`));
        resolve(read);
      }, reject);
    };
    parser.on('close', settle);
    parser.end(body);
  });
}

/**
 * What the prediction log keeps of an image: its hash and size, never the image, and the properties
 * the scorer measured while preprocessing it (width, height, brightness, contrast), which drift
 * monitoring compares with the training images'.
 */
export function imageSummary(instance: unknown, properties?: ImageProperties): ({ image_sha256: string; image_bytes: number } & Partial<ImageProperties>) | null {
  if (!instance || typeof instance !== 'object') return null;
  const value = instance as Record<string, unknown>;
  const bytes = value.bytes instanceof Uint8Array ? value.bytes : typeof value.b64 === 'string' ? Buffer.from(value.b64, 'base64') : null;
  if (!bytes) return null;
  return { image_sha256: createHash('sha256').update(bytes).digest('hex'), image_bytes: bytes.length, ...properties };
}
