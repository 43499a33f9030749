import type { DriftHistoryEntry } from '../../../shared/pipeline/read_models/drift_history';
import type { DriftReportDoc } from '../../../shared/pipeline/store/monitoring_documents';
import type { DriftResult } from '../../../shared/monitoring/drift';
import { get } from '../api';
import { estimateSeries } from '../estimate_series';
import { lineChart, pairedBars, type Marker } from '../charts';
import { fixed, h, table } from '../dom';
import type { View } from '../view';

export const monitoringView: View = async () => {
  const history = (await get<DriftHistoryEntry[]>('/drift/history')).reverse();
  const rows = history.map(({ report: r, retrain }) => [
    h('a', { href: `#/monitoring/${r.id}` }, r.created_at),
    r.model,
    r.model_version,
    r.status,
    r.rows,
    r.share === null ? '–' : `${(r.share * 100).toFixed(0)}%`,
    h('span', { class: r.dataset_drift ? 'bad' : 'ok' }, r.dataset_drift ? 'drift' : 'no drift'),
    r.drifted.join(', '),
    estimatedCell(r),
    (r.alarms ?? []).join(', ') || '–',
    retrain ? h('a', { href: `#/runs/${retrain.run_id}` }, `${retrain.model_version} (${retrain.status}${retrain.promoted ? ', promoted' : ''})`) : r.event ? `${r.event} (no run)` : '–',
  ]);
  return {
    el: h('section', {},
      h('h1', {}, 'Drift reports'),
      h('div', { class: 'charts' }, estimateCharts(history.map((e) => e.report))),
      history.length ? table(['report', 'model', 'version', 'status', 'rows', 'skew share', 'skew', 'skewed features', 'estimated (realised)', 'alarms', 'retraining caused'], rows) : h('p', { class: 'muted' }, 'No drift reports yet: monitoring runs on its schedule, or POST /api/monitor.'),
    ),
  };
};

function estimatedCell(r: DriftReportDoc): string {
  const error = r.estimated_error;
  if (error) return `MAE ${fixed(error.mae)}${error.realised ? ` (${fixed(error.realised.mae)})` : ''}`;
  const e = r.estimated_performance;
  if (!e || e.auc === null) return '–';
  return `${fixed(e.auc)}${e.realised?.auc != null ? ` (${fixed(e.realised.auc)})` : ''}`;
}

/** Per model, the ROC AUC (or a regression's MAE) estimated before labels at each tick, and the one the labels realised for that window once they came back. */
function estimateCharts(reports: DriftReportDoc[]): HTMLElement[] {
  return estimateSeries(reports).map(({ model, metric, estimated, realised }) => {
    const markers: Marker[] = [
      ...estimated.map(([x, y]): Marker => ({ x, y, label: `estimated ${fixed(y)}`, colour: '#2563eb', kind: 'estimated' })),
      ...realised.map(([x, y]): Marker => ({ x, y, label: `realised ${fixed(y)}`, colour: '#dc2626', kind: 'realised' })),
    ];
    return lineChart(`${model}: ${metric} estimated before labels vs realised`, [
      { name: 'estimated', colour: '#2563eb', points: estimated },
      { name: 'realised', colour: '#dc2626', points: realised },
    ], { x: 'tick (UTC)', y: metric, timeX: true }, markers);
  });
}

export const driftReportView: View = async ([id]) => {
  const { report, result } = await get<{ report: DriftReportDoc; result: DriftResult | null }>(`/drift/reports/${encodeURIComponent(id)}`);
  const features = result?.features ?? [];
  return {
    el: h('section', {},
      h('h1', {}, `Drift report ${report.id}`),
      h('p', {}, `${report.rows} predictions of ${report.model} ${report.model_version} from ${report.window.from} to ${report.window.to}`),
      table(['feature', 'test', 'statistic', 'p-value', 'PSI', 'drifted'], features.map((f) => [f.name, f.test ?? '–', fixed(f.statistic), fixed(f.p_value), fixed(f.psi), h('span', { class: f.drifted ? 'bad' : 'ok' }, f.drifted ? 'yes' : 'no')])),
      h('div', { class: 'charts' }, features.map((f) => pairedBars(`${f.name}: reference vs current`, f.histogram.labels, { name: 'reference', values: f.histogram.reference }, { name: 'current', values: f.histogram.current }))),
    ),
  };
};
