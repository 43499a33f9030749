import { MloopError } from '../../core/errors';
import type { Curves } from '../../ml/evaluate';
import type { ClassReport } from '../../ml/image_metrics';
import { MAX_MISCLASSIFIED, type Misclassified } from '../../ml/misclassified';
import { thumbnailFile } from '../artifacts/misclassified_thumbnails';
import { ARTIFACT_FILES } from '../artifacts/model_files';
import type { Context } from '../context';
import { artifactsPrefix } from '../store/documents';
import { getRun } from './listings';

/**
 * An image classifier's evaluation as its version folder keeps it (curves.json), for the CLI's detail
 * views: each class's precision and recall, the confusion matrix with the class names, the most
 * confident mistakes. Null for a table model, or a version whose files are gone.
 */
export interface ClassEvaluation {
  /** A value the test split leaves undefined (a class never predicted has no precision) is null. */
  per_class: Array<Pick<ClassReport, 'class' | 'support'> & { precision: number | null; recall: number | null; f1: number | null }>;
  /** matrix[actual][predicted], rows and columns in `labels` order. */
  confusion: { labels: string[]; matrix: number[][] };
  misclassified: Misclassified[];
}

export async function readCurves(ctx: Context, model: string, version: string): Promise<Curves | null> {
  const name = artifactsPrefix(model, version) + ARTIFACT_FILES.curves;
  const { objects } = ctx.platform;
  if (!(await objects.stat(ctx.config.artifactsBucket, name))) return null;
  return JSON.parse((await objects.get(ctx.config.artifactsBucket, name)).toString('utf8')) as Curves;
}

export async function classEvaluation(ctx: Context, model: string, version: string): Promise<ClassEvaluation | null> {
  const curves = await readCurves(ctx, model, version);
  if (!curves?.per_class || !curves.confusion) return null;
  return { per_class: curves.per_class, confusion: curves.confusion, misclassified: curves.misclassified ?? [] };
}

/**
 * One thumbnail of a run's misclassified test images, by its position in the list. The index is checked
 * to be a small whole number before it becomes part of an object name.
 */
export async function misclassifiedThumbnail(ctx: Context, runId: string, index: string): Promise<Buffer> {
  if (!/^\d{1,3}$/.test(index) || Number(index) >= MAX_MISCLASSIFIED) {
    throw new MloopError('invalid_argument', `a thumbnail index is a whole number from 0 to ${MAX_MISCLASSIFIED - 1}, not ${JSON.stringify(index.slice(0, 40))}`);
  }
  const run = await getRun(ctx, runId);
  const name = artifactsPrefix(run.model, run.model_version) + thumbnailFile(Number(index));
  const { objects } = ctx.platform;
  if (!(await objects.stat(ctx.config.artifactsBucket, name))) {
    throw new MloopError('not_found', `run ${run.id} has no misclassified image ${index} (its run page lists those it has)`);
  }
  return objects.get(ctx.config.artifactsBucket, name);
}
