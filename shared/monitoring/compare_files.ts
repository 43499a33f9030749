import type { Readable } from 'node:stream';
import { planColumns, readColumns } from './csv_columns';
import { compareToReference, type DriftResult } from './drift';
import { buildReference } from './reference';
import type { MonitoringSettings } from './settings';

/**
 * `mloop drift compare`: the same tests as the monitoring tick, on two files, as people run Evidently
 * on a reference and a current DataFrame. The whole reference is kept (no sample, every category), so
 * the numbers are those of the full data.
 */
export interface FileComparison {
  result: DriftResult;
  /** Columns left out, with why. */
  skipped: Record<string, string>;
  referenceRows: number;
}

export async function compareFiles(
  openReference: () => Promise<Readable>,
  openCurrent: () => Promise<Readable>,
  settings: Pick<MonitoringSettings, 'drift_share' | 'missing_rate_change' | 'features'>,
): Promise<FileComparison> {
  const plan = await planColumns(await openReference());
  const reference = await readColumns(await openReference(), plan);
  const current = await readColumns(await openCurrent(), plan);
  const profile = buildReference(reference.columns, null, { sampleSize: Infinity, sampleBudget: Infinity, maxCategories: Infinity });
  const result = compareToReference(profile, { rows: current.rows, features: new Map(current.columns.map((c) => [c.name, c])), scores: null }, settings);
  return { result, skipped: plan.skipped, referenceRows: reference.rows };
}
