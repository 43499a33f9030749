/**
 * @jest-environment ./test/support/native_arrays_environment.js
 */
import zlib from 'node:zlib';
import fc from 'fast-check';
import { pngChunk, solidImage } from '../../support/image_model';
import { startImageServer, type ImageServer } from '../../support/image_server';

jest.setTimeout(120_000);

/**
 * Uploads to an image model, fuzzed, over real HTTP: truncated and corrupted files, random bytes under
 * image types, pixel bombs, empty bodies, wrong types, broken forms, bad base64, V2 tensors of garbage,
 * bodies over the limit. None is a 5xx: each is a 4xx with a JSON error (or, for a mutated file that
 * still decodes, a 200), and the server still answers a good image afterwards.
 */
const LIMIT = 256 * 1024;
let server: ImageServer;
let good: Record<'png' | 'jpeg' | 'webp', Buffer>;

beforeAll(async () => {
  server = await startImageServer({ MLOOP_MAX_BODY_BYTES: String(LIMIT) });
  good = { png: await solidImage('png', [200, 30, 30], 32), jpeg: await solidImage('jpeg', [10, 120, 240], 32), webp: await solidImage('webp', [30, 200, 60], 32) };
});

afterAll(async () => {
  if (server) await server.stop();
});

interface Upload {
  what: string;
  route: string;
  contentType?: string;
  body: Buffer;
  /** A mutated file may still decode: a 200 is then a right answer too. */
  mayPass?: boolean;
}

/** Valid headers declaring far more pixels than any upload may have, and no pixels. */
function pixelBomb(format: 'png' | 'jpeg' | 'webp', side: number): Buffer {
  if (format === 'png') {
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(side, 0);
    ihdr.writeUInt32BE(side, 4);
    ihdr.set([8, 2, 0, 0, 0], 8);
    const idat = zlib.deflateSync(Buffer.alloc(side + 1));
    return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', ihdr), pngChunk('IDAT', idat), pngChunk('IEND', Buffer.alloc(0))]);
  }
  if (format === 'jpeg') {
    const s = Math.min(side, 0xffff);
    // SOI, a baseline SOF0 of s×s with three components, EOI
    return Buffer.from([0xff, 0xd8, 0xff, 0xc0, 0x00, 0x11, 0x08, s >> 8, s & 0xff, s >> 8, s & 0xff, 0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01, 0xff, 0xd9]);
  }
  const s = Math.min(side, 1 << 24) - 1;
  const vp8x = Buffer.from([0, 0, 0, 0, s & 0xff, (s >> 8) & 0xff, (s >> 16) & 0xff, s & 0xff, (s >> 8) & 0xff, (s >> 16) & 0xff]);
  const chunk = Buffer.concat([Buffer.from('VP8X'), Buffer.from([10, 0, 0, 0]), vp8x]);
  const size = Buffer.alloc(4);
  size.writeUInt32LE(4 + chunk.length);
  return Buffer.concat([Buffer.from('RIFF'), size, Buffer.from('WEBP'), chunk]);
}

function form(boundary: string, parts: Array<{ field: string; filename?: string; type?: string; data: Buffer }>, end = true): Buffer {
  const pieces: Buffer[] = [];
  for (const p of parts) {
    const disposition = `form-data; name="${p.field}"${p.filename !== undefined ? `; filename="${p.filename}"` : ''}`;
    pieces.push(Buffer.from(`--${boundary}\r\ncontent-disposition: ${disposition}\r\n${p.type ? `content-type: ${p.type}\r\n` : ''}\r\n`), p.data, Buffer.from('\r\n'));
  }
  if (end) pieces.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(pieces);
}

const FORMATS = ['png', 'jpeg', 'webp'] as const;
const IMAGE_ROUTES = ['/predict/leaves', '/score/leaves', '/score'];
const ANY_TYPE = ['image/jpeg', 'image/png', 'image/webp', 'IMAGE/PNG; q=1', 'image/gif', 'image/svg+xml', 'text/plain', 'application/octet-stream', 'application/json', 'multipart/form-data', 'application/x-www-form-urlencoded', undefined];

const format = fc.constantFrom(...FORMATS);
const route = fc.constantFrom(...IMAGE_ROUTES);
const imageType = fc.constantFrom('image/jpeg', 'image/png', 'image/webp');
const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((b) => Buffer.from(b));

/** A good file cut short, or with some bytes changed. */
const damaged = fc.tuple(format, fc.double({ min: 0, max: 0.999, noNaN: true }), fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { maxLength: 8 })).map(([f, cut, flips]) => {
  const original = good[f];
  if (flips.length === 0) return { f, data: original.subarray(0, Math.floor(original.length * cut)), mayPass: false };
  const data = Buffer.from(original);
  for (const [at, value] of flips) data[8 + (at % (data.length - 8))] = value;
  return { f, data, mayPass: true };
});

const uploads: fc.Arbitrary<Upload> = fc.oneof(
  damaged.chain(({ f, data, mayPass }) => fc.tuple(route, fc.constantFrom(`image/${f}`, 'image/png', 'image/jpeg')).map(([r, type]): Upload => ({ what: `damaged ${f} as ${type}`, route: r, contentType: type, body: data, mayPass: mayPass && data.length > 0 }))),
  fc.tuple(route, imageType, bytes(2048)).map(([r, type, body]): Upload => ({ what: 'random bytes as an image', route: r, contentType: type, body })),
  fc.tuple(route, format, fc.constantFrom(50_000, 100_000, 1 << 20)).map(([r, f, side]): Upload => ({ what: `a ${f} claiming ${side}×${side}`, route: r, contentType: `image/${f}`, body: pixelBomb(f, side) })),
  fc.tuple(route, fc.constantFrom(...ANY_TYPE)).map(([r, type]): Upload => ({ what: `an empty ${type} body`, route: r, contentType: type, body: Buffer.alloc(0) })),
  fc.tuple(route, fc.constantFrom(...ANY_TYPE.slice(4)), format).map(([r, type, f]): Upload => ({ what: `a ${f} file declared as ${type}`, route: r, contentType: type, body: good[f], mayPass: type === 'IMAGE/PNG; q=1' })),
  // forms: no boundary, the wrong one, no file field, a non-image part, too many files, cut short, random bytes
  fc.tuple(route, format).map(([r, f]): Upload => ({ what: 'a form without a boundary', route: r, contentType: 'multipart/form-data', body: form('b0undary', [{ field: 'file', filename: 'a', type: `image/${f}`, data: good[f] }]) })),
  fc.tuple(route, format).map(([r, f]): Upload => ({ what: 'a form with another boundary', route: r, contentType: 'multipart/form-data; boundary=other', body: form('b0undary', [{ field: 'file', filename: 'a', type: `image/${f}`, data: good[f] }]) })),
  fc.tuple(route, format, fc.constantFrom('image', 'files', 'upload')).map(([r, f, field]): Upload => ({ what: `a form whose file is "${field}"`, route: r, contentType: 'multipart/form-data; boundary=b0undary', body: form('b0undary', [{ field, filename: 'a', type: `image/${f}`, data: good[f] }]) })),
  route.map((r): Upload => ({ what: 'a form of text fields only', route: r, contentType: 'multipart/form-data; boundary=b0undary', body: form('b0undary', [{ field: 'file', data: Buffer.from('just text') }, { field: 'note', data: Buffer.from('x') }]) })),
  fc.tuple(route, fc.constantFrom('text/plain', 'application/pdf', 'image/gif')).map(([r, type]): Upload => ({ what: `a form with a ${type} file`, route: r, contentType: 'multipart/form-data; boundary=b0undary', body: form('b0undary', [{ field: 'file', filename: 'x', type, data: Buffer.from('hello') }]) })),
  fc.tuple(route, fc.integer({ min: 65, max: 300 })).map(([r, n]): Upload => ({ what: `a form of ${n} files`, route: r, contentType: 'multipart/form-data; boundary=b0undary', body: form('b0undary', Array.from({ length: n }, () => ({ field: 'file', filename: 'a.png', type: 'image/png', data: good.png }))) })),
  fc.tuple(route, format, fc.double({ min: 0.05, max: 0.95, noNaN: true })).map(([r, f, cut]): Upload => {
    const whole = form('b0undary', [{ field: 'file', filename: 'a', type: `image/${f}`, data: good[f] }], false);
    return { what: 'a form cut short', route: r, contentType: 'multipart/form-data; boundary=b0undary', body: whole.subarray(0, Math.floor(whole.length * cut)) };
  }),
  fc.tuple(route, bytes(1024)).map(([r, body]): Upload => ({ what: 'random bytes as a form', route: r, contentType: 'multipart/form-data; boundary=b0undary', body })),
  fc.tuple(route, format).map(([r, f]): Upload => ({ what: 'an empty file in a form', route: r, contentType: 'multipart/form-data; boundary=b0undary', body: form('b0undary', [{ field: 'file', filename: 'a', type: `image/${f}`, data: Buffer.alloc(0) }, { field: 'file', filename: 'b', type: `image/${f}`, data: good[f] }]) })),
  // JSON: bad base64, base64 of garbage or of a damaged file, instances that are no images, not JSON at all
  fc.tuple(route, fc.array(fc.oneof(fc.string(), fc.constantFrom('%%%', '====', 'YWJj', '', ' ', 'a'.repeat(1001))), { minLength: 1, maxLength: 4 })).map(([r, texts]): Upload => ({ what: 'bad base64', route: r, contentType: 'application/json', body: Buffer.from(JSON.stringify({ instances: texts.map((b64) => ({ b64 })) })) })),
  fc.tuple(route, bytes(512), damaged).map(([r, garbage, d]): Upload => ({ what: 'base64 of garbage', route: r, contentType: 'application/json', body: Buffer.from(JSON.stringify({ instances: [{ b64: garbage.toString('base64') }, { b64: d.data.toString('base64') }] })) })),
  fc.tuple(route, fc.jsonValue({ maxDepth: 3 })).map(([r, value]): Upload => ({ what: 'instances of any JSON', route: r, contentType: 'application/json', body: Buffer.from(JSON.stringify({ instances: value })) })),
  fc.tuple(route, fc.integer({ min: 65, max: 200 })).map(([r, n]): Upload => ({ what: `${n} base64 images`, route: r, contentType: 'application/json', body: Buffer.from(JSON.stringify({ instances: Array.from({ length: n }, () => ({ b64: good.png.toString('base64') })) })) })),
  fc.tuple(route, bytes(256)).map(([r, body]): Upload => ({ what: 'random bytes as JSON', route: r, contentType: 'application/json', body })),
  // KServe V1 and V2 on the image model
  fc.jsonValue({ maxDepth: 3 }).map((value): Upload => ({ what: 'V1 instances of any JSON', route: '/v1/models/leaves:predict', contentType: 'application/json', body: Buffer.from(JSON.stringify({ instances: value })) })),
  fc
    .record({
      name: fc.constantFrom('image', 'b64', 'x', ''),
      datatype: fc.constantFrom('BYTES', 'FP32', 'UINT8', 'nope'),
      shape: fc.array(fc.integer({ min: -1, max: 70 }), { maxLength: 3 }),
      data: fc.array(fc.oneof(fc.string(), bytes(64).map((b) => b.toString('base64')), fc.jsonValue({ maxDepth: 1 })), { maxLength: 4 }),
      parameters: fc.oneof(fc.constant(undefined), fc.record({ content_type: fc.constantFrom('base64', 'str', 7) })),
    })
    .chain((input) => fc.tuple(fc.constantFrom('/v2/models/leaves/infer', '/v2/models/leaves/versions/v1/infer'), fc.jsonValue({ maxDepth: 1 })).map(([r, outputs]): Upload => ({ what: 'a V2 tensor of garbage', route: r, contentType: 'application/json', body: Buffer.from(JSON.stringify({ inputs: [input], outputs })) }))),
  fc.tuple(damaged, fc.constantFrom('b64', 'image')).map(([d, name]): Upload => ({ what: 'a V2 BYTES input of a damaged file', route: '/v2/models/leaves/infer', contentType: 'application/json', body: Buffer.from(JSON.stringify({ inputs: [{ name, datatype: 'BYTES', shape: [1], data: [d.data.toString('base64')] }] })), mayPass: d.mayPass })),
  // over the body limit, whatever the type
  fc.tuple(fc.constantFrom(...IMAGE_ROUTES, '/v2/models/leaves/infer'), fc.constantFrom('image/png', 'multipart/form-data; boundary=b0undary', 'application/json'), fc.integer({ min: 1, max: LIMIT })).map(([r, type, extra]): Upload => ({ what: `${LIMIT + extra} bytes of ${type}`, route: r, contentType: type, body: Buffer.alloc(LIMIT + extra, 0x41) })),
);

async function send(upload: Upload): Promise<{ status: number; type: string | null; text: string }> {
  const response = await fetch(`${server.url}${upload.route}`, { method: 'POST', headers: upload.contentType === undefined ? {} : { 'content-type': upload.contentType }, body: new Uint8Array(upload.body) });
  return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
}

describe('fuzzed uploads to an image model', () => {
  it('are answered with a 4xx and a JSON error, never a 5xx', async () => {
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(uploads, async (upload) => {
        const { status, type, text } = await send(upload);
        seen.set(status, (seen.get(status) ?? 0) + 1);
        const label = `${upload.what} to ${upload.route}: ${status} ${text.slice(0, 300)}`;
        if (status === 200 && upload.mayPass) return;
        if (!(status >= 400 && status < 500)) throw new Error(label);
        expect(type).toMatch(/^application\/json/);
        const error = (JSON.parse(text) as { error: unknown }).error;
        // mloop's routes nest {code, message}; KServe's carry the message itself
        const message = typeof error === 'string' ? error : (error as { message: string }).message;
        if (typeof message !== 'string' || message.length === 0) throw new Error(`no error message: ${label}`);
      }),
      { numRuns: 400, seed: 13, endOnFailure: true },
    );
    // the generators reach every refusal: bad input, a wrong type, a body over the limit
    expect([...seen.keys()].filter((s) => s >= 400).sort()).toEqual(expect.arrayContaining([400, 413, 415]));
    expect([...seen.keys()].every((s) => s < 500)).toBe(true);

    // and the server still answers a good image, in every way it takes one
    for (const f of FORMATS) {
      const response = await fetch(`${server.url}/predict/leaves`, { method: 'POST', headers: { 'content-type': `image/${f}` }, body: new Uint8Array(good[f]) });
      expect(response.status).toBe(200);
      expect(((await response.json()) as { predictions: unknown[] }).predictions).toHaveLength(1);
    }
  });
});
