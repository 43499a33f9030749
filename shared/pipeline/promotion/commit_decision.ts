import type { TrainingCompleted } from '../../core/events';
import { modelVersionId } from '../../core/ids';
import type { Context } from '../context';
import { supersededDecision, supersededNote } from '../decisions/supersede';
import { artifactsPrefix, COLLECTIONS, type DecisionDoc, type ModelDoc, type ModelVersionDoc, type RunDoc } from '../store/documents';
import { runUsage } from '../training/run_usage';
import { historyEntry, writePromotion } from '../usecases/registry_transitions';
import type { Candidate } from './evaluate_candidate';

export type Commit = { kind: 'committed' } | { kind: 'moved_on' } | { kind: 'superseded'; superseded: DecisionDoc };

/**
 * One transaction: the run, the version, the decision and the production pointer, if production is
 * still the version the decision was made against; if not, only the decision, as superseded.
 */
export async function commitDecision(ctx: Context, run: RunDoc, event: TrainingCompleted, candidate: Candidate, decision: DecisionDoc, judgedAgain: boolean): Promise<Commit> {
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
    if (promoteNow) writePromotion(tx, model, version, previous, actor, now);
    // A candidate waiting for approval scores a copy of live traffic meanwhile.
    else if (decision.promote) tx.update(COLLECTIONS.models, run.model, { aliases: { ...(model.aliases ?? {}), challenger: run.model_version } });
    return { kind: 'committed' };
  });
}
