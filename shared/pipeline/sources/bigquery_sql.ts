import { invalid } from '../../core/errors';

/** mloop.json's `source.bigquery`: a table, or a query, with an optional filter and sample. */
export interface BigQuerySource {
  table?: string;
  query?: string;
  /** A GoogleSQL condition on the rows, as after WHERE. */
  filter?: string;
  /** Keep this share of the rows (0 < p ≤ 100), drawn by a hash of each row: the same rows every time. */
  sample_percent?: number;
  /** Where the dataset is (`EU`, `US`, a region): the job runs there. */
  location?: string;
  /** A new snapshot on this unix-cron schedule (UTC), as a Cloud Scheduler job: `mloop schedules --terraform`. */
  schedule?: string;
}

/** Cloud Scheduler's unix-cron: five fields (minute hour day-of-month month day-of-week). */
export const CRON = /^\S+(?: \S+){4}$/;

/** Said wherever a BigQuery source meets a platform without BigQuery. */
export const LOCAL_BIGQUERY_REFUSAL =
  'reads its rows from BigQuery (mloop.json "source"), which only a Google Cloud deployment can query: run it with MLOOP_PLATFORM=gcp (and GOOGLE_CLOUD_PROJECT), or upload its data as a file under datasets/<model>/ instead';

/** The dataset version a BigQuery model's request names until its snapshot is exported. */
export const pendingSnapshotVersion = (at: string) => `bigquery@${at}`;

/** Where a query source says the snapshot time goes, once per table it reads. */
export const SNAPSHOT_PARAMETER = '@snapshot_time';
const SNAPSHOT_WORD = /@snapshot_time\b/g;
const MENTIONS_SNAPSHOT = /@snapshot_time\b/;
export const TABLE_NAME = /^[a-z][a-z0-9-]{4,28}[a-z0-9]\.[A-Za-z0-9_]{1,1024}\.[A-Za-z0-9_]{1,1024}$/;

/** BigQuery's canonical timestamp literal, in UTC to the millisecond. */
export function timestampLiteral(at: Date): string {
  return `TIMESTAMP '${at.toISOString().replace('T', ' ').replace('Z', '+00')}'`;
}

/**
 * The SELECT a run trains on, as of one snapshot time: a table read `FOR SYSTEM_TIME AS OF` it, or the
 * query with every `@snapshot_time` replaced by it (so the text alone says what was read, and running
 * it again reads the same rows while BigQuery keeps the table's history). A filter and a sample wrap it.
 */
export function snapshotQuery(source: BigQuerySource, at: Date): string {
  const snapshot = timestampLiteral(at);
  const base = source.table ? `SELECT * FROM \`${source.table}\` FOR SYSTEM_TIME AS OF ${snapshot}` : source.query!.trim().replace(/;\s*$/, '').replace(SNAPSHOT_WORD, snapshot);
  const conditions = [
    ...(source.filter ? [`(${source.filter})`] : []),
    // A row's place in a million, from its content: a sample that does not change between runs.
    ...(source.sample_percent !== undefined && source.sample_percent < 100 ? [`MOD(ABS(FARM_FINGERPRINT(TO_JSON_STRING(t))), 1000000) < ${Math.round(source.sample_percent * 10_000)}`] : []),
  ];
  return conditions.length === 0 ? base : `SELECT * FROM (${base}) AS t WHERE ${conditions.join(' AND ')}`;
}

/** The statement that writes the query's rows as Parquet files at `gs://bucket/prefix*.parquet`. */
export function exportStatement(select: string, bucket: string, prefix: string): string {
  if (/['\\*]/.test(bucket + prefix)) throw invalid(`an export path may not hold quotes, backslashes or *: ${bucket}/${prefix}`);
  return `EXPORT DATA OPTIONS(uri='gs://${bucket}/${prefix}*.parquet', format='PARQUET', overwrite=true) AS\n${select}`;
}

/** What is wrong with a source, or null: exactly one of table and query; a query that says where its snapshot goes. */
export function sourceProblem(source: BigQuerySource): string | null {
  if (!!source.table === !!source.query) return 'name exactly one of "table" (project.dataset.table) and "query"';
  if (source.table && !TABLE_NAME.test(source.table)) return `"table" must be project.dataset.table, got "${source.table}"`;
  if (source.query && !/^\s*(SELECT|WITH)\b/i.test(source.query)) return '"query" must be one SELECT (or WITH ... SELECT) statement';
  if (source.query && !MENTIONS_SNAPSHOT.test(source.query)) {
    return `"query" must read each table FOR SYSTEM_TIME AS OF ${SNAPSHOT_PARAMETER}, so that a run reads one snapshot and can be repeated`;
  }
  return null;
}
