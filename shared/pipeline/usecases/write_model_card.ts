import { ARTIFACT_FILES, writeArtifact } from '../artifacts/model_files';
import { cardMarkdown, withCard } from '../artifacts/model_card';
import type { Context } from '../context';
import { modelCardOf } from '../read_models/model_card';
import { artifactsPrefix } from '../store/documents';

/**
 * After a decision: the version's card.md, and the card section of its report.html, rewritten with the
 * decision, production's numbers on the same rows and the slice table. Written again on a redelivery.
 */
export async function writeModelCard(ctx: Context, model: string, version: string): Promise<void> {
  const card = await modelCardOf(ctx, model, version);
  await writeArtifact(ctx, model, version, ARTIFACT_FILES.card, cardMarkdown(card), 'text/markdown; charset=utf-8');
  const { objects } = ctx.platform;
  const name = artifactsPrefix(model, version) + ARTIFACT_FILES.report;
  if (!(await objects.stat(ctx.config.artifactsBucket, name))) return;
  const report = (await objects.get(ctx.config.artifactsBucket, name)).toString('utf8');
  await writeArtifact(ctx, model, version, ARTIFACT_FILES.report, withCard(report, card), 'text/html');
}
