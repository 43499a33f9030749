import { applyExplicitChoice } from '../../../../shared/pipeline/decisions/explicit_import';
import type { DecisionDoc } from '../../../../shared/pipeline/store/documents';

const base: DecisionDoc = {
  id: 'd1',
  model: 'fraud',
  candidate_version: 'v2',
  production_version: 'v1',
  promote: false,
  metric: 'auc',
  candidate_metric: 0.9,
  production_metric: 0.91,
  delta: 0.002,
  reasons: ['auc 0.9000 is not above production 0.9100 + 0.002'],
  holdout_rows: 100,
  run_id: 'import-1',
  decided_at: '2026-01-01T00:00:00.000Z',
};
const won: DecisionDoc = { ...base, promote: true, reasons: ['auc 0.9300 beats production 0.9100 + 0.002'] };

describe('an import\'s explicit choice over the verdict', () => {
  it('changes nothing without a choice', () => {
    expect(applyExplicitChoice(base, null)).toBe(base);
  });

  it('--promote promotes a loser, keeping what the comparison said and who overrode it', () => {
    const decided = applyExplicitChoice(base, { action: 'promote', by: 'alice', reason: 'hotfix' });
    expect(decided).toMatchObject({ promote: true, awaiting_approval: false, explicit: { action: 'promote', by: 'alice', reason: 'hotfix' } });
    expect(decided.reasons).toEqual(['promoted explicitly on import (--promote) by alice: hotfix', `the comparison alone would keep production: ${base.reasons[0]}`]);
  });

  it('--candidate makes a winner wait for approval, and leaves a loser rejected', () => {
    const waiting = applyExplicitChoice(won, { action: 'candidate', by: 'bob', reason: 'review first' });
    expect(waiting).toMatchObject({ promote: true, awaiting_approval: true, mode: 'manual', explicit: { action: 'candidate' } });
    expect(waiting.reasons[1]).toBe(`the comparison alone would promote: ${won.reasons[0]}`);
    const lost = applyExplicitChoice(base, { action: 'candidate', by: 'bob', reason: 'review first' });
    expect(lost).toMatchObject({ promote: false, reasons: base.reasons, explicit: { action: 'candidate' } });
  });
});
