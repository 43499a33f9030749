import { parquetRangeSource } from '../../data/parquet/source';
import { isParquetName, type TableInput } from '../../data/table';
import type { ObjectStore } from '../../platform/ports';
import { MloopError } from '../../core/errors';

/**
 * A dataset object as the data path reads it: a CSV as a stream, a Parquet file by byte ranges of the
 * generation that was validated (its footer first, then one row group at a time), so a large file is
 * never downloaded whole, and a file replaced mid-read fails instead of splicing two versions.
 */
export interface DatasetObjectRef {
  bucket: string;
  name: string;
  generation?: string;
  size?: number;
}

export async function openDatasetObject(objects: ObjectStore, object: DatasetObjectRef): Promise<TableInput> {
  if (!isParquetName(object.name)) return objects.createReadStream(object.bucket, object.name);
  let { size, generation } = object;
  if (size === undefined || generation === undefined) {
    const stat = await objects.stat(object.bucket, object.name);
    if (!stat) throw new MloopError('not_found', `object ${object.bucket}/${object.name} does not exist`);
    size ??= stat.size;
    generation ??= stat.generation;
  }
  return parquetRangeSource(size, async (start, end) => {
    const chunks: Buffer[] = [];
    for await (const chunk of await objects.createReadStream(object.bucket, object.name, { start, end, generation })) chunks.push(chunk as Buffer);
    const bytes = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
    if (bytes.length !== end - start) throw new MloopError('unavailable', `reading ${object.name}: ${bytes.length} bytes of ${end - start} arrived; read it again`);
    return bytes;
  });
}
