import type { DataReport } from '../../data/prepare';
import type { Curves } from '../../ml/evaluate';
import type { Manifest } from '../../ml/manifest';
import { family } from '../../ml/models/registry';
import { cardHtml, type ModelCard } from './model_card';

/** report.html: what a person opens to see what was trained, on what, and how well. Self-contained. */
export function renderReport(manifest: Manifest, data: Pick<DataReport, 'rows' | 'rejectedCount'>, curves: Curves, card?: ModelCard): string {
  const metrics = Object.entries(manifest.metrics)
    .map(([name, value]) => `<tr><td>${esc(name)}</td><td>${Number.isInteger(value) ? value : Number.isFinite(value) ? round(value, 4) : '-'}</td></tr>`)
    .join('');
  const features = manifest.features
    .map((f) => `<tr><td>${esc(f.name)}</td><td>${esc(f.kind)}</td><td>${esc(describe(f))}</td></tr>`)
    .join('');
  const dropped = manifest.dropped.map((d) => `<li>${esc(d.name)}: ${esc(d.reason)}</li>`).join('');
  const unit = family(manifest.algorithm).progressUnit;
  const target = manifest.classes ? `${manifest.task}: ${manifest.classes.map(esc).join(', ')}` : manifest.task;
  return `<!doctype html><html><head><meta charset="utf-8"><title>${esc(manifest.model)} ${esc(manifest.version)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2rem;max-width:60rem;color:#222}table{border-collapse:collapse}td,th{padding:.2rem .8rem;border-bottom:1px solid #ddd;text-align:left}h1{font-size:1.4rem}svg{margin-right:1rem}</style></head>
<body><h1>${esc(manifest.model)} ${esc(manifest.version)}</h1>
<p>Run ${esc(manifest.run_id)} · ${esc(manifest.algorithm)} on ${esc(manifest.trainer.backend)} · target ${esc(manifest.target)} (${target}) · dataset ${esc(manifest.dataset.version)} (${data.rows} rows, ${data.rejectedCount} rejected) · ${esc(manifest.created_at)}</p>
<h2>Test metrics</h2><table>${metrics}</table>
${curveCharts(curves)}${confusion(curves)}${calibration(manifest)}
<h2>Loss per ${unit}</h2>${lossChart(manifest.trainer.history)}
${importance(manifest)}${explanations(manifest)}${coefficients(manifest)}${sweep(manifest)}
<h2>Features</h2><table><tr><th>name</th><th>kind</th><th>encoding</th></tr>${features}</table>
<h2>Dropped columns</h2><ul>${dropped || '<li>none</li>'}</ul>
${card ? cardHtml(card) : ''}
</body></html>`;
}

function describe(feature: Manifest['features'][number]): string {
  if (feature.kind === 'numeric') return `mean ${short(feature.mean)}, std ${short(feature.std)}, missing → ${short(feature.fill)}`;
  if (feature.kind === 'categorical') return `one-hot: ${feature.categories.slice(0, 12).join(', ')}${feature.categories.length > 12 ? ', …' : ''}`;
  return '0/1';
}

const WIDTH = 560;
const HEIGHT = 200;

/** A polyline per series in a shared box; `points` are already in [0, 1] × [0, 1]. */
function chart(label: string, series: Array<{ colour: string; name: string; points: Array<[number, number]> }>, size = { width: WIDTH, height: HEIGHT }): string {
  const { width, height } = size;
  const at = ([x, y]: [number, number]) => `${(10 + x * (width - 20)).toFixed(1)},${(height - 10 - y * (height - 20)).toFixed(1)}`;
  const lines = series.map((s) => `<polyline fill="none" stroke="${s.colour}" stroke-width="2" points="${s.points.map(at).join(' ')}"/>`).join('');
  const legend = series.map((s, i) => `<text x="${12 + i * 90}" y="16" fill="${s.colour}">${esc(s.name)}</text>`).join('');
  return `<svg width="${width}" height="${height}" role="img" aria-label="${esc(label)}"><rect width="100%" height="100%" fill="#fafafa"/>${lines}${legend}</svg>`;
}

function lossChart(history: Manifest['trainer']['history']): string {
  const values = history.flatMap((h) => [h.loss, h.val_loss]).filter(Number.isFinite);
  if (values.length === 0) return '<p>no history: this model is not trained iteratively</p>';
  const max = Math.max(...values);
  const min = Math.min(...values);
  const x = (i: number) => (history.length === 1 ? 0.5 : i / (history.length - 1));
  const y = (v: number) => (v - min) / (max - min || 1);
  const line = (key: 'loss' | 'val_loss') => history.filter((h) => Number.isFinite(h[key])).map((h, i): [number, number] => [x(i), y(h[key])]);
  return chart('loss per iteration', [
    { colour: '#2563eb', name: 'training', points: line('loss') },
    { colour: '#dc2626', name: 'validation', points: line('val_loss') },
  ]);
}

function curveCharts(curves: Curves): string {
  if (!curves.roc?.length && !curves.pr?.length) return '';
  const square = { width: 280, height: 280 };
  const roc = curves.roc?.length ? chart('ROC curve', [{ colour: '#2563eb', name: 'ROC', points: curves.roc.map((p) => [p.fpr, p.tpr]) }], square) : '';
  const pr = curves.pr?.length ? chart('precision-recall curve', [{ colour: '#059669', name: 'PR', points: curves.pr.map((p) => [p.recall, p.precision]) }], square) : '';
  return `<h2>ROC (false vs true positive rate) and precision-recall on test</h2>${roc}${pr}`;
}

function confusion(curves: Curves): string {
  if (!curves.confusion) return '';
  const { labels, matrix } = curves.confusion;
  const head = labels.map((l) => `<th>${esc(l)}</th>`).join('');
  const rows = matrix.map((row, k) => `<tr><th>${esc(labels[k])}</th>${row.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('');
  return `<h2>Confusion matrix on test (rows: actual, columns: predicted)</h2><table><tr><th></th>${head}</tr>${rows}</table>`;
}

function importance(manifest: Manifest): string {
  const list = manifest.trainer.importance;
  if (!list?.length) return '';
  const rows = [...list]
    .sort((a, b) => b.gain - a.gain)
    .slice(0, 20)
    .map((f) => `<tr><td>${esc(f.feature)}</td><td>${round(f.gain, 2)}</td></tr>`)
    .join('');
  return `<h2>Feature importance (gain)</h2><table><tr><th>feature</th><th>gain</th></tr>${rows}</table>`;
}

/**
 * Mean |SHAP| on the holdout beside the gain, and a dependence plot per top feature: the feature's value
 * (a category is placed by its order of first appearance) against its contribution to the raw score.
 */
function explanations(manifest: Manifest): string {
  const e = manifest.explanations;
  if (!e) return '';
  const gain = new Map((manifest.trainer.importance ?? []).map((g) => [g.feature, g.gain]));
  const rows = e.importance
    .slice(0, 20)
    .map((f) => `<tr><td>${esc(f.feature)}</td><td>${f.mean_abs.toPrecision(4)}</td>${gain.size ? `<td>${gain.has(f.feature) ? round(gain.get(f.feature)!, 2) : '-'}</td>` : ''}</tr>`)
    .join('');
  const plots = e.dependence.map((d) => `<figure style="display:inline-block;margin:0 1rem 1rem 0"><figcaption>${esc(d.feature)}</figcaption>${dependencePlot(d.feature, d.points)}</figure>`).join('');
  const how = e.approximate ? 'sampled Shapley values (approximate)' : 'exact Shapley values (TreeSHAP for trees)';
  return `<h2>Explanations: mean |contribution| on ${e.rows} holdout rows</h2><p>${how}, in the units of the raw score (log-odds, a class logit, the value).</p><table><tr><th>feature</th><th>mean |SHAP|</th>${gain.size ? '<th>gain</th>' : ''}</tr>${rows}</table>
<h3>Dependence: value against contribution</h3>${plots}`;
}

function dependencePlot(feature: string, points: Array<[number | string, number]>): string {
  const width = 280;
  const height = 200;
  if (points.length === 0) return '';
  const categories = [...new Set(points.filter((p) => typeof p[0] === 'string').map((p) => String(p[0])))];
  const xs = points.map(([x]) => (typeof x === 'string' ? categories.indexOf(x) : x));
  const ys = points.map(([, y]) => y);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys, 0), Math.max(...ys, 0)];
  const px = (x: number) => 10 + ((x - x0) / (x1 - x0 || 1)) * (width - 20);
  const py = (y: number) => height - 10 - ((y - y0) / (y1 - y0 || 1)) * (height - 20);
  const dots = xs.map((x, i) => `<circle cx="${px(x).toFixed(1)}" cy="${py(ys[i]).toFixed(1)}" r="2" fill="#2563eb" fill-opacity="0.6"/>`).join('');
  const zero = `<line x1="10" x2="${width - 10}" y1="${py(0).toFixed(1)}" y2="${py(0).toFixed(1)}" stroke="#999" stroke-dasharray="3 3"/>`;
  return `<svg width="${width}" height="${height}" role="img" aria-label="dependence of ${esc(feature)}"><rect width="100%" height="100%" fill="#fafafa"/>${zero}${dots}</svg>`;
}

/** A linear model's coefficients on the raw encoded columns, largest first by their largest weight. */
function coefficients(manifest: Manifest): string {
  const c = manifest.trainer.coefficients;
  if (!c) return '';
  const head = c.outputs.map((o) => `<th>${esc(o)}</th>`).join('');
  const weights = (values: number[]) => values.map((v) => `<td>${v.toPrecision(4)}</td>`).join('');
  const rows = [...c.columns]
    .sort((a, b) => Math.max(...b.weights.map(Math.abs)) - Math.max(...a.weights.map(Math.abs)))
    .slice(0, 30)
    .map((col) => `<tr><td>${esc(col.category === undefined ? col.feature : `${col.feature} = ${col.category}`)}</td>${weights(col.weights)}</tr>`)
    .join('');
  const platt = c.calibration ? `<p>Platt calibration on validation (P = 1 / (1 + e<sup>−(a·score + b)</sup>)): ${c.calibration.map((p, k) => `${esc(c.outputs[k])} a ${p.a.toPrecision(4)}, b ${p.b.toPrecision(4)}`).join('; ')}</p>` : '';
  return `<h2>Coefficients (raw encoded columns)</h2><table><tr><th>column</th>${head}</tr><tr><td>(intercept)</td>${weights(c.intercept)}</tr>${rows}</table>${platt}`;
}

function sweep(manifest: Manifest): string {
  if (!manifest.sweep) return '';
  const rows = manifest.sweep.trials
    .map((t) => `<tr${t.trial === manifest.sweep!.best_trial ? ' style="font-weight:bold"' : ''}><td>${t.trial}</td><td>${esc(JSON.stringify(t.params))}</td><td>${t.value === null ? '-' : round(t.value, 4)}</td><td>${t.best_iteration}</td><td>${round(t.seconds, 1)}</td></tr>`)
    .join('');
  return `<h2>Sweep: ${manifest.sweep.trials.length} trials, best on validation ${esc(manifest.sweep.metric)}</h2><table><tr><th>trial</th><th>params</th><th>${esc(manifest.sweep.metric)}</th><th>best iteration</th><th>seconds</th></tr>${rows}</table>`;
}

const round = (value: number, digits: number) => value.toFixed(digits);
const short = (value: number) => (Math.abs(value) >= 100 ? value.toFixed(0) : value.toPrecision(3));

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** The reliability curve on test before and after calibration, against the diagonal, with both expected calibration errors. */
function calibration(manifest: Manifest): string {
  const c = manifest.calibration;
  if (!c) return '';
  const curve = (bins: typeof c.test.before.bins) => bins.map((b): [number, number] => [b.mean_score, b.positive_rate]);
  const losses = (['uncalibrated', 'platt', 'isotonic'] as const)
    .filter((k) => c.log_loss[k] !== null)
    .map((k) => `${k} ${round(c.log_loss[k]!, 4)}`)
    .join(', ');
  const chartHtml = chart(
    'reliability curve',
    [
      { colour: '#9ca3af', name: 'ideal', points: [[0, 0], [1, 1]] },
      { colour: '#dc2626', name: 'before', points: curve(c.test.before.bins) },
      ...(c.method === 'none' ? [] : [{ colour: '#2563eb', name: 'after', points: curve(c.test.after.bins) }]),
    ],
    { width: 280, height: 280 },
  );
  return `<h2>Calibration</h2><p>${esc(c.method)} (asked: ${esc(c.requested)}): ${esc(c.reason)}. Expected calibration error on test: ${round(c.test.before.ece, 4)} before, ${round(c.test.after.ece, 4)} after. Validation log loss (${c.validation_rows} rows; each method cross-fitted): ${esc(losses)}.</p>
<p>Reliability on test (mean score against share of positives, 10 bins):</p>${chartHtml}`;
}
