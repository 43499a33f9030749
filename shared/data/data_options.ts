/**
 * What the data layer reads of a dataset's `mloop.json`: the target and how rows are chosen and split.
 * The pipeline's DatasetConfig holds these fields among others, so it is passed as it is.
 */
export interface DataOptions {
  target: string;
  positive_class?: string | number;
  /** image_classification belongs to an archive of images: a table's readers refuse it. */
  task?: 'binary' | 'multiclass' | 'regression' | 'image_classification';
  drop: string[];
  time_column?: string;
  seed?: number;
  sample?: number;
  /** Slice columns: kept in the holdout's rows even when not a feature (dropped), so the evaluation can slice by them. */
  slices?: string[];
}
