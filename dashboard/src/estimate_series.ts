import type { DriftReportDoc } from '../../shared/pipeline/store/monitoring_documents';

/** What a tick estimated before labels and what the labels realised later, for one model and one metric. */
export interface EstimateSeries {
  model: string;
  metric: 'ROC AUC' | 'MAE';
  estimated: Array<[number, number]>;
  realised: Array<[number, number]>;
}

/**
 * Per model, the estimates over time: a binary model's ROC AUC (from its calibrated scores), a
 * regression's MAE (from its error model), each beside the value its window's labels gave once they
 * came back. Ticks that estimated nothing are left out rather than drawn as zero.
 */
export function estimateSeries(reports: readonly DriftReportDoc[]): EstimateSeries[] {
  const sorted = [...reports].sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : 0));
  const at = (r: DriftReportDoc) => Date.parse(r.created_at);
  const out: EstimateSeries[] = [];
  for (const model of new Set(sorted.map((r) => r.model))) {
    const mine = sorted.filter((r) => r.model === model);
    const auc = mine.filter((r) => r.estimated_performance?.auc != null);
    if (auc.length) {
      out.push({
        model,
        metric: 'ROC AUC',
        estimated: auc.map((r) => [at(r), r.estimated_performance!.auc!]),
        realised: auc.flatMap((r): Array<[number, number]> => (r.estimated_performance!.realised?.auc != null ? [[at(r), r.estimated_performance!.realised.auc]] : [])),
      });
    }
    const mae = mine.filter((r) => r.estimated_error != null);
    if (mae.length) {
      out.push({
        model,
        metric: 'MAE',
        estimated: mae.map((r) => [at(r), r.estimated_error!.mae]),
        realised: mae.flatMap((r): Array<[number, number]> => (r.estimated_error!.realised ? [[at(r), r.estimated_error!.realised.mae]] : [])),
      });
    }
  }
  return out;
}
