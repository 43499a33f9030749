import { MloopError } from '../core/errors';
import { Manifest } from '../ml/manifest';
import type { Context } from './context';
import { artifactsPrefix } from './documents';

/** The files of one model version under `models/<name>/<version>/` in the artifacts bucket. */
export const ARTIFACT_FILES = {
  model: 'model.onnx',
  manifest: 'manifest.json',
  holdout: 'holdout.ndjson',
  report: 'report.html',
} as const;

export interface HoldoutRow {
  label: 0 | 1;
  record: Record<string, string>;
}

export interface ModelArtifacts {
  onnx: Buffer;
  manifest: Manifest;
}

export async function writeArtifact(ctx: Context, model: string, version: string, file: string, data: Buffer | string, contentType: string) {
  return ctx.platform.objects.put(ctx.config.artifactsBucket, artifactsPrefix(model, version) + file, data, { contentType });
}

export async function loadModelArtifacts(ctx: Context, model: string, version: string): Promise<ModelArtifacts> {
  const prefix = artifactsPrefix(model, version);
  const { objects } = ctx.platform;
  const bucket = ctx.config.artifactsBucket;
  const [onnx, manifestBytes] = await Promise.all([
    objects.get(bucket, prefix + ARTIFACT_FILES.model),
    objects.get(bucket, prefix + ARTIFACT_FILES.manifest),
  ]);
  const parsed = Manifest.safeParse(JSON.parse(manifestBytes.toString('utf8')));
  if (!parsed.success) {
    throw new MloopError('failed_precondition', `manifest of ${model} ${version} is invalid: ${parsed.error.issues[0]?.message}`);
  }
  return { onnx, manifest: parsed.data };
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
