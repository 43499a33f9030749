import fs from 'node:fs';
import path from 'node:path';
import type { Context } from '../context';
import { artifactsPrefix, type ModelDoc, type ModelVersionDoc } from '../store/documents';
import { storeOf } from '../store';

/** The folder's files as the train job writes them to the artifacts bucket, the manifest naming `model@version`. */
export async function uploadArtifacts(ctx: Context, model: string, version: string, dir: string): Promise<string> {
  const prefix = artifactsPrefix(model, version);
  // an image version holds folders (thumbnails/): their files keep their relative names
  const files = fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => fs.statSync(path.join(dir, f)).isFile());
  for (const relative of files) {
    const file = relative.split(path.sep).join('/');
    let bytes = fs.readFileSync(path.join(dir, relative));
    if (file === 'manifest.json') bytes = Buffer.from(JSON.stringify({ ...JSON.parse(bytes.toString('utf8')), model, version }));
    await ctx.platform.objects.put(ctx.config.artifactsBucket, prefix + file, bytes);
  }
  return prefix;
}

/**
 * Puts a folder written by `mloop train --out` into the registry as `model@version` directly, with no
 * evaluation or decision: what benchmarks and tests use to stand up a server on a known model without
 * running the whole loop. (Importing a model for real goes through champion/challenger.)
 */
export async function installVersion(ctx: Context, model: string, version: string, dir: string, stage: ModelVersionDoc['stage'] = 'production'): Promise<void> {
  const prefix = await uploadArtifacts(ctx, model, version, dir);
  // the test split's metrics, as a trained version has them: what monitoring judges live performance against
  const { metrics = {} } = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { metrics?: Record<string, unknown> };
  const now = new Date().toISOString();
  const doc: ModelVersionDoc = {
    model,
    version,
    stage,
    run_id: `run-${version}`,
    dataset_version: 'installed',
    artifacts_prefix: prefix,
    metrics: Object.fromEntries(Object.entries(metrics).map(([k, v]) => [k, typeof v === 'number' && Number.isFinite(v) ? v : null])),
    decision_id: `dec-${version}`,
    created_at: now,
    history: [{ from: null, to: stage, by: 'test', at: now, reason: 'installed' }],
  };
  const store = storeOf(ctx);
  await store.versions.put(doc);
  const existing = await store.models.get(model);
  const production = stage === 'production' ? version : (existing?.production_version ?? null);
  const modelDoc: ModelDoc = {
    name: model,
    production_version: production,
    previous_version: stage === 'production' ? (existing?.production_version ?? null) : (existing?.previous_version ?? null),
    next_version: existing?.next_version ?? 2,
    aliases: { ...(existing?.aliases ?? {}), ...(production ? { champion: production } : {}) },
    updated_at: now,
  };
  await store.models.put(modelDoc);
}
