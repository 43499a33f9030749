import { Readable } from 'node:stream';
import { errorMessage, MloopError } from '../../core/errors';
import { TOPICS, type ObjectFinalized, type TrainingRequested } from '../../core/events';
import { contentVersion, isValidModelName } from '../../core/ids';
import { untrustedNameProblem } from '../../core/object_names';
import { parseTags, type RunTags } from '../../core/tags';
import { DATASET_CONFIG_VERSION, parseDatasetConfig, type DatasetConfig, type DatasetKind } from '../dataset_config';
import type { ImageDataset } from '../../data/images/dataset';
import { readArchiveObject, scanArchive } from '../training/image_archive';
import { composedDataset, composeMembers, csvSchemaProblem, type ValidateComposed } from '../training/compose_dataset';
import { datasetConfigOf } from '../store/stored_config';
import { validateCsv, type ValidationReport } from '../../data/csv_validation';
import { STOP } from '../../data/csv';
import { readTable } from '../../data/table';
import type { Context } from '../context';
import type { DatasetDoc } from '../store/documents';
import { storeOf } from '../store';
import { parsePartsObjectName, type PartsObject } from '../parts/parts_prefix';
import { partsHeaderProblem, resolveParts } from '../parts/resolve_parts';
import { openDatasetTable, type Located } from '../training/dataset_objects';
import { LOCAL_BIGQUERY_REFUSAL, pendingSnapshotVersion } from '../sources/bigquery_sql';

const DATASET_OBJECT = /^datasets\/([^/]+)\/([^/]+\.(csv|parquet|zip|tar|tar\.gz|tgz))$/i;
export const CONFIG_FILE = 'mloop.json';

/**
 * `mloop push --tag`: the tags of one upload, in an object beside it (written first), which the run it
 * starts carries. Its name ends in .json, so it is never taken for a dataset.
 */
export const tagsObjectName = (datasetObject: string) => `${datasetObject}.tags.json`;

/** The tags of a dataset in parts: a `_` name, which exports and the ingest skip as not data. */
export const partsTagsObjectName = (prefix: string) => `${prefix}_tags.json`;

export type IngestResult =
  | { outcome: 'ignored'; reason: string }
  | { outcome: 'rejected'; model: string; version: string; reason: string }
  | { outcome: 'accepted'; model: string; version: string; requestId: string };

/** `datasets/<model>/<file>.csv` or `.parquet` (or an archive of images: .zip, .tar, .tar.gz) → the model name and kind, or why the object is not a dataset. */
export function parseDatasetObjectName(name: string): { model: string; kind: DatasetKind } | { ignore: string } {
  const match = DATASET_OBJECT.exec(name);
  if (!match) return { ignore: `not a dataset: only datasets/<model>/<file>.csv or .parquet objects (or .zip, .tar, .tar.gz archives of images) are ingested` };
  const model = match[1];
  if (!isValidModelName(model)) {
    return { ignore: `model name "${model}" must be lowercase letters, digits, '-' or '_' (at most 63)` };
  }
  // A Parquet file is a table like a CSV (kind 'csv'): the readers tell them apart by the object's name.
  const ext = match[3].toLowerCase();
  return { model, kind: ext === 'csv' || ext === 'parquet' ? 'csv' : 'images' };
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
  const unsafe = untrustedNameProblem(event.name);
  if (unsafe) {
    ctx.log.warn({ object: JSON.stringify(event.name), problem: unsafe }, 'object name refused');
    return { outcome: 'ignored', reason: `object name ${JSON.stringify(event.name)} refused: ${unsafe}` };
  }
  const config = CONFIG_OBJECT.exec(event.name);
  if (config && isValidModelName(config[1])) return configLanded(ctx, config[1], event);
  const inPrefix = parsePartsObjectName(event.name);
  if (inPrefix) return 'ignore' in inPrefix ? { outcome: 'ignored', reason: inPrefix.ignore } : ingestParts(ctx, event.bucket, inPrefix);
  const parsed = parseDatasetObjectName(event.name);
  if ('ignore' in parsed) return { outcome: 'ignored', reason: parsed.ignore };
  const { model, kind } = parsed;

  const stat = await objects.stat(event.bucket, event.name);
  if (!stat) return { outcome: 'ignored', reason: `object ${event.name} no longer exists` };
  let doc: DatasetDoc | null;
  if (kind === 'images') {
    // an archive's version is its images' (labels and content, however zipped): known only once it is read
    const scanned = await validateImages(ctx, model, stat);
    doc = (await datasets.get(model, scanned.version)) ?? (await recorded(ctx, event.name, await datasets.createOrGet(scanned)));
  } else {
    const version = await contentVersion(await objects.createReadStream(event.bucket, event.name));
    doc = (await datasets.get(model, version)) ?? (await recorded(ctx, event.name, await datasets.createOrGet(await validate(ctx, model, version, located(stat)))));
  }
  return requestTrainingOn(ctx, doc, kind, tagsObjectName(event.name));
}

/**
 * A dataset in parts (see parts/resolve_parts.ts): recorded once its parts are known, then requested as
 * an upload is, under the same request id for the same parts whichever of its events got here.
 */
async function ingestParts(ctx: Context, bucket: string, target: PartsObject): Promise<IngestResult> {
  const { datasets } = storeOf(ctx);
  const found = await resolveParts(ctx, bucket, target);
  if ('ignore' in found) {
    ctx.log.info({ object: `${target.prefix}${target.file}`, reason: found.ignore }, 'part object not ingested');
    return { outcome: 'ignored', reason: found.ignore };
  }
  const { model, version } = found;
  const doc =
    (await datasets.get(model, version)) ??
    (await recorded(
      ctx,
      target.prefix,
      await datasets.createOrGet(found.reject ? { ...baseDoc(ctx, model, version, found.located), status: 'rejected', reason: found.reject } : await validate(ctx, model, version, found.located)),
    ));
  return requestTrainingOn(ctx, doc, 'csv', partsTagsObjectName(target.prefix));
}

/** A recorded upload → its training request (on the union of the uploads with compose "all"), or why none. */
async function requestTrainingOn(ctx: Context, doc: DatasetDoc, kind: DatasetKind, tagsObject: string): Promise<IngestResult> {
  const { bus, clock } = ctx.platform;
  const { model, version } = doc;
  if (doc.status === 'rejected') {
    return { outcome: 'rejected', model, version, reason: doc.reason ?? 'rejected' };
  }
  // compose "all": the run trains on the union of the uploads, but is still named by this upload, so
  // that whoever pushed the file (mloop push --wait) follows the run it started
  const trained = datasetConfigOf(doc).compose === 'all' ? await composedDataset(ctx, doc, datasetConfigOf(doc), validateComposed(ctx, model, kind)) : doc;
  if (trained.status === 'rejected') {
    return { outcome: 'rejected', model, version: trained.version, reason: `the composed dataset was rejected: ${trained.reason ?? 'rejected'}` };
  }
  // Published even when the dataset document already existed: a crash after recording it must not
  // lose the request, and the run id derived from the request id makes a second request harmless.
  const tags = await uploadTags(ctx, ctx.config.dataBucket, tagsObject);
  const request: TrainingRequested = {
    request_id: uploadRequestId(model, version),
    model,
    dataset_version: trained.version,
    reason: 'upload',
    requested_at: clock.now().toISOString(),
    ...(tags ? { tags } : {}),
  };
  await bus.publish(TOPICS.trainingRequested, request, { attributes: { model }, orderingKey: model });
  return { outcome: 'accepted', model, version: trained.version, requestId: request.request_id };
}

const CONFIG_OBJECT = /^datasets\/([^/]+)\/mloop\.json$/;

/**
 * A model's mloop.json landed. A model whose rows are in BigQuery has no file to upload: its config
 * arriving (new, or changed) is what starts a run, on a snapshot as of the object's write. The request
 * id derives from the object's generation, so a redelivered event makes no second run. Any other
 * model's config waits for its data, as before.
 */
async function configLanded(ctx: Context, model: string, event: ObjectFinalized): Promise<IngestResult> {
  const stat = await ctx.platform.objects.stat(event.bucket, event.name);
  if (!stat) return { outcome: 'ignored', reason: `object ${event.name} no longer exists` };
  let config: DatasetConfig;
  try {
    config = await readDatasetConfig(ctx, model, 'csv');
  } catch (err) {
    if (err instanceof MloopError && err.permanent) return { outcome: 'ignored', reason: err.message };
    throw err;
  }
  if (!config.source?.bigquery) return { outcome: 'ignored', reason: `${CONFIG_FILE} is read when a dataset arrives` };
  if (!ctx.platform.warehouse) {
    ctx.log.warn({ model }, `model ${model} ${LOCAL_BIGQUERY_REFUSAL}`);
    return { outcome: 'ignored', reason: `model "${model}" ${LOCAL_BIGQUERY_REFUSAL}` };
  }
  const at = new Date(stat.updated).toISOString();
  const request: TrainingRequested = {
    request_id: `source:${model}:${stat.generation}`,
    model,
    dataset_version: pendingSnapshotVersion(at),
    reason: 'source_changed',
    requested_at: ctx.platform.clock.now().toISOString(),
    source: 'bigquery',
    snapshot_time: at,
  };
  await ctx.platform.bus.publish(TOPICS.trainingRequested, request, { attributes: { model }, orderingKey: model });
  return { outcome: 'accepted', model, version: request.dataset_version, requestId: request.request_id };
}

/** Tags never stop a dataset: a tags object that does not parse is logged and left out. */
async function uploadTags(ctx: Context, bucket: string, object: string): Promise<RunTags | undefined> {
  if (!(await ctx.platform.objects.stat(bucket, object))) return undefined;
  try {
    return parseTags(JSON.parse((await ctx.platform.objects.get(bucket, object)).toString('utf8')));
  } catch (err) {
    ctx.log.warn({ object, err: errorMessage(err) }, 'tags of the upload ignored');
    return undefined;
  }
}

/** A composed object is validated as an upload is, and images as a whole dataset (class minimum, two classes). */
const validateComposed =
  (ctx: Context, model: string, kind: DatasetKind): ValidateComposed =>
  async (stat, version) =>
    kind === 'images' ? validateImages(ctx, model, stat, 'whole') : validate(ctx, model, version!, located(stat), 'whole');

async function recorded(ctx: Context, name: string, doc: DatasetDoc): Promise<DatasetDoc> {
  ctx.log.info({ model: doc.model, dataset_version: doc.version, status: doc.status, reason: doc.reason }, `dataset ${name} ${doc.status}`);
  return doc;
}

type ObjectStat = { bucket: string; name: string; generation: string; md5Hash: string; size: number };

/** One object, where a dataset's bytes are. */
const located = (stat: ObjectStat): Located => ({ object: { bucket: stat.bucket, name: stat.name, generation: stat.generation, md5Hash: stat.md5Hash, size: stat.size } });

const baseDoc = (ctx: Context, model: string, version: string, where: Located): DatasetDoc => ({
  model,
  version,
  status: 'accepted',
  ...where,
  created_at: ctx.platform.clock.now().toISOString(),
});

/**
 * How an upload is judged: `whole`, as the dataset a model trains on; `member`, as one of the uploads a
 * compose-"all" model trains on together (see training/compose_dataset.ts), whose union is judged whole.
 */
type Judged = 'whole' | 'member';

async function validate(ctx: Context, model: string, version: string, where: Located, as: Judged = 'member'): Promise<DatasetDoc> {
  const base = baseDoc(ctx, model, version, where);
  try {
    const config = await readDatasetConfig(ctx, model, 'csv');
    const partsProblem = await partsHeaderProblem(ctx, where);
    if (partsProblem) return { ...base, config, config_version: DATASET_CONFIG_VERSION, status: 'rejected', reason: partsProblem };
    if (as === 'member' && config.compose === 'all') {
      const header = await csvHeader(ctx, where);
      const problem = csvSchemaProblem(await composeMembers(ctx, model, 'csv'), where.object.name, header);
      if (problem) return { ...base, header, config, config_version: DATASET_CONFIG_VERSION, status: 'rejected', reason: problem };
    }
    const { profile, report } = await validateCsv(await openDatasetTable(ctx, where), config);
    const stored = await storeReport(ctx, model, version, report);
    const typed = { config, config_version: DATASET_CONFIG_VERSION };
    return { ...base, header: profile.header, ...typed, rows: report.rows, rejected_count: report.rejected_count, ...stored };
  } catch (err) {
    if (err instanceof MloopError && err.permanent) return { ...base, status: 'rejected', reason: err.message };
    throw err;
  }
}

/** An archive read with the model's config, or why it cannot be (a permanent error, stored as the reason). */
type ArchiveScan = { config: DatasetConfig; dataset: ImageDataset } | { error: MloopError };

async function scanUploadedArchive(ctx: Context, model: string, bytes: Buffer, as: Judged = 'member'): Promise<ArchiveScan> {
  try {
    const config = await readDatasetConfig(ctx, model, 'images');
    if (as === 'member' && config.compose === 'all') return { config, dataset: memberScan(await scanArchive(bytes, { ...config, min_images_per_class: 1 })) };
    return { config, dataset: await scanArchive(bytes, config) };
  } catch (err) {
    if (err instanceof MloopError && err.permanent) return { error: err };
    throw err;
  }
}

/** An archive that cannot be read at all keeps the bytes' version, so the same file is refused once. */
const bytesVersion = (bytes: Buffer) => contentVersion(Readable.from([bytes]));

/**
 * The dataset version the ingest will record for these archive bytes under this model's config, for
 * `mloop push --wait` to follow its run: the images' version, or the bytes' when it cannot be read.
 */
export async function archiveDatasetVersion(ctx: Context, model: string, bytes: Buffer): Promise<string> {
  const scan = await scanUploadedArchive(ctx, model, bytes);
  return 'error' in scan ? bytesVersion(bytes) : scan.dataset.version;
}

/**
 * An archive of images, scanned as training will read it: every image decoded with the model's spec. Its
 * version is the images' content version (labels and content, however zipped); an archive that cannot
 * be read at all, or a config that does not parse, is recorded rejected under the bytes' version, with
 * the reason. A dataset no model can be trained on (too few classes or images left) is rejected with the
 * report's errors, the report kept.
 */
async function validateImages(ctx: Context, model: string, stat: ObjectStat, as: Judged = 'member'): Promise<DatasetDoc> {
  const bytes = await readArchiveObject(ctx, stat);
  const scan = await scanUploadedArchive(ctx, model, bytes, as);
  if ('error' in scan) return { ...baseDoc(ctx, model, await bytesVersion(bytes), located(stat)), kind: 'images', status: 'rejected', reason: scan.error.message };
  const { config, dataset } = scan;
  const { report } = dataset;
  const doc: DatasetDoc = {
    ...baseDoc(ctx, model, dataset.version, located(stat)),
    kind: 'images',
    config,
    config_version: DATASET_CONFIG_VERSION,
    images: report.images,
    rejected_count: report.rejected_count,
    image_report: report,
  };
  if (report.errors.length > 0) return { ...doc, status: 'rejected', reason: `no model can be trained on these images: ${report.errors.join('; ')}` };
  return doc;
}

/**
 * An archive that only adds to the others (compose "all"): one class, or a class of a few images, is
 * what adding a class looks like, so the class minimum and the two classes are asked of the union, not
 * of it; it is refused only when it holds no usable image at all.
 */
function memberScan(dataset: ImageDataset): ImageDataset {
  const errors = dataset.images.length === 0 ? ['the archive holds no usable image (see the rejected entries)'] : [];
  return { ...dataset, report: { ...dataset.report, errors } };
}

/** The header of a CSV, read from its first line alone (of a Parquet file, from its footer). */
async function csvHeader(ctx: Context, where: Located): Promise<string[]> {
  let header: string[] = [];
  await readTable(
    await openDatasetTable(ctx, where),
    (h) => {
      header = h;
    },
    () => STOP,
  );
  return header;
}

/** Past this size the report goes to the artifacts bucket, and the document keeps it without the columns. */
const REPORT_INLINE_BYTES = 64 * 1024;

export const reportObjectName = (model: string, version: string) => `datasets/${model}/${version}/report.json`;

export async function storeReport(ctx: Context, model: string, version: string, report: ValidationReport): Promise<Pick<DatasetDoc, 'report' | 'report_object'>> {
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
export async function readDatasetConfig(ctx: Context, model: string, kind: DatasetKind): Promise<DatasetConfig> {
  const name = `datasets/${model}/${CONFIG_FILE}`;
  const stat = await ctx.platform.objects.stat(ctx.config.dataBucket, name);
  if (!stat) return parseDatasetConfig({}, kind);
  const text = (await ctx.platform.objects.get(ctx.config.dataBucket, name)).toString('utf8');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new MloopError('invalid_argument', `${name} is not valid JSON: ${errorMessage(err)}`);
  }
  try {
    return parseDatasetConfig(raw, kind);
  } catch (err) {
    throw new MloopError('invalid_argument', `${name}: ${errorMessage(err)}`);
  }
}
