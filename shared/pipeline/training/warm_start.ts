import type { ImageTrainingData } from '../../data/images/image_spec';
import type { WarmStart } from '../../ml/models/family';
import { ARTIFACT_FILES, readManifest } from '../artifacts/model_files';
import type { Context } from '../context';
import type { DatasetConfig } from '../dataset_config';
import { warmStartRefusal } from '../decisions/warm_start';
import { storeOf } from '../store';
import { artifactsPrefix, type RunDoc } from '../store/documents';

/** What an image run starts from: production's weights and classes when warmStartRefusal allows, else why not. */
export type WarmStartChoice = { warmStart: WarmStart; from: string } | { reason: string };

export async function warmStartFor(ctx: Context, run: RunDoc, config: DatasetConfig, algorithm: string, data: ImageTrainingData): Promise<WarmStartChoice> {
  const wanted = { enabled: config.warm_start !== false, algorithm, spec: data.spec, classes: data.classes };
  const version = wanted.enabled ? await storeOf(ctx).models.productionVersion(run.model) : null;
  const manifest = version ? await readManifest(ctx, run.model, version) : null;
  const refusal = warmStartRefusal(wanted, manifest && version ? { version, algorithm: manifest.algorithm, classes: manifest.classes, image: manifest.image } : null);
  if (refusal || !version || !manifest) return { reason: refusal ?? 'no production version to start from' };
  const onnx = await ctx.platform.objects.get(ctx.config.artifactsBucket, artifactsPrefix(run.model, version) + ARTIFACT_FILES.model);
  return { warmStart: { classes: manifest.classes ?? [], onnx }, from: version };
}

/** What the run document keeps: whether the trainer used the weights it was offered, and from which version, or why not. */
export function warmStartRecord(choice: WarmStartChoice, used: { used: true } | { used: false; reason: string } | undefined): NonNullable<RunDoc['warm_start']> {
  if ('reason' in choice) return { used: false, reason: choice.reason };
  if (used?.used) return { used: true, from: choice.from };
  return { used: false, from: choice.from, reason: used?.reason ?? 'the trainer did not use the weights' };
}
