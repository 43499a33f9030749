import { Readable } from 'node:stream';
import { MloopError } from '../../core/errors';
import { joinCsv } from '../../data/csv_join';
import type { ParquetSource } from '../../data/parquet/source';
import { isParquetName, type TableInput } from '../../data/table';
import type { Context } from '../context';
import { partFormatOf, type PartFormat } from '../parts/parts_prefix';
import type { DatasetDoc } from '../store/documents';
import { openDatasetObject } from './dataset_input';

/**
 * Where a dataset version's bytes are: one object, or the parts of a dataset in parts, in name order.
 * Everything that reads a recorded dataset (the train job, compose "all", a drift retraining) reads it
 * through here, so parts and single files are one thing to them.
 */
export type Located = Pick<DatasetDoc, 'object' | 'parts'>;

export interface StoredObject {
  bucket: string;
  name: string;
  generation: string;
  md5Hash: string;
  size: number;
  /** The full SHA-256 of the content, when recorded (a part's). */
  sha256?: string;
}

export function datasetObjects(doc: Located): StoredObject[] {
  if (!doc.parts) return [doc.object];
  return doc.parts.map((p) => ({ bucket: doc.object.bucket, ...p }));
}

/** The first of the dataset's objects that was deleted or overwritten since it was recorded, or null. */
export async function changedObject(ctx: Context, doc: Located): Promise<string | null> {
  for (const object of datasetObjects(doc)) {
    const live = await ctx.platform.objects.stat(object.bucket, object.name);
    if (!live || live.md5Hash !== object.md5Hash) return object.name;
  }
  return null;
}

/** Fails with the object's name when any of the dataset's objects changed since it was recorded. */
export async function assertUnchanged(ctx: Context, doc: Located, version: string): Promise<void> {
  const changed = await changedObject(ctx, doc);
  if (changed) throw new MloopError('failed_precondition', `${changed} changed or was deleted after dataset ${version} was recorded`);
}

export interface OpenOptions {
  /**
   * Check each part's bytes, as they stream, against the SHA-256 recorded for it: a part overwritten
   * after the check above fails the read instead of mixing two exports.
   */
  verify?: boolean;
}

/** What the dataset's bytes are: CSV text (joinable byte by byte), or Parquet (one table per file). */
export function datasetFormat(doc: Located): PartFormat {
  const first = doc.parts?.[0]?.name ?? doc.object.name;
  return partFormatOf(first) ?? (isParquetName(first) ? 'parquet' : 'csv');
}

/**
 * The dataset as the data path reads it (data/table.ts): a single object as openDatasetObject opens it;
 * CSV parts as one CSV stream (openDatasetCsv); Parquet parts as a table of parts, each read by byte
 * ranges of the generation that was recorded, so a part replaced meanwhile fails the read.
 */
export async function openDatasetTable(ctx: Context, doc: Located, options: OpenOptions = {}): Promise<TableInput> {
  if (!doc.parts) return openDatasetObject(ctx.platform.objects, doc.object);
  if (datasetFormat(doc) === 'csv') return openDatasetCsv(ctx, doc, options);
  return {
    parts: datasetObjects(doc).map((part) => ({ name: part.name, open: async () => (await openDatasetObject(ctx.platform.objects, part)) as ParquetSource })),
  };
}

/**
 * The dataset as one CSV stream, for what joins CSV bytes (compose "all", a drift retraining's appended
 * rows): a single object as it is; parts one after the other, the header line kept from the first part
 * that has one, and a line break between parts whose last line lacks one.
 */
export async function openDatasetCsv(ctx: Context, doc: Located, options: OpenOptions = {}): Promise<Readable> {
  if (datasetFormat(doc) !== 'csv') throw new MloopError('failed_precondition', `${doc.object.name} is Parquet: its bytes cannot be joined as CSV text`);
  const objects = datasetObjects(doc);
  if (!doc.parts) return ctx.platform.objects.createReadStream(objects[0].bucket, objects[0].name);
  return Readable.from(
    joinCsv(
      objects.map((part) => ({
        open: async () => (await ctx.platform.objects.createReadStream(part.bucket, part.name)) as AsyncIterable<Buffer>,
        verify:
          options.verify && part.sha256
            ? (sha256: string) => {
                if (sha256 !== part.sha256) throw new MloopError('unavailable', `${part.name} changed while it was read; the dataset is read again on redelivery`);
              }
            : undefined,
      })),
    ),
  );
}
