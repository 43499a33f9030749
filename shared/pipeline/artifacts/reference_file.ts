import { MloopError } from '../../core/errors';
import { ReferenceProfile } from '../../monitoring/reference_profile';
import type { Context } from '../context';
import { artifactsPrefix } from '../store/documents';

/** `reference.json` beside the model: the training profile drift is measured against. */
export const REFERENCE_FILE = 'reference.json';

export async function writeReference(ctx: Context, model: string, version: string, profile: ReferenceProfile): Promise<void> {
  await ctx.platform.objects.put(ctx.config.artifactsBucket, artifactsPrefix(model, version) + REFERENCE_FILE, JSON.stringify(profile), {
    contentType: 'application/json',
  });
}

/** null when the version has no profile (trained before monitoring existed). */
export async function readReference(ctx: Context, model: string, version: string): Promise<ReferenceProfile | null> {
  const name = artifactsPrefix(model, version) + REFERENCE_FILE;
  if (!(await ctx.platform.objects.stat(ctx.config.artifactsBucket, name))) return null;
  const parsed = ReferenceProfile.safeParse(JSON.parse((await ctx.platform.objects.get(ctx.config.artifactsBucket, name)).toString('utf8')));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new MloopError('failed_precondition', `${name} is invalid: ${issue?.path.join('.')}: ${issue?.message}`);
  }
  return parsed.data;
}
