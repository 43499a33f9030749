import { MloopError } from '../../core/errors';
import { TOPICS, type ModelAwaitingApproval, type TrainingCompleted } from '../../core/events';
import type { Context } from '../context';
import { decide, type PromotionPolicy } from '../decisions/decide';
import { MAX_DECISION_ROUNDS } from '../decisions/supersede';
import { commitDecision } from '../promotion/commit_decision';
import { evaluateCandidate, type Candidate } from '../promotion/evaluate_candidate';
import { holdoutMetric } from '../promotion/holdout_metric';
import { storeOf } from '../store';
import type { DecisionDoc, RunDoc } from '../store/documents';
import { runUsage } from '../training/run_usage';
import { announceFreedSlot } from './on_run_slot_freed';
import { writeModelCard } from './write_model_card';
import { announcePromotion } from './registry_transitions';
import { datasetConfigOf, promotionOf } from '../store/stored_config';
import { applyExplicitChoice, type ExplicitChoice } from '../decisions/explicit_import';

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
export async function completeTraining(ctx: Context, event: TrainingCompleted, choice: ExplicitChoice | null = null): Promise<CompletionResult> {
  const run = await storeOf(ctx).runs.get(event.run_id);
  if (!run) return { outcome: 'ignored', reason: `run ${event.run_id} does not exist` };
  if (run.status === 'succeeded' || run.status === 'failed') {
    await republishPromotion(ctx, run);
    return { outcome: 'ignored', reason: `run ${run.id} is already ${run.status}` };
  }
  // A job stopped by a cancel may still report on its way out: the person's cancel stands.
  if (run.status === 'cancelled') return { outcome: 'ignored', reason: `run ${run.id} was cancelled` };
  if (run.attempt !== event.attempt) {
    return { outcome: 'ignored', reason: `attempt ${event.attempt} is stale: run ${run.id} is on attempt ${run.attempt}` };
  }
  const outcome = event.status === 'failed' ? await failRun(ctx, run, event) : await decideAndCommit(ctx, run, event, choice);
  // Also on a redelivery after a crash between the commit and this line: the launcher makes it harmless.
  await announceFreedSlot(ctx, `run ${run.id} ${outcome.outcome}`, run);
  return outcome;
}

async function failRun(ctx: Context, run: RunDoc, event: TrainingCompleted): Promise<CompletionResult> {
  const { clock } = ctx.platform;
  await storeOf(ctx).inTransaction(async (tx) => {
    const current = await tx.runs.get(run.id);
    if (!current || current.status !== 'running' || current.attempt !== event.attempt) return;
    tx.runs.update(run.id, {
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
async function decideAndCommit(ctx: Context, run: RunDoc, event: TrainingCompleted, choice: ExplicitChoice | null): Promise<CompletionResult> {
  const policy = await promotionPolicy(ctx, run);
  const candidate = await evaluateCandidate(ctx, run, policy);
  for (let round = 1; ; round++) {
    // an import's --promote or --candidate (decisions/explicit_import.ts); null for every trained run
    const decision = applyExplicitChoice(await judgeAgainstProduction(ctx, run, candidate, policy), choice);
    const judgedAgain = round < MAX_DECISION_ROUNDS;
    const result = await commitDecision(ctx, run, event, candidate, decision, judgedAgain);
    if (result.kind === 'moved_on') return { outcome: 'ignored', reason: `run ${run.id} moved on during evaluation` };
    if (result.kind === 'committed') {
      await refreshCard(ctx, run);
      await announceDecision(ctx, decision);
      return { outcome: 'decided', runId: run.id, decision };
    }
    ctx.log.info({ run_id: run.id, model: run.model, candidate: run.model_version, against: decision.production_version, winner: result.superseded.superseded_by, round }, 'decision superseded: production moved during evaluation');
    if (!judgedAgain) {
      throw new MloopError('unavailable', `production of ${run.model} changed during evaluation ${round} times in a row`);
    }
  }
}

/** The card with the decision in it; a card that cannot be written never holds up the promotion. */
async function refreshCard(ctx: Context, run: RunDoc): Promise<void> {
  try {
    await writeModelCard(ctx, run.model, run.model_version);
  } catch (err) {
    ctx.log.warn({ run_id: run.id, model: run.model, version: run.model_version, err: String(err) }, 'model card not written');
  }
}

/** Reads production as it is now and scores it on the candidate's rows: the only I/O a decision needs. */
async function judgeAgainstProduction(ctx: Context, run: RunDoc, candidate: Candidate, policy: PromotionPolicy): Promise<DecisionDoc> {
  const { holdout, target } = candidate;
  const version = await storeOf(ctx).models.productionVersion(run.model);
  const metric = version ? await holdoutMetric(ctx, run.model, version, holdout, target) : { value: null };
  return decide({
    run,
    task: candidate.task,
    metric: target.metric,
    policy,
    labels: holdout.map((row) => row.label),
    classes: target.classes,
    candidate: candidate.metric,
    serving: candidate.serving,
    production: { version, metric },
    sliceColumns: candidate.sliceColumns,
    missingSliceColumns: candidate.missingSliceColumns,
    at: ctx.platform.clock.now(),
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

/**
 * The promotion policy stored with the run (the dataset's mloop.json); what it leaves out is the
 * deployment's, from this function's environment, where Terraform sets it.
 */
async function promotionPolicy(ctx: Context, run: RunDoc): Promise<PromotionPolicy> {
  // the dataset's config names the slice columns, which the run's stored policy does not carry
  const dataset = await storeOf(ctx).datasets.get(run.model, run.dataset_version);
  const promotion = promotionOf(run, dataset);
  const defaults = ctx.config.promotion;
  return {
    delta: promotion.delta ?? ctx.config.promotionDelta,
    metric: promotion.metric,
    mode: promotion.mode ?? defaults.mode,
    floor: promotion.min ?? defaults.minMetric,
    maxP99Ms: promotion.max_p99_ms ?? defaults.maxP99Ms,
    maxModelMb: promotion.max_model_mb ?? defaults.maxModelMb,
    newClassMinRecall: promotion.new_class_min_recall,
    maxSliceDrop: promotion.max_slice_drop,
    minSliceRows: promotion.min_slice_rows,
    slices: dataset ? sliceNames(dataset) : undefined,
  };
}

/** A dataset recorded with a config this version cannot read decides on the auto-picked slices rather than not at all. */
function sliceNames(dataset: Parameters<typeof datasetConfigOf>[0]): string[] | undefined {
  try {
    return datasetConfigOf(dataset).slices;
  } catch {
    return undefined;
  }
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
  const store = storeOf(ctx);
  const model = await store.models.get(run.model);
  if (model?.production_version !== run.model_version) return;
  const decision = await store.decisions.get(run.decision_id);
  await announcePromotion(ctx, run.model, run.model_version, decision?.production_version ?? null, run.decision_id);
}
