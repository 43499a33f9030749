import type { RunProgress } from '../shared/pipeline/store/documents';

/** "epoch 3/30" or "iteration 120/300", with the sweep trial and auto's candidate when there are. */
export function progressText(p: RunProgress): string {
  const trial = p.trials !== undefined && p.trials > 1 ? `trial ${(p.trial ?? 0) + 1}/${p.trials} ` : '';
  const candidate = p.family !== undefined ? `${p.family} (candidate ${(p.candidate ?? 0) + 1}/${p.candidates ?? 1}) ` : '';
  return `${trial}${candidate}${p.unit} ${p.iteration}/${p.iterations}`;
}
