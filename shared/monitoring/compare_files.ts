import { aboutFile } from '../data/csv_file_errors';
import type { Rejection } from '../data/csv';
import type { TableInput } from '../data/table';
import { planColumns, readColumns } from './csv_drift_columns';
import { compareToReference, type DriftResult } from './drift';
import { buildReference } from './reference_profile';
import type { MonitoringSettings } from './settings';

/**
 * `mloop drift compare`: the same tests as the monitoring tick, on two files, as people run Evidently
 * on a reference and a current DataFrame. The whole reference is kept (no sample, every category), so
 * the numbers are those of the full data.
 */
export interface CsvSource {
  /** The file's path as the person gave it: errors start with it. */
  name: string;
  open: () => Promise<TableInput>;
}

/** Lines of one file that the comparison left out, as a CSV dataset's are: how many, and the first. */
export interface LeftOut {
  file: string;
  count: number;
  first: Rejection;
}

export interface FileComparison {
  result: DriftResult;
  /** Columns left out, with why. */
  skipped: Record<string, string>;
  referenceRows: number;
  leftOut: LeftOut[];
}

export async function compareFiles(
  reference: CsvSource,
  current: CsvSource,
  settings: Pick<MonitoringSettings, 'drift_share' | 'missing_rate_change' | 'features'>,
): Promise<FileComparison> {
  const plan = await aboutFile(reference.name, async () => planColumns(await reference.open()));
  const referenceColumns = await aboutFile(reference.name, async () => readColumns(await reference.open(), plan));
  const currentColumns = await aboutFile(current.name, async () => readColumns(await current.open(), plan));
  const profile = buildReference(referenceColumns.columns, null, { sampleSize: Infinity, sampleBudget: Infinity, maxCategories: Infinity });
  const result = compareToReference(profile, { rows: currentColumns.rows, features: new Map(currentColumns.columns.map((c) => [c.name, c])), scores: null }, settings);
  const leftOut = [
    { file: reference.name, read: referenceColumns },
    { file: current.name, read: currentColumns },
  ].flatMap(({ file, read }) => (read.rejectedCount ? [{ file, count: read.rejectedCount, first: read.rejected[0] }] : []));
  return { result, skipped: plan.skipped, referenceRows: referenceColumns.rows, leftOut };
}
