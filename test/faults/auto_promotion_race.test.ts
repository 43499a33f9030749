/**
 * @jest-environment ./test/support/native_arrays_environment.js
 */
import fs from 'node:fs';
import { configFor } from '../../shared/core/config';
import type { TrainingCompleted } from '../../shared/core/events';
import { datasetId, modelVersionId } from '../../shared/core/ids';
import { createLogger } from '../../shared/core/log';
import type { Context } from '../../shared/pipeline/context';
import { COLLECTIONS, type DecisionDoc, type ModelDoc, type ModelVersionDoc, type RunDoc } from '../../shared/pipeline/store/documents';
import { completeTraining, type CompletionResult } from '../../shared/pipeline/usecases/on_training_completed';
import { listRuns } from '../../shared/pipeline/read_models/listings';
import { promoteVersion } from '../../shared/pipeline/usecases/registry_transitions';
import { getRunDetail } from '../../shared/pipeline/read_models/run_detail';
import { createPlatform } from '../../shared/platform';
import type { DocumentStore } from '../../shared/platform/ports';
import { uploadArtifacts } from '../../shared/pipeline/usecases/install_version';
import { trainSmallModel } from '../support/trained_model';
import { tempHome } from '../e2e/helpers';

jest.setTimeout(240_000);

/**
 * Two automatic promotions of one model racing, over the same SQLite documents and artifact folder.
 * The race is made to happen, not hoped for: the first completion's documents are wrapped so that its
 * commit waits until the second completion has been handled whole. Both compared against the same
 * production; the second commits first, and the first must record that it lost, then judge again.
 */
const home = tempHome('mloop-auto-race-');
const config = configFor(home);
const ctx: Context = { config, log: createLogger('silent'), platform: createPlatform(config, createLogger('silent')) };
const { docs } = ctx.platform;
let weak: string;
let strong: string;

beforeAll(async () => {
  [weak, strong] = await Promise.all([trainSmallModel(home, 'weak', { num_iterations: 2, num_leaves: 2 }), trainSmallModel(home, 'strong', { num_iterations: 60 })]);
});

afterAll(async () => {
  await ctx.platform.close();
  fs.rmSync(home, { recursive: true, force: true });
});

/** A running training run of `dir` as `model@version`, as the train job leaves it; returns its completion. */
async function trainedRun(model: string, version: string, dir: string): Promise<TrainingCompleted> {
  await uploadArtifacts(ctx, model, version, dir);
  const datasetVersion = `ds-${version}`;
  const now = new Date().toISOString();
  await docs.set(COLLECTIONS.datasets, datasetId(model, datasetVersion), { model, version: datasetVersion, status: 'accepted', config: {}, created_at: now });
  if (!(await docs.get<ModelDoc>(COLLECTIONS.models, model))) {
    await docs.set(COLLECTIONS.models, model, { name: model, production_version: null, previous_version: null, next_version: 1, aliases: {}, updated_at: now });
  }
  const run: RunDoc = {
    id: `run-${model}-${version}`, model, model_version: version, dataset_version: datasetVersion, request_id: `req-${model}-${version}`,
    reason: 'upload', status: 'running', attempt: 1, max_attempts: 3, executions: [], created_at: now,
  };
  await docs.set(COLLECTIONS.runs, run.id, { ...run });
  return { run_id: run.id, attempt: 1, model, model_version: version, status: 'succeeded', metrics: {}, finished_at: now };
}

/** `ctx`, except that before each of its transactions `meanwhile` runs to its end: another process, committing first. */
function committingAfter(meanwhile: (round: number) => Promise<unknown>): Context {
  let round = 0;
  const interleaved = new Proxy(docs, {
    get(target, prop) {
      if (prop === 'runTransaction') {
        return async (fn: Parameters<DocumentStore['runTransaction']>[0]) => {
          await meanwhile(++round);
          return target.runTransaction(fn);
        };
      }
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { ...ctx, platform: { ...ctx.platform, docs: interleaved } };
}

function decided(result: CompletionResult): DecisionDoc {
  if (result.outcome !== 'decided') throw new Error(`expected a decision: ${JSON.stringify(result)}`);
  return result.decision;
}

const decisionsOf = async (model: string) => (await docs.query<DecisionDoc>(COLLECTIONS.decisions, { where: [['model', '==', model]] })).map((d) => d.data);
const run = async (id: string) => (await docs.get<RunDoc>(COLLECTIONS.runs, id))!;
const version = async (model: string, v: string) => (await docs.get<ModelVersionDoc>(COLLECTIONS.versions, modelVersionId(model, v)))!;

/** Every document of the model's loop, to show that a redelivery changes none of them. */
async function snapshot(model: string): Promise<unknown> {
  const all = await Promise.all([COLLECTIONS.runs, COLLECTIONS.versions, COLLECTIONS.decisions, COLLECTIONS.models].map((c) => docs.query(c)));
  return all.map((rows) => rows.filter(({ data }) => (data as { model?: string; name?: string }).model === model || (data as { name?: string }).name === model).sort((a, b) => a.id.localeCompare(b.id)));
}

describe('two automatic promotions racing', () => {
  it('one wins; the other records a superseded decision naming the winner, is judged again against it, and redelivery changes nothing', async () => {
    const model = 'fraud';
    decided(await completeTraining(ctx, await trainedRun(model, 'v1', weak)));
    expect((await docs.get<ModelDoc>(COLLECTIONS.models, model))!.production_version).toBe('v1');
    const [v2, v3] = [await trainedRun(model, 'v2', strong), await trainedRun(model, 'v3', strong)];

    const v3Results: CompletionResult[] = [];
    const v2Final = decided(await completeTraining(committingAfter(async (round) => {
      if (round === 1) v3Results.push(await completeTraining(ctx, v3));
    }), v2));

    // v3 won the race, compared with v1 as both were.
    const v3Decision = decided(v3Results[0]);
    expect(v3Decision).toMatchObject({ candidate_version: 'v3', production_version: 'v1', promote: true, outcome: 'decided' });
    expect(v3Decision.superseded_by).toBeUndefined();

    // v2 lost: its comparison with v1 is kept, superseded by v3, and it was judged again against v3.
    const v2Run = await run(v2.run_id);
    expect(v2Run.superseded_decisions).toHaveLength(1);
    const superseded = (await docs.get<DecisionDoc>(COLLECTIONS.decisions, v2Run.superseded_decisions![0]))!;
    expect(superseded).toMatchObject({ candidate_version: 'v2', production_version: 'v1', superseded_by: 'v3', outcome: 'superseded', promote: false, run_id: v2.run_id });
    expect(superseded.reasons[0]).toBe('production moved from v1 to v3 while v2 was evaluated against v1; re-evaluated against v3');
    expect(superseded.reasons.slice(1).every((r) => r.startsWith('against v1: '))).toBe(true);
    // Against v1 the strong candidate won: the record says so even though it never took effect.
    expect(superseded.checks!.find((c) => c.name === 'delta')!.passed).toBe(true);
    expect(superseded.id).not.toBe(v2Final.id);

    // The same model as production, judged again: no gain, so not promoted; v2 is rejected, v3 stays.
    expect(v2Final).toMatchObject({ candidate_version: 'v2', production_version: 'v3', promote: false, outcome: 'decided' });
    expect(v2Run).toMatchObject({ status: 'succeeded', decision_id: v2Final.id, promoted: false });
    expect(await run(v3.run_id)).toMatchObject({ status: 'succeeded', decision_id: v3Decision.id, promoted: true });
    expect((await docs.get<ModelDoc>(COLLECTIONS.models, model))!.production_version).toBe('v3');
    const stages = await Promise.all(['v1', 'v2', 'v3'].map(async (v) => (await version(model, v)).stage));
    expect(stages).toEqual(['archived', 'rejected', 'production']);
    expect((await version(model, 'v2')).history![0].reason).toContain(`superseded by v3 while evaluated against v1 (decision ${superseded.id})`);

    // What `mloop runs --json` and the run page show.
    expect((await listRuns(ctx, model)).find((r) => r.id === v2.run_id)!.superseded_decisions).toEqual([superseded.id]);
    const detail = await getRunDetail(ctx, v2.run_id);
    expect(detail.decision!.id).toBe(v2Final.id);
    expect(detail.superseded.map((d) => [d.id, d.superseded_by])).toEqual([[superseded.id, 'v3']]);

    // Each decision of the model is accounted for: v1's, v3's, v2's superseded one and v2's final one.
    expect((await decisionsOf(model)).map((d) => d.id).sort()).toEqual([(await run(`run-${model}-v1`)).decision_id, v3Decision.id, superseded.id, v2Final.id].sort());

    const before = await snapshot(model);
    const again = await Promise.all([completeTraining(ctx, v2), completeTraining(ctx, v3)]);
    expect(again.map((r) => r.outcome)).toEqual(['ignored', 'ignored']);
    expect(await snapshot(model)).toEqual(before);
  });

  it('production moving on every round: each stale decision is recorded, then the completion is left for redelivery, which decides', async () => {
    const model = 'churn';
    decided(await completeTraining(ctx, await trainedRun(model, 'v1', weak)));
    decided(await completeTraining(ctx, await trainedRun(model, 'v2', weak)));
    const v3 = await trainedRun(model, 'v3', strong);
    // Someone flips production between v1 and v2 by hand before each of v3's commits.
    const flipping = committingAfter(async () => {
      const current = (await docs.get<ModelDoc>(COLLECTIONS.models, model))!.production_version;
      await promoteVersion(ctx, model, current === 'v1' ? 'v2' : 'v1', { by: 'alice', reason: 'flip' });
    });
    expect((await docs.get<ModelDoc>(COLLECTIONS.models, model))!.production_version).toBe('v1');
    await expect(completeTraining(flipping, v3)).rejects.toMatchObject({ code: 'unavailable' });

    const stale = await run(v3.run_id);
    expect(stale.status).toBe('running');
    const recorded = await Promise.all(stale.superseded_decisions!.map(async (id) => (await docs.get<DecisionDoc>(COLLECTIONS.decisions, id))!));
    // Against v1, then v2, then v1 again: the same comparison keeps one document, so two.
    expect(recorded.map((d) => [d.production_version, d.superseded_by, d.outcome])).toEqual([['v1', 'v2', 'superseded'], ['v2', 'v1', 'superseded']]);
    expect(recorded[0].reasons[0]).toBe('production moved from v1 to v2 while v3 was evaluated against v1; left for the completion to be delivered again');
    expect(recorded[1].reasons[0]).toBe('production moved from v2 to v1 while v3 was evaluated against v2; re-evaluated against v1');
    expect(await docs.get<ModelVersionDoc>(COLLECTIONS.versions, modelVersionId(model, 'v3'))).toBeNull();

    // The redelivery, with production left alone, decides and keeps the record of the lost races.
    const final = decided(await completeTraining(ctx, v3));
    expect(final).toMatchObject({ production_version: 'v2', promote: true });
    expect((await docs.get<ModelDoc>(COLLECTIONS.models, model))!.production_version).toBe('v3');
    expect((await run(v3.run_id)).superseded_decisions).toEqual(stale.superseded_decisions);
  });
});
