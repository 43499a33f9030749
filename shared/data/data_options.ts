/**
 * What the data layer reads of a dataset's `mloop.json`: the target and how rows are chosen and split.
 * The pipeline's DatasetConfig holds these fields among others, so it is passed as it is.
 */
export interface DataOptions {
  target: string;
  positive_class?: string | number;
  task?: 'binary' | 'multiclass' | 'regression';
  drop: string[];
  time_column?: string;
  seed?: number;
  sample?: number;
}
