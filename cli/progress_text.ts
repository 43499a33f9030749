import type { RunProgress, RunDoc } from '../shared/pipeline/store/documents';

/** "epoch 3/30" or "iteration 120/300", with the sweep trial and auto's candidate when there are. */
export function progressText(p: RunProgress): string {
  const trial = p.trials !== undefined && p.trials > 1 ? `trial ${(p.trial ?? 0) + 1}/${p.trials} ` : '';
  const candidate = p.family !== undefined ? `${p.family} (candidate ${(p.candidate ?? 0) + 1}/${p.candidates ?? 1}) ` : '';
  return `${trial}${candidate}${p.unit} ${p.iteration}/${p.iterations}`;
}

/**
 * A run's progress as a listing shows it: the last report while it trains (or where it failed), and once
 * it succeeded how its training ended — "stopped early at epoch 12/30 (best 7)" or "epoch 30/30" — since
 * the last report of a run that stopped early is neither its end nor its budget's.
 */
export function runProgressText(run: Pick<RunDoc, 'status' | 'progress' | 'training_end'>): string | null {
  const end = run.training_end;
  if (run.status === 'succeeded' && end) {
    const of = `${end.unit} ${end.iterations}/${end.max_iterations ?? end.iterations}`;
    return end.stopped_early ? `stopped early at ${of} (best ${end.best_iteration})` : of;
  }
  // a run that succeeded before the end was recorded: its last report is all there is, and may be stale
  if (run.status === 'succeeded') return run.progress ? `done (last report ${progressText(run.progress)})` : null;
  return run.progress ? progressText(run.progress) : null;
}
