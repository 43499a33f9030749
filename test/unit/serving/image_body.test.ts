import { MloopError } from '../../../shared/core/errors';
import { checkPredictType, imageInstancesOf, imageSummary, multipartImages } from '../../../shared/serving/image_body';
import { MAX_IMAGES } from '../../../shared/serving/limits';

/** A multipart/form-data body as a browser's FormData encodes it, built by hand so every byte is known. */
function form(parts: Array<{ field: string; filename?: string; type?: string; data: Buffer | string }>, boundary = 'XyZ123boundary') {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const disposition = `form-data; name="${p.field}"${p.filename ? `; filename="${p.filename}"` : ''}`;
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n${p.type ? `Content-Type: ${p.type}\r\n` : ''}\r\n`));
    chunks.push(Buffer.isBuffer(p.data) ? p.data : Buffer.from(p.data));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, body: Buffer.concat(chunks) };
}

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 1, 0xff, 0xd9]);

async function refusal(work: Promise<unknown>): Promise<{ status: number; message: string }> {
  try {
    await work;
  } catch (err) {
    if (err instanceof MloopError) return { status: err.httpStatus, message: err.message };
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('the images of a request', () => {
  it('takes an image body as one image, whatever parameters its type carries', async () => {
    expect(await imageInstancesOf({ 'content-type': 'image/png' }, PNG)).toEqual([{ bytes: PNG }]);
    expect(await imageInstancesOf({ 'content-type': 'IMAGE/JPEG; foo=bar' }, JPEG)).toEqual([{ bytes: JPEG }]);
    expect(await refusal(imageInstancesOf({ 'content-type': 'image/webp' }, Buffer.alloc(0)))).toEqual({ status: 400, message: expect.stringMatching(/body is empty/) });
  });

  it('leaves JSON and any other body to the JSON path', async () => {
    expect(await imageInstancesOf({ 'content-type': 'application/json' }, Buffer.from('{"instances":[]}'))).toBeNull();
    expect(await imageInstancesOf({}, Buffer.from('{}'))).toBeNull();
    expect(await imageInstancesOf({ 'content-type': 'text/plain' }, Buffer.from('{}'))).toBeNull();
  });

  it('reads every "file" field of a form, in order, bytes intact', async () => {
    const { headers, body } = form([
      { field: 'file', filename: 'a.png', type: 'image/png', data: PNG },
      { field: 'note', data: 'a text field is ignored' },
      { field: 'file', filename: 'b.jpg', type: 'image/jpeg', data: JPEG },
      { field: 'file', filename: 'c.bin', type: 'application/octet-stream', data: PNG },
    ]);
    const images = await imageInstancesOf(headers, body);
    expect(images).toEqual([{ bytes: PNG }, { bytes: JPEG }, { bytes: PNG }]);
  });

  it('refuses a form without images, with a file under another name, a declared non-image or too many files', async () => {
    const none = form([{ field: 'note', data: 'hello' }]);
    expect(await refusal(multipartImages(none.headers, none.body))).toEqual({ status: 400, message: expect.stringMatching(/no "file" field/) });
    const misnamed = form([{ field: 'image', filename: 'a.png', type: 'image/png', data: PNG }]);
    expect(await refusal(multipartImages(misnamed.headers, misnamed.body))).toEqual({ status: 400, message: expect.stringMatching(/form field "image" is not read/) });
    const text = form([{ field: 'file', filename: 'notes.txt', type: 'text/plain', data: 'hello' }]);
    expect(await refusal(multipartImages(text.headers, text.body))).toEqual({ status: 415, message: expect.stringMatching(/file 0 \(notes\.txt\) is text\/plain/) });
    const empty = form([{ field: 'file', filename: 'a.png', type: 'image/png', data: Buffer.alloc(0) }]);
    expect(await refusal(multipartImages(empty.headers, empty.body))).toEqual({ status: 400, message: expect.stringMatching(/file 0 of the form is empty/) });
    const many = form(Array.from({ length: MAX_IMAGES + 1 }, (_, i) => ({ field: 'file', filename: `${i}.png`, type: 'image/png', data: PNG })));
    expect(await refusal(multipartImages(many.headers, many.body))).toEqual({ status: 400, message: expect.stringMatching(new RegExp(`at most ${MAX_IMAGES} per request`)) });
  });

  it('refuses a form it cannot read as a 400, not a crash', async () => {
    expect((await refusal(multipartImages({ 'content-type': 'multipart/form-data' }, Buffer.from('x')))).status).toBe(400);
    const { headers, body } = form([{ field: 'file', filename: 'a.png', type: 'image/png', data: PNG }]);
    const cut = body.subarray(0, body.length - 20);
    expect((await refusal(multipartImages(headers, cut))).status).toBe(400);
  });

  it('lets /predict refuse a declared type that is neither an image, a form nor JSON', () => {
    expect(() => checkPredictType({ 'content-type': 'text/csv' })).toThrow(expect.objectContaining({ code: 'unsupported_media_type' }));
    for (const type of ['application/json', 'image/png', 'multipart/form-data; boundary=x', undefined]) {
      expect(() => checkPredictType(type ? { 'content-type': type } : {})).not.toThrow();
    }
  });

  it('logs an image as its hash and size', () => {
    const summary = imageSummary({ bytes: PNG });
    expect(summary).toEqual({ image_sha256: expect.stringMatching(/^[0-9a-f]{64}$/), image_bytes: PNG.length });
    expect(imageSummary({ b64: PNG.toString('base64') })).toEqual(summary);
    expect(imageSummary({ amount: 3 })).toBeNull();
  });
});
