import type { ColumnStore } from './column_store';
import { encodedWidth, type FeatureSpec } from './encoding';

/**
 * The training matrix straight from the column stores: exactly what encodeRecords gives for the same
 * rows as records (a test holds the two equal), without building an object per row.
 */
export function encodeColumns(stores: readonly ColumnStore[], specs: readonly FeatureSpec[], rows: Uint32Array): Float32Array {
  const width = encodedWidth(specs);
  const n = rows.length;
  const X = new Float32Array(n * width);
  let offset = 0;
  specs.forEach((spec, f) => {
    const store = stores[f];
    if (store.column.name !== spec.name) throw new Error(`feature ${f} is "${spec.name}" but column store ${f} is "${store.column.name}"`);
    if (spec.kind === 'numeric') {
      const values = store.numbers;
      const fill = spec.fill;
      for (let k = 0, at = offset; k < n; k++, at += width) {
        const v = values[rows[k]];
        X[at] = v === v ? v : fill;
      }
      offset += 1;
    } else if (spec.kind === 'boolean') {
      const flags = store.flags;
      for (let k = 0, at = offset; k < n; k++, at += width) X[at] = flags[rows[k]] === 1 ? 1 : 0;
      offset += 1;
    } else {
      // dictionary code → one-hot position, -1 for a value outside the fitted categories
      const position = new Int16Array(store.dictionary.size + 1).fill(-1);
      const wanted = new Map(spec.categories.map((c, j) => [c, j]));
      for (let code = 0; code < store.dictionary.size; code++) position[code + 1] = wanted.get(store.dictionary.text(code)) ?? -1;
      const codes = store.codes;
      for (let k = 0, at = offset; k < n; k++, at += width) {
        const j = position[codes[rows[k]]];
        if (j >= 0) X[at + j] = 1;
      }
      offset += spec.categories.length;
    }
  });
  return X;
}
