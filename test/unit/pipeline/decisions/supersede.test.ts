import type { DecisionDoc } from '../../../../shared/pipeline/store/documents';
import { decisionId, supersededDecision, supersededDecisionId, supersededNote } from '../../../../shared/pipeline/decisions/supersede';

const stale: DecisionDoc = {
  id: decisionId('run-a', 1),
  model: 'fraud',
  candidate_version: 'v4',
  production_version: 'v1',
  promote: true,
  metric: 'auc',
  candidate_metric: 0.9,
  production_metric: 0.8,
  delta: 0.005,
  reasons: ['candidate auc 0.9000 > production 0.8000 + delta 0.005 (gain 0.1000)'],
  checks: [{ name: 'delta', passed: true, detail: 'candidate auc 0.9000 > production 0.8000 + delta 0.005 (gain 0.1000)' }],
  mode: 'auto',
  awaiting_approval: false,
  holdout_rows: 100,
  run_id: 'run-a',
  decided_at: '2024-06-01T00:00:00.000Z',
  outcome: 'decided',
};

describe('a superseded decision', () => {
  it('keeps what was measured, never promotes, and says who won and what happens next', () => {
    const superseded = supersededDecision(stale, 'v3', 1, true);
    expect(superseded).toMatchObject({ outcome: 'superseded', superseded_by: 'v3', promote: false, production_version: 'v1', candidate_metric: 0.9, checks: stale.checks });
    expect(superseded.reasons).toEqual([
      'production moved from v1 to v3 while v4 was evaluated against v1; re-evaluated against v3',
      'against v1: candidate auc 0.9000 > production 0.8000 + delta 0.005 (gain 0.1000)',
    ]);
    expect(supersededDecision(stale, 'v3', 1, false).reasons[0]).toMatch(/; left for the completion to be delivered again$/);
    expect(supersededDecision({ ...stale, production_version: null }, 'v3', 1, true).reasons[0]).toBe('production moved from none to v3 while v4 was evaluated against none; re-evaluated against v3');
  });

  it('has an id of its own, the same on every delivery, one per attempt and production it was compared with', () => {
    const id = supersededDecision(stale, 'v3', 1, true).id;
    expect(id).toBe(supersededDecisionId('run-a', 1, 'v1'));
    expect(id).toMatch(/^dec-[0-9a-f]{12}$/);
    expect(id).toBe(supersededDecision(stale, 'v5', 1, false).id);
    const others = [stale.id, supersededDecisionId('run-a', 2, 'v1'), supersededDecisionId('run-a', 1, 'v2'), supersededDecisionId('run-a', 1, null), supersededDecisionId('run-b', 1, 'v1')];
    expect(new Set([id, ...others]).size).toBe(others.length + 1);
  });

  it('is summed up for the version history', () => {
    const first = supersededDecision(stale, 'v3', 1, true);
    const second = supersededDecision({ ...stale, production_version: 'v3' }, 'v5', 1, true);
    expect(supersededNote([first, second])).toBe(
      `superseded by v3 while evaluated against v1 (decision ${first.id}); superseded by v5 while evaluated against v3 (decision ${second.id})`,
    );
    expect(supersededNote([])).toBe('');
  });
});
