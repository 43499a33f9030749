import { MloopError } from '../../core/errors';
import { EXPLAINER_FILE, parseExplainer, type ExplainerModel } from '../../ml/explain/explainer_file';
import { ANOMALY_FILE, Manifest, MODEL_FILE } from '../../ml/manifest';
import type { Scorer } from '../../ml/scorer';
import type { Context } from '../context';
import { artifactsPrefix } from '../store/documents';

/** The files of one model version under `models/<name>/<version>/` in the artifacts bucket. */
export const ARTIFACT_FILES = {
  model: MODEL_FILE,
  /** The isolation forest trained beside the model, when the run asked for one. */
  anomaly: ANOMALY_FILE,
  manifest: 'manifest.json',
  holdout: 'holdout.ndjson',
  report: 'report.html',
  /** ROC and PR points and the confusion matrix: too big for documents, what a plot needs. */
  curves: 'curves.json',
  /** The model card (artifacts/model_card.ts): the training job's, replaced by the decision's. */
  card: 'card.md',
} as const;

/**
 * A test row as the file spells it, with its target as the model version's task reads it: 0/1 for
 * binary, the class name for multiclass (so that models with different class lists compare on the same
 * rows), the value for regression.
 */
export interface HoldoutRow {
  label: number | string;
  record: Record<string, string>;
}

export interface ModelArtifacts {
  onnx: Buffer;
  manifest: Manifest;
  anomaly?: Buffer;
  explainer?: ExplainerModel;
}

export async function writeArtifact(ctx: Context, model: string, version: string, file: string, data: Buffer | string, contentType: string) {
  return ctx.platform.objects.put(ctx.config.artifactsBucket, artifactsPrefix(model, version) + file, data, { contentType });
}

export async function readManifest(ctx: Context, model: string, version: string): Promise<Manifest> {
  const bytes = await ctx.platform.objects.get(ctx.config.artifactsBucket, artifactsPrefix(model, version) + ARTIFACT_FILES.manifest);
  const parsed = Manifest.safeParse(JSON.parse(bytes.toString('utf8')));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new MloopError('failed_precondition', `manifest of ${model} ${version} is invalid: ${issue?.path.join('.')}: ${issue?.message}`);
  }
  return parsed.data;
}

async function loadModelArtifacts(ctx: Context, model: string, version: string): Promise<ModelArtifacts> {
  const prefix = artifactsPrefix(model, version);
  const { objects } = ctx.platform;
  const bucket = ctx.config.artifactsBucket;
  const [onnx, manifest] = await Promise.all([objects.get(bucket, prefix + ARTIFACT_FILES.model), readManifest(ctx, model, version)]);
  const anomaly = manifest.unsupervised ? await objects.get(bucket, prefix + ARTIFACT_FILES.anomaly) : undefined;
  // a version stored before explanations were recorded has none: it serves, and says so when asked to explain
  const explainer = (await objects.stat(bucket, prefix + EXPLAINER_FILE)) ? parseExplainer(JSON.parse((await objects.get(bucket, prefix + EXPLAINER_FILE)).toString('utf8'))) : undefined;
  return { onnx, manifest, anomaly, explainer };
}

/**
 * A scorer for a stored model version, with its anomaly detector when it has one. onnxruntime is
 * loaded here, on first use, not when a bundle that can score starts: a function that only sometimes
 * scores (onTrainingCompleted, the dashboard) does not pay for it on every cold start.
 */
export async function openScorer(ctx: Context, model: string, version: string): Promise<Scorer> {
  const artifacts = await loadModelArtifacts(ctx, model, version);
  const { loadScorer } = await import('../../ml/scorer');
  return loadScorer(artifacts.onnx, artifacts.manifest, artifacts.anomaly, artifacts.explainer);
}

export function encodeHoldout(rows: HoldoutRow[]): string {
  return rows.map((row) => JSON.stringify(row)).join('\n') + '\n';
}

export async function readHoldout(ctx: Context, model: string, version: string): Promise<HoldoutRow[]> {
  const bytes = await ctx.platform.objects.get(ctx.config.artifactsBucket, artifactsPrefix(model, version) + ARTIFACT_FILES.holdout);
  return bytes
    .toString('utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as HoldoutRow);
}
