import type { RunDetail } from '../../../shared/pipeline/read_models/run_detail';
import { get } from '../api';
import { lineChart, pairedBars } from '../charts';
import { fixed, h, metricText, table } from '../dom';
import type { View } from '../view';
import { classReport } from './class_report';
import { progressBar } from './runs';
import { selectionBlock } from './selection';

export const runView: View = async ([id]) => {
  const { run, version, decision, superseded, trainer, explanations, curves } = await get<RunDetail>(`/runs/${encodeURIComponent(id)}/detail`);
  const charts: HTMLElement[] = [];
  const history = trainer?.history ?? [];
  if (history.length) {
    const unit = run.training_end?.unit ?? run.progress?.unit ?? 'iteration';
    charts.push(lineChart(`Loss per ${unit}`, [
      { name: 'training', colour: '#2563eb', points: history.map((p) => [p.iteration, p.loss ?? NaN]) },
      { name: 'validation', colour: '#dc2626', points: history.map((p) => [p.iteration, p.val_loss ?? NaN]) },
    ], { x: unit, y: 'loss', integerX: true }));
  }
  if (curves?.roc?.length) charts.push(lineChart('ROC curve', [{ name: 'ROC', colour: '#2563eb', points: curves.roc.map((p) => [p.fpr, p.tpr]) }], { x: 'false positive rate', y: 'true positive rate', unit: true }));
  if (curves?.pr?.length) charts.push(lineChart('Precision-recall curve', [{ name: 'PR', colour: '#059669', points: curves.pr.map((p) => [p.recall, p.precision]) }], { x: 'recall', y: 'precision', unit: true }));
  if (trainer?.importance?.length) {
    const top = [...trainer.importance].sort((a, b) => b.gain - a.gain).slice(0, 15);
    charts.push(pairedBars('Feature importance (gain)', top.map((f) => f.feature), { name: 'gain', values: top.map((f) => f.gain) }));
  }
  charts.push(...explanationCharts(explanations));
  // an image classifier's confusion matrix is drawn with its per-class metrics, below
  const confusion = curves?.confusion && !curves.per_class
    ? h('figure', {}, h('figcaption', {}, 'Confusion matrix (rows: actual, columns: predicted)'),
        table(['', ...curves.confusion.labels], curves.confusion.matrix.map((row, i) => [h('strong', {}, curves.confusion!.labels[i]), ...row])))
    : null;
  const params = trainer ? Object.entries(trainer.params).map(([k, v]) => [k, JSON.stringify(v)]) : [];
  return {
    el: h('section', {},
      h('h1', {}, `Run ${run.id}`),
      table(['model', 'version', 'dataset', 'status', 'progress', 'reason', 'backend', 'duration', 'cost'], [[
        run.model, run.model_version, run.dataset_version, h('span', { class: `status-${run.status}` }, run.status), progressBar(run), run.reason,
        run.backend ?? '–', run.duration_seconds === undefined ? '–' : `${run.duration_seconds.toFixed(1)} s`,
        run.cost_estimate ? `$${run.cost_estimate.usd.toFixed(4)}` : '–',
      ]]),
      run.tags && Object.keys(run.tags).length
        ? h('p', { id: 'tags' }, 'tags: ', Object.entries(run.tags).map(([k, v]) => h('code', { class: 'tag' }, `${k}=${v}`, ' ')))
        : null,
      run.imported
        ? h('p', { id: 'imported' }, `imported by ${run.imported.by} at ${run.imported.at}, trained elsewhere as ${run.imported.from.model} ${run.imported.from.version} on dataset ${run.imported.dataset_version}; `,
            `${run.imported.check.metric} ${fixed(run.imported.check.measured)} on ${run.imported.check.rows} ${run.imported.check.holdout} holdout rows`)
        : null,
      run.error ? h('p', { class: 'error' }, run.error) : null,
      run.metrics ? table(Object.keys(run.metrics), [Object.entries(run.metrics).map(([name, v]) => metricText(name, v))]) : null,
      decisionBlock(decision, version?.stage),
      slicesBlock(decision),
      supersededBlock(superseded),
      selectionBlock(run.selection),
      h('div', { class: 'charts' }, charts, confusion),
      curves ? classReport(run.id, curves, run.metrics) : null,
      params.length ? h('details', {}, h('summary', {}, 'Parameters'), table(['parameter', 'value'], params)) : null,
      coefficientsBlock(trainer?.coefficients),
    ),
    live: run.status === 'queued' || run.status === 'running',
  };
};

/**
 * Mean |SHAP| on the holdout (beside the gain chart), then a dependence plot per top feature: each
 * holdout row's value of the feature against its contribution. A category is placed by its order of
 * first appearance, and named in the dot's tooltip.
 */
function explanationCharts(e: RunDetail['explanations']): HTMLElement[] {
  if (!e?.importance.length) return [];
  const top = e.importance.slice(0, 15);
  const how = e.approximate ? 'sampled Shapley, approximate' : 'exact';
  const charts = [pairedBars(`Mean |SHAP| on ${e.rows} holdout rows (${how})`, top.map((f) => f.feature), { name: 'mean |SHAP|', values: top.map((f) => f.mean_abs) })];
  for (const d of e.dependence) {
    const categories = [...new Set(d.points.filter(([x]) => typeof x === 'string').map(([x]) => String(x)))];
    const markers = d.points.map(([x, y]) => ({
      x: typeof x === 'string' ? categories.indexOf(x) : x,
      y,
      label: `${d.feature} = ${x}: ${y >= 0 ? '+' : ''}${y.toPrecision(3)}`,
      colour: '#2563eb',
      kind: 'dependence',
    }));
    charts.push(lineChart(`Dependence: ${d.feature}`, [], { x: categories.length ? `${d.feature} (${categories.join(', ')})` : d.feature, y: 'SHAP value' }, markers));
  }
  return charts;
}

/** A linear model's coefficients on the raw encoded columns, the largest first, and its calibration. */
function coefficientsBlock(c: NonNullable<RunDetail['trainer']>['coefficients']): HTMLElement | null {
  if (!c) return null;
  const largest = (weights: number[]) => Math.max(...weights.map(Math.abs));
  const columns = [...c.columns].sort((a, b) => largest(b.weights) - largest(a.weights));
  const number = (v: number) => v.toPrecision(4);
  return h('details', { id: 'coefficients', open: true }, h('summary', {}, 'Coefficients (raw encoded columns)'),
    table(['column', ...c.outputs], [
      ['(intercept)', ...c.intercept.map(number)],
      ...columns.map((col) => [col.category === undefined ? col.feature : `${col.feature} = ${col.category}`, ...col.weights.map(number)]),
    ]),
    c.calibration ? h('p', {}, `Platt calibration on validation: ${c.calibration.map((p, k) => `${c.outputs[k]} a ${number(p.a)}, b ${number(p.b)}`).join('; ')}`) : null,
  );
}

function decisionBlock(decision: RunDetail['decision'], stage: string | undefined): HTMLElement | null {
  if (!decision) return null;
  const verdict = decision.awaiting_approval ? 'won, awaiting approval' : decision.promote ? 'promoted' : 'not promoted';
  const b = decision.bootstrap;
  return h('section', { id: 'decision' },
    h('h2', {}, 'Promotion decision: ', h('span', { class: decision.promote && !decision.awaiting_approval ? 'ok' : decision.promote ? 'stage-candidate' : 'bad' }, verdict), stage ? h('span', { class: `stage-${stage}` }, ` (now ${stage})`) : null),
    h('p', {}, `${decision.metric}: candidate ${fixed(decision.candidate_metric)} vs production ${decision.production_version ?? 'none'} ${fixed(decision.production_metric)} (Δ ${fixed(decision.delta)}) on ${decision.holdout_rows} holdout rows`),
    b ? h('p', {}, `paired bootstrap of the AUC difference: ${fixed(b.difference)}, 95% interval [${fixed(b.ci95[0])}, ${fixed(b.ci95[1])}] over ${b.resamples} resamples`) : null,
    h('ul', {}, decision.reasons.map((r) => h('li', {}, r))),
    decision.checks?.length ? table(['check', 'passed', 'detail'], decision.checks.map((c) => [c.name, h('span', { class: c.passed ? 'ok' : 'bad' }, c.passed ? 'yes' : 'no'), c.detail])) : null,
  );
}

/**
 * Every metric per slice of the holdout, this run's model beside production on the same rows, each with
 * its 95 % bootstrap interval; a slice the guardrail failed is marked, and the card is a link away.
 */
function slicesBlock(decision: RunDetail['decision']): HTMLElement | null {
  const slices = decision?.slices;
  if (!decision || !slices?.length) return null;
  const failed = new Set((decision.slice_failures ?? []).map((f) => `${f.column}=${f.value}`));
  const names = Object.keys(slices[0].candidate);
  const compared = slices.some((s) => s.production);
  const cell = (m: { value: number | null; ci95: [number, number] | null } | null | undefined) =>
    !m || m.value === null ? '–' : m.ci95 ? `${fixed(m.value)} [${fixed(m.ci95[0])}, ${fixed(m.ci95[1])}]` : fixed(m.value);
  const head = ['slice', 'rows', ...names.flatMap((n) => (compared ? [n, `${n} production`] : [n])), ...(compared ? [`Δ ${decision.metric}`] : [])];
  const rows = slices.map((s) => {
    const name = `${s.column}=${s.value}`;
    return [
      failed.has(name) ? h('span', { class: 'bad', title: 'lost more than max_slice_drop' }, name) : name,
      s.rows,
      ...names.flatMap((n) => (compared ? [cell(s.candidate[n]), cell(s.production?.[n])] : [cell(s.candidate[n])])),
      ...(compared ? [cell(s.difference)] : []),
    ];
  });
  const card = `/api/models/${encodeURIComponent(decision.model)}/versions/${encodeURIComponent(decision.candidate_version)}/card`;
  return h('section', { id: 'slices' },
    h('h2', {}, 'Slices'),
    h('p', { class: 'muted' }, 'each metric with its 95% bootstrap interval, resampled within the slice; ', h('a', { href: card, id: 'card-link' }, 'model card')),
    table(head, rows),
  );
}

/** Decisions another promotion overtook before they took effect: the run lost a race and was judged again. */
function supersededBlock(superseded: RunDetail['superseded']): HTMLElement | null {
  if (!superseded.length) return null;
  return h('section', { id: 'superseded' },
    h('h2', {}, 'Superseded decisions'),
    table(['decision', 'against', 'superseded by', 'why'], superseded.map((d) => [d.id, d.production_version ?? 'none', d.superseded_by ?? 'none', d.reasons[0] ?? ''])),
  );
}
