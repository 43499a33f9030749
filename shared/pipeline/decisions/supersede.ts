import { shortHash } from '../../core/ids';
import type { DecisionDoc } from '../store/documents';

/**
 * An automatic decision compares a candidate with the production version it read. When another
 * promotion commits first, that comparison is stale: it is kept as a superseded decision (so the run
 * shows it lost the race, and to whom) and the candidate is judged again against the new production.
 */

/** How many times one completion is judged again before it gives up and waits for redelivery. */
export const MAX_DECISION_ROUNDS = 3;

/** The id of the run's final decision: the same on every delivery of the completion. */
export const decisionId = (runId: string, attempt: number) => `dec-${shortHash(`${runId}:${attempt}`, 12)}`;

/**
 * The id of a decision superseded while compared with `against`: deterministic, so a redelivered
 * completion that loses against the same production rewrites the same document instead of adding one.
 */
export const supersededDecisionId = (runId: string, attempt: number, against: string | null) =>
  `dec-${shortHash(`${runId}:${attempt}:superseded-against:${against ?? 'none'}`, 12)}`;

/** What `stale` becomes once production moved to `winner` before it could be committed. */
export function supersededDecision(stale: DecisionDoc, winner: string | null, attempt: number, judgedAgain: boolean): DecisionDoc {
  const against = stale.production_version ?? 'none';
  const next = judgedAgain ? `re-evaluated against ${winner ?? 'none'}` : 'left for the completion to be delivered again';
  return {
    ...stale,
    id: supersededDecisionId(stale.run_id, attempt, stale.production_version),
    outcome: 'superseded',
    superseded_by: winner,
    promote: false,
    awaiting_approval: false,
    reasons: [
      `production moved from ${against} to ${winner ?? 'none'} while ${stale.candidate_version} was evaluated against ${against}; ${next}`,
      ...stale.reasons.map((reason) => `against ${against}: ${reason}`),
    ],
  };
}

/** The note a version judged more than once carries in its history: which races it lost. */
export function supersededNote(superseded: DecisionDoc[]): string {
  return superseded
    .map((d) => `superseded by ${d.superseded_by ?? 'none'} while evaluated against ${d.production_version ?? 'none'} (decision ${d.id})`)
    .join('; ');
}
