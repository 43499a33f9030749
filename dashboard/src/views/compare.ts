import type { ComparedRun, RunComparison } from '../../../shared/pipeline/read_models/compare_runs';
import { get } from '../api';
import { lineChart, type Series } from '../charts';
import { h, metricText, table } from '../dom';
import type { View } from '../view';
import { progressBar } from './runs';

const COLOURS = ['#2563eb', '#dc2626', '#059669', '#d97706', '#7c3aed', '#db2777', '#0891b2', '#4b5563'];

/**
 * Runs side by side (`#/compare/a,b,...`, or picked on the runs page): warnings first — metrics on
 * different holdouts are not comparable — then the holdouts, the parameters that differ (the equal
 * ones folded away), the metrics with the better value marked, and the loss, ROC and PR curves overlaid.
 */
export const compareView: View = async ([list]) => {
  const ids = list.split(',').filter(Boolean);
  const c = await get<RunComparison>(`/runs/compare?ids=${ids.map(encodeURIComponent).join(',')}`);
  const colour = new Map(c.runs.map((r, i) => [r.id, COLOURS[i % COLOURS.length]]));
  const head = (label: string) => [label, ...c.runs.map((r) => h('a', { href: `#/runs/${r.id}`, style: `color:${colour.get(r.id)}` }, r.id))];
  const differing = c.params.filter((p) => p.differs);
  const equal = c.params.filter((p) => !p.differs);
  const paramRow = (p: RunComparison['params'][number]) => [p.name, ...p.values.map((v) => (v === null ? '–' : typeof v === 'string' ? v : JSON.stringify(v)))];
  return {
    el: h('section', { id: 'compare' },
      h('h1', {}, `Compare ${c.runs.length} runs`),
      c.warnings.map((w) => h('p', { class: 'warning' }, '⚠ ', w)),
      table(['run', 'model', 'version', 'algorithm', 'status', 'training'], c.runs.map((r) => [
        h('a', { href: `#/runs/${r.id}`, style: `color:${colour.get(r.id)}` }, r.id), r.model, r.model_version, r.algorithm ?? '–',
        h('span', { class: `status-${r.status}` }, r.status), progressBar({ status: r.status, training_end: r.training_end }),
      ])),
      h('h2', {}, 'Holdout'),
      holdoutTable(c, head),
      h('h2', {}, 'Parameters that differ'),
      differing.length ? h('table', { id: 'params-differ' }, h('thead', {}, h('tr', {}, head('parameter').map((x) => h('th', {}, x)))), h('tbody', {}, differing.map((p) => h('tr', { class: 'differs' }, paramRow(p).map((x) => h('td', {}, x))))))
        : h('p', { class: 'muted' }, 'None: the runs trained with the same parameters.'),
      equal.length ? h('details', { id: 'params-equal' }, h('summary', {}, `${equal.length} equal parameters`), table(['parameter', ...c.runs.map((r) => r.id)], equal.map(paramRow))) : null,
      h('h2', {}, 'Metrics on test'),
      h('table', { id: 'metrics' },
        h('thead', {}, h('tr', {}, head('metric').map((x) => h('th', {}, x)), h('th', {}, 'better'))),
        h('tbody', {}, c.metrics.map((m) => h('tr', { 'data-metric': m.name },
          h('td', {}, m.name),
          m.values.map((v, i) => h('td', m.best.includes(i) ? { class: 'best', title: 'better' } : {}, metricText(m.name, v), m.best.includes(i) ? ' ★' : '')),
          h('td', { class: 'muted' }, m.direction === null ? '' : m.direction),
        ))),
      ),
      h('div', { class: 'charts' }, charts(c, colour)),
    ),
  };
};

function holdoutTable(c: RunComparison, head: (label: string) => Array<HTMLElement | string>): HTMLElement {
  const fields: Array<[string, (r: ComparedRun) => string]> = [
    ['dataset version', (r) => r.holdout.dataset_version],
    ['test rows', (r) => (r.holdout.rows === null ? '–' : String(r.holdout.rows))],
    ['split seed', (r) => (r.holdout.seed === null ? '–' : String(r.holdout.seed))],
    ['sample', (r) => (r.holdout.sample === null ? 'all rows' : String(r.holdout.sample))],
    ['split', (r) => (r.holdout.time_column ? `by time (${r.holdout.time_column})` : 'random')],
    ['recorded', (r) => (r.holdout.recorded ? 'yes' : 'inferred (older run)')],
  ];
  return h('table', { id: 'holdout' },
    h('thead', {}, h('tr', {}, head('').map((x) => h('th', {}, x)))),
    h('tbody', {}, fields.map(([label, of]) => {
      const values = c.runs.map(of);
      const differs = label !== 'recorded' && new Set(values).size > 1;
      return h('tr', differs ? { class: 'differs' } : {}, h('td', {}, label), values.map((v) => h('td', {}, v)));
    })),
  );
}

function charts(c: RunComparison, colour: Map<string, string>): HTMLElement[] {
  const out: HTMLElement[] = [];
  if (c.history.length) {
    const unit = c.history[0].unit;
    const series = (pick: 'loss' | 'val_loss'): Series[] =>
      c.history.map((run) => ({ name: run.run_id, colour: colour.get(run.run_id)!, points: run.points.map((p): [number, number] => [p.iteration, p[pick] ?? NaN]) }));
    out.push(lineChart(`Validation loss per ${unit}`, series('val_loss'), { x: unit, y: 'validation loss', integerX: true }));
    out.push(lineChart(`Training loss per ${unit}`, series('loss'), { x: unit, y: 'training loss', integerX: true }));
  }
  const roc = c.curves.filter((x) => x.roc.length);
  if (roc.length) out.push(lineChart('ROC curves', roc.map((x) => ({ name: x.run_id, colour: colour.get(x.run_id)!, points: x.roc.map((p): [number, number] => [p.fpr, p.tpr]) })), { x: 'false positive rate', y: 'true positive rate', unit: true }));
  const pr = c.curves.filter((x) => x.pr.length);
  if (pr.length) out.push(lineChart('Precision-recall curves', pr.map((x) => ({ name: x.run_id, colour: colour.get(x.run_id)!, points: x.pr.map((p): [number, number] => [p.recall, p.precision]) })), { x: 'recall', y: 'precision', unit: true }));
  return out;
}
