import type { RunView } from '../../../shared/pipeline/read_models/listings';
import { fixed, h, table } from '../dom';

/** What `auto` tried on a run: each candidate's score (and its folds' when cross-validated), time and parameters, or why it did not train. */
export function selectionBlock(selection: RunView['selection'] | undefined): HTMLElement | null {
  if (!selection) return null;
  const direction = selection.higher_is_better ? 'higher is better' : 'lower is better';
  return h('section', { id: 'selection' },
    h('h2', {}, `auto chose ${selection.winner}`),
    h('p', { class: 'muted' }, `by ${selection.measured ? `${selection.metric} on the ${selection.measured}` : `validation ${selection.metric}`} (${direction}), within a ${selection.budget_seconds} s budget`),
    table(['candidate', 'status', selection.measured ? selection.metric : `validation ${selection.metric}`, 'folds', 'seconds', 'best iteration', 'parameters / reason'], selection.candidates.map((c) => [
      c.family === selection.winner && c.status === 'trained' ? h('strong', {}, c.family) : c.family,
      c.status,
      fixed(c.value),
      c.folds ? c.folds.map((v) => fixed(v)).join(' ') : '–',
      c.seconds.toFixed(1),
      c.best_iteration ?? '–',
      c.reason ?? (c.params ? JSON.stringify(c.params) : '–'),
    ])),
    selection.blend
      ? h('p', {}, `blend ${selection.blend.members.map((m) => `${m.family} ${m.weight.toFixed(2)}`).join(' + ')}: ${selection.metric} ${fixed(selection.blend.value)} against ${selection.blend.single.family} alone ${fixed(selection.blend.single.value)} on the ${selection.blend.measured} — ${selection.blend.kept ? 'served' : 'not kept'}`)
      : null,
  );
}
