import { Readable } from 'node:stream';
import { contentVersion, shortHash } from '../../core/ids';
import { MloopError } from '../../core/errors';
import { validateCsv } from '../../data/csv_validation';
import type { Context } from '../context';
import { DATASET_CONFIG_VERSION, type DatasetConfig } from '../dataset_config';
import { exportStatement, LOCAL_BIGQUERY_REFUSAL, snapshotQuery } from '../sources/bigquery_sql';
import { openDatasetTable } from '../training/dataset_objects';
import { storeOf } from '../store';
import type { BigQuerySnapshot, DatasetDoc } from '../store/documents';
import type { ObjectMetadata } from '../../platform/ports';
import { storeReport } from './on_data_uploaded';

export const manifestName = (model: string, key: string) => `bigquery/${model}/${key}/manifest.json`;

/**
 * A training request of a model whose rows are in BigQuery: run its query as of `at` in BigQuery,
 * export the result as Parquet into the data bucket (under bigquery/<model>/, outside datasets/, so the
 * files do not start runs of their own), and record it as a dataset version, validated like an upload.
 * The version derives from the query text (which holds the snapshot time) and the files it wrote, and
 * the job id from the query text: a redelivered request waits on the same job and records the same
 * version. A job BigQuery fails records a rejected version whose reason is BigQuery's own message.
 */
export async function snapshotDataset(ctx: Context, model: string, config: DatasetConfig, at: Date): Promise<DatasetDoc> {
  const source = config.source?.bigquery;
  if (!source) throw new MloopError('failed_precondition', `model "${model}" has no BigQuery source in its mloop.json`);
  const warehouse = ctx.platform.warehouse;
  if (!warehouse) throw new MloopError('failed_precondition', `model "${model}" ${LOCAL_BIGQUERY_REFUSAL}`);
  const { objects, clock } = ctx.platform;
  const bucket = ctx.config.dataBucket;
  const query = snapshotQuery(source, at);
  const key = shortHash(query, 16);
  const prefix = `bigquery/${model}/${key}/part-`;
  const jobId = `mloop_${model.replace(/-/g, '_')}_${key}`;
  const base = {
    model,
    config,
    config_version: DATASET_CONFIG_VERSION,
    created_at: clock.now().toISOString(),
  };
  const snapshot = { query, snapshot_time: at.toISOString(), job_id: jobId, location: source.location ?? null };

  let rows: number | null;
  try {
    ({ rows } = await warehouse.exportQuery({ jobId, statement: exportStatement(query, bucket, prefix), ...(source.location && { location: source.location }) }));
  } catch (err) {
    if (!(err instanceof MloopError && err.permanent)) throw err;
    ctx.log.error({ model, job_id: jobId, err: err.message }, 'BigQuery export failed');
    const rejected: DatasetDoc = {
      ...base,
      version: `bq-${key}`,
      status: 'rejected',
      reason: err.message,
      object: { bucket, name: prefix, generation: '0', md5Hash: '', size: 0 },
      bigquery: { ...snapshot, files: [], rows: null },
    };
    return storeOf(ctx).datasets.createOrGet(rejected);
  }
  const files = (await objects.list(bucket, prefix)).filter((o) => o.name.endsWith('.parquet'));
  files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const recorded: BigQuerySnapshot = { ...snapshot, files: files.map((f) => ({ name: f.name, md5Hash: f.md5Hash, size: f.size, generation: f.generation })), rows };
  const version = await contentVersion(Readable.from([JSON.stringify({ query, files: recorded.files.map((f) => [f.name, f.md5Hash]) })]));
  const existing = await storeOf(ctx).datasets.get(model, version);
  if (existing) return existing;

  const manifest = await writeOnce(ctx, manifestName(model, key), JSON.stringify(recorded, null, 2));
  const doc: DatasetDoc = {
    ...base,
    version,
    status: 'accepted',
    object: { bucket, name: manifest.name, generation: manifest.generation, md5Hash: manifest.md5Hash, size: manifest.size },
    bigquery: recorded,
    // the exported files are a dataset in Parquet parts: validated, profiled and trained on by the same
    // reader as an upload in parts, with the file's own column types
    parts: recorded.files.map((f) => ({ ...f })),
  };
  try {
    const { profile, report } = await validateCsv(await openDatasetTable(ctx, doc), config);
    const stored = await storeReport(ctx, model, version, report);
    const accepted = { ...doc, header: profile.header, rows: report.rows, rejected_count: report.rejected_count, ...stored };
    ctx.log.info({ model, dataset_version: version, job_id: jobId, files: files.length, rows: report.rows }, 'BigQuery snapshot exported');
    return storeOf(ctx).datasets.createOrGet(accepted);
  } catch (err) {
    if (!(err instanceof MloopError && err.permanent)) throw err;
    return storeOf(ctx).datasets.createOrGet({ ...doc, status: 'rejected', reason: err.message });
  }
}

/** The export's manifest, written once: a second delivery finds the first's. */
async function writeOnce(ctx: Context, name: string, text: string): Promise<ObjectMetadata> {
  const { objects } = ctx.platform;
  const bucket = ctx.config.dataBucket;
  try {
    return await objects.put(bucket, name, text, { contentType: 'application/json', ifGenerationMatch: '0' });
  } catch (err) {
    const existing = err instanceof MloopError && err.code === 'failed_precondition' ? await objects.stat(bucket, name) : null;
    if (existing) return existing;
    throw err;
  }
}
