/**
 * The numbers a listing shows for a model, where one column has room: what its task is judged on.
 * A binary model's AUC; a classifier of many classes (images, or a table's multiclass target) its
 * accuracy and macro-F1, since one AUC per class does not say how often it is right; a regression's RMSE.
 */
export interface HeadlineMetric {
  name: string;
  /** Null where the metric is undefined (JSON has no NaN). */
  value: number | null;
}

const HEADLINES: ReadonlyArray<readonly string[]> = [['auc'], ['accuracy', 'macro_f1'], ['rmse']];

export function headlineMetrics(metrics: Readonly<Record<string, number | null | undefined>> | null | undefined): HeadlineMetric[] {
  if (!metrics) return [];
  const names = HEADLINES.find(([first]) => first in metrics) ?? [];
  return names.filter((name) => name in metrics).map((name) => {
    const value = metrics[name];
    return { name, value: typeof value === 'number' && Number.isFinite(value) ? value : null };
  });
}

/** `auc 0.9123`, or `accuracy 0.9500, macro_f1 0.9400`; '-' for an undefined value. */
export function headlineText(headline: readonly HeadlineMetric[], digits = 4): string {
  return headline.map(({ name, value }) => `${name} ${value === null ? '-' : value.toFixed(digits)}`).join(', ');
}
