import { MloopError } from '../../core/errors';
import { ARTIFACT_FILES, readHoldout, readManifest } from '../artifacts/model_files';
import { modelCard, type CardInput, type ModelCard } from '../artifacts/model_card';
import type { Context } from '../context';
import { storeOf } from '../store';
import { artifactsPrefix, type DatasetDoc, type RunDoc } from '../store/documents';
import { datasetConfigOf } from '../store/stored_config';
import { canonicalVersion } from '../store/version_ref';

/**
 * A version's model card from what is stored about it: its manifest, its decision, its dataset's
 * mloop.json, its holdout's class counts. A version of production when none is named. Built on request,
 * so a version decided before cards existed has one too.
 */
export async function modelCardOf(ctx: Context, model: string, ref?: string): Promise<ModelCard> {
  const store = storeOf(ctx);
  const version = ref ? await canonicalVersion(ctx, model, ref) : await store.models.productionVersion(model);
  if (!version) throw new MloopError('not_found', `${model} has no production version: name one (mloop models card ${model} v1)`);
  // the registry's document when there is one; a version's files alone still make a card (no stage, no decision)
  const doc = await store.versions.get(model, version);
  if (!doc && !(await ctx.platform.objects.stat(ctx.config.artifactsBucket, artifactsPrefix(model, version) + ARTIFACT_FILES.manifest))) {
    throw new MloopError('not_found', `${model} has no version ${ref ?? version}`);
  }
  const [manifest, raw] = await Promise.all([readManifest(ctx, model, version), rawManifest(ctx, model, version)]);
  const [decision, run, dataset] = await Promise.all([
    doc?.decision_id ? store.decisions.get(doc.decision_id) : null,
    store.runs.get(doc?.run_id ?? manifest.run_id),
    store.datasets.get(model, doc?.dataset_version ?? manifest.dataset.version),
  ]);
  return modelCard({
    manifest,
    intendedUse: configOf(dataset)?.intended_use ?? null,
    decision,
    stage: doc?.stage ?? null,
    calibration: calibrationOf(raw, run),
    shap: shapOf(raw),
    classCounts: manifest.classes ? await classCounts(ctx, model, version, manifest.task === 'binary' ? manifest.classes : null) : null,
    minRows: run?.promotion?.min_slice_rows,
  });
}

async function rawManifest(ctx: Context, model: string, version: string): Promise<Record<string, unknown>> {
  const bytes = await ctx.platform.objects.get(ctx.config.artifactsBucket, artifactsPrefix(model, version) + ARTIFACT_FILES.manifest);
  return JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
}

function configOf(dataset: DatasetDoc | null) {
  if (!dataset) return null;
  try {
    return datasetConfigOf(dataset);
  } catch {
    return null;
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What the version or its run records about calibration, wherever the calibration step put it (manifest first). */
function calibrationOf(raw: Record<string, unknown>, run: RunDoc | null): CardInput['calibration'] {
  const found = raw.calibration ?? (run as unknown as Record<string, unknown> | null)?.calibration;
  return isRecord(found) ? found : null;
}

/** Mean |SHAP| per feature on the holdout, as the training job recorded it in the manifest. */
function shapOf(raw: Record<string, unknown>): CardInput['shap'] {
  const list = isRecord(raw.explanations) ? raw.explanations.importance : undefined;
  if (!Array.isArray(list)) return null;
  return list.flatMap((f) => (isRecord(f) && typeof f.feature === 'string' && typeof f.mean_abs === 'number' && Number.isFinite(f.mean_abs) ? [{ feature: f.feature, value: f.mean_abs }] : []));
}

/** A binary holdout's labels are 0 and 1: named by the classes they stand for. */
async function classCounts(ctx: Context, model: string, version: string, binary: string[] | null): Promise<Record<string, number> | null> {
  try {
    const counts: Record<string, number> = {};
    for (const row of await readHoldout(ctx, model, version)) {
      const name = binary ? (binary[Number(row.label)] ?? String(row.label)) : String(row.label);
      counts[name] = (counts[name] ?? 0) + 1;
    }
    return counts;
  } catch {
    return null;
  }
}
