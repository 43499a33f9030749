import { errorMessage, MloopError } from '../../core/errors';
import { TOPICS, type ObjectFinalized, type TrainingRequested } from '../../core/events';
import { contentVersion, isValidModelName } from '../../core/ids';
import { DATASET_CONFIG_VERSION, parseDatasetConfig, type DatasetConfig } from '../dataset_config';
import { validateCsv, type ValidationReport } from '../../data/csv_validation';
import type { Context } from '../context';
import type { DatasetDoc } from '../store/documents';
import { storeOf } from '../store';

const DATASET_OBJECT = /^datasets\/([^/]+)\/([^/]+\.csv)$/i;
export const CONFIG_FILE = 'mloop.json';

export type IngestResult =
  | { outcome: 'ignored'; reason: string }
  | { outcome: 'rejected'; model: string; version: string; reason: string }
  | { outcome: 'accepted'; model: string; version: string; requestId: string };

/** `datasets/<model>/<file>.csv` → the model name, or why the object is not a dataset. */
export function parseDatasetObjectName(name: string): { model: string } | { ignore: string } {
  const match = DATASET_OBJECT.exec(name);
  if (!match) return { ignore: `not a dataset: only datasets/<model>/<file>.csv objects are ingested` };
  const model = match[1];
  if (!isValidModelName(model)) {
    return { ignore: `model name "${model}" must be lowercase letters, digits, '-' or '_' (at most 63)` };
  }
  return { model };
}

export const uploadRequestId = (model: string, version: string) => `upload:${model}:${version}`;

/**
 * onDataUploaded: validate the file, version it by content, record the dataset, request training.
 * The same bytes always give the same version and the same request id, so a redelivered event, or the
 * same file uploaded twice, leads to one dataset version and one training run.
 */
export async function ingestObject(ctx: Context, event: ObjectFinalized): Promise<IngestResult> {
  const { objects, bus, clock } = ctx.platform;
  const { datasets } = storeOf(ctx);
  if (event.bucket !== ctx.config.dataBucket) {
    return { outcome: 'ignored', reason: `bucket ${event.bucket} is not the data bucket` };
  }
  const parsed = parseDatasetObjectName(event.name);
  if ('ignore' in parsed) return { outcome: 'ignored', reason: parsed.ignore };
  const { model } = parsed;

  const stat = await objects.stat(event.bucket, event.name);
  if (!stat) return { outcome: 'ignored', reason: `object ${event.name} no longer exists` };
  const version = await contentVersion(await objects.createReadStream(event.bucket, event.name));

  let doc = await datasets.get(model, version);
  if (!doc) {
    doc = await datasets.createOrGet(await validate(ctx, model, version, stat));
    ctx.log.info({ model, dataset_version: version, status: doc.status, reason: doc.reason }, `dataset ${event.name} ${doc.status}`);
  }
  if (doc.status === 'rejected') {
    return { outcome: 'rejected', model, version, reason: doc.reason ?? 'rejected' };
  }
  // Published even when the dataset document already existed: a crash after recording it must not
  // lose the request, and the run id derived from the request id makes a second request harmless.
  const request: TrainingRequested = {
    request_id: uploadRequestId(model, version),
    model,
    dataset_version: version,
    reason: 'upload',
    requested_at: clock.now().toISOString(),
  };
  await bus.publish(TOPICS.trainingRequested, request, { attributes: { model }, orderingKey: model });
  return { outcome: 'accepted', model, version, requestId: request.request_id };
}

async function validate(
  ctx: Context,
  model: string,
  version: string,
  stat: { bucket: string; name: string; generation: string; md5Hash: string; size: number },
): Promise<DatasetDoc> {
  const base: DatasetDoc = {
    model,
    version,
    status: 'accepted',
    object: { bucket: stat.bucket, name: stat.name, generation: stat.generation, md5Hash: stat.md5Hash, size: stat.size },
    created_at: ctx.platform.clock.now().toISOString(),
  };
  try {
    const config = await readDatasetConfig(ctx, model);
    const { profile, report } = await validateCsv(await ctx.platform.objects.createReadStream(stat.bucket, stat.name), config);
    const stored = await storeReport(ctx, model, version, report);
    const typed = { config, config_version: DATASET_CONFIG_VERSION };
    return { ...base, header: profile.header, ...typed, rows: report.rows, rejected_count: report.rejected_count, ...stored };
  } catch (err) {
    if (err instanceof MloopError && err.permanent) return { ...base, status: 'rejected', reason: err.message };
    throw err;
  }
}

/** Past this size the report goes to the artifacts bucket, and the document keeps it without the columns. */
const REPORT_INLINE_BYTES = 64 * 1024;

export const reportObjectName = (model: string, version: string) => `datasets/${model}/${version}/report.json`;

async function storeReport(ctx: Context, model: string, version: string, report: ValidationReport): Promise<Pick<DatasetDoc, 'report' | 'report_object'>> {
  const json = JSON.stringify(report);
  if (Buffer.byteLength(json) <= REPORT_INLINE_BYTES) return { report };
  const name = reportObjectName(model, version);
  await ctx.platform.objects.put(ctx.config.artifactsBucket, name, json, { contentType: 'application/json' });
  const { columns: _columns, ...summary } = report;
  return { report: summary, report_object: `${ctx.config.artifactsBucket}/${name}` };
}

/**
 * The model's `mloop.json` as it is now, or the defaults when there is none: read only here, when a file
 * arrives; what it says is stored with the dataset version, and everything later reads that copy.
 */
async function readDatasetConfig(ctx: Context, model: string): Promise<DatasetConfig> {
  const name = `datasets/${model}/${CONFIG_FILE}`;
  const stat = await ctx.platform.objects.stat(ctx.config.dataBucket, name);
  if (!stat) return parseDatasetConfig({});
  const text = (await ctx.platform.objects.get(ctx.config.dataBucket, name)).toString('utf8');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new MloopError('invalid_argument', `${name} is not valid JSON: ${errorMessage(err)}`);
  }
  try {
    return parseDatasetConfig(raw);
  } catch (err) {
    throw new MloopError('invalid_argument', `${name}: ${errorMessage(err)}`);
  }
}
