import fs from 'node:fs';
import path from 'node:path';
import { pngChunk } from '../support/image_model';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { configFor } from '../../shared/core/config';
import { createLogger } from '../../shared/core/log';
import { createPlatform } from '../../shared/platform';
import { CLI, cli, freePort, ROOT, stackEnv, startUp, stopGracefully, tempHome, until } from './helpers';
import { loggedRecords } from '../support/prediction_log_files';

/**
 * An archive of images through the whole local loop, as a person drives it: generate-images, push
 * --wait, the CNN trained by the job, evaluated and promoted on accuracy, then scored over HTTP as an
 * image file, a form and base64 JSON.
 */
jest.setTimeout(300_000);

const CLASSES = ['circle', 'square', 'triangle'];
const home = tempHome('mloop-image-loop-');
let env: NodeJS.ProcessEnv;
let url: string;
let stack: ChildProcess;
let pushed: { run: { id: string; status: string; model_version: string; promoted: boolean | null; metrics: Record<string, number | null> } };
const samples: Array<{ label: string; bytes: Buffer; type: string }> = [];

/** Node's fetch takes bytes as a plain Uint8Array. */
const bytesOf = (buffer: Buffer) => new Uint8Array(buffer);

const predict = (body: BodyInit, contentType?: string) =>
  fetch(`${url}/predict/leaves`, { method: 'POST', body, headers: contentType ? { 'content-type': contentType } : {} });

type Answer = { model_version: string; predictions: Array<{ label: string; score: number; top_k: Array<{ label: string; score: number }> }> };

function expectAnswer(answer: Answer, n: number) {
  expect(answer.model_version).toBe('v1');
  expect(answer.predictions).toHaveLength(n);
  for (const p of answer.predictions) {
    expect(CLASSES).toContain(p.label);
    expect(p.score).toBeGreaterThan(0);
    expect(p.score).toBeLessThanOrEqual(1);
    expect(p.top_k[0]).toEqual({ label: p.label, score: p.score });
    expect(p.top_k.map((t) => t.label).sort()).toEqual([...CLASSES].sort());
  }
}

beforeAll(async () => {
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  env = stackEnv(home, port, { MLOOP_JOB_SCRIPT: path.join(ROOT, 'dist', 'jobs', 'train.js'), MLOOP_PREDICTION_FLUSH_MS: '200' });
  const config = configFor(home);
  const platform = createPlatform(config, createLogger('silent'));
  try {
    // a tiny CNN on the cpu backend: two small blocks on the 32-pixel images resized to 16 train in seconds
    const settings = { image_size: 16, params: { filters: [8, 16], epochs: 6, batch_size: 8, augment: false, dropout: 0, patience: 0, backend: 'cpu', learning_rate: 0.01 } };
    await platform.objects.put(config.dataBucket, 'datasets/leaves/mloop.json', JSON.stringify(settings));
  } finally {
    await platform.close();
  }
  stack = startUp(env, path.join(home, 'up.log'));
  await until('the stack to listen', async () => (await fetch(`${url}/health`)).ok, 60_000);
  const zip = path.join(home, 'leaves.zip');
  cli(['generate-images', zip, '--classes', '3', '--per-class', '30', '--size', '32', '--seed', '3'], env);
  const { stdout } = cli(['push', zip, '--model', 'leaves', '--wait', '--json'], env);
  pushed = JSON.parse(stdout.trim().split('\n').pop()!);
  // fresh images of the same classes (another seed), as a client would send them
  const folder = path.join(home, 'new');
  cli(['generate-images', folder, '--classes', '3', '--per-class', '2', '--size', '40', '--seed', '11'], env);
  for (const label of CLASSES) {
    for (const file of fs.readdirSync(path.join(folder, label)).sort()) {
      samples.push({ label, bytes: fs.readFileSync(path.join(folder, label, file)), type: file.endsWith('.png') ? 'image/png' : 'image/jpeg' });
    }
  }
});

afterAll(async () => {
  if (stack) await stopGracefully(stack);
  fs.rmSync(home, { recursive: true, force: true });
});

describe('an archive of images through the loop', () => {
  it('trains v1 with the CNN, records its accuracy and promotes it', async () => {
    expect(pushed.run).toMatchObject({ status: 'succeeded', model_version: 'v1', promoted: true });
    // six epochs on 72 images learn little: what is checked is that accuracy is measured and recorded
    const { accuracy, macro_f1 } = pushed.run.metrics;
    expect(accuracy).toBeGreaterThanOrEqual(0);
    expect(accuracy).toBeLessThanOrEqual(1);
    expect(macro_f1).toEqual(expect.any(Number));
    // top-k accuracy only for k below the 3 classes (image_metrics' default k of 3 and 5 would count every row)
    expect(Object.keys(pushed.run.metrics).sort()).toEqual(['accuracy', 'logloss', 'macro_auc', 'macro_f1', 'rows']);
    const health = (await (await fetch(`${url}/health`)).json()) as { models: Record<string, string> };
    expect(health.models).toEqual({ leaves: 'v1' });
    const shown = JSON.parse(cli(['models', 'show', 'v1', '--model', 'leaves', '--json'], env).stdout.trim().split('\n').pop()!);
    expect(shown).toMatchObject({ stage: 'production', metrics: { accuracy } });
    // promoted on accuracy, measured again on the holdout by the evaluator
    expect(JSON.stringify(shown.decision)).toMatch(/"accuracy"/);
  });

  it('writes the image spec and the accuracy history in the manifest, and the test images as holdout', () => {
    const folder = path.join(home, 'buckets', configFor(home).artifactsBucket, 'models', 'leaves', 'v1');
    const manifest = JSON.parse(fs.readFileSync(path.join(folder, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ algorithm: 'cnn', task: 'multiclass', classes: CLASSES, input: { name: 'images', width: 16 * 16 * 3 } });
    expect(manifest.image).toEqual({ size: 16, channels: 3, layout: 'NHWC', scale: 1 / 255 });
    expect(manifest.metrics.accuracy).toBe(pushed.run.metrics.accuracy);
    expect(manifest.trainer.history[0]).toEqual(expect.objectContaining({ accuracy: expect.any(Number), val_accuracy: expect.any(Number) }));
    const holdout = fs.readFileSync(path.join(folder, 'holdout.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    // a tenth of each class of 30
    expect(holdout).toHaveLength(9);
    expect(new Set(holdout.map((r: { label: string }) => r.label))).toEqual(new Set(CLASSES));
    const curves = JSON.parse(fs.readFileSync(path.join(folder, 'curves.json'), 'utf8'));
    expect(curves.confusion.labels).toEqual(CLASSES);
    expect(curves.per_class.map((c: { class: string }) => c.class)).toEqual(CLASSES);
  });

  it('predicts an image sent as the body, as a form of several files and as base64 JSON', async () => {
    const raw = await predict(bytesOf(samples[0].bytes), samples[0].type);
    expect(raw.status).toBe(200);
    expectAnswer((await raw.json()) as Answer, 1);

    const form = new FormData();
    for (const s of samples) form.append('file', new Blob([bytesOf(s.bytes)], { type: s.type }), `${s.label}.${s.type.slice(6)}`);
    const multipart = await fetch(`${url}/predict/leaves`, { method: 'POST', body: form });
    expect(multipart.status).toBe(200);
    const batch = (await multipart.json()) as Answer;
    expectAnswer(batch, samples.length);
    // one answer per file, in the form's order: the same image alone gets the same answer
    expect(batch.predictions[0]).toEqual(((await (await predict(bytesOf(samples[0].bytes), samples[0].type)).json()) as Answer).predictions[0]);

    const b64 = await predict(JSON.stringify({ instances: samples.slice(0, 2).map((s) => ({ b64: s.bytes.toString('base64') })) }), 'application/json');
    expect(b64.status).toBe(200);
    expectAnswer((await b64.json()) as Answer, 2);
    // /score names the model as well
    const score = await fetch(`${url}/score/leaves`, { method: 'POST', body: bytesOf(samples[1].bytes), headers: { 'content-type': samples[1].type } });
    expect(score.status).toBe(200);
    expectAnswer((await score.json()) as Answer, 1);
  });

  it('answers a corrupt image with 400 and a body that is no image with 415 or 400, never a 5xx', async () => {
    const truncated = samples[0].bytes.subarray(0, Math.floor(samples[0].bytes.length / 2));
    const corrupt = await predict(bytesOf(truncated), 'image/png');
    expect(corrupt.status).toBe(400);
    expect(((await corrupt.json()) as { error: { message: string } }).error.message).toMatch(/instance 0/);

    const text = await predict('just some words', 'text/plain');
    expect(text.status).toBe(415);
    expect(((await text.json()) as { error: { message: string } }).error.message).toMatch(/image\/jpeg, image\/png, image\/webp/);

    const disguised = await predict('not an image at all', 'image/jpeg');
    expect(disguised.status).toBe(400);
    const badB64 = await predict(JSON.stringify({ instances: [{ b64: '%%%' }] }), 'application/json');
    expect(badB64.status).toBe(400);
    const form = new FormData();
    form.append('file', new Blob(['hello'], { type: 'text/plain' }), 'notes.txt');
    expect((await fetch(`${url}/predict/leaves`, { method: 'POST', body: form })).status).toBe(415);
  });

  it('refuses a pixel bomb from its header and a body over the limit, as 4xx', async () => {
    // a valid PNG header declaring 10 000 × 10 000 pixels, and no pixels: refused before any is allocated
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(10_000, 0);
    ihdr.writeUInt32BE(10_000, 4);
    ihdr.set([8, 2, 0, 0, 0], 8);
    const bomb = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', ihdr), pngChunk('IEND', Buffer.alloc(0))]);
    const refused = await predict(bytesOf(bomb), 'image/png');
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/instance 0: .*(pixels|cannot be decoded)/);
    // the scoring body limit (16 MiB by default)
    const huge = await predict(new Uint8Array(17 * 1024 * 1024), 'image/jpeg');
    expect(huge.status).toBe(413);
  });

  it('logs each prediction with the image hash, size and properties, never the image', async () => {
    const lines = await until('the prediction log to be written', async () => {
      const folder = path.join(home, 'buckets', configFor(home).artifactsBucket, 'predictions');
      const all = await loggedRecords(folder, (f) => f.includes('model=leaves'));
      return all.length >= 1 + samples.length + 1 + 2 + 1 ? all : null;
    }, 30_000, 200);
    for (const line of lines) {
      // the samples are 40-pixel images (generate-images --size 40): their size as sent, not as resized
      expect(line.features).toEqual({
        image_sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
        image_bytes: expect.any(Number),
        width: 40,
        height: 40,
        brightness: expect.any(Number),
        contrast: expect.any(Number),
      });
      expect(line.features.brightness).toBeGreaterThan(0);
      expect(line.features.brightness).toBeLessThan(1);
      expect(CLASSES).toContain(line.prediction.label);
      expect(line.prediction.score).toEqual(expect.any(Number));
      expect(JSON.stringify(line)).not.toMatch(/b64/);
    }
  });

  it('judges a second archive against production on its own test images, by accuracy', async () => {
    const zip = path.join(home, 'leaves-2.zip');
    cli(['generate-images', zip, '--classes', '3', '--per-class', '30', '--size', '32', '--seed', '4'], env);
    const { stdout } = cli(['push', zip, '--model', 'leaves', '--wait', '--json'], env);
    const second = JSON.parse(stdout.trim().split('\n').pop()!) as typeof pushed;
    expect(second.run).toMatchObject({ status: 'succeeded', model_version: 'v2' });
    const shown = JSON.parse(cli(['models', 'show', 'v2', '--model', 'leaves', '--json'], env).stdout.trim().split('\n').pop()!);
    // production (v1) scored on v2's holdout: the 9 test images of the new archive, through v1's own preprocessing
    expect(shown.decision).toMatchObject({ metric: 'accuracy', candidate_version: 'v2', production_version: 'v1', holdout_rows: 9 });
    expect(shown.decision.candidate_metric).toBeCloseTo(second.run.metrics.accuracy!, 10);
    expect(shown.decision.production_metric).toEqual(expect.any(Number));
    expect(shown.decision.reasons.join(' ')).toMatch(/accuracy/);
    // promoted only by beating production (by the margin), never on a tie or a loss
    if (shown.decision.promote) expect(shown.decision.candidate_metric).toBeGreaterThan(shown.decision.production_metric);
    else expect(shown.stage).not.toBe('production');
  });

  it('rejects an archive no model can be trained on, with the reason', () => {
    const tiny = path.join(home, 'tiny.zip');
    cli(['generate-images', tiny, '--classes', '2', '--per-class', '2', '--size', '16'], env);
    const result = spawnSync(process.execPath, [CLI, 'push', tiny, '--model', 'tiny', '--wait'], { env, encoding: 'utf8', timeout: 120_000 });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/the dataset was rejected: no model can be trained on these images/);
  });
});
