import { estimateSeries } from '../../../dashboard/src/estimate_series';
import type { DriftReportDoc } from '../../../shared/pipeline/store/monitoring_documents';

const report = (model: string, created_at: string, extra: Partial<DriftReportDoc>): DriftReportDoc => ({ model, created_at, ...extra }) as DriftReportDoc;

describe('estimateSeries', () => {
  it("plots a binary model's estimated AUC and a regression's estimated MAE, each beside what the labels realised, in time order", () => {
    const series = estimateSeries([
      report('fraud', '2026-12-02T02:00:00Z', { estimated_performance: { auc: 0.91, realised: { auc: 0.9 } } as DriftReportDoc['estimated_performance'] }),
      report('fraud', '2026-12-02T01:00:00Z', { estimated_performance: { auc: 0.93 } as DriftReportDoc['estimated_performance'] }),
      report('price', '2026-12-02T01:00:00Z', { estimated_error: { mae: 1.4 } as DriftReportDoc['estimated_error'] }),
      report('price', '2026-12-02T02:00:00Z', { estimated_error: { mae: 3.1, realised: { mae: 3.2 } } as DriftReportDoc['estimated_error'] }),
      report('price', '2026-12-02T03:00:00Z', { estimated_error: null }),
    ]);
    const t = (iso: string) => Date.parse(iso);
    expect(series).toEqual([
      { model: 'fraud', metric: 'ROC AUC', estimated: [[t('2026-12-02T01:00:00Z'), 0.93], [t('2026-12-02T02:00:00Z'), 0.91]], realised: [[t('2026-12-02T02:00:00Z'), 0.9]] },
      { model: 'price', metric: 'MAE', estimated: [[t('2026-12-02T01:00:00Z'), 1.4], [t('2026-12-02T02:00:00Z'), 3.1]], realised: [[t('2026-12-02T02:00:00Z'), 3.2]] },
    ]);
  });

  it('draws nothing for a model whose ticks estimated nothing', () => {
    expect(estimateSeries([report('fraud', '2026-12-02T01:00:00Z', { estimated_performance: null })])).toEqual([]);
  });
});
