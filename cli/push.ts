import fs from 'node:fs';
import path from 'node:path';
import { MloopError } from '../shared/core/errors';
import { contentVersion, isValidModelName } from '../shared/core/ids';
import type { Context } from '../shared/pipeline/context';
import { isArchiveName } from '../shared/data/images/archive';
import { isParquetName } from '../shared/data/table';
import type { RunTags } from '../shared/core/tags';
import { archiveDatasetVersion, CONFIG_FILE, tagsObjectName } from '../shared/pipeline/usecases/on_data_uploaded';
import type { ObjectMetadata } from '../shared/platform/ports';
import { checkInputFile } from './input_file';
import { pushFolder } from './push_folder';

export interface PushOptions {
  model: string;
  target?: string;
  positive?: string;
  /** `--tag key=value`: carried by the run this upload starts. */
  tags?: RunTags;
  /** A folder's dataset name, `<name>` in datasets/<model>/<name>/ (default: the folder's own name). */
  name?: string;
}

export interface PushResult {
  object: ObjectMetadata;
  model: string;
  dataset_version: string;
  config?: Record<string, unknown>;
  /** A folder pushed as a dataset in parts: how many parts its marker names. */
  parts?: number;
}

/**
 * `mloop push`: put a CSV or Parquet file (or an archive of images, or a folder of part files: see push_folder.ts) under `datasets/<model>/` in the data bucket, which is all it takes to start
 * the loop. `--target`/`--positive` are written to the model's mloop.json first, so the upload is
 * validated with them.
 */
export async function pushDataset(ctx: Context, file: string, options: PushOptions): Promise<PushResult> {
  if (!isValidModelName(options.model)) {
    throw new MloopError('invalid_argument', `--model "${options.model}": use lowercase letters, digits, '-' or '_' (at most 63 characters)`);
  }
  const folder = fs.statSync(file, { throwIfNoEntry: false })?.isDirectory() ?? false;
  if (!folder) checkInputFile(file);
  const base = path.basename(file);
  const archive = isArchiveName(base);
  const parquet = isParquetName(base);
  if (!folder && !archive && !parquet && !base.toLowerCase().endsWith('.csv')) {
    throw new MloopError('invalid_argument', `${file}: only .csv and .parquet files are datasets; export it as CSV or Parquet (or push a folder of parts, or images as a .zip, .tar or .tar.gz with one folder per class)`);
  }
  const { objects } = ctx.platform;
  const bucket = ctx.config.dataBucket;

  let config: Record<string, unknown> | undefined;
  if (options.target || options.positive) {
    const name = `datasets/${options.model}/${CONFIG_FILE}`;
    const existing = await objects.stat(bucket, name);
    config = existing ? (JSON.parse((await objects.get(bucket, name)).toString('utf8')) as Record<string, unknown>) : {};
    if (options.target) config.target = options.target;
    if (options.positive) config.positive_class = options.positive;
    await objects.put(bucket, name, JSON.stringify(config, null, 2) + '\n', { contentType: 'application/json' });
  }
  if (folder) {
    const pushed = await pushFolder(ctx, file, options.model, { name: options.name, tags: options.tags });
    return { ...pushed, model: options.model, config };
  }
  const name = `datasets/${options.model}/${base}`;
  // before the upload, which the ingest reads them beside; an earlier push's tags do not stick to this one
  if (options.tags) await objects.put(bucket, tagsObjectName(name), JSON.stringify(options.tags), { contentType: 'application/json' });
  else if (await objects.stat(bucket, tagsObjectName(name))) await objects.delete(bucket, tagsObjectName(name));
  const object = await objects.putFile(bucket, name, file, { contentType: archive ? 'application/octet-stream' : parquet ? 'application/vnd.apache.parquet' : 'text/csv' });
  // an archive's version is its images', as the ingest will read them with the model's mloop.json
  const version = archive ? await archiveDatasetVersion(ctx, options.model, fs.readFileSync(file)) : await contentVersion(fs.createReadStream(file));
  return { object, model: options.model, dataset_version: version, config };
}
