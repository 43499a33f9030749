import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { errorMessage, MloopError } from '../../core/errors';
import { isValidModelName } from '../../core/ids';
import { readCsv } from '../../data/csv';
import { fieldText } from '../../data/record_cells';
import { parseManifest, type Manifest } from '../../ml/manifest';
import { taskMetric } from '../../ml/task_metric';
import { ARTIFACT_FILES, encodeHoldout, writeArtifact, type HoldoutRow } from '../artifacts/model_files';
import type { VersionBundle } from '../artifacts/version_bundle';
import type { Context } from '../context';
import type { ExplicitChoice } from '../decisions/explicit_import';
import { scorerMetric } from '../promotion/holdout_metric';
import { storeOf } from '../store';
import type { DecisionDoc, ImportLineage, RunDoc, Stage } from '../store/documents';
import { checkLabel } from '../store/version_ref';
import { completeTraining } from './on_training_completed';

/**
 * `mloop models import` and `POST /api/models/:model/versions`: a version folder trained elsewhere
 * (`mloop train --out`) registered as the model's next version. Nothing is trusted: the manifest is
 * checked against its schema, the ONNX loaded with onnxruntime and scored on the holdout the folder
 * carries (or one given), and refused when its metric differs from the one the manifest records. The
 * version then meets production exactly as a trained candidate does (onTrainingCompleted's decision),
 * unless the person said `--promote` (or `--candidate`), which the decision records.
 */
export interface ImportOptions {
  model: string;
  by: string;
  reason?: string;
  label?: string;
  /** `promote`: served whatever the comparison says; `candidate`: a winner waits for approval. */
  choice?: 'promote' | 'candidate';
  /** A holdout CSV (with the target column) to check and judge the model on, instead of the one carried. */
  holdoutCsv?: Buffer;
}

export interface ImportResult {
  model: string;
  version: string;
  label: string | null;
  run_id: string;
  stage: Stage;
  promoted: boolean;
  decision: Pick<DecisionDoc, 'id' | 'promote' | 'awaiting_approval' | 'reasons' | 'candidate_metric' | 'production_metric' | 'production_version' | 'explicit'>;
  imported: ImportLineage;
}

/** onnxruntime reproduces the trainer's predictions to 1e-5; ties and float sums move a metric less than this. */
const TOLERANCE = 1e-3;

export async function importVersion(ctx: Context, bundle: VersionBundle, options: ImportOptions): Promise<ImportResult> {
  if (!isValidModelName(options.model)) {
    throw new MloopError('invalid_argument', `model "${options.model}": use lowercase letters, digits, '-' or '_' (at most 63 characters)`);
  }
  const label = options.label === undefined ? null : checkLabel(options.label);
  const manifest = manifestOf(bundle);
  if (manifest.image) throw new MloopError('invalid_argument', 'importing an image model is not supported yet: only table models (a CSV trained with mloop train)');
  const onnx = required(bundle, ARTIFACT_FILES.model);
  const carried = bundle.has(ARTIFACT_FILES.holdout) ? parseHoldout(bundle.get(ARTIFACT_FILES.holdout)!) : null;
  const provided = options.holdoutCsv ? await holdoutFromCsv(options.holdoutCsv, manifest) : null;
  if (!carried && !provided) {
    throw new MloopError('invalid_argument', `the folder carries no ${ARTIFACT_FILES.holdout}: give a holdout CSV with the target column "${manifest.target}" (--holdout file.csv) to check the model on`);
  }
  const check = await checkModel(onnx, bundle.get(ARTIFACT_FILES.anomaly), manifest, carried, provided);
  const holdout = provided ?? carried!;

  const store = storeOf(ctx);
  const now = ctx.platform.clock.now();
  const runId = `import-${randomUUID().slice(0, 12)}`;
  const lineage: ImportLineage = {
    by: options.by,
    at: now.toISOString(),
    from: { model: manifest.model, version: manifest.version, run_id: manifest.run_id },
    dataset_version: manifest.dataset.version,
    check,
  };
  // The version is allotted and the label taken in one transaction: a second import of the same label fails here.
  const version = await store.inTransaction(async (tx) => {
    const model = await tx.models.get(options.model);
    if (label && model?.labels?.[label]) {
      throw new MloopError('already_exists', `${options.model} already has a version labelled ${label} (${model.labels[label]}): pick another label`);
    }
    const number = model?.next_version ?? 1;
    const version = `v${number}`;
    const labels = { ...(model?.labels ?? {}), ...(label ? { [label]: version } : {}) };
    // an existing model keeps everything else it holds (production, canary, aliases)
    if (model) tx.models.update(options.model, { next_version: number + 1, labels, updated_at: now.toISOString() });
    else tx.models.put({ name: options.model, production_version: null, previous_version: null, next_version: number + 1, aliases: {}, labels, updated_at: now.toISOString() });
    const run: RunDoc = {
      id: runId,
      model: options.model,
      model_version: version,
      dataset_version: manifest.dataset.version,
      request_id: `import:${runId}`,
      reason: 'import',
      requested_by: options.by,
      note: options.reason ?? null,
      status: 'running',
      attempt: 1,
      max_attempts: 1,
      execution_id: null,
      executions: [],
      // nothing to launch or watch: the reconciler leaves a reported attempt to its completion
      reported_attempt: 1,
      progress: null,
      metrics: finiteMetrics(manifest.metrics),
      backend: manifest.trainer.backend,
      error: null,
      created_at: now.toISOString(),
      claimed_at: now.toISOString(),
      started_at: now.toISOString(),
      source: 'imported',
      imported: lineage,
      ...(label ? { label } : {}),
    };
    tx.runs.create(run);
    return version;
  });

  try {
    await writeVersion(ctx, options.model, version, runId, label, manifest, bundle, holdout);
  } catch (err) {
    await failImport(ctx, runId, `writing the artifacts failed: ${errorMessage(err)}`);
    throw err;
  }
  const choice: ExplicitChoice | null = options.choice ? { action: options.choice, by: options.by, reason: options.reason ?? `imported with --${options.choice}` } : null;
  const completion = await completeTraining(
    ctx,
    { run_id: runId, attempt: 1, model: options.model, model_version: version, status: 'succeeded', metrics: finiteMetrics(manifest.metrics), finished_at: now.toISOString() },
    choice,
  ).catch(async (err) => {
    await failImport(ctx, runId, `the decision failed: ${errorMessage(err)}`);
    throw err;
  });
  if (completion.outcome !== 'decided') throw new MloopError('internal', `import of ${options.model} ${version} was not decided: ${JSON.stringify(completion)}`);
  const { decision } = completion;
  const stored = await store.versions.get(options.model, version);
  return {
    model: options.model,
    version,
    label,
    run_id: runId,
    stage: stored?.stage ?? (decision.promote ? 'candidate' : 'rejected'),
    promoted: decision.promote && !decision.awaiting_approval,
    decision: {
      id: decision.id,
      promote: decision.promote,
      awaiting_approval: decision.awaiting_approval,
      reasons: decision.reasons,
      candidate_metric: decision.candidate_metric,
      production_metric: decision.production_metric,
      production_version: decision.production_version,
      explicit: decision.explicit ?? null,
    },
    imported: lineage,
  };
}

function required(bundle: VersionBundle, name: string): Buffer {
  const bytes = bundle.get(name);
  if (!bytes) throw new MloopError('invalid_argument', `the folder has no ${name}: give the whole folder \`mloop train --out\` wrote`);
  return bytes;
}

function manifestOf(bundle: VersionBundle): Manifest {
  let raw: unknown;
  try {
    raw = JSON.parse(required(bundle, ARTIFACT_FILES.manifest).toString('utf8'));
  } catch (err) {
    if (err instanceof MloopError) throw err;
    throw new MloopError('invalid_argument', `${ARTIFACT_FILES.manifest} is not JSON: ${errorMessage(err)}`);
  }
  return parseManifest(raw);
}

const finiteMetrics = (metrics: Record<string, number>) => Object.fromEntries(Object.entries(metrics).map(([k, v]) => [k, Number.isFinite(v) ? v : null]));

function parseHoldout(bytes: Buffer): HoldoutRow[] {
  const rows: HoldoutRow[] = [];
  const lines = bytes.toString('utf8').split('\n');
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch {
      throw new MloopError('invalid_argument', `${ARTIFACT_FILES.holdout} line ${i + 1} is not JSON`);
    }
    const { label, record } = (row ?? {}) as Partial<HoldoutRow>;
    if ((typeof label !== 'number' && typeof label !== 'string') || typeof record !== 'object' || record === null || Array.isArray(record)) {
      throw new MloopError('invalid_argument', `${ARTIFACT_FILES.holdout} line ${i + 1}: expected {"label": ..., "record": {column: text}}`);
    }
    rows.push({ label, record: Object.fromEntries(Object.entries(record).map(([k, v]) => [k, v === null || v === undefined ? '' : String(v)])) });
  });
  if (rows.length === 0) throw new MloopError('invalid_argument', `${ARTIFACT_FILES.holdout} has no rows`);
  return rows;
}

/** A holdout CSV with the target column, as the version's task counts labels (see HoldoutRow). */
async function holdoutFromCsv(csv: Buffer, manifest: Manifest): Promise<HoldoutRow[]> {
  let header: string[] = [];
  const rows: HoldoutRow[] = [];
  const labelOf = (text: string, line: number): number | string => {
    const value = text.trim();
    if (manifest.task === 'regression') {
      const number = Number(value);
      if (value === '' || !Number.isFinite(number)) throw new MloopError('invalid_argument', `holdout line ${line}: target "${manifest.target}" is "${value}", not a number`);
      return number;
    }
    const classes = manifest.classes!;
    const index = classes.indexOf(value) >= 0 ? classes.indexOf(value) : classes.findIndex((c) => c.toLowerCase() === value.toLowerCase());
    if (index < 0) throw new MloopError('invalid_argument', `holdout line ${line}: target "${manifest.target}" is "${value}", not one of the model's classes (${classes.join(', ')})`);
    return manifest.task === 'binary' ? index : classes[index];
  };
  let line = 1;
  await readCsv(
    Readable.from([csv]),
    (names) => {
      header = names;
      if (!names.includes(manifest.target)) throw new MloopError('invalid_argument', `the holdout CSV has no target column "${manifest.target}" (columns: ${names.slice(0, 20).join(', ')})`);
    },
    (rec) => {
      line++;
      const record: Record<string, string> = {};
      header.forEach((name, i) => (record[name] = fieldText(rec, i)));
      rows.push({ label: labelOf(record[manifest.target], line), record });
    },
  );
  if (rows.length === 0) throw new MloopError('invalid_argument', 'the holdout CSV has no rows');
  return rows;
}

/**
 * The ONNX loads, reads the manifest's input and answers its output, and scores the holdout: on the
 * carried one to the metric the manifest records; on a provided one at all.
 */
async function checkModel(onnx: Buffer, anomaly: Buffer | undefined, manifest: Manifest, carried: HoldoutRow[] | null, provided: HoldoutRow[] | null): Promise<ImportLineage['check']> {
  const { loadScorer } = await import('../../ml/scorer');
  let scorer;
  try {
    scorer = await loadScorer(onnx, manifest, anomaly);
  } catch (err) {
    throw new MloopError('invalid_argument', `${ARTIFACT_FILES.model} does not load as the manifest describes it: ${errorMessage(err)}`);
  }
  try {
    const metric = taskMetric(manifest.task);
    const target = { task: manifest.task, classes: manifest.classes, metric };
    const recorded = Number.isFinite(manifest.metrics[metric.name]) ? manifest.metrics[metric.name] : null;
    const holdout = provided ?? carried!;
    if (carried) {
      const measured = await scorerMetric(scorer, manifest.version, carried, target);
      if (measured.error) throw new MloopError('invalid_argument', `${ARTIFACT_FILES.model} cannot score the folder's ${ARTIFACT_FILES.holdout}: ${measured.error}`);
      if (recorded !== null && (measured.value === null || Math.abs(measured.value - recorded) > TOLERANCE * (metric.relativeDelta ? Math.max(1, Math.abs(recorded)) : 1))) {
        throw new MloopError(
          'invalid_argument',
          `${ARTIFACT_FILES.model} scores ${metric.name} ${measured.value ?? 'undefined'} on the folder's ${carried.length} holdout rows, but ${ARTIFACT_FILES.manifest} records ${recorded}: the model and its manifest do not belong together`,
        );
      }
      if (!provided) return { metric: metric.name, recorded, measured: measured.value, holdout: 'carried', rows: carried.length };
    }
    const measured = await scorerMetric(scorer, manifest.version, holdout, target);
    if (measured.error) throw new MloopError('invalid_argument', `${ARTIFACT_FILES.model} cannot score the holdout CSV: ${measured.error}`);
    return { metric: metric.name, recorded, measured: measured.value, holdout: 'provided', rows: holdout.length };
  } finally {
    await scorer.release();
  }
}

/** The folder's files under the new version, its manifest renamed to it (and written last: a folder with a manifest is complete). */
async function writeVersion(ctx: Context, model: string, version: string, runId: string, label: string | null, manifest: Manifest, bundle: VersionBundle, holdout: HoldoutRow[]): Promise<void> {
  const types: Record<string, string> = { '.onnx': 'application/octet-stream', '.json': 'application/json', '.ndjson': 'application/x-ndjson', '.html': 'text/html' };
  for (const [name, bytes] of bundle) {
    if (name === ARTIFACT_FILES.manifest || name === ARTIFACT_FILES.holdout) continue;
    await writeArtifact(ctx, model, version, name, bytes, types[name.slice(name.lastIndexOf('.'))] ?? 'application/octet-stream');
  }
  await writeArtifact(ctx, model, version, ARTIFACT_FILES.holdout, encodeHoldout(holdout), 'application/x-ndjson');
  // a label the folder's manifest carries (a downloaded version) belonged to the other registry: only this import's counts
  const { label: _carried, ...own } = manifest;
  const renamed = { ...own, model, version, run_id: runId, ...(label ? { label } : {}) };
  await writeArtifact(ctx, model, version, ARTIFACT_FILES.manifest, JSON.stringify(renamed, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2), 'application/json');
}

async function failImport(ctx: Context, runId: string, error: string): Promise<void> {
  await storeOf(ctx).runs.update(runId, { status: 'failed', error, finished_at: ctx.platform.clock.now().toISOString() }).catch(() => undefined);
}
