/**
 * @jest-environment ./test/support/native_arrays_environment.js
 */
import fs from 'node:fs';
import path from 'node:path';
import { configFor } from '../../../shared/core/config';
import { IMAGE_CLASSES, solidImage } from '../../support/image_model';
import { startImageServer, type ImageServer } from '../../support/image_server';
import { loggedRecords } from '../../support/prediction_log_files';

jest.setTimeout(60_000);

/**
 * Open Inference Protocol V2 for an image model, over real HTTP: one BYTES input whose data are the
 * image files in base64 (KServe's REST convention for binary data, MLServer's Base64Codec), answered
 * with `label` (BYTES), `score` (FP32) and `probabilities` (FP32 [n, K]) tensors.
 */
let server: ImageServer;
let images: Buffer[];

type V2Tensor = { name: string; datatype: string; shape: number[]; data: unknown[]; parameters?: Record<string, unknown> };
type V2Reply = { model_name: string; model_version: string; id: string; outputs: V2Tensor[] };

const post = (route: string, body: unknown) =>
  fetch(`${server.url}${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
const bytesInput = (data: unknown[], extra: Record<string, unknown> = {}) => ({ name: 'image', datatype: 'BYTES', shape: [data.length], data, ...extra });

beforeAll(async () => {
  server = await startImageServer({ MLOOP_PREDICTION_SAMPLE: '1', MLOOP_PREDICTION_FLUSH_MS: '100000' });
  images = [await solidImage('png', [200, 30, 30]), await solidImage('jpeg', [10, 120, 240], 40), await solidImage('webp', [30, 200, 60])];
});

afterAll(async () => {
  if (server) await server.stop();
});

describe('Open Inference V2 for an image model', () => {
  it('describes one BYTES input of base64 files and the label, score and probabilities outputs', async () => {
    const metadata = await (await fetch(`${server.url}/v2/models/leaves`)).json();
    expect(metadata).toMatchObject({
      name: 'leaves',
      versions: ['v1'],
      inputs: [{ name: 'image', datatype: 'BYTES', shape: [-1], parameters: { content_type: 'base64' } }],
      outputs: [
        { name: 'label', datatype: 'BYTES', shape: [-1] },
        { name: 'score', datatype: 'FP32', shape: [-1] },
        { name: 'probabilities', datatype: 'FP32', shape: [-1, IMAGE_CLASSES.length] },
      ],
      parameters: { task: 'multiclass', classes: IMAGE_CLASSES, image: { size: 16, channels: 3, layout: 'NHWC' } },
    });
  });

  it('documents that shape in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as { paths: Record<string, { post: { requestBody: unknown; description: string } }>; components: { schemas: Record<string, any> } };
    const infer = doc.paths['/v2/models/{name}/infer'].post;
    expect(JSON.stringify(infer.requestBody)).toContain('#/components/schemas/V2ImageRequest');
    expect(infer.description).toMatch(/label \(BYTES \[n\].*score \(FP32 \[n\].*probabilities \(FP32 \[n, K\]/);
    const input = doc.components.schemas.V2ImageRequest.properties.inputs.items.properties;
    expect(input.datatype.enum).toEqual(['BYTES']);
    expect(input.data.items).toEqual({ type: 'string', format: 'byte' });
    expect(input.parameters.properties.content_type.enum).toEqual(['base64']);
    expect(doc.components.schemas.V2ImageResponse.example.outputs.map((o: { name: string }) => o.name)).toEqual(['label', 'score', 'probabilities']);
  });

  it('answers each image with its label, its probability and every class probability, as /predict does', async () => {
    const response = await post('/v2/models/leaves/infer', { id: 'req-7', inputs: [bytesInput(images.map((b) => b.toString('base64')))] });
    expect(response.status).toBe(200);
    const reply = (await response.json()) as V2Reply;
    expect(reply).toMatchObject({ model_name: 'leaves', model_version: 'v1', id: 'req-7' });
    const [label, score, probabilities] = reply.outputs;
    expect(label).toEqual({ name: 'label', datatype: 'BYTES', shape: [3], data: expect.any(Array) });
    expect(score).toEqual({ name: 'score', datatype: 'FP32', shape: [3], data: expect.any(Array) });
    expect(probabilities).toMatchObject({ name: 'probabilities', datatype: 'FP32', shape: [3, IMAGE_CLASSES.length], parameters: { classes: IMAGE_CLASSES } });
    expect(probabilities.data).toHaveLength(3 * IMAGE_CLASSES.length);
    const K = IMAGE_CLASSES.length;
    for (let i = 0; i < 3; i++) {
      const row = (probabilities.data as number[]).slice(i * K, (i + 1) * K);
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      const best = row.indexOf(Math.max(...row));
      expect(label.data[i]).toBe(IMAGE_CLASSES[best]);
      expect(score.data[i]).toBe(row[best]);
      // the same image through /predict, as a file: the same class and probability
      const predicted = (await (
        await fetch(`${server.url}/predict/leaves`, { method: 'POST', headers: { 'content-type': `image/${['png', 'jpeg', 'webp'][i]}` }, body: new Uint8Array(images[i]) })
      ).json()) as { predictions: Array<{ label: string; score: number; probabilities?: unknown }> };
      expect(predicted.predictions[0].label).toBe(label.data[i]);
      expect(predicted.predictions[0].score).toBeCloseTo(score.data[i] as number, 6);
      // /predict's answer keeps its shape: no probabilities there
      expect(predicted.predictions[0].probabilities).toBeUndefined();
    }
  });

  it("takes MLServer's base64 content type, [n, 1] shapes, a version in the path and a choice of outputs", async () => {
    const body = { inputs: [{ name: 'input-0', datatype: 'BYTES', shape: [1, 1], data: [[images[0].toString('base64')]], parameters: { content_type: 'base64' } }], outputs: [{ name: 'probabilities' }] };
    const response = await post('/v2/models/leaves/versions/v1/infer', body);
    expect(response.status).toBe(200);
    const reply = (await response.json()) as V2Reply;
    expect(reply.outputs.map((o) => o.name)).toEqual(['probabilities']);
    expect(reply.outputs[0].shape).toEqual([1, IMAGE_CLASSES.length]);
    expect(reply.id).toEqual(expect.any(String));
    expect((await post('/v2/models/leaves/versions/v9/infer', body)).status).toBe(404);
  });

  it('refuses what is not one BYTES tensor of base64 images with a 400 that says why', async () => {
    const good = images[0].toString('base64');
    const cases: Array<[unknown, RegExp]> = [
      [{ inputs: [{ name: 'image', datatype: 'FP32', shape: [1], data: [0.5] }] }, /expected BYTES/],
      [{ inputs: [bytesInput([good], { parameters: { content_type: 'str' } })] }, /only "base64"/],
      [{ inputs: [bytesInput([good]), bytesInput([good])] }, /one input/],
      [{ inputs: [] }, /one input/],
      [{ inputs: [{ name: 'image', datatype: 'BYTES', shape: [2], data: [good] }] }, /shape says 2 images, data has 1/],
      [{ inputs: [bytesInput([good, 7])] }, /data\[1\]: expected a base64 string/],
      [{ inputs: [bytesInput(['%%% not base64'])] }, /instance 0: b64 is not base64/],
      [{ inputs: [bytesInput([Buffer.from('hello, no image here').toString('base64')])] }, /instance 0: /],
      [{ inputs: [bytesInput([good.slice(0, good.length / 2)])] }, /instance 0: /],
      [{ inputs: [bytesInput(Array.from({ length: 65 }, () => good))] }, /too many images: 65/],
      [{ inputs: [bytesInput([good])], outputs: [{ name: 'value' }] }, /value unknown/],
      [{ inputs: [bytesInput([good])], id: 5 }, /id: expected a string/],
      ['{"inputs": [', /not valid JSON/],
    ];
    for (const [body, message] of cases) {
      const response = await post('/v2/models/leaves/infer', body);
      const answer = (await response.json()) as { error: string; code: string };
      expect({ body, status: response.status }).toEqual({ body, status: 400 });
      // KServe's error shape: the message as a string
      expect(answer.error).toMatch(message);
      expect(answer.code).toBe('invalid_argument');
    }
  });

  it('logs V2 predictions as /predict logs them: the image hash and size, the class and its probability', async () => {
    await server.stop(true);
    const folder = path.join(server.home, 'buckets', configFor(server.home).artifactsBucket, 'predictions');
    const lines = await loggedRecords(folder);
    expect(lines.length).toBeGreaterThanOrEqual(3 + 3 + 1);
    for (const line of lines) {
      expect(line.features).toEqual({
        image_sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
        image_bytes: expect.any(Number),
        width: expect.any(Number),
        height: expect.any(Number),
        brightness: expect.any(Number),
        contrast: expect.any(Number),
      });
      expect(Object.keys(line.prediction).sort()).toEqual(['label', 'score', 'top_k']);
    }
    fs.rmSync(server.home, { recursive: true, force: true });
    server = undefined as unknown as ImageServer;
  });
});
