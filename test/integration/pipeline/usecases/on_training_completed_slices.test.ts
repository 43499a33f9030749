/**
 * @jest-environment ./test/support/native_arrays_environment.js
 */
import fs from 'node:fs';
import { configFor } from '../../../../shared/core/config';
import type { TrainingCompleted } from '../../../../shared/core/events';
import { createLogger } from '../../../../shared/core/log';
import { encodeRecords, type FeatureSpec } from '../../../../shared/data/encoding';
import type { PreparedData } from '../../../../shared/data/prepare';
import { seededRandom } from '../../../../shared/data/random';
import { TextColumns } from '../../../../shared/data/text_columns';
import { writeArtifact } from '../../../../shared/pipeline/artifacts/model_files';
import { versionFiles } from '../../../../shared/pipeline/artifacts/version_files';
import type { Context } from '../../../../shared/pipeline/context';
import { parseDatasetConfig } from '../../../../shared/pipeline/dataset_config';
import { storeOf } from '../../../../shared/pipeline/store';
import { COLLECTIONS, type ModelDoc, type RunDoc } from '../../../../shared/pipeline/store/documents';
import { trainCandidate } from '../../../../shared/pipeline/training/train_core';
import { planTraining } from '../../../../shared/pipeline/training/training_plan';
import { modelCardOf } from '../../../../shared/pipeline/read_models/model_card';
import { completeTraining } from '../../../../shared/pipeline/usecases/on_training_completed';
import { createPlatform } from '../../../../shared/platform';
import { tempHome } from '../../../e2e/helpers';

jest.setTimeout(240_000);

/**
 * Champion and challenger trained for real and judged by onTrainingCompleted on the challenger's holdout.
 * The label follows `a` in the north (80 % of rows) and `b` in the south. Production learnt from data
 * whose northern labels were scrambled, so it knows the south only; the candidate from data whose southern
 * labels were scrambled. On the true holdout the candidate is far better overall and far worse in the south.
 */
const home = tempHome('mloop-slice-decision-');
const config = configFor(home);
const ctx: Context = { config, log: createLogger('silent'), platform: createPlatform(config, createLogger('silent')) };

afterAll(async () => {
  await ctx.platform.close();
  fs.rmSync(home, { recursive: true, force: true });
});

const FEATURES: FeatureSpec[] = [
  { name: 'a', kind: 'numeric', mean: 0, std: 1, min: -4, max: 4, fill: 0 },
  { name: 'b', kind: 'numeric', mean: 0, std: 1, min: -4, max: 4, fill: 0 },
  { name: 'region', kind: 'categorical', categories: ['north', 'south'] },
];
type Row = { a: number; b: number; region: string };

function split(n: number, seed: number, scrambled: 'north' | 'south' | null) {
  const random = seededRandom(seed);
  const rows: Row[] = Array.from({ length: n }, () => ({ a: random.normal(), b: random.normal(), region: random.next() < 0.8 ? 'north' : 'south' }));
  const y = Float32Array.from(rows, (r) => {
    const signal = (r.region === 'north' ? r.a : r.b) + 0.3 * random.normal();
    // scrambled: the same share of positives, unrelated to the features
    return r.region === scrambled ? (random.next() < 0.2 ? 1 : 0) : signal > 0.84 ? 1 : 0;
  });
  return { rows, split: { X: encodeRecords(rows, FEATURES), y, n } };
}

function data(seed: number, scrambled: 'north' | 'south'): PreparedData {
  const train = split(2400, seed, scrambled);
  const validation = split(800, seed + 1, scrambled);
  const test = split(1500, seed + 2, null);
  return {
    task: 'binary',
    classes: ['0', '1'],
    specs: FEATURES,
    dropped: [],
    target: 'churn',
    train: train.split,
    validation: validation.split,
    test: { ...test.split, text: TextColumns.fromRecords(test.rows.map((r) => ({ a: String(r.a), b: String(r.b), region: r.region }))) },
    trainColumns: () => [
      ...(['a', 'b'] as const).map((name) => ({ name, kind: 'numeric' as const, values: Float64Array.from(train.rows, (r) => r[name]), missing: 0 })),
      { name: 'region', kind: 'categorical' as const, counts: train.rows.reduce((m, r) => m.set(r.region, (m.get(r.region) ?? 0) + 1), new Map<string, number>()), missing: 0 },
    ],
    report: { task: 'binary', rows: 4700, rows_read: 4700, rows_usable: 4700, sampled: false, rejected: [], rejectedCount: 0, columns: [] },
  };
}

async function storedVersion(model: string, version: string, scrambled: 'north' | 'south'): Promise<void> {
  const prepared = data(version === 'v1' ? 10 : 20, scrambled);
  const plan = planTraining('binary', { algorithm: 'gbdt', params: { num_iterations: 60 }, promotion: { metric: 'auc' } }, null, { epochs: 1, backend: 'auto' });
  const candidate = await trainCandidate(prepared, plan, { workers: 1, workerScript: 'unused' });
  const { files } = versionFiles(prepared, candidate, plan, { model, version, run_id: `run-${version}`, dataset: { version: 'ds', uri: 'data.csv' }, created_at: new Date().toISOString() });
  for (const file of files) await writeArtifact(ctx, model, version, file.name, file.data, file.contentType);
}

async function runOf(model: string, promotion: Record<string, unknown>): Promise<TrainingCompleted> {
  const now = new Date().toISOString();
  const doc: ModelDoc = { name: model, production_version: 'v1', previous_version: null, next_version: 3, aliases: {}, updated_at: now };
  await ctx.platform.docs.set(COLLECTIONS.models, model, { ...doc });
  const run: RunDoc = {
    id: `run-${model}-v2`, model, model_version: 'v2', dataset_version: 'ds', request_id: `req-${model}`, reason: 'upload',
    status: 'running', attempt: 1, max_attempts: 3, executions: [], created_at: now,
    promotion: parseDatasetConfig({ promotion }, 'csv').promotion,
  };
  await ctx.platform.docs.set(COLLECTIONS.runs, run.id, { ...run });
  return { run_id: run.id, attempt: 1, model, model_version: 'v2', status: 'succeeded', metrics: {}, finished_at: now };
}

describe('the slice guardrail through onTrainingCompleted', () => {
  beforeAll(async () => {
    for (const model of ['guarded', 'unguarded']) {
      await storedVersion(model, 'v1', 'north');
      await storedVersion(model, 'v2', 'south');
    }
  });

  it('keeps out a candidate better overall whose southern slice lost more than max_slice_drop, and says so with the numbers', async () => {
    const result = await completeTraining(ctx, await runOf('guarded', { delta: 0.01, max_slice_drop: 0.05, min_slice_rows: 100 }));
    if (result.outcome !== 'decided') throw new Error(JSON.stringify(result));
    const { decision } = result;
    expect(decision.candidate_metric! - decision.production_metric!).toBeGreaterThan(0.1);
    expect(decision.checks!.find((c) => c.name === 'delta')!.passed).toBe(true);
    expect(decision.promote).toBe(false);
    expect(await storeOf(ctx).models.productionVersion('guarded')).toBe('v1');
    // the categorical of two values was picked as a slice column without being named
    expect(decision.slices!.map((s) => `${s.column}=${s.value}`)).toEqual(['region=north', 'region=south']);
    const [north, south] = decision.slices!;
    expect(north.rows + south.rows).toBe(1500);
    expect(north.candidate.auc.value!).toBeGreaterThan(north.production!.auc.value! + 0.2);
    expect(decision.slice_failures).toEqual([expect.objectContaining({ column: 'region', value: 'south', rows: south.rows, metric: 'auc' })]);
    const failure = decision.slice_failures![0];
    expect(failure.drop).toBeGreaterThan(0.2);
    expect(failure.production).toBe(south.production!.auc.value);
    expect(failure.candidate).toBe(south.candidate.auc.value);
    expect(decision.reasons.join(' ')).toContain(`slice region=south (${south.rows} rows): auc ${failure.production.toFixed(4)} in production, ${failure.candidate.toFixed(4)} for the candidate, a drop of ${failure.drop.toFixed(4)} > the allowed 0.05`);
    // each slice's numbers come with their bootstrap interval
    for (const s of decision.slices!) {
      for (const side of [s.candidate, s.production!]) for (const m of ['auc', 'pr_auc', 'logloss']) expect(side[m].ci95![0]).toBeLessThanOrEqual(side[m].value!);
      expect(s.difference!.ci95![1]).toBeGreaterThanOrEqual(s.difference!.value!);
    }
    expect(south.difference!.ci95![1]).toBeLessThan(0);

    // the version's card, rewritten with the decision, says the same in card.md and in report.html
    const prefix = `models/guarded/v2/`;
    const card = (await ctx.platform.objects.get(config.artifactsBucket, prefix + 'card.md')).toString('utf8');
    for (const heading of ['Task', 'Data lineage', 'Intended use', 'Metrics', 'Metrics per slice', 'Calibration', 'Top features', 'Promotion decision', 'Known caveats']) {
      expect(card).toContain(`\n## ${heading}\n`);
    }
    expect(card).toContain('not promoted');
    expect(card).toContain(`| region=south | ${south.rows} | ${south.candidate.auc.value!.toFixed(4)} [${south.candidate.auc.ci95![0].toFixed(4)}, ${south.candidate.auc.ci95![1].toFixed(4)}]`);
    expect(card).toContain(`slice region=south lost ${failure.drop.toFixed(4)} of auc against production`);
    const report = (await ctx.platform.objects.get(config.artifactsBucket, prefix + 'report.html')).toString('utf8');
    expect(report.match(/<section id="model-card">/g)).toHaveLength(1);
    expect(report).toContain('<td>region=south</td>');
    expect(report).toContain('not promoted');
    expect(await modelCardOf(ctx, 'guarded', 'v2')).toEqual(expect.objectContaining({ title: 'Model card: guarded v2' }));
    // production's card, without a version named
    expect((await modelCardOf(ctx, 'guarded')).title).toBe('Model card: guarded v1');
  });

  it('promotes the same candidate when the guardrail is off (the default)', async () => {
    const result = await completeTraining(ctx, await runOf('unguarded', { delta: 0.01 }));
    if (result.outcome !== 'decided') throw new Error(JSON.stringify(result));
    expect(result.decision.promote).toBe(true);
    expect(result.decision.slices).toHaveLength(2);
    expect(result.decision.slice_failures).toBeUndefined();
    expect(await storeOf(ctx).models.productionVersion('unguarded')).toBe('v2');
  });
});
