import { selectionText } from '../../../cli/selection_text';
import type { Selection } from '../../../shared/ml/selection';

describe('selectionText', () => {
  it("prints each candidate's status, validation score, seconds and parameters or reason, the winner starred", () => {
    const selection: Selection = {
      by: 'auto',
      metric: 'rmse',
      higher_is_better: false,
      budget_seconds: 61,
      winner: 'gbdt',
      candidates: [
        { family: 'gbdt', status: 'trained', value: 3.25, seconds: 0.52, best_iteration: 88, params: { num_leaves: 31 } },
        { family: 'linear', status: 'skipped', value: null, seconds: 0, best_iteration: null, params: null, reason: 'no family "linear" in this build\'s registry' },
        { family: 'mlp', status: 'stopped', value: null, seconds: 60.4, best_iteration: null, params: null, reason: 'stopped at epoch 3/30: the 61 s budget ran out' },
      ],
    };
    const lines = selectionText(selection).split('\n');
    expect(lines[0]).toBe('  auto chose gbdt by validation rmse (lower is better), budget 61 s:');
    expect(lines[1]).toMatch(/^ {4}candidate\s+status\s+val rmse\s+seconds\s+best iter\s+params \/ reason$/);
    expect(lines[3]).toMatch(/^ {4}gbdt \*\s+trained\s+3\.2500\s+0\.5\s+88\s+\{"num_leaves":31\}$/);
    expect(lines[4]).toMatch(/^ {4}linear\s+skipped\s+-\s+0\.0\s+-\s+no family "linear" in this build's registry$/);
    expect(lines[5]).toMatch(/^ {4}mlp\s+stopped\s+-\s+60\.4\s+-\s+stopped at epoch 3\/30: the 61 s budget ran out$/);
  });

  it('says how the scores were measured and prints each fold when auto cross-validated', () => {
    const selection: Selection = {
      by: 'auto',
      metric: 'auc',
      higher_is_better: true,
      budget_seconds: 66,
      measured: 'mean of 2-fold cross-validation on the 1000 training rows and the validation split (200 rows)',
      winner: 'linear',
      candidates: [
        { family: 'gbdt', status: 'trained', value: 0.8, validation: 0.82, folds: [0.79, 0.79], seconds: 1.5, best_iteration: 40, params: {} },
        { family: 'linear', status: 'trained', value: 0.81, validation: 0.8, folds: [0.82, 0.81], seconds: 0.3, best_iteration: 50, params: {} },
      ],
    };
    const lines = selectionText(selection).split('\n');
    expect(lines[0]).toBe(`  auto chose linear by auc on the ${selection.measured} (higher is better), budget 66 s:`);
    expect(lines[1]).toMatch(/^ {4}candidate\s+status\s+auc\s+folds\s+seconds/);
    expect(lines[4]).toMatch(/^ {4}linear \*\s+trained\s+0\.8100\s+0\.8200 0\.8100\s+0\.3\s+50\s/);
  });

  it('prints the blend: its members, its score against the best candidate alone, and whether it was served', () => {
    const selection: Selection = {
      by: 'auto',
      metric: 'auc',
      higher_is_better: true,
      budget_seconds: 66,
      winner: 'blend',
      candidates: [
        { family: 'gbdt', status: 'trained', value: 0.8, seconds: 1.5, best_iteration: 40, params: {}, pooled: 0.79 },
        { family: 'linear', status: 'trained', value: 0.81, seconds: 0.3, best_iteration: 50, params: {}, pooled: 0.8 },
      ],
      blend: { kept: true, members: [{ family: 'linear', weight: 0.6 }, { family: 'gbdt', weight: 0.4 }], value: 0.83, single: { family: 'linear', value: 0.8 }, measured: 'validation split (200 rows)' },
    };
    const lines = selectionText(selection).split('\n');
    expect(lines[0]).toBe('  auto chose blend by validation auc (higher is better), budget 66 s:');
    expect(lines.at(-2)).toBe('  blend linear 0.60 + gbdt 0.40: auc 0.8300 against linear alone 0.8000 on the validation split (200 rows) (served)');
  });
});
