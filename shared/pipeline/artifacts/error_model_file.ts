import { ERROR_MODEL_FILE, parseErrorModel, type ErrorModelFile } from '../../ml/error_model';
import type { Context } from '../context';
import { artifactsPrefix } from '../store/documents';

/** A regression version's error_model.json; null for another task, or a version trained before it was recorded. */
export async function readErrorModel(ctx: Context, model: string, version: string): Promise<ErrorModelFile | null> {
  const name = artifactsPrefix(model, version) + ERROR_MODEL_FILE;
  const { objects } = ctx.platform;
  if (!(await objects.stat(ctx.config.artifactsBucket, name))) return null;
  return parseErrorModel(JSON.parse((await objects.get(ctx.config.artifactsBucket, name)).toString('utf8')));
}
