import type { DecisionDoc } from '../store/documents';

/**
 * What a person said when importing a version, over the champion/challenger verdict: `promote` serves
 * it whatever the comparison found, `candidate` makes a winner wait for approval. The comparison's
 * verdict stays in the reasons, so the trail shows what the numbers said and who overrode them.
 */
export interface ExplicitChoice {
  action: 'promote' | 'candidate';
  by: string;
  reason: string;
}

export function applyExplicitChoice(decision: DecisionDoc, choice: ExplicitChoice | null): DecisionDoc {
  if (!choice) return decision;
  const verdict = decision.awaiting_approval ? 'would await approval' : decision.promote ? 'would promote' : 'would keep production';
  const compared = `the comparison alone ${verdict}: ${decision.reasons.join('; ')}`;
  if (choice.action === 'promote') {
    return {
      ...decision,
      promote: true,
      awaiting_approval: false,
      reasons: [`promoted explicitly on import (--promote) by ${choice.by}: ${choice.reason}`, compared],
      explicit: choice,
    };
  }
  if (!decision.promote) return { ...decision, explicit: choice };
  return {
    ...decision,
    mode: 'manual',
    awaiting_approval: true,
    reasons: [`imported as a candidate (--candidate) by ${choice.by}: waits for approval`, compared],
    explicit: choice,
  };
}
