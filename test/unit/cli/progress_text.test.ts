import { progressText, runProgressText } from '../../../cli/progress_text';
import type { RunProgress } from '../../../shared/pipeline/store/documents';

const stale: RunProgress = { unit: 'epoch', iteration: 1, iterations: 30, loss: 0.5, val_loss: 0.6 };

describe('a run\'s progress in a listing', () => {
  it('while it trains: the last report, with the trial of a sweep', () => {
    expect(runProgressText({ status: 'running', progress: stale })).toBe('epoch 1/30');
    expect(progressText({ ...stale, trial: 1, trials: 4 })).toBe('trial 2/4 epoch 1/30');
    expect(runProgressText({ status: 'queued', progress: null })).toBeNull();
    expect(progressText({ unit: 'epoch', iteration: 2, iterations: 8, family: 'mlp', candidate: 3, candidates: 4 })).toBe('mlp (candidate 4/4) epoch 2/8');
  });

  it('once it stopped early: where, of what budget, and the epoch it kept — not the stale last report', () => {
    const end = { unit: 'epoch' as const, iterations: 12, max_iterations: 30, best_iteration: 9, stopped_early: true };
    expect(runProgressText({ status: 'succeeded', progress: stale, training_end: end })).toBe('stopped early at epoch 12/30 (best 9)');
  });

  it('once it ran its whole budget', () => {
    const end = { unit: 'iteration' as const, iterations: 300, max_iterations: 300, best_iteration: 287, stopped_early: false };
    expect(runProgressText({ status: 'succeeded', progress: { ...stale, unit: 'iteration', iteration: 299, iterations: 300 }, training_end: end })).toBe('iteration 300/300');
  });

  it('a run that succeeded before the end was recorded says its report may be stale; a failed one where it failed', () => {
    expect(runProgressText({ status: 'succeeded', progress: stale })).toBe('done (last report epoch 1/30)');
    expect(runProgressText({ status: 'failed', progress: stale })).toBe('epoch 1/30');
  });
});
