import { isValidModelName } from '../../core/ids';

/**
 * A dataset in parts: `datasets/<model>/<name>/` holding part files and a completion marker, as Spark,
 * Dataflow and BigQuery exports write them. The prefix is one dataset version, read when its marker
 * lands; a part alone is never a dataset.
 */
export const SUCCESS_MARKER = '_SUCCESS';
export const MANIFEST_MARKER = 'manifest.json';

/**
 * Part formats by how a part's name ends. Adding a format is one line here and its reader in
 * training/dataset_objects.ts (CSV parts are joined as one stream, Parquet parts read as a table of parts).
 */
export const PART_FORMATS = [
  { suffix: '.csv', format: 'csv' },
  { suffix: '.parquet', format: 'parquet' },
] as const satisfies ReadonlyArray<{ suffix: string; format: string }>;
export type PartFormat = (typeof PART_FORMATS)[number]['format'];

export const partFormatOf = (file: string): PartFormat | null => PART_FORMATS.find((f) => file.toLowerCase().endsWith(f.suffix))?.format ?? null;

/** Hadoop's rule, which Spark and Dataflow follow: `_` and `.` files (markers, checksums) are not data. */
export const isHiddenFile = (file: string) => file.startsWith('_') || file.startsWith('.');

const DATASET_NAME = /^[A-Za-z0-9][A-Za-z0-9._=-]{0,127}$/;

/** Why `name` cannot be the `<name>` of datasets/<model>/<name>/, or null. */
export const datasetFolderProblem = (name: string): string | null =>
  DATASET_NAME.test(name) ? null : `dataset folder "${name}" must be letters, digits, '.', '_', '=' or '-' (at most 128, not starting with '.' or '_')`;

export interface PartsObject {
  model: string;
  /** `datasets/<model>/<name>/` */
  prefix: string;
  /** The name inside the prefix (may hold `/` when nested, which is refused later with a reason). */
  file: string;
  role: 'success' | 'manifest' | 'part' | 'other';
}

/**
 * `datasets/<model>/<name>/<file>` → what the object is in its prefix; `{ ignore }` when it is inside a
 * prefix but cannot be part of a dataset; null when the name is not inside a prefix at all (a file
 * directly under datasets/<model>/ is a dataset of its own).
 */
export function parsePartsObjectName(name: string): PartsObject | { ignore: string } | null {
  const match = /^datasets\/([^/]+)\/([^/]+)\/(.+)$/.exec(name);
  if (!match) return null;
  const [, model, dataset, file] = match;
  if (!isValidModelName(model)) return { ignore: `model name "${model}" must be lowercase letters, digits, '-' or '_' (at most 63)` };
  const problem = datasetFolderProblem(dataset);
  if (problem) return { ignore: problem };
  const prefix = `datasets/${model}/${dataset}/`;
  const role = file === SUCCESS_MARKER ? 'success' : file === MANIFEST_MARKER ? 'manifest' : !file.includes('/') && !isHiddenFile(file) && partFormatOf(file) ? 'part' : 'other';
  return { model, prefix, file, role };
}
