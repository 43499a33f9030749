import type { RunView } from '../../../shared/pipeline/read_models/listings';
import type { RunPage } from '../../../shared/pipeline/read_models/run_page';
import type { RunDoc } from '../../../shared/pipeline/store/documents';
import { get } from '../api';
import { h, headline, table } from '../dom';
import type { View } from '../view';

type Progressed = Pick<RunDoc, 'status' | 'progress' | 'training_end'>;

/**
 * Where a run is: its last report while it trains (or where it failed); once it succeeded, how training
 * ended, with a full bar — a run that stopped early never reports its budget's last epoch.
 */
export function progressBar(run: Progressed) {
  const p = run.progress;
  const end = run.training_end;
  const bar = (share: number, text: string) =>
    h('span', { class: 'progress' }, h('span', { class: 'bar' }, h('span', { style: `width:${(Math.min(1, share) * 100).toFixed(0)}%` })), ` ${text}`);
  if (run.status === 'succeeded' && end) {
    const of = `${end.unit} ${end.iterations}/${end.max_iterations ?? end.iterations}`;
    return bar(1, end.stopped_early ? `stopped early at ${of} (best ${end.best_iteration})` : of);
  }
  // succeeded before the end was recorded: its last report is all there is, and may be stale
  if (run.status === 'succeeded') return p ? bar(1, `done (last report ${p.unit} ${p.iteration}/${p.iterations})`) : '';
  if (!p) return '–';
  const trial = p.trials && p.trials > 1 ? `trial ${(p.trial ?? 0) + 1}/${p.trials} ` : '';
  const candidate = p.family ? `${p.family} (candidate ${(p.candidate ?? 0) + 1}/${p.candidates ?? 1}) ` : '';
  return bar(p.iteration / Math.max(1, p.iterations), `${trial}${candidate}${p.unit} ${p.iteration}/${p.iterations}`);
}

const finished = (r: RunView) => r.status === 'succeeded' || r.status === 'failed' || r.status === 'cancelled';

// Picked for comparison: kept across the page's live re-renders while runs train.
const picked = new Set<string>();

export const runsView: View = async () => {
  // newest first, one page of the API's default size
  const { runs, next_page_token: more } = await get<RunPage>('/runs');
  const listed = [...runs].reverse();
  for (const id of picked) if (!listed.some((r) => r.id === id)) picked.delete(id);
  const compare = h('button', { id: 'compare-runs', onclick: () => {
    // oldest first, as the API lists them: the earlier run reads as the baseline
    location.hash = `#/compare/${listed.filter((r) => picked.has(r.id)).map((r) => encodeURIComponent(r.id)).join(',')}`;
  } }) as HTMLButtonElement;
  const update = () => {
    compare.disabled = picked.size < 2;
    compare.textContent = picked.size < 2 ? 'compare (pick 2 or more)' : `compare ${picked.size} runs`;
  };
  update();
  const pick = (id: string) => {
    const box = h('input', { type: 'checkbox', 'data-run': id, 'aria-label': `compare ${id}`, onchange: () => {
      if (box.checked) picked.add(id);
      else picked.delete(id);
      update();
    } }) as HTMLInputElement;
    box.checked = picked.has(id);
    return box;
  };
  const rows = runs.map((r) => [
    pick(r.id),
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
    el: h(
      'section',
      {},
      h('h1', {}, 'Training runs'),
      more ? h('p', { class: 'muted' }, `The newest ${runs.length} runs: mloop runs lists them all.`) : '',
      runs.length > 1 ? h('p', {}, compare) : '',
      runs.length ? table(['', 'run', 'model', 'version', 'dataset', 'status', 'progress', 'reason', 'metric', 'backend', 'duration', 'cost', 'decision'], rows) : h('p', { class: 'muted' }, 'No runs yet: push a dataset (mloop push data.csv --model fraud).'),
    ),
    live: runs.some((r) => !finished(r)),
  };
};
