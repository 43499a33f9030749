import { MloopError } from '../../core/errors';
import { readArchive } from '../../data/images/archive';
import { scanImageDataset, type ImageDataset } from '../../data/images/dataset';
import { loadImageTrainingData, splitImages } from '../../data/images/tensors';
import type { HoldoutRow } from '../artifacts/model_files';
import type { ImageTrainingData } from '../../data/images/image_spec';
import { imageSpecOf, type DatasetConfig } from '../dataset_config';
import type { Context } from '../context';
import type { DatasetDoc } from '../store/documents';

/**
 * An uploaded archive of images, read where the ingest and the train job both read it. A zip keeps its
 * directory at its end, so the archive is read whole rather than streamed: the archive limits bound it.
 */
type StoredObject = DatasetDoc['object'];

export async function readArchiveObject(ctx: Context, object: Pick<StoredObject, 'bucket' | 'name'>): Promise<Buffer> {
  return ctx.platform.objects.get(object.bucket, object.name);
}

/** The scan the ingest records (and the job repeats to find the images): the config's spec and class minimum. */
export function scanArchive(bytes: Buffer, config: DatasetConfig): Promise<ImageDataset> {
  return scanImageDataset(bytes, { spec: imageSpecOf(config), ...(config.min_images_per_class ? { minImagesPerClass: config.min_images_per_class } : {}) });
}

/** The images preprocessed and split, as the CNN trains on them, with the scan they came from. */
export async function loadArchiveImages(bytes: Buffer, config: DatasetConfig): Promise<{ dataset: ImageDataset; data: ImageTrainingData }> {
  const dataset = await scanArchive(bytes, config);
  const data = await loadImageTrainingData(bytes, dataset, imageSpecOf(config));
  return { dataset, data };
}

/**
 * The test split's images as the holdout file keeps them: the encoded files themselves (base64), so a
 * production model with another image size or channel count is scored on the same images through its
 * own preprocessing. A test split is a tenth of the images, which is why the files and not tensors.
 */
export async function testSplitRows(bytes: Buffer, dataset: ImageDataset): Promise<HoldoutRow[]> {
  const test = splitImages(dataset.images).test;
  const wanted = new Map(test.map((r) => [r.entry, r.label]));
  const found = new Map<string, Buffer>();
  for await (const entry of readArchive(bytes, { read: (name, kind) => kind === 'image' && wanted.has(name) })) {
    if (entry.bytes && wanted.has(entry.name)) found.set(entry.name, entry.bytes);
  }
  return test.map((r) => {
    const image = found.get(r.entry);
    if (!image) throw new MloopError('failed_precondition', `test image ${r.entry} is no longer in the archive it was scanned from`);
    return { label: r.label, record: { b64: image.toString('base64') } };
  });
}
