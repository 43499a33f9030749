import type { TrainingCompleted } from '../../core/events';
import type { Context } from '../context';
import { supersededDecision, supersededNote } from '../decisions/supersede';
import { storeOf } from '../store';
import { artifactsPrefix, type DecisionDoc, type ModelVersionDoc, type RunDoc } from '../store/documents';
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
  return storeOf(ctx).inTransaction<Commit>(async (tx) => {
    const current = await tx.runs.get(run.id);
    const model = await tx.models.get(run.model);
    const against = decision.production_version;
    const previous = against ? await tx.versions.get(run.model, against) : null;
    if (!current || current.status !== 'running' || current.attempt !== event.attempt || !model) return { kind: 'moved_on' };
    const supersededIds = current.superseded_decisions ?? [];
    if ((model.production_version ?? null) !== against) {
      const superseded = supersededDecision(decision, model.production_version ?? null, run.attempt, judgedAgain);
      tx.decisions.put(superseded);
      if (!supersededIds.includes(superseded.id)) tx.runs.update(run.id, { superseded_decisions: [...supersededIds, superseded.id] });
      return { kind: 'superseded', superseded };
    }
    const supersededDocs = await Promise.all(supersededIds.map((id) => tx.decisions.get(id)));
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
      ...(run.label ? { label: run.label } : {}),
      ...(run.source ? { source: run.source, imported: run.imported } : {}),
      history: [historyEntry(null, stage, lostRaces ? { ...actor, reason: `${lostRaces}; then ${actor.reason}` } : actor, now)],
    };
    tx.versions.put(version);
    tx.decisions.put(decision);
    tx.runs.update(run.id, {
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
    else if (decision.promote) tx.models.update(run.model, { aliases: { ...(model.aliases ?? {}), challenger: run.model_version } });
    return { kind: 'committed' };
  });
}
