import fs from 'node:fs';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort, killGroup, ROOT, tempHome, until } from '../e2e/helpers';

/**
 * The event functions as Cloud Functions runs them: the built bundle under functions-framework's own
 * server, in a process of its own, its log read from stderr. A malformed event must be acknowledged
 * (2xx, so that Pub/Sub and Eventarc stop retrying it) and leave a warning that says which event and why.
 */
jest.setTimeout(120_000);

const home = tempHome('mloop-malformed-logged-');
const FRAMEWORK = path.join(ROOT, 'node_modules', '@google-cloud', 'functions-framework', 'build', 'src', 'main.js');
const started: Array<{ child: ChildProcess; log: string; url: string }> = [];

async function startFunction(target: string): Promise<{ url: string; log: string }> {
  const port = await freePort();
  const log = path.join(home, `${target}.log`);
  const out = fs.openSync(log, 'a');
  const child = spawn(process.execPath, [FRAMEWORK], {
    cwd: home,
    detached: true,
    // NODE_ENV as Google's Node.js buildpack sets it on Cloud Functions.
    env: { PATH: process.env.PATH, NODE_ENV: 'production', MLOOP_HOME: home, MLOOP_LOG_LEVEL: 'info', FUNCTION_TARGET: target, FUNCTION_SOURCE: ROOT, PORT: String(port) },
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  const url = `http://127.0.0.1:${port}`;
  started.push({ child, log, url });
  await until(`${target} to listen`, async () => (await fetch(url).catch(() => null)) !== null, 30_000, 100);
  return { url, log };
}

afterAll(async () => {
  for (const { child } of started) await killGroup(child);
  fs.rmSync(home, { recursive: true, force: true });
});

const PUBSUB = 'google.cloud.pubsub.topic.v1.messagePublished';
const STORAGE = 'google.cloud.storage.object.v1.finalized';
const b64 = (text: string) => Buffer.from(text).toString('base64');

async function postEvent(url: string, id: string, type: string, body: string, contentType = 'application/json'): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'ce-id': id, 'ce-specversion': '1.0', 'ce-source': '//test/malformed', 'ce-type': type, 'content-type': contentType },
    body,
  });
}

interface LogLine {
  severity: string;
  message: string;
  event_id?: string;
  reason?: string;
  handler?: string;
  issues?: Array<{ path: Array<string | number> }>;
}

const logLines = (file: string): LogLine[] =>
  fs.readFileSync(file, 'utf8').split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as LogLine);

describe('malformed events on the deployed functions', () => {
  it('acknowledges an undecodable Pub/Sub envelope and logs the event id and the reason', async () => {
    const { url, log } = await startFunction('onTrainingRequested');
    const response = await postEvent(url, 'evt-not-base64', PUBSUB, JSON.stringify({ message: { data: '%%%not-base64%%%' } }));
    expect(response.status).toBeGreaterThanOrEqual(200);
    expect(response.status).toBeLessThan(300);
    const line = await until('the warning', () => logLines(log).find((l) => l.event_id === 'evt-not-base64'), 10_000);
    expect(line).toMatchObject({ severity: 'WARNING', message: 'onTrainingRequested: malformed event acknowledged', reason: 'message.data is not base64-encoded JSON' });
  });

  it('acknowledges a payload of the wrong shape and logs which fields are wrong', async () => {
    const { url, log } = await startFunction('onTrainingCompleted');
    const response = await postEvent(url, 'evt-wrong-shape', PUBSUB, JSON.stringify({ message: { data: b64('{"run_id": 42}') } }));
    expect(response.status).toBeLessThan(300);
    const line = await until('the warning', () => logLines(log).find((l) => l.handler === 'onTrainingCompleted'), 10_000);
    expect(line.severity).toBe('WARNING');
    expect(line.issues?.map((issue) => issue.path.join('.'))).toContain('run_id');
  });

  it('acknowledges a storage event without an object name, and answers a text/plain body without leaking a stack', async () => {
    const { url, log } = await startFunction('onDataUploaded');
    const response = await postEvent(url, 'evt-no-name', STORAGE, '{"bucket": 7}');
    expect(response.status).toBeLessThan(300);
    const line = await until('the warning', () => logLines(log).find((l) => l.handler === 'onDataUploaded'), 10_000);
    expect(line.issues?.map((issue) => issue.path.join('.'))).toEqual(expect.arrayContaining(['bucket', 'name']));

    // functions-framework 5.0.5 itself throws on a text/plain CloudEvent (`'context' in body` on a string,
    // in background_event_to_cloud_event.js) before mloop's code runs. Eventarc and Pub/Sub only send
    // JSON, so only a caller holding the invoker role can send one; it gets a bare 500, no stack trace.
    const plain = await postEvent(url, 'evt-plain', STORAGE, 'not an event', 'text/plain');
    expect(plain.status).toBe(500);
    const body = await plain.text();
    expect(body).not.toMatch(/TypeError|node_modules|\bat /);
    await until('the framework to log the error', () => fs.readFileSync(log, 'utf8').includes('TypeError'), 10_000);
  });
});
