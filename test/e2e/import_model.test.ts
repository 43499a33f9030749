import fs from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import * as yazl from 'yazl';
import * as yauzl from 'yauzl';
import { makeZip } from '../unit/data/images/fixtures';
import { launchChromium } from './browser';
import { cli, cliJson, freePort, stackEnv, startUp, stopGracefully, tempHome, until } from './helpers';

jest.setTimeout(240_000);

/**
 * The laptop workflow: a folder `mloop train --out` wrote on one machine (its own home) is imported into
 * a fresh stack (another home, never trained there) and scores over HTTP.
 */
const laptop = tempHome('mloop-import-laptop-');
const server = tempHome('mloop-import-server-');
const laptopEnv = { PATH: process.env.PATH, HOME: process.env.HOME, MLOOP_HOME: path.join(laptop, 'state'), MLOOP_LOG_LEVEL: 'warn' };
const folder = path.join(laptop, 'out', 'fraud');
let env: NodeJS.ProcessEnv;
let url: string;
let stack: ChildProcess;

const row = { step: 1, type: 'TRANSFER', amount: 181.0, nameOrig: 'C1', oldbalanceOrg: 181.0, newbalanceOrig: 0, nameDest: 'C2', oldbalanceDest: 0, newbalanceDest: 0 };

function zipOf(files: Record<string, Buffer>): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [name, data] of Object.entries(files)) zip.addBuffer(data, name);
  zip.end();
  const chunks: Buffer[] = [];
  return new Promise((resolve, reject) => {
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c));
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    zip.outputStream.on('error', reject);
  });
}

const folderFiles = () => Object.fromEntries(fs.readdirSync(folder).map((name) => [name, fs.readFileSync(path.join(folder, name))]));

async function entriesOf(zip: Buffer): Promise<string[]> {
  const file = await yauzl.fromBufferPromise(zip, { lazyEntries: true });
  const names: string[] = [];
  for await (const entry of file.eachEntry()) names.push(entry.fileName);
  file.close();
  return names.sort();
}

beforeAll(async () => {
  cli(['generate', path.join(laptop, 'fraud.csv'), '--rows', '6000', '--seed', '11'], laptopEnv);
  cli(['train', path.join(laptop, 'fraud.csv'), '--target', 'isFraud', '--algorithm', 'logistic', '--out', folder, '--json'], laptopEnv);
  const port = await freePort();
  // a job that exits at once: nothing is trained on this stack, only imported (and a tagged run shown)
  const noJob = path.join(server, 'no-job.js');
  fs.writeFileSync(noJob, '');
  env = stackEnv(server, port, { MLOOP_LOG_LEVEL: 'warn', MLOOP_JOB_SCRIPT: noJob });
  url = `http://127.0.0.1:${port}`;
  stack = startUp(env, path.join(server, 'up.log'));
  await until('the stack', async () => (await fetch(`${url}/health`)).ok);
});

afterAll(async () => {
  if (stack) await stopGracefully(stack);
  fs.rmSync(laptop, { recursive: true, force: true });
  fs.rmSync(server, { recursive: true, force: true });
});

describe('importing a model trained elsewhere', () => {
  it('imports the folder into a fresh stack with a label, promotes it as the first version and scores it over HTTP', async () => {
    const result = cliJson<{ version: string; label: string; stage: string; promoted: boolean; imported: { source?: string; check: { metric: string; recorded: number; measured: number; holdout: string }; dataset_version: string } }>(
      ['models', 'import', folder, '--model', 'fraud', '--label', '1.0.0', '--reason', 'trained on the laptop'],
      env,
    );
    expect(result).toMatchObject({ version: 'v1', label: '1.0.0', stage: 'production', promoted: true });
    expect(result.imported.check).toMatchObject({ metric: 'auc', holdout: 'carried' });
    expect(Math.abs(result.imported.check.measured - result.imported.check.recorded)).toBeLessThan(1e-3);
    const manifest = JSON.parse(fs.readFileSync(path.join(folder, 'manifest.json'), 'utf8'));
    expect(result.imported.dataset_version).toBe(manifest.dataset.version);

    const scored = await until('the imported version to score', async () => {
      const res = await fetch(`${url}/score/fraud`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ instances: [row] }) });
      return res.ok ? ((await res.json()) as { model_version: string; predictions: Array<{ score: number }> }) : null;
    });
    expect(scored.model_version).toBe('v1');
    expect(scored.predictions[0].score).toBeGreaterThanOrEqual(0);
    expect(scored.predictions[0].score).toBeLessThanOrEqual(1);
    // the label names the version on the scorer's versioned routes and in the registry
    const metadata = await fetch(`${url}/v2/models/fraud/versions/1.0.0`);
    expect(metadata.status).toBe(200);
    const shown = cliJson<{ version: string; label: string; source: string; imported: { from: { version: string } } }>(['models', 'show', 'fraud@1.0.0'], env);
    expect(shown).toMatchObject({ version: 'v1', label: '1.0.0', source: 'imported', imported: { from: { version: manifest.version } } });
    const run = cliJson<{ reason: string; source: string; status: string }>(['runs', (shown as unknown as { run_id: string }).run_id], env);
    expect(run).toMatchObject({ reason: 'import', source: 'imported', status: 'succeeded' });
  });

  it('takes a zip over HTTP: refuses a reused label (409), and judges a second copy against production', async () => {
    const zip = await zipOf(folderFiles());
    const post = (query: string, body: Buffer) => fetch(`${url}/api/models/fraud/versions?${query}`, { method: 'POST', headers: { 'content-type': 'application/zip' }, body: new Uint8Array(body) });
    const notZip = await fetch(`${url}/api/models/fraud/versions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model": "x"}' });
    expect(notZip.status).toBe(415);
    expect(((await notZip.json()) as { error: { message: string } }).error.message).toMatch(/content-type application\/zip/);
    const reused = await post('label=1.0.0', zip);
    expect(reused.status).toBe(409);
    expect(((await reused.json()) as { error: { message: string } }).error.message).toMatch(/already has a version labelled 1.0.0 \(v1\)/);

    const second = await post('label=1.1.0&reason=same%20model', zip);
    expect(second.status).toBe(200);
    const body = (await second.json()) as { version: string; stage: string; promoted: boolean; decision: { reasons: string[]; production_version: string } };
    // the same model is no better than production: kept out, as a trained candidate would be
    expect(body).toMatchObject({ version: 'v2', stage: 'rejected', promoted: false, decision: { production_version: 'v1' } });
  });

  it('refuses a folder whose ONNX does not score the metric its manifest records, and a zip that climbs out', async () => {
    const files = folderFiles();
    const manifest = JSON.parse(files['manifest.json'].toString('utf8'));
    manifest.metrics.auc = 0.5;
    const tampered = await fetch(`${url}/api/models/fraud/versions`, { method: 'POST', headers: { 'content-type': 'application/zip' }, body: new Uint8Array(await zipOf({ ...files, 'manifest.json': Buffer.from(JSON.stringify(manifest)) })) });
    expect(tampered.status).toBe(400);
    expect(((await tampered.json()) as { error: { message: string } }).error.message).toMatch(/scores auc [\d.]+ on the folder's \d+ holdout rows, but manifest.json records 0.5/);

    const escaping = makeZip([{ name: '../manifest.json', data: files['manifest.json'] }, { name: 'model.onnx', data: files['model.onnx'] }]);
    const res = await fetch(`${url}/api/models/fraud/versions`, { method: 'POST', headers: { 'content-type': 'application/zip' }, body: new Uint8Array(escaping) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/invalid relative path: ..\/manifest.json: the archive is refused/);
  });

  it('downloads a version as a zip by label and deletes only what nobody serves', async () => {
    const download = await fetch(`${url}/api/models/fraud/versions/1.0.0/download`);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('application/zip');
    const names = await entriesOf(Buffer.from(await download.arrayBuffer()));
    expect(names).toEqual(['card.md', 'curves.json', 'explainer.json', 'holdout.ndjson', 'manifest.json', 'model.onnx', 'reference.json', 'report.html']);
    const out = path.join(server, 'v1.zip');
    cli(['models', 'download', 'fraud@v1', '-o', out], env);
    expect(await entriesOf(fs.readFileSync(out))).toEqual(names);

    const production = await fetch(`${url}/api/models/fraud/versions/v1`, { method: 'DELETE' });
    expect(production.status).toBe(409);
    const rejected = await fetch(`${url}/api/models/fraud/versions/1.1.0`, { method: 'DELETE' });
    expect(rejected.status).toBe(200);
    const versions = (await (await fetch(`${url}/api/models/fraud/versions?limit=1`)).json()) as { items: Array<{ version: string }>; next_page_token: string | null };
    expect(versions.items.map((v) => v.version)).toEqual(['v1']);
    expect(versions.next_page_token).toBeNull();
  });

  it('shows a pushed run\'s tags and an imported run\'s lineage in mloop runs <id> and on the dashboard\'s run page', async () => {
    cli(['push', path.join(laptop, 'fraud.csv'), '--model', 'tagged', '--tag', 'experiment=e2e', '--tag', 'owner=alice'], env);
    const tagged = await until('the tagged run', () => cliJson<Array<{ id: string; tags: Record<string, string> }>>(['runs', '--model', 'tagged'], env)[0]);
    expect(tagged.tags).toEqual({ experiment: 'e2e', owner: 'alice' });
    expect(cli(['runs', tagged.id], env).stdout).toMatch(/^  tags: experiment=e2e, owner=alice$/m);
    const imported = cliJson<Array<{ id: string; source: string }>>(['runs', '--model', 'fraud'], env).find((r) => r.source === 'imported')!;

    const browser = await launchChromium();
    try {
      const page = await browser.context.newPage();
      await page.goto(`${url}/#/runs/${tagged.id}`);
      await page.waitForSelector('#tags');
      expect(await page.$$eval('#tags code.tag', (nodes) => nodes.map((n) => n.textContent?.trim()))).toEqual(['experiment=e2e', 'owner=alice']);
      await page.goto(`${url}/#/runs/${imported.id}`);
      await page.waitForSelector('#imported');
      expect(await page.textContent('#imported')).toMatch(/^imported by cli:.+ trained elsewhere as fraud \d{8}-\d{6} on dataset [0-9a-f]+; auc 0\.\d+ on \d+ carried holdout rows$/);
    } finally {
      await browser.close();
    }
  });
});
