import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { MloopError } from '../../core/errors';
import { fieldText } from '../record_cells';
import { readCsv } from '../csv';
import { LABELS_FILE, readArchive, type ArchiveLimits, type ArchiveSource } from './archive';
import { DEFAULT_IMAGE_SPEC, imageFloats, type ImageSpec } from './image_spec';
import { ImageRejected, MAX_INPUT_PIXELS, preprocessImage, readImageHeader, type ImageColour, type ImageProblem } from './preprocess';

/**
 * An image dataset is an archive of <class>/<image> entries, or of images beside a labels.csv
 * (`path,label`, paths relative to the csv). Scanning it reads every image once: its content hash, its
 * header and a full decode through preprocessImage, so an image accepted here is one training can use.
 * Only the records are kept (a few hundred bytes each), never the pixels, so scanning a PlantVillage-sized
 * set (54 000 images) stays in tens of megabytes.
 *
 * What is refused, and why:
 * - an image that cannot be decoded, is truncated, declares too many pixels, or is neither RGB(A),
 *   grayscale nor CMYK: by entry name, with the reason;
 * - the same bytes under two classes: every copy, since which label is right cannot be told (label noise);
 *   the same bytes twice in one class: all but the first, so a copy cannot sit in train and in test;
 * - a class with fewer than min_images_per_class images left: all of it.
 */
export interface ImageDatasetOptions {
  spec?: ImageSpec;
  minImagesPerClass?: number;
  /** Largest class over smallest above which the report warns. */
  imbalanceWarningRatio?: number;
  limits?: Partial<ArchiveLimits>;
  maxInputPixels?: number;
  onProgress?: (imagesRead: number) => void;
  /**
   * false: read each image's header but do not decode it in full. For a listing of an archive's labelled
   * images whose pixels are checked later anyway (the members of a composed dataset, whose union is
   * scanned in full): a truncated image is then caught by that scan.
   */
  decode?: boolean;
}

export const DEFAULT_MIN_IMAGES_PER_CLASS = 5;
export const DEFAULT_IMBALANCE_WARNING_RATIO = 10;
const MAX_LISTED = 100;
/** Images decoded at once while the archive reads on: overlaps sharp's threads with inflating. */
const DECODE_WINDOW = 4;

export interface ImageRecord {
  entry: string;
  label: string;
  sha256: string;
  width: number;
  height: number;
  format: 'jpeg' | 'png' | 'webp';
  colour: ImageColour;
  bytes: number;
}

export type ImageIssueReason = ImageProblem | 'unlabelled' | 'duplicate' | 'duplicate_across_classes' | 'class_below_minimum';

export interface ImageIssue {
  entry: string;
  reason: ImageIssueReason;
  message: string;
}

export interface DroppedClass {
  name: string;
  images: number;
  reason: 'empty' | 'below_minimum';
}

/** Stored on the dataset document and printed as JSON, so snake_case as the CSV report. */
export interface ImageValidationReport {
  labels_from: 'folders' | 'labels.csv';
  /** Image entries read from the archive. */
  images_read: number;
  /** Images a model can be trained on. */
  images: number;
  rejected_count: number;
  /** The first rejections, in entry-name order. */
  rejected: ImageIssue[];
  rejected_by_reason: Partial<Record<ImageIssueReason, number>>;
  /** Entries that are neither images nor labels.csv (documents, dot files, Finder's __MACOSX). */
  ignored_count: number;
  ignored: string[];
  classes: string[];
  class_counts: Record<string, number>;
  dropped_classes: DroppedClass[];
  min_images_per_class: number;
  /** Same bytes under two classes: the label noise the report exists to show. */
  duplicates_across_classes: Array<{ sha256: string; classes: string[]; entries: string[] }>;
  duplicates_within_class: number;
  /** Largest class over smallest (1 when balanced). */
  imbalance_ratio: number;
  colour_counts: Partial<Record<ImageColour, number>>;
  format_counts: Record<string, number>;
  width: { min: number; max: number; mean: number };
  height: { min: number; max: number; mean: number };
  /** labels.csv rows naming an image the archive does not hold. */
  labels_without_image?: number;
  warnings: string[];
  /** Why no model can be trained on it (empty when one can). */
  errors: string[];
}

export interface ImageDataset {
  /** sha256 over the sorted (class, image hash) pairs: the same images under the same labels are the same version, however zipped. */
  version: string;
  classes: string[];
  /** Accepted images, sorted by entry name. */
  images: ImageRecord[];
  report: ImageValidationReport;
}

type Scanned = Omit<ImageRecord, 'label'>;

/** The folder an entry's class comes from: its first segment below the common root, if any. */
function folderLabel(entry: string, root: string): string | null {
  const rest = entry.slice(root.length).split('/');
  return rest.length >= 2 ? rest[0] : null;
}

/**
 * A folder all images in folders sit in, as when someone zips the dataset's folder rather than its
 * contents. Images loose at the top are left out of the question: they have no class either way.
 */
function commonRoot(entries: string[]): string {
  const nested = entries.filter((e) => e.includes('/'));
  if (nested.length === 0) return '';
  const first = nested[0].split('/');
  if (first.length < 3) return '';
  const prefix = `${first[0]}/`;
  return nested.every((e) => e.startsWith(prefix) && e.split('/').length >= 3) ? prefix : '';
}

async function parseLabels(bytes: Buffer, file: string): Promise<Map<string, string>> {
  const labels = new Map<string, string>();
  let pathAt = -1;
  let labelAt = -1;
  await readCsv(
    Readable.from([bytes]),
    (header) => {
      const lower = header.map((h) => h.toLowerCase());
      pathAt = lower.findIndex((h) => ['path', 'file', 'filename', 'image'].includes(h));
      labelAt = lower.findIndex((h) => ['label', 'class'].includes(h));
      if (pathAt < 0 || labelAt < 0) {
        throw new MloopError('invalid_argument', `${file} needs a header naming a path column and a label column (path,label); it has: ${header.join(',')}`);
      }
    },
    (rec) => {
      const path = fieldText(rec, pathAt).trim().replace(/^\.\//, '').normalize('NFC');
      const label = fieldText(rec, labelAt).trim().normalize('NFC');
      if (path === '' || label === '') return 'empty path or label';
      labels.set(path, label);
    },
  );
  return labels;
}

const hashOf = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Reads and validates the archive: which images are usable, under which classes, and why the others are not. */
export async function scanImageDataset(source: ArchiveSource, options: ImageDatasetOptions = {}): Promise<ImageDataset> {
  const spec = options.spec ?? DEFAULT_IMAGE_SPEC;
  const minPerClass = options.minImagesPerClass ?? DEFAULT_MIN_IMAGES_PER_CLASS;
  const maxInputPixels = options.maxInputPixels ?? MAX_INPUT_PIXELS;
  const scanned: Scanned[] = [];
  const issues: ImageIssue[] = [];
  const ignored: string[] = [];
  const folders: string[] = [];
  let labelsEntry: { name: string; bytes: Buffer } | null = null;
  let imagesRead = 0;

  const inspect = async (entry: string, bytes: Buffer) => {
    try {
      const header = await readImageHeader(bytes, maxInputPixels);
      // decoded in full, as training will: a truncated file only shows itself at its end
      if (options.decode !== false) await preprocessImage(bytes, spec, { maxInputPixels });
      scanned.push({ entry, sha256: hashOf(bytes), width: header.width, height: header.height, format: header.format, colour: header.colour, bytes: bytes.length });
    } catch (err) {
      if (!(err instanceof ImageRejected)) throw err;
      issues.push({ entry, reason: err.reason, message: err.message });
    }
  };

  const pending: Promise<void>[] = [];
  try {
    for await (const entry of readArchive(source, { limits: options.limits })) {
      if (entry.kind === 'directory') folders.push(entry.name);
      else if (entry.kind === 'ignored') ignored.push(entry.name);
      else if (entry.kind === 'labels') {
        // the shallowest labels.csv speaks for the archive; others are ignored
        if (!labelsEntry || entry.name.split('/').length < labelsEntry.name.split('/').length) {
          if (labelsEntry) ignored.push(labelsEntry.name);
          labelsEntry = { name: entry.name, bytes: entry.bytes! };
        } else ignored.push(entry.name);
      } else {
        imagesRead++;
        pending.push(inspect(entry.name, entry.bytes!));
        if (pending.length >= DECODE_WINDOW) await pending.shift();
        options.onProgress?.(imagesRead);
      }
    }
    await Promise.all(pending);
  } finally {
    await Promise.allSettled(pending);
  }

  // labels: from labels.csv when there is one, else from folders
  const imageEntries = scanned.map((s) => s.entry).concat(issues.map((i) => i.entry));
  let labelFor: (entry: string) => string | null;
  let labelsWithoutImage: number | undefined;
  const folderClasses = new Set<string>();
  if (labelsEntry) {
    const base = labelsEntry.name.includes('/') ? labelsEntry.name.slice(0, labelsEntry.name.lastIndexOf('/') + 1) : '';
    const rows = await parseLabels(labelsEntry.bytes, labelsEntry.name);
    const labels = new Map([...rows].map(([path, label]) => [base + path, label]));
    const present = new Set(imageEntries);
    labelsWithoutImage = [...labels.keys()].filter((entry) => !present.has(entry)).length;
    labelFor = (entry) => labels.get(entry) ?? null;
  } else {
    const root = commonRoot(imageEntries);
    labelFor = (entry) => folderLabel(entry, root);
    for (const folder of folders) {
      const label = folderLabel(`${folder}/`, root);
      if (label) folderClasses.add(label);
    }
  }

  const accepted: ImageRecord[] = [];
  const seenClasses = new Set<string>();
  for (const issue of issues) {
    const label = labelFor(issue.entry);
    if (label !== null) seenClasses.add(label);
  }
  for (const s of scanned) {
    const label = labelFor(s.entry);
    if (label === null) {
      const why = labelsEntry ? `it has no row in ${labelsEntry.name}` : 'it is not inside a class folder (<class>/<image>)';
      issues.push({ entry: s.entry, reason: 'unlabelled', message: `no label: ${why}` });
      continue;
    }
    seenClasses.add(label);
    accepted.push({ ...s, label });
  }
  accepted.sort((a, b) => (a.entry < b.entry ? -1 : a.entry > b.entry ? 1 : 0));

  // duplicates: across classes every copy goes, within a class all but the first
  const byHash = new Map<string, ImageRecord[]>();
  for (const r of accepted) {
    const copies = byHash.get(r.sha256);
    if (copies) copies.push(r);
    else byHash.set(r.sha256, [r]);
  }
  const duplicatesAcross: ImageValidationReport['duplicates_across_classes'] = [];
  const drop = new Set<ImageRecord>();
  let duplicatesWithin = 0;
  for (const [sha256, copies] of byHash) {
    if (copies.length < 2) continue;
    const classes = [...new Set(copies.map((c) => c.label))].sort();
    if (classes.length > 1) {
      duplicatesAcross.push({ sha256, classes, entries: copies.map((c) => c.entry) });
      for (const c of copies) {
        drop.add(c);
        issues.push({ entry: c.entry, reason: 'duplicate_across_classes', message: `the same image is labelled ${classes.join(' and ')} (${copies.map((x) => x.entry).join(', ')})` });
      }
    } else {
      for (const c of copies.slice(1)) {
        drop.add(c);
        duplicatesWithin++;
        issues.push({ entry: c.entry, reason: 'duplicate', message: `the same image as ${copies[0].entry}` });
      }
    }
  }
  let kept = accepted.filter((r) => !drop.has(r));

  // classes: counted after the drops; empty folders and small classes are reported and left out
  const counts = new Map<string, number>();
  for (const r of kept) counts.set(r.label, (counts.get(r.label) ?? 0) + 1);
  const dropped: DroppedClass[] = [];
  for (const name of folderClasses) if (!seenClasses.has(name)) dropped.push({ name, images: 0, reason: 'empty' });
  for (const name of seenClasses) {
    const n = counts.get(name) ?? 0;
    if (n >= minPerClass) continue;
    dropped.push({ name, images: n, reason: 'below_minimum' });
    counts.delete(name);
  }
  kept = kept.filter((r) => {
    if (counts.has(r.label)) return true;
    issues.push({ entry: r.entry, reason: 'class_below_minimum', message: `class ${r.label} has fewer than ${minPerClass} usable images` });
    return false;
  });
  dropped.sort((a, b) => (a.name < b.name ? -1 : 1));
  const classes = [...counts.keys()].sort();

  const report = buildReport({ kept, classes, counts, issues, ignored, dropped, imagesRead, minPerClass, duplicatesAcross, duplicatesWithin });
  report.labels_from = labelsEntry ? 'labels.csv' : 'folders';
  if (labelsWithoutImage !== undefined) report.labels_without_image = labelsWithoutImage;
  const ratio = options.imbalanceWarningRatio ?? DEFAULT_IMBALANCE_WARNING_RATIO;
  if (report.imbalance_ratio > ratio) {
    report.warnings.push(`classes are imbalanced: the largest has ${report.imbalance_ratio.toFixed(1)}× the images of the smallest (macro-F1 and per-class recall tell more than accuracy)`);
  }
  if (duplicatesAcross.length) report.warnings.push(`${duplicatesAcross.length} image(s) appear under more than one class and were left out (label noise)`);
  if (report.colour_counts.cmyk) report.warnings.push(`${report.colour_counts.cmyk} CMYK image(s) were converted to sRGB`);
  if (classes.length < 2) report.errors.push(`a classifier needs at least 2 classes with ${minPerClass} or more usable images; this archive has ${classes.length}`);

  return { version: imageDatasetVersion(kept), classes, images: kept, report };
}

function buildReport(a: {
  kept: ImageRecord[];
  classes: string[];
  counts: Map<string, number>;
  issues: ImageIssue[];
  ignored: string[];
  dropped: DroppedClass[];
  imagesRead: number;
  minPerClass: number;
  duplicatesAcross: ImageValidationReport['duplicates_across_classes'];
  duplicatesWithin: number;
}): ImageValidationReport {
  const byReason: ImageValidationReport['rejected_by_reason'] = {};
  for (const issue of a.issues) byReason[issue.reason] = (byReason[issue.reason] ?? 0) + 1;
  const issues = [...a.issues].sort((x, y) => (x.entry < y.entry ? -1 : x.entry > y.entry ? 1 : 0));
  const colour: ImageValidationReport['colour_counts'] = {};
  const format: Record<string, number> = {};
  // a loop, not Math.min(...values): 250 000 arguments would overflow the stack
  const range = (values: number[]) => {
    if (!values.length) return { min: 0, max: 0, mean: 0 };
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    for (const v of values) {
      min = Math.min(min, v);
      max = Math.max(max, v);
      sum += v;
    }
    return { min, max, mean: sum / values.length };
  };
  for (const r of a.kept) {
    colour[r.colour] = (colour[r.colour] ?? 0) + 1;
    format[r.format] = (format[r.format] ?? 0) + 1;
  }
  const sizes = a.classes.map((c) => a.counts.get(c)!);
  return {
    labels_from: 'folders',
    images_read: a.imagesRead,
    images: a.kept.length,
    rejected_count: a.issues.length,
    rejected: issues.slice(0, MAX_LISTED),
    rejected_by_reason: byReason,
    ignored_count: a.ignored.length,
    ignored: a.ignored.slice(0, 20),
    classes: a.classes,
    class_counts: Object.fromEntries(a.classes.map((c) => [c, a.counts.get(c)!])),
    dropped_classes: a.dropped,
    min_images_per_class: a.minPerClass,
    duplicates_across_classes: a.duplicatesAcross.slice(0, MAX_LISTED),
    duplicates_within_class: a.duplicatesWithin,
    imbalance_ratio: sizes.length ? Math.max(...sizes) / Math.min(...sizes) : 1,
    colour_counts: colour,
    format_counts: format,
    width: range(a.kept.map((r) => r.width)),
    height: range(a.kept.map((r) => r.height)),
    warnings: [],
    errors: [],
  };
}

/** The version of a set of labelled images: independent of entry names, order and compression. */
export function imageDatasetVersion(images: ReadonlyArray<Pick<ImageRecord, 'label' | 'sha256'>>): string {
  const pairs = images.map((r) => `${r.label}\t${r.sha256}\n`).sort();
  const hash = createHash('sha256');
  for (const pair of pairs) hash.update(pair);
  return hash.digest('hex').slice(0, 16);
}

/** Throws the report's errors as one actionable error, for a caller about to train. */
export function assertTrainable(dataset: ImageDataset): void {
  if (dataset.report.errors.length) {
    throw new MloopError('failed_precondition', dataset.report.errors.join('; '), { report: dataset.report });
  }
}
