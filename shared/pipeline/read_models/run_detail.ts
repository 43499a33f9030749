import type { Curves } from '../../ml/evaluate';
import { parseManifest, type Manifest } from '../../ml/manifest';
import { ARTIFACT_FILES } from '../artifacts/model_files';
import type { Context } from '../context';
import { artifactsPrefix, type DecisionDoc, type ModelVersionDoc, type RunDoc } from '../store/documents';
import { storeOf } from '../store';
import { getRun } from './listings';

/**
 * Everything the dashboard's run page draws, in one answer: the run, the version it made, the
 * decision about that version, the loss per iteration and importance from its manifest, and the
 * curves (an image classifier's hold its per-class metrics and its misclassified test images, whose
 * thumbnails are fetched one by one from `/api/runs/:id/misclassified/:index`). A run that failed
 * before writing artifacts has nulls where they would be.
 */
export interface RunDetail {
  run: RunDoc;
  version: ModelVersionDoc | null;
  decision: DecisionDoc | null;
  /** The decisions about this run's candidate that production moving overtook, oldest first. */
  superseded: DecisionDoc[];
  trainer: Manifest['trainer'] | null;
  /** Mean |SHAP| on the holdout and dependence points, when the version's family explains. */
  explanations: Manifest['explanations'] | null;
  curves: Curves | null;
}

export async function getRunDetail(ctx: Context, id: string): Promise<RunDetail> {
  const run = await getRun(ctx, id);
  const store = storeOf(ctx);
  const [version, decision, superseded, manifest, curves] = await Promise.all([
    store.versions.get(run.model, run.model_version),
    run.decision_id ? store.decisions.get(run.decision_id) : Promise.resolve(null),
    Promise.all((run.superseded_decisions ?? []).map((id) => store.decisions.get(id))),
    readArtifact(ctx, run, ARTIFACT_FILES.manifest),
    readArtifact(ctx, run, ARTIFACT_FILES.curves),
  ]);
  const parsed = manifest === null ? null : parseManifest(manifest);
  return {
    run,
    version,
    decision,
    superseded: superseded.filter((d): d is DecisionDoc => d !== null),
    trainer: parsed?.trainer ?? null,
    explanations: parsed?.explanations ?? null,
    curves: curves as Curves | null,
  };
}

/** A JSON file of the run's version folder, or null when the run did not write it. */
export async function readArtifact(ctx: Context, run: RunDoc, file: string): Promise<unknown> {
  const name = `${artifactsPrefix(run.model, run.model_version)}${file}`;
  const { objects } = ctx.platform;
  if (!(await objects.stat(ctx.config.artifactsBucket, name))) return null;
  return JSON.parse((await objects.get(ctx.config.artifactsBucket, name)).toString('utf8'));
}
