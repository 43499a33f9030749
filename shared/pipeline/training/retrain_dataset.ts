import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { MloopError } from '../../core/errors';
import { contentVersion } from '../../core/ids';
import { fieldText } from '../../data/record_cells';
import { readCsv, STOP } from '../../data/csv';
import { isMissing, parseNumber } from '../../data/values';
import type { Context } from '../context';
import { DATASET_CONFIG_VERSION } from '../dataset_config';
import { datasetConfigOf } from '../store/stored_config';
import type { ObjectMetadata } from '../../platform/ports';
import type { DatasetDoc } from '../store/documents';
import { storeOf } from '../store';
import { labelsSince } from '../usecases/feedback';
import { feedbackId, type DriftReportDoc } from '../store/monitoring_documents';
import { forEachPrediction } from '../monitoring/prediction_window';
import { assertUnchanged, datasetFormat, openDatasetCsv } from './dataset_objects';

/**
 * What a drift retraining trains on: the newest uploaded dataset plus the predictions of the report's
 * window that received a label, as rows of the same CSV (features as scored, target as labelled). The
 * result is a dataset version of its own, named by its content, under `retrain/<model>/` in the data
 * bucket (outside `datasets/`, so it does not start a run of its own), with the base's stored config;
 * without labelled rows it is the uploaded dataset itself. The base file is streamed, never held: the
 * memory this takes does not grow with the dataset.
 */
export interface DerivedDatasetDoc extends DatasetDoc {
  derived_from?: { dataset_version: string; report_id: string; feedback_rows: number };
}

export async function datasetWithFeedback(ctx: Context, base: DatasetDoc, report: DriftReportDoc | null): Promise<DerivedDatasetDoc> {
  const config = datasetConfigOf(base);
  const { target } = config;
  // labelled rows are appended as CSV text, which a Parquet dataset's bytes cannot take; a BigQuery
  // snapshot is Parquet parts too: the retraining reads the snapshot again
  if (!report || !base.header?.includes(target) || datasetFormat(base) !== 'csv' || base.bigquery) return base;
  const window = { from: new Date(report.window.from), to: new Date(report.window.to) };
  const labels = await labelsSince(ctx, window.from);
  if (labels.size === 0) return base;
  // The labelled predictions of one window: bounded by the traffic kept, not by the dataset.
  const labelled: Array<{ features: Record<string, unknown>; label: 0 | 1 }> = [];
  await forEachPrediction(ctx, base.model, window.from, window.to, (record) => {
    const label = labels.get(feedbackId(record.request_id, record.index));
    // a binary target's labels only: a regression's value has no class spelling to append as
    if (label === 0 || label === 1) labelled.push({ features: record.features ?? {}, label });
  });
  if (labelled.length === 0) return base;

  const { objects, clock } = ctx.platform;
  await assertUnchanged(ctx, base, base.version);
  const open = () => openDatasetCsv(ctx, base, { verify: true });
  const spelling = await classSpelling(await open(), target, config.positive_class);
  if (!spelling) return base;
  const header = base.header;
  const lines = labelled.map(({ features, label }) =>
    header.map((column) => (column === target ? spelling[label] : csvCell(features[column]))).join(','),
  );
  const tail = `${lines.join('\n')}\n`;

  // Named by its content, which is known only once read: one pass to hash, one to write.
  const digest = await digestOf(appended(open, tail));
  const name = `retrain/${base.model}/${digest.version}.csv`;
  const stat = (await objects.stat(ctx.config.dataBucket, name)) ?? (await writeOnce(ctx, name, appended(open, tail)));
  if (stat.md5Hash !== digest.md5) {
    throw new MloopError('unavailable', `${base.object.name} changed while ${name} was written from it; the retraining dataset is built again on redelivery`);
  }
  const doc: DerivedDatasetDoc = {
    model: base.model,
    version: digest.version,
    status: 'accepted',
    object: { bucket: stat.bucket, name: stat.name, generation: stat.generation, md5Hash: stat.md5Hash, size: stat.size },
    header,
    config,
    config_version: DATASET_CONFIG_VERSION,
    created_at: clock.now().toISOString(),
    derived_from: { dataset_version: base.version, report_id: report.id, feedback_rows: labelled.length },
  };
  const stored = await storeOf(ctx).datasets.createOrGet(doc);
  ctx.log.info({ model: base.model, dataset_version: digest.version, base: base.version, feedback_rows: labelled.length }, 'retraining dataset with feedback written');
  return stored as DerivedDatasetDoc;
}

/** The base file as it streams, then the appended rows, on a line of their own. */
async function* appended(open: () => Promise<Readable>, tail: string): AsyncGenerator<Buffer> {
  let last = -1;
  for await (const chunk of await open()) {
    const bytes = chunk as Buffer;
    if (bytes.length > 0) last = bytes[bytes.length - 1];
    yield bytes;
  }
  yield Buffer.from(`${last !== -1 && last !== 0x0a ? '\n' : ''}${tail}`, 'utf8');
}

/** The content version, as ingest names uploads, and the MD5 the object store will report for the same bytes. */
async function digestOf(chunks: AsyncIterable<Buffer>): Promise<{ version: string; md5: string }> {
  const md5 = createHash('md5');
  const version = await contentVersion(
    (async function* () {
      for await (const chunk of chunks) {
        md5.update(chunk);
        yield chunk;
      }
    })(),
  );
  return { version, md5: md5.digest('base64') };
}

/** Created once: of two deliveries writing the same content, the second finds the first's object. */
async function writeOnce(ctx: Context, name: string, content: AsyncIterable<Buffer>): Promise<ObjectMetadata> {
  const { objects } = ctx.platform;
  try {
    return await objects.putStream(ctx.config.dataBucket, name, content, { contentType: 'text/csv', ifGenerationMatch: '0' });
  } catch (err) {
    const existing = err instanceof MloopError && err.code === 'failed_precondition' ? await objects.stat(ctx.config.dataBucket, name) : null;
    if (existing) return existing;
    throw err;
  }
}

const POSITIVE = new Set(['1', 'true', 'yes']);

/**
 * How the file spells the two classes, so that appended labels read as the training rows do: the
 * configured positive class, or the one of 1/true/yes present; null when the target is not binary.
 */
async function classSpelling(stream: Readable, target: string, positiveClass: unknown): Promise<[string, string] | null> {
  const seen = new Map<string, string>();
  let column = -1;
  await readCsv(
    stream,
    (header) => {
      column = header.indexOf(target);
      if (column < 0) throw new MloopError('failed_precondition', `target "${target}" is not in the dataset header`);
    },
    (record) => {
      const cell = fieldText(record, column).trim();
      if (!isMissing(cell)) seen.set(canonical(cell), cell);
      return seen.size > 2 ? STOP : undefined;
    },
  );
  if (seen.size !== 2) return null;
  const wanted = positiveClass === undefined ? [...seen.keys()].find((c) => POSITIVE.has(c)) : canonical(String(positiveClass));
  if (wanted === undefined || !seen.has(wanted)) return null;
  const negative = [...seen.keys()].find((c) => c !== wanted)!;
  return [seen.get(negative)!, seen.get(wanted)!];
}

function canonical(value: string): string {
  const t = value.trim().toLowerCase();
  const n = parseNumber(t);
  return Number.isNaN(n) ? t : String(n);
}

function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
