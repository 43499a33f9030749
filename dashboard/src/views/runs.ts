import type { RunView } from '../../../shared/pipeline/read_models/listings';
import { get } from '../api';
import { h, headline, table } from '../dom';
import type { View } from '../view';

export const progressBar = (run: { progress?: RunView['progress']; status: RunView['status'] }) => {
  const p = run.progress;
  if (!p) return run.status === 'succeeded' ? '' : '–';
  const share = Math.min(1, p.iteration / Math.max(1, p.iterations));
  const trial = p.trials && p.trials > 1 ? `trial ${(p.trial ?? 0) + 1}/${p.trials} ` : '';
  const candidate = p.family ? `${p.family} (candidate ${(p.candidate ?? 0) + 1}/${p.candidates ?? 1}) ` : '';
  return h('span', { class: 'progress' }, h('span', { class: 'bar' }, h('span', { style: `width:${(share * 100).toFixed(0)}%` })), ` ${trial}${candidate}${p.unit} ${p.iteration}/${p.iterations}`);
};

const finished = (r: RunView) => r.status === 'succeeded' || r.status === 'failed';

export const runsView: View = async () => {
  const runs = (await get<RunView[]>('/runs')).reverse();
  const rows = runs.map((r) => [
    h('a', { href: `#/runs/${r.id}` }, r.id),
    r.model,
    r.model_version,
    r.dataset_version,
    h('span', { class: `status-${r.status}` }, r.status + (r.attempt > 1 ? ` (attempt ${r.attempt})` : '')),
    progressBar(r),
    r.reason,
    headline(r.headline),
    r.backend ?? '–',
    r.duration_seconds === null ? '–' : `${r.duration_seconds.toFixed(1)} s`,
    r.cost_usd === null ? '–' : `$${r.cost_usd.toFixed(4)}`,
    r.promoted === null ? '–' : r.promoted ? 'promoted' : 'not promoted',
  ]);
  return {
    el: h('section', {}, h('h1', {}, 'Training runs'), runs.length ? table(['run', 'model', 'version', 'dataset', 'status', 'progress', 'reason', 'metric', 'backend', 'duration', 'cost', 'decision'], rows) : h('p', { class: 'muted' }, 'No runs yet: push a dataset (mloop push data.csv --model fraud).')),
    live: runs.some((r) => !finished(r)),
  };
};
