import { Readable } from 'node:stream';
import { MloopError } from '../../core/errors';
import { contentVersion } from '../../core/ids';
import { fieldText } from '../../data/cells';
import { readCsv, STOP } from '../../data/csv';
import { isMissing, parseNumber } from '../../data/values';
import type { Context } from '../context';
import type { DatasetDoc } from '../store/documents';
import { storeOf } from '../store';
import { labelsSince } from '../usecases/feedback';
import { feedbackId, type DriftReportDoc } from '../store/monitoring_documents';
import { forEachPrediction } from '../monitoring/prediction_window';

/**
 * What a drift retraining trains on: the newest uploaded dataset plus the predictions of the report's
 * window that received a label, as rows of the same CSV (features as scored, target as labelled). The
 * result is a dataset version of its own, named by its content, under `retrain/<model>/` in the data
 * bucket (outside `datasets/`, so it does not start a run of its own); without labelled rows it is the
 * uploaded dataset itself.
 */
export interface DerivedDatasetDoc extends DatasetDoc {
  derived_from?: { dataset_version: string; report_id: string; feedback_rows: number };
}

export async function datasetWithFeedback(ctx: Context, base: DatasetDoc, report: DriftReportDoc | null): Promise<DerivedDatasetDoc> {
  const target = typeof base.config?.target === 'string' ? base.config.target : null;
  if (!report || !target || !base.header?.includes(target)) return base;
  const window = { from: new Date(report.window.from), to: new Date(report.window.to) };
  const labels = await labelsSince(ctx, window.from);
  if (labels.size === 0) return base;
  const labelled: Array<{ features: Record<string, unknown>; label: 0 | 1 }> = [];
  await forEachPrediction(ctx, base.model, window.from, window.to, (record) => {
    const label = labels.get(feedbackId(record.request_id, record.index));
    if (label !== undefined) labelled.push({ features: record.features ?? {}, label });
  });
  if (labelled.length === 0) return base;

  const { objects, clock } = ctx.platform;
  const bytes = await objects.get(base.object.bucket, base.object.name);
  const spelling = await classSpelling(bytes, target, base.config?.positive_class);
  if (!spelling) return base;
  const header = base.header;
  const lines = labelled.map(({ features, label }) =>
    header.map((column) => (column === target ? spelling[label] : csvCell(features[column]))).join(','),
  );
  const separator = bytes.length > 0 && bytes[bytes.length - 1] !== 0x0a ? '\n' : '';
  const combined = Buffer.concat([bytes, Buffer.from(`${separator}${lines.join('\n')}\n`, 'utf8')]);
  const version = await contentVersion(Readable.from([combined]));
  const name = `retrain/${base.model}/${version}.csv`;
  const stat = (await objects.stat(ctx.config.dataBucket, name)) ?? (await objects.put(ctx.config.dataBucket, name, combined, { contentType: 'text/csv' }));
  const doc: DerivedDatasetDoc = {
    model: base.model,
    version,
    status: 'accepted',
    object: { bucket: stat.bucket, name: stat.name, generation: stat.generation, md5Hash: stat.md5Hash, size: stat.size },
    header,
    config: base.config,
    created_at: clock.now().toISOString(),
    derived_from: { dataset_version: base.version, report_id: report.id, feedback_rows: labelled.length },
  };
  const stored = await storeOf(ctx).datasets.createOrGet(doc);
  ctx.log.info({ model: base.model, dataset_version: version, base: base.version, feedback_rows: labelled.length }, 'retraining dataset with feedback written');
  return stored;
}

const POSITIVE = new Set(['1', 'true', 'yes']);

/**
 * How the file spells the two classes, so that appended labels read as the training rows do: the
 * configured positive class, or the one of 1/true/yes present; null when the target is not binary.
 */
async function classSpelling(bytes: Buffer, target: string, positiveClass: unknown): Promise<[string, string] | null> {
  const seen = new Map<string, string>();
  let column = -1;
  await readCsv(
    Readable.from([bytes]),
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
