import { createHash } from 'node:crypto';
import { MloopError } from '../../core/errors';
import { readArchive, type ArchiveLimits, type ArchiveSource } from './archive';
import type { ImageDataset, ImageRecord } from './dataset';
import { imageFloats, type ImageSpec, type ImageTrainingData } from './image_spec';
import { propertyColumns, setProperties, type ImageProperties } from './image_properties';
import { MAX_INPUT_PIXELS, preprocessImage } from './preprocess';

/**
 * From a scanned dataset to the arrays a CNN trains on. The arrays are allocated once, at their final
 * size (N × size² × channels × 4 bytes: 54 000 images at 64×64×3 are 2.65 GB), and the archive is read
 * a second time, entry by entry, each image preprocessed straight into its row: no image is held longer
 * than its own decode, so memory is the arrays plus a few images.
 */
export interface ImageRow {
  entry: string;
  x: Float32Array;
  /** Row of x the image is written to (its offset is row × size² × channels). */
  row: number;
  /** When given, the entry's bytes must still hash to it: the archive has not changed since the scan. */
  sha256?: string;
  /** Given the image's properties as it is preprocessed (the reference monitoring compares scored images with). */
  onProperties?: (properties: ImageProperties) => void;
}

const DECODE_WINDOW = 4;

export interface PreprocessRowsOptions {
  limits?: Partial<ArchiveLimits>;
  maxInputPixels?: number;
  onProgress?: (done: number, total: number) => void;
}

/** Preprocesses the named entries of the archive into their rows. Throws if one is missing or changed. */
export async function preprocessRows(source: ArchiveSource, rows: readonly ImageRow[], spec: ImageSpec, options: PreprocessRowsOptions = {}): Promise<void> {
  const floats = imageFloats(spec);
  const byEntry = new Map<string, ImageRow[]>();
  for (const row of rows) {
    if ((row.row + 1) * floats > row.x.length) throw new MloopError('invalid_argument', `row ${row.row} does not fit an array of ${row.x.length} floats`);
    byEntry.set(row.entry, [...(byEntry.get(row.entry) ?? []), row]);
  }
  let done = 0;
  const pending: Promise<void>[] = [];
  try {
    for await (const entry of readArchive(source, { limits: options.limits, read: (name, kind) => kind === 'image' && byEntry.has(name) })) {
      const targets = entry.bytes && byEntry.get(entry.name);
      if (!targets) continue;
      byEntry.delete(entry.name);
      const bytes = entry.bytes!;
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      for (const target of targets) {
        if (target.sha256 && target.sha256 !== sha256) {
          throw new MloopError('failed_precondition', `entry ${entry.name} changed since the dataset was scanned: scan it again`);
        }
        const maxInputPixels = options.maxInputPixels ?? MAX_INPUT_PIXELS;
        pending.push(
          preprocessImage(bytes, spec, { maxInputPixels, out: target.x, offset: target.row * floats, onProperties: target.onProperties }).then(() => {
            done++;
            options.onProgress?.(done, rows.length);
          }),
        );
        // a few decodes in flight while the archive reads on: sharp decodes on its own threads
        if (pending.length >= DECODE_WINDOW) await pending.shift();
      }
    }
    await Promise.all(pending);
  } finally {
    // a refusal mid-read must not leave decodes writing into the arrays, or failing unobserved, after it
    await Promise.allSettled(pending);
  }
  if (byEntry.size) {
    const missing = [...byEntry.keys()];
    throw new MloopError('failed_precondition', `${missing.length} image(s) of the dataset are not in the archive (first: ${missing[0]}): scan it again`);
  }
}

export interface SplitFractions {
  validation: number;
  test: number;
}

export const DEFAULT_SPLIT: SplitFractions = { validation: 0.1, test: 0.1 };

/**
 * Stratified and deterministic: within each class images are ordered by content hash (a shuffle no seed
 * can change, so the same images always split the same way) and the first go to test, the next to
 * validation, the rest to train. A class of 3 or more images gives test and validation one image at least.
 */
export function splitImages(images: readonly ImageRecord[], fractions: SplitFractions = DEFAULT_SPLIT) {
  const split = { train: [] as ImageRecord[], validation: [] as ImageRecord[], test: [] as ImageRecord[] };
  const byClass = new Map<string, ImageRecord[]>();
  for (const r of images) {
    const members = byClass.get(r.label);
    if (members) members.push(r);
    else byClass.set(r.label, [r]);
  }
  for (const label of [...byClass.keys()].sort()) {
    const members = byClass.get(label)!.sort((a, b) => (a.sha256 < b.sha256 ? -1 : a.sha256 > b.sha256 ? 1 : 0));
    const n = members.length;
    const share = (f: number) => (n >= 3 && f > 0 ? Math.max(1, Math.round(n * f)) : 0);
    const nTest = share(fractions.test);
    const nValidation = share(fractions.validation);
    split.test.push(...members.slice(0, nTest));
    split.validation.push(...members.slice(nTest, nTest + nValidation));
    split.train.push(...members.slice(nTest + nValidation));
  }
  return split;
}

/** The scanned dataset's images, preprocessed and split: what the CNN family trains on. */
export async function loadImageTrainingData(
  source: ArchiveSource,
  dataset: ImageDataset,
  spec: ImageSpec,
  options: PreprocessRowsOptions & { split?: SplitFractions } = {},
): Promise<ImageTrainingData> {
  const classIndex = new Map(dataset.classes.map((c, i) => [c, i]));
  const parts = splitImages(dataset.images, options.split);
  const floats = imageFloats(spec);
  const rows: ImageRow[] = [];
  // the training images' properties, measured by the decode that preprocesses them
  const properties = propertyColumns(parts.train.length);
  const allocate = (records: ImageRecord[], measure = false) => {
    const x = new Float32Array(records.length * floats);
    const y = new Int32Array(records.length);
    records.forEach((r, row) => {
      y[row] = classIndex.get(r.label)!;
      rows.push({ entry: r.entry, x, row, sha256: r.sha256, ...(measure ? { onProperties: (p: ImageProperties) => setProperties(properties, row, p) } : {}) });
    });
    return { x, y, n: records.length };
  };
  const data: ImageTrainingData = {
    spec,
    classes: dataset.classes,
    train: allocate(parts.train, true),
    validation: allocate(parts.validation),
    test: allocate(parts.test),
    trainProperties: properties,
  };
  await preprocessRows(source, rows, spec, options);
  return data;
}
