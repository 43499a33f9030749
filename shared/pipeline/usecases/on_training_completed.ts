import { MloopError } from '../../core/errors';
import { TOPICS, type ModelAwaitingApproval, type TrainingCompleted } from '../../core/events';
import { datasetId, modelVersionId } from '../../core/ids';
import type { Manifest } from '../../ml/manifest';
import { pairedBootstrapAuc } from '../../ml/paired_bootstrap';
import { taskMetric } from '../../ml/task_metric';
import { readHoldout, readManifest, type HoldoutRow } from '../artifacts/model_files';
import type { Context } from '../context';
import {
  artifactsPrefix,
  COLLECTIONS,
  type DatasetDoc,
  type DecisionDoc,
  type ModelDoc,
  type ModelVersionDoc,
  type RunDoc,
} from '../store/documents';
import { holdoutMetric, type HoldoutMetric, type HoldoutTarget } from '../promotion/holdout_metric';
import { dispatchQueuedRuns } from './on_training_requested';
import { announcePromotion, historyEntry, writePromotion } from './registry_transitions';
import { shouldPromote } from '../decisions/should_promote';
import { decisionId, MAX_DECISION_ROUNDS, supersededDecision, supersededNote } from '../decisions/supersede';
import { measureServingCost, type ServingCost } from '../promotion/serving_cost';
import { runUsage } from '../training/run_usage';

export type CompletionResult =
  | { outcome: 'ignored'; reason: string }
  | { outcome: 'failed'; runId: string }
  | { outcome: 'decided'; runId: string; decision: DecisionDoc };

/**
 * onTrainingCompleted: champion/challenger on the candidate's held-out rows. Both models are scored
 * here, with onnxruntime, on the very same rows, so the comparison does not depend on numbers either
 * job reported. The run, the version, the decision and the production pointer change in one
 * transaction; `model-promoted` is published after it, and again on redelivery.
 */
export async function completeTraining(ctx: Context, event: TrainingCompleted): Promise<CompletionResult> {
  const { docs } = ctx.platform;
  const run = await docs.get<RunDoc>(COLLECTIONS.runs, event.run_id);
  if (!run) return { outcome: 'ignored', reason: `run ${event.run_id} does not exist` };
  if (run.status === 'succeeded' || run.status === 'failed') {
    await republishPromotion(ctx, run);
    return { outcome: 'ignored', reason: `run ${run.id} is already ${run.status}` };
  }
  if (run.attempt !== event.attempt) {
    return { outcome: 'ignored', reason: `attempt ${event.attempt} is stale: run ${run.id} is on attempt ${run.attempt}` };
  }
  const outcome = event.status === 'failed' ? await failRun(ctx, run, event) : await decide(ctx, run, event);
  await dispatchQueuedRuns(ctx);
  return outcome;
}

async function failRun(ctx: Context, run: RunDoc, event: TrainingCompleted): Promise<CompletionResult> {
  const { docs, clock } = ctx.platform;
  await docs.runTransaction(async (tx) => {
    const current = await tx.get<RunDoc>(COLLECTIONS.runs, run.id);
    if (!current || current.status !== 'running' || current.attempt !== event.attempt) return;
    tx.update(COLLECTIONS.runs, run.id, {
      status: 'failed',
      error: event.error ?? 'the training job reported a failure',
      finished_at: clock.now().toISOString(),
      ...runUsage(ctx.config, current, clock.now()),
    });
  });
  ctx.log.error({ run_id: run.id, error: event.error }, 'training failed');
  return { outcome: 'failed', runId: run.id };
}

/**
 * Judge the candidate against the production version it reads and commit the verdict. When another
 * promotion commits in between, the stale verdict is recorded as superseded and the candidate judged
 * again against the new production, a few times; after that the completion waits for redelivery.
 */
async function decide(ctx: Context, run: RunDoc, event: TrainingCompleted): Promise<CompletionResult> {
  const candidate = await evaluateCandidate(ctx, run);
  for (let round = 1; ; round++) {
    const decision = await judge(ctx, run, candidate);
    const judgedAgain = round < MAX_DECISION_ROUNDS;
    const result = await commitDecision(ctx, run, event, candidate, decision, judgedAgain);
    if (result.kind === 'moved_on') return { outcome: 'ignored', reason: `run ${run.id} moved on during evaluation` };
    if (result.kind === 'committed') {
      await announceDecision(ctx, decision);
      return { outcome: 'decided', runId: run.id, decision };
    }
    ctx.log.info({ run_id: run.id, model: run.model, candidate: run.model_version, against: decision.production_version, winner: result.superseded.superseded_by, round }, 'decision superseded: production moved during evaluation');
    if (!judgedAgain) {
      throw new MloopError('unavailable', `production of ${run.model} changed during evaluation ${round} times in a row`);
    }
  }
}

/** What does not depend on the production version: the candidate's metric on its holdout, and its serving cost. */
interface Candidate {
  holdout: HoldoutRow[];
  task: Manifest['task'];
  target: HoldoutTarget;
  policy: PromotionPolicy;
  metric: HoldoutMetric;
  serving: ServingCost;
}

async function evaluateCandidate(ctx: Context, run: RunDoc): Promise<Candidate> {
  const holdout = await readHoldout(ctx, run.model, run.model_version);
  const manifest = await readManifest(ctx, run.model, run.model_version);
  const policy = await promotionPolicy(ctx, run);
  const target = { task: manifest.task, classes: manifest.classes, metric: taskMetric(manifest.task, policy.metric) };
  const metric = await holdoutMetric(ctx, run.model, run.model_version, holdout, target);
  if (metric.error) {
    throw new MloopError('failed_precondition', `candidate ${run.model_version} cannot score its own holdout: ${metric.error}`);
  }
  const serving = await measureServingCost(ctx, run.model, run.model_version, holdout);
  return { holdout, task: manifest.task, target, policy, metric, serving };
}

/** The decision against the production version of this moment, not yet committed. */
async function judge(ctx: Context, run: RunDoc, candidate: Candidate): Promise<DecisionDoc> {
  const { holdout, target, policy, serving } = candidate;
  const { metric } = target;
  const productionVersion = (await ctx.platform.docs.get<ModelDoc>(COLLECTIONS.models, run.model))?.production_version ?? null;
  const productionMetric = productionVersion ? await holdoutMetric(ctx, run.model, productionVersion, holdout, target) : { value: null };
  const verdict = shouldPromote({
    candidate: candidate.metric.value,
    production: productionMetric.value,
    delta: policy.delta,
    metric: metric.name,
    higherIsBetter: metric.higherIsBetter,
    relativeDelta: metric.relativeDelta,
    floor: policy.floor,
    p99Ms: serving.p99_ms,
    maxP99Ms: policy.maxP99Ms,
    modelBytes: serving.model_bytes,
    maxModelBytes: policy.maxModelMb === undefined ? undefined : policy.maxModelMb * 1e6,
  });
  if (productionMetric.error) verdict.reasons.push(`production ${productionVersion} could not score the holdout: ${productionMetric.error}`);
  const manual = policy.mode === 'manual';
  if (verdict.promote && manual) verdict.reasons.push('promotion mode is manual: the candidate waits for `mloop models approve`');
  return {
    id: decisionId(run.id, run.attempt),
    model: run.model,
    candidate_version: run.model_version,
    production_version: productionVersion,
    promote: verdict.promote,
    metric: metric.name,
    candidate_metric: candidate.metric.value,
    production_metric: productionMetric.value,
    delta: policy.delta,
    reasons: verdict.reasons,
    checks: verdict.checks,
    mode: policy.mode,
    awaiting_approval: verdict.promote && manual,
    serving,
    bootstrap: candidate.task === 'binary' ? bootstrapOf(holdout, candidate.metric, productionMetric) : null,
    holdout_rows: holdout.length,
    run_id: run.id,
    decided_at: ctx.platform.clock.now().toISOString(),
    outcome: 'decided',
  };
}

type Commit = { kind: 'committed' } | { kind: 'moved_on' } | { kind: 'superseded'; superseded: DecisionDoc };

/**
 * One transaction: the run, the version, the decision and the production pointer, if production is
 * still the version the decision was made against; if not, only the decision, as superseded.
 */
async function commitDecision(ctx: Context, run: RunDoc, event: TrainingCompleted, candidate: Candidate, decision: DecisionDoc, judgedAgain: boolean): Promise<Commit> {
  const now = new Date(decision.decided_at);
  const promoteNow = decision.promote && !decision.awaiting_approval;
  return ctx.platform.docs.runTransaction<Commit>(async (tx) => {
    const current = await tx.get<RunDoc>(COLLECTIONS.runs, run.id);
    const model = await tx.get<ModelDoc>(COLLECTIONS.models, run.model);
    const against = decision.production_version;
    const previous = against ? await tx.get<ModelVersionDoc>(COLLECTIONS.versions, modelVersionId(run.model, against)) : null;
    if (!current || current.status !== 'running' || current.attempt !== event.attempt || !model) return { kind: 'moved_on' };
    const supersededIds = current.superseded_decisions ?? [];
    if ((model.production_version ?? null) !== against) {
      const superseded = supersededDecision(decision, model.production_version ?? null, run.attempt, judgedAgain);
      tx.set(COLLECTIONS.decisions, superseded.id, { ...superseded });
      if (!supersededIds.includes(superseded.id)) tx.update(COLLECTIONS.runs, run.id, { superseded_decisions: [...supersededIds, superseded.id] });
      return { kind: 'superseded', superseded };
    }
    const supersededDocs = await Promise.all(supersededIds.map((id) => tx.get<DecisionDoc>(COLLECTIONS.decisions, id)));
    const lostRaces = supersededNote(supersededDocs.filter((d): d is DecisionDoc => d !== null));
    const actor = { by: 'mloop', reason: decision.reasons.join('; ') };
    const stage = decision.promote ? 'candidate' : 'rejected';
    const version: ModelVersionDoc = {
      model: run.model,
      version: run.model_version,
      stage,
      run_id: run.id,
      dataset_version: run.dataset_version,
      artifacts_prefix: artifactsPrefix(run.model, run.model_version),
      metrics: { ...(event.metrics ?? {}), [`holdout_${decision.metric}`]: candidate.metric.value },
      decision_id: decision.id,
      created_at: now.toISOString(),
      history: [historyEntry(null, stage, lostRaces ? { ...actor, reason: `${lostRaces}; then ${actor.reason}` } : actor, now)],
    };
    tx.set(COLLECTIONS.versions, modelVersionId(run.model, run.model_version), { ...version });
    tx.set(COLLECTIONS.decisions, decision.id, { ...decision });
    tx.update(COLLECTIONS.runs, run.id, {
      status: 'succeeded',
      metrics: event.metrics ?? null,
      decision_id: decision.id,
      promoted: promoteNow,
      error: null,
      finished_at: now.toISOString(),
      ...runUsage(ctx.config, current, now),
    });
    if (promoteNow) writePromotion(tx, model, version, previous, actor, now, ctx.config.canaryPercent);
    // A candidate waiting for approval scores a copy of live traffic meanwhile.
    else if (decision.promote) tx.update(COLLECTIONS.models, run.model, { aliases: { ...(model.aliases ?? {}), challenger: run.model_version } });
    return { kind: 'committed' };
  });
}

async function announceDecision(ctx: Context, decision: DecisionDoc): Promise<void> {
  const { model, candidate_version: candidate, production_version: production, promote, awaiting_approval: awaiting } = decision;
  ctx.log.info(
    { run_id: decision.run_id, model, candidate, production, promote: promote && !awaiting, reasons: decision.reasons },
    awaiting ? `${model} ${candidate} awaits approval` : promote ? `${model} ${candidate} promoted` : `${model} ${candidate} not promoted`,
  );
  if (awaiting) await announceAwaiting(ctx, decision);
  else if (promote) await announcePromotion(ctx, model, candidate, production, decision.id);
}

interface PromotionPolicy {
  delta: number;
  metric?: string;
  mode: 'auto' | 'manual';
  floor?: number;
  maxP99Ms?: number;
  maxModelMb?: number;
}

/** The dataset's `mloop.json` may set its own promotion policy; what it leaves out is the deployment's. */
async function promotionPolicy(ctx: Context, run: RunDoc): Promise<PromotionPolicy> {
  const dataset = await ctx.platform.docs.get<DatasetDoc>(COLLECTIONS.datasets, datasetId(run.model, run.dataset_version));
  const promotion = ((dataset?.config as { promotion?: Record<string, unknown> } | undefined)?.promotion ?? {}) as {
    delta?: number;
    metric?: string;
    mode?: 'auto' | 'manual';
    min?: number;
    max_p99_ms?: number;
    max_model_mb?: number;
  };
  const defaults = ctx.config.promotion;
  return {
    delta: typeof promotion.delta === 'number' ? promotion.delta : ctx.config.promotionDelta,
    metric: promotion.metric,
    mode: promotion.mode ?? defaults.mode,
    floor: promotion.min ?? defaults.minMetric,
    maxP99Ms: promotion.max_p99_ms ?? defaults.maxP99Ms,
    maxModelMb: promotion.max_model_mb ?? defaults.maxModelMb,
  };
}

// Fixed, so that a redelivered completion records the very same interval.
const BOOTSTRAP = { resamples: 1000, seed: 20_240_601 };

/** How sure the AUC difference is, on the same rows for both models; none without a production model. */
function bootstrapOf(holdout: Array<{ label: unknown }>, candidate: HoldoutMetric, production: HoldoutMetric): DecisionDoc['bootstrap'] {
  if (!candidate.predicted || !production.predicted) return null;
  const y = Float32Array.from(holdout, (row) => Number(row.label));
  return pairedBootstrapAuc(y, candidate.predicted, production.predicted, BOOTSTRAP.resamples, BOOTSTRAP.seed);
}

async function announceAwaiting(ctx: Context, decision: DecisionDoc): Promise<void> {
  const message: ModelAwaitingApproval = {
    model: decision.model,
    version: decision.candidate_version,
    production_version: decision.production_version,
    decision_id: decision.id,
    decided_at: decision.decided_at,
  };
  await ctx.platform.bus.publish(TOPICS.modelAwaitingApproval, message, { attributes: { model: decision.model }, orderingKey: decision.model });
}

/** A redelivered completion of a promoted run publishes the promotion again, in case it was lost. */
async function republishPromotion(ctx: Context, run: RunDoc): Promise<void> {
  if (run.status !== 'succeeded' || !run.promoted || !run.decision_id) return;
  const model = await ctx.platform.docs.get<ModelDoc>(COLLECTIONS.models, run.model);
  if (model?.production_version !== run.model_version) return;
  const decision = await ctx.platform.docs.get<DecisionDoc>(COLLECTIONS.decisions, run.decision_id);
  await announcePromotion(ctx, run.model, run.model_version, decision?.production_version ?? null, run.decision_id);
}
