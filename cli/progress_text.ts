import type { RunProgress } from '../shared/pipeline/store/documents';

/** "epoch 3/30" or "iteration 120/300", with the sweep trial when there is one. */
export function progressText(p: RunProgress): string {
  const trial = p.trials !== undefined && p.trials > 1 ? `trial ${(p.trial ?? 0) + 1}/${p.trials} ` : '';
  return `${trial}${p.unit} ${p.iteration}/${p.iterations}`;
}
