/**
 * @jest-environment ./test/support/native_arrays_environment.js
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startStack, type Stack } from '../../cli/stack';
import { pushDataset } from '../../cli/push';
import { waitForUploadRun } from '../../cli/wait';
import { loadConfig } from '../../shared/core/config';
import { TOPICS, type DriftDetected } from '../../shared/core/events';
import { createLogger } from '../../shared/core/log';
import { fraudRows, writeFraudCsv, type FraudRow } from '../../shared/data/synthetic';
import { storeOf } from '../../shared/pipeline/store';
import type { DriftReportDoc } from '../../shared/pipeline/store/monitoring_documents';
import { driftEventsHandled as waitForDriftEvents, tick as tickOf } from './monitor_stack';
import { CLI, ROOT, tempHome, until } from './helpers';

jest.setTimeout(400_000);

/**
 * The monitoring loop on the local stack, with every part real: a model trained by the train job
 * process, traffic scored over HTTP and logged, labels posted back, ticks run through the admin API
 * (which writes the buffered log first), drift events handled by the stack's own subscription.
 */
const home = tempHome('mloop-monitor-');
let stack: Stack;
const MODEL = 'fraud';

beforeAll(async () => {
  const config = loadConfig(process.env, {
    MLOOP_HOME: home,
    MLOOP_STORAGE: path.join(home, 'buckets'),
    PORT: '0',
    MLOOP_JOB_SCRIPT: path.join(ROOT, 'dist', 'jobs', 'train.js'),
    MLOOP_TRAIN_EPOCHS: '5',
    MLOOP_POLL_MS: '50',
    MLOOP_RECONCILE_MS: '500',
    MLOOP_LOG_LEVEL: 'warn',
    MLOOP_MONITOR_INTERVAL_SECONDS: '0',
    MLOOP_PREDICTION_FLUSH_MS: '600000',
  });
  stack = await startStack(config, createLogger('warn'));
  const file = path.join(home, 'day1.csv');
  await writeFraudCsv(file, { rows: 20_000, seed: 5 });
  const pushed = await pushDataset(stack.ctx, file, { model: MODEL });
  const run = await waitForUploadRun(stack.ctx, MODEL, pushed.dataset_version, 240_000);
  expect(run.status).toBe('succeeded');
  await until('the model to answer /score', async () => ((await score([...fraudRows(1, 1)], 'probe')).ok ? true : null), 60_000);
});

afterAll(async () => {
  await stack?.stop();
  fs.rmSync(home, { recursive: true, force: true });
});

function score(instances: FraudRow[], requestId: string): Promise<Response> {
  return fetch(`${stack.url}/score/${MODEL}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-request-id': requestId },
    body: JSON.stringify({ instances }),
  });
}

async function send(rows: FraudRow[], prefix: string): Promise<void> {
  for (let i = 0; i < rows.length; i += 100) {
    const response = await score(rows.slice(i, i + 100), `${prefix}-${i / 100}`);
    expect(response.status).toBe(200);
  }
}

const tick = () => tickOf(stack, MODEL);
const driftEventsHandled = () => waitForDriftEvents(stack);

const driftRuns = async () =>
  (await storeOf(stack.ctx).runs.list()).filter((r) => r.reason === 'drift' || r.reason === 'performance');

const objectExists = async (uri: string) => {
  const [bucket, ...name] = uri.split('/');
  return (await stack.ctx.platform.objects.stat(bucket, name.join('/'))) !== null;
};

const drifted = [...fraudRows(1500, 22, { amountScale: 3, typeMix: { PAYMENT: 0.1, TRANSFER: 0.4, CASH_OUT: 0.4, DEBIT: 0.05, CASH_IN: 0.05 } })];
let first: DriftReportDoc;

test('below min_rows the report says "not enough data" and decides nothing', async () => {
  const report = await tick();
  expect(report).toMatchObject({ status: 'not_enough_data', rows: 1, min_rows: 200, share: null, dataset_drift: false, event: null, features: [] });
  expect(await objectExists(report.files.html)).toBe(true);
});

test('traffic like the training data: a report with every feature tested, no drift, no event', async () => {
  await send([...fraudRows(600, 21)], 'normal');
  const report = await tick();
  expect(report.status).toBe('ok');
  expect(report.rows).toBe(601);
  expect(report.features.map((f) => [f.name, f.test])).toEqual([
    ['step', 'wasserstein'],
    ['type', 'jensenshannon'],
    ['amount', 'wasserstein'],
    ['oldbalanceOrg', 'wasserstein'],
    ['newbalanceOrig', 'wasserstein'],
    ['oldbalanceDest', 'wasserstein'],
    ['newbalanceDest', 'wasserstein'],
  ]);
  expect(report.share).toBeLessThan(0.5);
  expect([report.dataset_drift, report.event]).toEqual([false, null]);
  expect(report.prediction).toMatchObject({ name: 'score', test: 'wasserstein' });
  expect(await driftRuns()).toEqual([]);
});

test('drifted traffic with labels fed back: dataset drift, report files, drift-detected, one retraining on upload + labels', async () => {
  await send(drifted, 'drift');
  // Labels opposite to the truth: the live AUC must collapse against the test AUC.
  const labels = drifted.map((row, k) => ({ request_id: `drift-${Math.floor(k / 100)}`, index: k % 100, label: 1 - row.isFraud }));
  const posted = await fetch(`${stack.url}/feedback`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(labels) });
  expect(await posted.json()).toEqual({ recorded: 1500 });

  first = await tick();
  expect(first.rows).toBe(2101);
  expect(first.dataset_drift).toBe(true);
  expect(first.drifted).toEqual(expect.arrayContaining(['type', 'amount', 'oldbalanceOrg']));
  expect(first.drifted).not.toContain('step');
  expect(first.event).toBe('drift');
  expect(first.performance).toMatchObject({ labelled: 1500, degraded: true });
  expect(first.performance!.auc!).toBeLessThan(first.performance!.reference_auc! - 0.05);
  const html = (await stack.ctx.platform.objects.get(first.files.html.split('/')[0], first.files.html.split('/').slice(1).join('/'))).toString('utf8');
  expect(html).toContain('Dataset drift');
  expect(html.match(/<svg/g)!.length).toBeGreaterThanOrEqual(2 * 8);
  const json = JSON.parse((await stack.ctx.platform.objects.get(first.files.json.split('/')[0], first.files.json.split('/').slice(1).join('/'))).toString('utf8'));
  expect(json.report.id).toBe(first.id);
  expect(json.result.features[2].histogram.labels).toHaveLength(10);

  const [run] = await until('the drift retraining run', async () => ((await driftRuns()).length > 0 ? driftRuns() : null));
  expect(run).toMatchObject({ reason: 'drift', request_id: `drift:${MODEL}:${first.id}` });
  const dataset = await storeOf(stack.ctx).datasets.get(MODEL, run.dataset_version);
  expect(dataset!.derived_from).toMatchObject({ report_id: first.id, feedback_rows: 1500 });
});

test('another drifted tick, a redelivered event, and the live mloop.json edited within the cooldown: still one retraining', async () => {
  const second = await tick();
  expect(second.id).not.toBe(first.id);
  expect(second.event).toBe('drift');
  const again: DriftDetected = { model: MODEL, report_id: first.id, reason: 'drift', detected_at: first.created_at };
  await stack.ctx.platform.bus.publish(TOPICS.driftDetected, again);
  await stack.ctx.platform.objects.put(stack.ctx.config.dataBucket, `datasets/${MODEL}/mloop.json`, JSON.stringify({ monitoring: { drift_share: 1 } }));
  const third = await tick();
  // Monitoring keeps the settings stored with the production version's dataset: the live file waits for the next upload.
  expect([third.drift_share, third.dataset_drift, third.event]).toEqual([0.5, true, 'drift']);
  await driftEventsHandled();
  expect((await driftRuns()).map((r) => r.request_id)).toEqual([`drift:${MODEL}:${first.id}`]);

  const done = await until('the retraining to finish', async () => {
    const [run] = await driftRuns();
    return run.status === 'succeeded' || run.status === 'failed' ? run : null;
  }, 240_000, 500);
  expect(done.status).toBe('succeeded');
  expect(done.promoted).toEqual(expect.any(Boolean));
});

test('mloop drift prints the latest report (JSON, or the table for every model), read from the state folder while the stack runs', () => {
  const result = spawnSync(process.execPath, [CLI, 'drift', '--model', MODEL, '--json'], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, MLOOP_HOME: home, MLOOP_LOG_LEVEL: 'warn' },
    encoding: 'utf8',
  });
  expect(result.status).toBe(0);
  const latest = JSON.parse(result.stdout) as DriftReportDoc;
  expect(latest).toMatchObject({ model: MODEL, event: 'drift', dataset_drift: true });
  const all = spawnSync(process.execPath, [CLI, 'drift'], { env: { PATH: process.env.PATH, HOME: process.env.HOME, MLOOP_HOME: home }, encoding: 'utf8' });
  expect(all.status).toBe(0);
  expect(all.stdout).toContain(`report ${latest.id}`);
  expect(all.stdout).toMatch(/DATASET DRIFT: [4-6] of 7 features drifted \(share 0\.\d\d ≥ 0\.5\)/);
});
