import type { Manifest } from '../ml/manifest';

/** report.html: what a person opens to see what was trained, on what, and how well. Self-contained. */
export function renderReport(manifest: Manifest, data: { rows: number; positives: number; negatives: number; rejectedCount: number }): string {
  const metrics = Object.entries(manifest.metrics)
    .map(([name, value]) => `<tr><td>${esc(name)}</td><td>${typeof value === 'number' ? value.toFixed(4) : esc(String(value))}</td></tr>`)
    .join('');
  const features = manifest.features
    .map((f) => `<tr><td>${esc(f.name)}</td><td>${esc(f.kind)}</td><td>${esc(describe(f))}</td></tr>`)
    .join('');
  const dropped = manifest.dropped.map((d) => `<li>${esc(d.name)}: ${esc(d.reason)}</li>`).join('');
  return `<!doctype html><html><head><meta charset="utf-8"><title>${esc(manifest.model)} ${esc(manifest.version)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2rem;max-width:60rem;color:#222}table{border-collapse:collapse}td,th{padding:.2rem .8rem;border-bottom:1px solid #ddd;text-align:left}h1{font-size:1.4rem}</style></head>
<body><h1>${esc(manifest.model)} ${esc(manifest.version)}</h1>
<p>Run ${esc(manifest.run_id)} · ${esc(manifest.algorithm)} on ${esc(manifest.trainer.backend)} · dataset ${esc(manifest.dataset.version)} (${data.rows} rows, ${data.positives} positive, ${data.rejectedCount} rejected) · ${esc(manifest.created_at)}</p>
<h2>Test metrics</h2><table>${metrics}</table>
<h2>Loss per epoch</h2>${lossChart(manifest.trainer.history)}
<h2>Features</h2><table><tr><th>name</th><th>kind</th><th>encoding</th></tr>${features}</table>
<h2>Dropped columns</h2><ul>${dropped || '<li>none</li>'}</ul>
</body></html>`;
}

function describe(feature: Manifest['features'][number]): string {
  if (feature.kind === 'numeric') return `mean ${round(feature.mean)}, std ${round(feature.std)}, missing → ${round(feature.fill)}`;
  if (feature.kind === 'categorical') return `one-hot: ${feature.categories.slice(0, 12).join(', ')}${feature.categories.length > 12 ? ', …' : ''}`;
  return '0/1';
}

function lossChart(history: Array<{ epoch: number; loss: number; val_loss: number }>): string {
  if (history.length === 0) return '<p>no history</p>';
  const width = 560;
  const height = 200;
  const values = history.flatMap((h) => [h.loss, h.val_loss]).filter(Number.isFinite);
  const max = Math.max(...values);
  const min = Math.min(...values);
  const x = (i: number) => (history.length === 1 ? width / 2 : (i / (history.length - 1)) * (width - 20) + 10);
  const y = (v: number) => height - 10 - ((v - min) / (max - min || 1)) * (height - 20);
  const line = (key: 'loss' | 'val_loss') => history.map((h, i) => `${x(i).toFixed(1)},${y(h[key]).toFixed(1)}`).join(' ');
  return `<svg width="${width}" height="${height}" role="img" aria-label="loss per epoch"><rect width="100%" height="100%" fill="#fafafa"/>
<polyline fill="none" stroke="#2563eb" stroke-width="2" points="${line('loss')}"/><polyline fill="none" stroke="#dc2626" stroke-width="2" points="${line('val_loss')}"/>
<text x="12" y="16" fill="#2563eb">training</text><text x="90" y="16" fill="#dc2626">validation</text></svg>`;
}

const round = (value: number) => (Math.abs(value) >= 100 ? value.toFixed(0) : value.toPrecision(3));

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
