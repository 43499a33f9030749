import { cardHtml, cardMarkdown, modelCard, withCard } from '../../../../shared/pipeline/artifacts/model_card';
import { parseManifest } from '../../../../shared/ml/manifest';
import type { SliceResult } from '../../../../shared/ml/slice_metrics';
import type { DecisionDoc } from '../../../../shared/pipeline/store/documents';

const manifest = parseManifest({
  format_version: 2,
  model: 'churn',
  version: 'v2',
  run_id: 'run-2',
  task: 'binary',
  algorithm: 'gbdt',
  target: 'churned',
  classes: ['stayed', 'left'],
  features: [
    { name: 'tenure', kind: 'numeric', mean: 1, std: 2, min: 0, max: 9, fill: 1 },
    { name: 'region', kind: 'categorical', categories: ['north', 'south'] },
  ],
  dropped: [{ name: 'customer_id', reason: 'id-like' }],
  threshold: 0.31,
  metrics: { auc: 0.91, rows: 1500 },
  dataset: { version: 'sha256-abc', uri: 'data/churn.csv', rows: 10000, time_range: { column: 'signed_up', from: Date.UTC(2024, 0, 1), to: Date.UTC(2024, 11, 31) } },
  trainer: { backend: 'native', params: {}, best_iteration: 40, history: [], importance: [{ feature: 'tenure', gain: 120.5 }, { feature: 'region', gain: 30 }] },
  input: { name: 'features', width: 3 },
  output: { name: 'probability' },
  created_at: '2026-01-01T00:00:00.000Z',
});

const metric = (value: number, lo: number, hi: number) => ({ value, ci95: [lo, hi] as [number, number] });
const slices: SliceResult[] = [
  { column: 'region', value: 'north', rows: 1200, candidate: { auc: metric(0.95, 0.94, 0.96) }, production: { auc: metric(0.8, 0.78, 0.82) }, difference: metric(0.15, 0.13, 0.17) },
  { column: 'region', value: 'south|<b>', rows: 30, candidate: { auc: metric(0.6, 0.4, 0.8) }, production: { auc: metric(0.9, 0.8, 1) }, difference: metric(-0.3, -0.5, -0.1) },
];
const decision = {
  id: 'd', model: 'churn', candidate_version: 'v2', production_version: 'v1', promote: false, metric: 'auc', candidate_metric: 0.91, production_metric: 0.82, delta: 0.01,
  reasons: ['slice region=north (1200 rows): …'], checks: [{ name: 'slice', passed: false, detail: 'slice region=north (1200 rows): …' }],
  holdout_rows: 1230, run_id: 'run-2', decided_at: '2026-01-01T00:01:00.000Z', bootstrap: { metric: 'auc', difference: 0.09, ci95: [0.07, 0.11], resamples: 1000, seed: 1 },
  slices, holdout_metrics: { column: 'all rows', value: 'all rows', rows: 1230, candidate: { auc: metric(0.91, 0.9, 0.92) }, production: { auc: metric(0.82, 0.8, 0.84) }, difference: metric(0.09, 0.07, 0.11) },
  slice_failures: [{ column: 'region', value: 'north', rows: 1200, metric: 'auc', production: 0.97, candidate: 0.95, drop: 0.02 }],
} as DecisionDoc;

describe('modelCard', () => {
  const card = modelCard({ manifest, intendedUse: 'Rank customers for a retention call; not for pricing.', decision, stage: 'rejected', classCounts: { stayed: 1100, left: 40 }, calibration: { method: 'isotonic', ece_before: 0.08, ece_after: 0.01 } });
  const md = cardMarkdown(card);

  it('has every section, in order', () => {
    expect(card.sections.map((s) => s.heading)).toEqual(['Task', 'Data lineage', 'Intended use', 'Metrics', 'Metrics per slice', 'Calibration', 'Top features', 'Promotion decision', 'Known caveats']);
    expect(md.startsWith('# Model card: churn v2\n')).toBe(true);
  });

  it('says what the version records: lineage with the time range, intended use, intervals, calibration, features, decision', () => {
    expect(md).toContain('dataset version (content hash) sha256-abc');
    expect(md).toContain('time range of signed_up: 2024-01-01T00:00:00.000Z to 2024-12-31T00:00:00.000Z');
    expect(md).toContain('Rank customers for a retention call; not for pricing.');
    expect(md).toContain('| auc | 0.9100 [0.9000, 0.9200] | 0.8200 [0.8000, 0.8400] |');
    expect(md).toContain('| region=north | 1200 | 0.9500 [0.9400, 0.9600] | 0.8000 [0.7800, 0.8200] | 0.1500 [0.1300, 0.1700] |');
    expect(md).toContain('- method: isotonic');
    expect(md).toContain('- ece_before: 0.0800');
    expect(md).toContain('| tenure | 120.5000 |');
    expect(md).toContain('not promoted (2026-01-01T00:01:00.000Z) against production v1');
    expect(md).toContain('paired bootstrap of the auc difference: 0.0900 [0.0700, 0.1100]');
  });

  it('calls out classes and slices with little data, and slices that lost', () => {
    expect(md).toContain('- class left has 40 holdout rows (fewer than 50)');
    expect(md).toContain('slice region=south\\|&lt;b> has 30 holdout rows (fewer than 50)');
    expect(md).toContain('slice region=north lost 0.0200 of auc against production');
  });

  it('keeps text from the data from opening HTML or breaking a table', () => {
    expect(md).not.toContain('<b>');
    expect(cardHtml(card)).not.toContain('<b>');
    expect(cardHtml(card)).toContain('south|&lt;b&gt;');
  });

  it('says what is missing rather than leaving a section empty', () => {
    const bare = cardMarkdown(modelCard({ manifest: { ...manifest, trainer: { ...manifest.trainer, importance: undefined } } }));
    expect(bare).toContain('Not stated: set "intended_use"');
    expect(bare).toContain('Not judged yet');
    expect(bare).toContain('No slices:');
    expect(bare).toContain('None recorded for this version');
    expect(bare).toContain('gbdt reports no feature importance.');
  });

  it('replaces the card section of a report, or adds one to a report without', () => {
    const first = withCard('<html><body><h1>r</h1></body></html>', modelCard({ manifest }));
    expect(first).toContain('Not judged yet');
    const second = withCard(first, card);
    expect(second.match(/id="model-card"/g)).toHaveLength(1);
    expect(second).not.toContain('Not judged yet');
    expect(second).toContain('<h1>r</h1>');
    expect(second.endsWith('</body></html>')).toBe(true);
  });
});
