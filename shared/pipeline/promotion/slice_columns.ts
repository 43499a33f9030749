import type { FeatureSpec } from '../../data/encoding';
import type { SliceColumn } from '../../ml/slice_metrics';
import type { HoldoutRow } from '../artifacts/model_files';

/** A categorical of more values than this is an identifier or a free text, not a segment worth a row each. */
export const AUTO_SLICE_MAX_VALUES = 20;

/**
 * The columns a holdout is sliced by: those mloop.json names (any column of the holdout's rows; one it
 * lacks is left out, and said so by the caller), else the categorical and boolean features with 2 to
 * AUTO_SLICE_MAX_VALUES distinct values on the holdout.
 */
export function sliceColumnsOf(holdout: readonly HoldoutRow[], features: readonly FeatureSpec[], named?: readonly string[]): { columns: SliceColumn[]; missing: string[] } {
  const present = new Set(holdout.length > 0 ? Object.keys(holdout[0].record ?? {}) : []);
  const candidates = named ?? features.filter((f) => f.kind === 'categorical' || f.kind === 'boolean').map((f) => f.name);
  const columns: SliceColumn[] = [];
  const missing: string[] = [];
  for (const column of candidates) {
    if (!present.has(column)) {
      missing.push(column);
      continue;
    }
    const values = holdout.map((row) => row.record?.[column] ?? '');
    if (!named) {
      const distinct = new Set(values).size;
      if (distinct < 2 || distinct > AUTO_SLICE_MAX_VALUES) continue;
    }
    columns.push({ column, values });
  }
  return { columns, missing };
}
