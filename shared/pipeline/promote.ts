import { MloopError } from '../core/errors';
import { TOPICS, type ModelAwaitingApproval, type TrainingCompleted } from '../core/events';
import { datasetId, modelVersionId, shortHash } from '../core/ids';
import { pairedBootstrapAuc } from '../ml/paired_bootstrap';
import { taskMetric } from '../ml/task_metric';
import { readHoldout, readManifest } from './artifacts';
import type { Context } from './context';
import {
  artifactsPrefix,
  COLLECTIONS,
  type DatasetDoc,
  type DecisionDoc,
  type ModelDoc,
  type ModelVersionDoc,
  type RunDoc,
} from './documents';
import { holdoutMetric, type HoldoutMetric } from './holdout_metric';
import { dispatchQueuedRuns } from './launch';
import { announcePromotion, historyEntry, writePromotion } from './registry';
import { shouldPromote } from './should_promote';
import { measureServingCost } from './serving_cost';
import { runUsage } from './usage';

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

async function decide(ctx: Context, run: RunDoc, event: TrainingCompleted): Promise<CompletionResult> {
  const { docs, clock } = ctx.platform;
  const holdout = await readHoldout(ctx, run.model, run.model_version);
  const candidate = await readManifest(ctx, run.model, run.model_version);
  const policy = await promotionPolicy(ctx, run);
  const metric = taskMetric(candidate.task, policy.metric);
  const target = { task: candidate.task, classes: candidate.classes, metric };
  const candidateMetric = await holdoutMetric(ctx, run.model, run.model_version, holdout, target);
  if (candidateMetric.error) {
    throw new MloopError('failed_precondition', `candidate ${run.model_version} cannot score its own holdout: ${candidateMetric.error}`);
  }
  const modelDoc = await docs.get<ModelDoc>(COLLECTIONS.models, run.model);
  const productionVersion = modelDoc?.production_version ?? null;
  const productionMetric = productionVersion ? await holdoutMetric(ctx, run.model, productionVersion, holdout, target) : { value: null };
  const { delta } = policy;
  const serving = await measureServingCost(ctx, run.model, run.model_version, holdout);
  const verdict = shouldPromote({
    candidate: candidateMetric.value,
    production: productionMetric.value,
    delta,
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
  const promoteNow = verdict.promote && !manual;
  if (verdict.promote && manual) verdict.reasons.push('promotion mode is manual: the candidate waits for `mloop models approve`');

  const now = clock.now();
  const decision: DecisionDoc = {
    id: `dec-${shortHash(`${run.id}:${run.attempt}`, 12)}`,
    model: run.model,
    candidate_version: run.model_version,
    production_version: productionVersion,
    promote: verdict.promote,
    metric: metric.name,
    candidate_metric: candidateMetric.value,
    production_metric: productionMetric.value,
    delta,
    reasons: verdict.reasons,
    checks: verdict.checks,
    mode: policy.mode,
    awaiting_approval: verdict.promote && manual,
    serving,
    bootstrap: candidate.task === 'binary' ? bootstrapOf(holdout, candidateMetric, productionMetric) : null,
    holdout_rows: holdout.length,
    run_id: run.id,
    decided_at: now.toISOString(),
  };

  const committed = await docs.runTransaction(async (tx) => {
    const current = await tx.get<RunDoc>(COLLECTIONS.runs, run.id);
    const model = await tx.get<ModelDoc>(COLLECTIONS.models, run.model);
    const previous = productionVersion ? await tx.get<ModelVersionDoc>(COLLECTIONS.versions, modelVersionId(run.model, productionVersion)) : null;
    if (!current || current.status !== 'running' || current.attempt !== event.attempt || !model) return false;
    if ((model.production_version ?? null) !== productionVersion) {
      // Production changed while we scored: the comparison is stale, so redo it on redelivery.
      throw new MloopError('unavailable', `production of ${run.model} changed during evaluation`);
    }
    const actor = { by: 'mloop', reason: verdict.reasons.join('; ') };
    const version: ModelVersionDoc = {
      model: run.model,
      version: run.model_version,
      stage: verdict.promote ? 'candidate' : 'rejected',
      run_id: run.id,
      dataset_version: run.dataset_version,
      artifacts_prefix: artifactsPrefix(run.model, run.model_version),
      metrics: { ...(event.metrics ?? {}), [`holdout_${metric.name}`]: candidateMetric.value },
      decision_id: decision.id,
      created_at: now.toISOString(),
      history: [historyEntry(null, verdict.promote ? 'candidate' : 'rejected', actor, now)],
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
    if (promoteNow) writePromotion(tx, model, version, previous, actor, now);
    // A candidate waiting for approval scores a copy of live traffic meanwhile.
    else if (verdict.promote) tx.update(COLLECTIONS.models, run.model, { aliases: { ...(model.aliases ?? {}), challenger: run.model_version } });
    return true;
  });
  if (!committed) return { outcome: 'ignored', reason: `run ${run.id} moved on during evaluation` };
  ctx.log.info(
    { run_id: run.id, model: run.model, candidate: run.model_version, production: productionVersion, promote: promoteNow, reasons: verdict.reasons },
    promoteNow ? `${run.model} ${run.model_version} promoted` : verdict.promote ? `${run.model} ${run.model_version} awaits approval` : `${run.model} ${run.model_version} not promoted`,
  );
  if (promoteNow) await announcePromotion(ctx, run.model, run.model_version, productionVersion, decision.id);
  else if (verdict.promote) await announceAwaiting(ctx, decision);
  return { outcome: 'decided', runId: run.id, decision };
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
