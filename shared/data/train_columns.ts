import { storedColumn, type ColumnData } from './column_summary';
import type { ColumnStore } from './column_store';
import type { FeatureSpec } from './encoding';

export type NamedColumn = { name: string } & ColumnData;

/**
 * The training split's raw feature columns (what reference.json profiles), computed when asked rather
 * than kept: a numeric column's present values are the training matrix's own column without its
 * missing rows (the matrix holds the fill there), so only which rows were missing is kept, as one bit
 * a row. Kept as float32 copies they were 100 MB at 6 M rows, alive through the whole training.
 * Categories and booleans are kept as their counts, which are small.
 */
export function trainColumnsOf(stores: readonly ColumnStore[], specs: readonly FeatureSpec[], rows: Uint32Array, X: Float32Array, width: number): () => NamedColumn[] {
  let offset = 0;
  type Numeric = { name: string; offset: number; missing: number; bits: Uint8Array | null };
  const parts = stores.map((store, f): { kept: NamedColumn } | { numeric: Numeric } => {
    const at = offset;
    const spec = specs[f];
    offset += spec.kind === 'categorical' ? spec.categories.length : 1;
    if (store.column.kind !== 'numeric') return { kept: { name: store.column.name, ...storedColumn(store, rows) } };
    let missing = 0;
    const numbers = store.numbers;
    for (let k = 0; k < rows.length; k++) if (numbers[rows[k]] !== numbers[rows[k]]) missing++;
    const bits = missing > 0 ? new Uint8Array((rows.length + 7) >>> 3) : null;
    if (bits) for (let k = 0; k < rows.length; k++) if (numbers[rows[k]] !== numbers[rows[k]]) bits[k >>> 3] |= 1 << (k & 7);
    return { numeric: { name: store.column.name, offset: at, missing, bits } };
  });
  const n = rows.length;
  return () =>
    parts.map((part): NamedColumn => {
      if ('kept' in part) return part.kept;
      const { name, missing, bits, offset: at } = part.numeric;
      const values = new Float32Array(n - missing);
      for (let k = 0, m = 0; k < n; k++) if (!bits || (bits[k >>> 3] & (1 << (k & 7))) === 0) values[m++] = X[k * width + at];
      return { name, kind: 'numeric', values, missing };
    });
}
