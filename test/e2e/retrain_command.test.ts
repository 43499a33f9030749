import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { configFor } from '../../shared/core/config';
import { TOPICS, TrainingRequested } from '../../shared/core/events';
import { createLogger } from '../../shared/core/log';
import { writeFraudCsv } from '../../shared/data/synthetic';
import type { Context } from '../../shared/pipeline/context';
import { COLLECTIONS, type RunDoc } from '../../shared/pipeline/store/documents';
import { ingestObject } from '../../shared/pipeline/usecases/on_data_uploaded';
import { requestTraining } from '../../shared/pipeline/usecases/on_training_requested';
import { createPlatform } from '../../shared/platform';
import { CLI, cliJson, tempHome } from './helpers';

const home = tempHome('mloop-retrain-');
// A job that exits at once: the runs' existence is under test, not training.
const noJob = path.join(home, 'no-job.js');
fs.writeFileSync(noJob, '');
const config = configFor(home, { MLOOP_JOB_SCRIPT: noJob });
const ctx: Context = { config, log: createLogger('silent'), platform: createPlatform(config, createLogger('silent')) };
const env = { PATH: process.env.PATH, HOME: process.env.HOME, MLOOP_HOME: home, MLOOP_LOG_LEVEL: 'warn' };

afterAll(async () => {
  await ctx.platform.close();
  fs.rmSync(home, { recursive: true, force: true });
});

describe('mloop retrain', () => {
  it('refuses a model without an accepted dataset, saying so', () => {
    const result = spawnSync(process.execPath, [CLI, 'retrain', 'fraud'], { env, encoding: 'utf8' });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/no accepted dataset/);
  });

  it('requests training on the newest upload with a fresh request id each time, reason manual, by the CLI user', async () => {
    const received: TrainingRequested[] = [];
    await ctx.platform.bus.ensureSubscription(TOPICS.trainingRequested, 'probe-retrain');
    const file = path.join(home, 'fraud.csv');
    await writeFraudCsv(file, { rows: 2000, seed: 5 });
    const meta = await ctx.platform.objects.put(config.dataBucket, 'datasets/fraud/a.csv', fs.readFileSync(file));
    const ingested = await ingestObject(ctx, { bucket: meta.bucket, name: meta.name, generation: meta.generation });
    if (ingested.outcome !== 'accepted') throw new Error(`dataset ${ingested.outcome}`);

    const first = cliJson<{ request_id: string; dataset_version: string }>(['retrain', 'fraud', '--reason', 'new encoder'], env);
    const second = cliJson<{ request_id: string; dataset_version: string }>(['retrain', 'fraud'], env);
    expect(first.dataset_version).toBe(ingested.version);
    expect(second.dataset_version).toBe(ingested.version);
    expect(first.request_id).not.toBe(second.request_id);

    const subscription = await ctx.platform.bus.subscribe('probe-retrain', async (message) => {
      received.push(TrainingRequested.parse(message.data));
    });
    const deadline = Date.now() + 10_000;
    while (received.filter((r) => r.reason === 'manual').length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await subscription.close();
    const manual = received.filter((r) => r.reason === 'manual');
    expect(manual.map((r) => r.request_id).sort()).toEqual([first.request_id, second.request_id].sort());
    for (const request of manual) expect(request).toMatchObject({ model: 'fraud', dataset_version: ingested.version, requested_by: `cli:${os.userInfo().username}` });
    expect(manual.find((r) => r.request_id === first.request_id)!.note).toBe('new encoder');

    // Two requests on unchanged data are two runs, not one deduplicated run.
    const runs = [];
    for (const request of manual) runs.push(await requestTraining(ctx, request));
    expect(runs.map((r) => r.outcome)).toEqual(['created', 'created']);
    expect(new Set(runs.map((r) => r.runId)).size).toBe(2);
    const run = await ctx.platform.docs.get<RunDoc>(COLLECTIONS.runs, runs[manual.findIndex((r) => r.request_id === first.request_id)].runId);
    expect(run).toMatchObject({ reason: 'manual', note: 'new encoder', requested_by: `cli:${os.userInfo().username}` });
  });

  it('takes the overrides POST /api/runs takes: algorithm, parameters, sample, dataset version and tags, kept on the run', async () => {
    const [{ data: dataset }] = await ctx.platform.docs.query<{ version: string }>(COLLECTIONS.datasets, { where: [['model', '==', 'fraud']] });
    const requested = cliJson<{ request_id: string; run_id: string; dataset_version: string }>(
      ['retrain', 'fraud', '--algorithm', 'gbdt', '--param', 'num_leaves=15', '--param', 'learning_rate=0.05', '--param', 'objective=binary', '--sample', '1000', '--dataset-version', dataset.version, '--tag', 'team=risk', '--tag', 'ticket=ML-7', '--reason', 'try trees'],
      env,
    );
    const received: TrainingRequested[] = [];
    const subscription = await ctx.platform.bus.subscribe('probe-retrain', async (message) => void received.push(TrainingRequested.parse(message.data)));
    const deadline = Date.now() + 10_000;
    while (!received.some((r) => r.request_id === requested.request_id) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await subscription.close();
    const request = received.find((r) => r.request_id === requested.request_id)!;
    expect(request).toMatchObject({
      dataset_version: dataset.version,
      note: 'try trees',
      training: { algorithm: 'gbdt', params: { num_leaves: 15, learning_rate: 0.05, objective: 'binary' }, sample: 1000 },
      tags: { team: 'risk', ticket: 'ML-7' },
    });
    expect((await requestTraining(ctx, request)).runId).toBe(requested.run_id);
    const run = await ctx.platform.docs.get<RunDoc>(COLLECTIONS.runs, requested.run_id);
    expect(run).toMatchObject({ tags: { team: 'risk', ticket: 'ML-7' }, plan: { algorithm: 'gbdt', sample: 1000, params: { num_leaves: 15, learning_rate: 0.05 } } });

    for (const [args, message] of [
      [['--algorithm', 'deep_magic'], /unknown algorithm "deep_magic"/],
      [['--param', 'no-equals'], /expected key=value/],
      [['--tag', 'bad key=x'], /--tag bad key/],
      [['--dataset-version', 'nope'], /no dataset version nope/],
    ] as Array<[string[], RegExp]>) {
      const result = spawnSync(process.execPath, [CLI, 'retrain', 'fraud', ...args], { env, encoding: 'utf8' });
      expect(result.status).not.toBe(0);
      expect(result.stderr).toMatch(message);
    }
  });
});
