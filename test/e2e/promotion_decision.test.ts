/**
 * @jest-environment ./test/support/native_arrays_environment.js
 */
import fs from 'node:fs';
import path from 'node:path';
import { configFor } from '../../shared/core/config';
import { ModelAwaitingApproval, ModelPromoted, TOPICS } from '../../shared/core/events';
import { datasetId, modelVersionId } from '../../shared/core/ids';
import { createLogger } from '../../shared/core/log';
import type { Context } from '../../shared/pipeline/context';
import { COLLECTIONS, type DecisionDoc, type ModelDoc, type ModelVersionDoc, type RunDoc } from '../../shared/pipeline/store/documents';
import { completeTraining } from '../../shared/pipeline/usecases/on_training_completed';
import { promoteVersion } from '../../shared/pipeline/usecases/registry_transitions';
import { createPlatform } from '../../shared/platform';
import { uploadArtifacts } from '../../shared/pipeline/usecases/install_version';
import { trainSmallModel } from '../support/trained_model';
import { cli, tempHome, until } from './helpers';
import express from 'express';
import request from 'supertest';
import { adminApi } from '../../shared/serving/admin_api';

jest.setTimeout(180_000);

const home = tempHome('mloop-decision-');
const contexts: Context[] = [];
function contextWith(overrides: Record<string, string> = {}): Context {
  const config = configFor(home, overrides);
  const ctx = { config, log: createLogger('silent'), platform: createPlatform(config, createLogger('silent')) };
  contexts.push(ctx);
  return ctx;
}
const ctx = contextWith();
let strong: string;
let weak: string;
const announced: { promoted: ModelPromoted[]; awaiting: ModelAwaitingApproval[] } = { promoted: [], awaiting: [] };

beforeAll(async () => {
  [strong, weak] = await Promise.all([trainSmallModel(home, 'strong', { num_iterations: 60 }), trainSmallModel(home, 'weak', { num_iterations: 2, num_leaves: 2 })]);
  await ctx.platform.bus.ensureSubscription(TOPICS.modelPromoted, 'probe-promoted');
  await ctx.platform.bus.ensureSubscription(TOPICS.modelAwaitingApproval, 'probe-awaiting');
  await ctx.platform.bus.subscribe('probe-promoted', async (m) => void announced.promoted.push(ModelPromoted.parse(m.data)));
  await ctx.platform.bus.subscribe('probe-awaiting', async (m) => void announced.awaiting.push(ModelAwaitingApproval.parse(m.data)));
});

afterAll(async () => {
  for (const c of contexts) await c.platform.close();
  fs.rmSync(home, { recursive: true, force: true });
});

/** A finished training run of `dir` as `model@version`, decided as onTrainingCompleted decides it. */
async function decide(on: Context, model: string, version: string, dir: string, promotion: Record<string, unknown> = {}): Promise<DecisionDoc> {
  const { docs, objects } = on.platform;
  await uploadArtifacts(on, model, version, dir);
  const datasetVersion = `ds-${version}`;
  await docs.set(COLLECTIONS.datasets, datasetId(model, datasetVersion), { model, version: datasetVersion, status: 'accepted', config: { promotion }, created_at: new Date().toISOString() });
  if (!(await docs.get<ModelDoc>(COLLECTIONS.models, model))) {
    await docs.set(COLLECTIONS.models, model, { name: model, production_version: null, previous_version: null, next_version: 1, aliases: {}, updated_at: new Date().toISOString() });
  }
  const runId = `run-${model}-${version}`;
  const run: RunDoc = {
    id: runId, model, model_version: version, dataset_version: datasetVersion, request_id: runId, reason: 'upload',
    status: 'running', attempt: 1, max_attempts: 3, executions: [], created_at: new Date().toISOString(),
  };
  await docs.set(COLLECTIONS.runs, runId, { ...run });
  expect(await objects.stat(on.config.artifactsBucket, `models/${model}/${version}/holdout.ndjson`)).not.toBeNull();
  const result = await completeTraining(on, { run_id: runId, attempt: 1, model, model_version: version, status: 'succeeded', metrics: {}, finished_at: new Date().toISOString() });
  if (result.outcome !== 'decided') throw new Error(`run ${runId}: ${JSON.stringify(result)}`);
  return result.decision;
}

const versionDoc = (model: string, version: string) => ctx.platform.docs.get<ModelVersionDoc>(COLLECTIONS.versions, modelVersionId(model, version));
const modelDoc = (model: string) => ctx.platform.docs.get<ModelDoc>(COLLECTIONS.models, model);

/** What `mloop train` measured on its test split, which is the holdout the decision scores again. */
const manifestMetrics = (dir: string) => (JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { metrics: { auc: number; pr_auc: number } }).metrics;

describe('manual promotion mode', () => {
  it('keeps a winning candidate waiting, shadowing as the challenger, announces it, and approval promotes it', async () => {
    const decision = await decide(contextWith({ MLOOP_PROMOTION_MODE: 'manual' }), 'fraud', 'v1', weak);
    expect(decision).toMatchObject({ promote: true, awaiting_approval: true, mode: 'manual' });
    expect(decision.reasons.join(' ')).toMatch(/waits for `mloop models approve`/);
    expect((await versionDoc('fraud', 'v1'))!.stage).toBe('candidate');
    expect(await modelDoc('fraud')).toMatchObject({ production_version: null, aliases: { challenger: 'v1' } });
    expect((await ctx.platform.docs.get<RunDoc>(COLLECTIONS.runs, 'run-fraud-v1'))!.promoted).toBe(false);
    await until('model-awaiting-approval', () => announced.awaiting.find((m) => m.version === 'v1'));
    expect(announced.awaiting.find((m) => m.version === 'v1')).toMatchObject({ model: 'fraud', production_version: null, decision_id: decision.id });
    expect(announced.promoted.some((m) => m.model === 'fraud')).toBe(false);

    await promoteVersion(ctx, 'fraud', 'v1', { by: 'alice', reason: 'looked at the report' }, 'candidate');
    expect((await versionDoc('fraud', 'v1'))!.stage).toBe('production');
    const model = (await modelDoc('fraud'))!;
    expect(model.production_version).toBe('v1');
    expect(model.aliases).toEqual({ champion: 'v1' });
    await until('model-promoted', () => announced.promoted.find((m) => m.model === 'fraud' && m.version === 'v1'));
  });
});

describe('an automatic decision', () => {
  it('records the holdout AUCs, the paired bootstrap of their difference with its 95 % interval, and the serving cost', async () => {
    const decision = await decide(ctx, 'fraud', 'v2', strong);
    expect(decision.promote).toBe(true);
    expect(decision.production_version).toBe('v1');
    expect(decision.candidate_metric).toBeCloseTo(manifestMetrics(strong).auc, 4);
    expect(decision.production_metric).toBeCloseTo(manifestMetrics(weak).auc, 4);
    const { bootstrap, serving } = decision;
    expect(bootstrap).toMatchObject({ metric: 'auc', resamples: 1000 });
    expect(bootstrap!.difference).toBeCloseTo(decision.candidate_metric! - decision.production_metric!, 6);
    expect(bootstrap!.ci95[0]).toBeLessThanOrEqual(bootstrap!.difference);
    expect(bootstrap!.ci95[1]).toBeGreaterThanOrEqual(bootstrap!.difference);
    expect(bootstrap!.ci95[0]).toBeLessThan(bootstrap!.ci95[1]);
    expect(serving!.p99_ms).toBeGreaterThan(0);
    expect(serving!.p50_ms).toBeLessThanOrEqual(serving!.p99_ms);
    expect(serving!.model_bytes).toBe(fs.statSync(path.join(strong, 'model.onnx')).size);
    expect(decision.checks!.map((c) => [c.name, c.passed])).toEqual([['delta', true]]);
    expect((await modelDoc('fraud'))!.production_version).toBe('v2');

    // `mloop models show` prints what the decision rests on.
    const { stdout } = cli(['models', 'show', 'v2', '--model', 'fraud'], { PATH: process.env.PATH, HOME: process.env.HOME, MLOOP_HOME: home });
    expect(stdout).toMatch(/AUC difference vs production: -?\d\.\d{4} \(95 % CI -?\d\.\d{4} … -?\d\.\d{4}, paired bootstrap, 1000 resamples\)/);
    expect(stdout).toMatch(/serving: one row p50 \d+\.\d{3} ms, p99 \d+\.\d{3} ms; model \d+\.\d{2} MB/);
    expect(stdout).toMatch(/pass {2}delta: candidate auc/);
  });

  it('writes the version\'s model card with its decision, which `mloop models card` prints and the admin API serves', async () => {
    // `mloop train --out` wrote the card of the candidate alone, sliced by the transaction type
    const trained = fs.readFileSync(path.join(strong, 'card.md'), 'utf8');
    expect(trained).toContain('Not judged yet');
    expect(trained).toMatch(/\| type=CASH_OUT \| \d+ \| /);
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, MLOOP_HOME: home };
    const { stdout } = cli(['models', 'card', 'fraud', 'v2'], env);
    for (const heading of ['Task', 'Data lineage', 'Intended use', 'Metrics', 'Metrics per slice', 'Calibration', 'Top features', 'Promotion decision', 'Known caveats']) {
      expect(stdout).toContain(`\n## ${heading}\n`);
    }
    expect(stdout).toContain('promoted (');
    expect(stdout).toMatch(/\| type=CASH_OUT \| \d+ \| \d\.\d{4} \[\d\.\d{4}, \d\.\d{4}\] \| \d\.\d{4} \[/);
    // without a version: production's, which v2 now is; the file beside the model is the same card
    expect(cli(['models', 'card', 'fraud'], env).stdout).toBe(stdout);
    expect((await ctx.platform.objects.get(ctx.config.artifactsBucket, 'models/fraud/v2/card.md')).toString('utf8')).toBe(stdout);
    const app = express().use('/api', adminApi(ctx, { monitorNow: async () => [] }));
    const markdown = await request(app).get('/api/models/fraud/versions/v2/card').expect(200);
    expect(markdown.headers['content-type']).toMatch(/^text\/markdown/);
    expect(markdown.text).toBe(stdout);
    const json = await request(app).get('/api/models/fraud/card?format=json').expect(200);
    expect(json.body.sections.map((s: { heading: string }) => s.heading)).toContain('Metrics per slice');
    await request(app).get('/api/models/fraud/versions/v9/card').expect(404);
  });

  it('compares on PR AUC when mloop.json asks for it, measured on the holdout as training measured its test split', async () => {
    const decision = await decide(ctx, 'rare', 'v1', strong, { metric: 'pr_auc' });
    expect(decision.metric).toBe('pr_auc');
    const trained = manifestMetrics(strong);
    expect(decision.candidate_metric).toBeCloseTo(trained.pr_auc, 4);
    expect(decision.candidate_metric).not.toBeCloseTo(trained.auc, 2);
  });

  it('refuses even a first model that fails a guardrail: the floor, p99 latency or model size', async () => {
    const floor = await decide(ctx, 'gate-floor', 'v1', strong, { min: 0.9999 });
    expect(floor.promote).toBe(false);
    expect(floor.reasons[0]).toMatch(/worse than the floor 0.9999/);
    const latency = await decide(contextWith({ MLOOP_PROMOTION_MAX_P99_MS: '0.000001' }), 'gate-p99', 'v1', strong);
    expect(latency.promote).toBe(false);
    expect(latency.reasons[0]).toMatch(/p99 latency of one row .* > the bound of 0.0000 ms/);
    const size = await decide(ctx, 'gate-size', 'v1', strong, { max_model_mb: 0.001 });
    expect(size.promote).toBe(false);
    expect(size.reasons[0]).toMatch(/model size .* MB > the bound of 0.00 MB/);
    for (const model of ['gate-floor', 'gate-p99', 'gate-size']) {
      expect((await versionDoc(model, 'v1'))!.stage).toBe('rejected');
      expect((await modelDoc(model))!.production_version).toBeNull();
    }
  });
});
