import { encodedWidth } from '../../data/encoding';
import type { PreparedData } from '../../data/prepare';
import { expectedOutput, parseManifest, type Manifest } from '../../ml/manifest';
import { Explainer } from '../../ml/explain/explainer';
import { EXPLAINER_FILE } from '../../ml/explain/explainer_file';
import { ERROR_MODEL_FILE } from '../../ml/error_model';
import { globalExplanations, type GlobalExplanations } from '../../ml/explain/global_importance';
import { isClustering } from '../../ml/models/family';
import { family } from '../../ml/models/registry';
import { buildReference } from '../../monitoring/reference_profile';
import { ONNX_INPUT } from '../../ml/onnx_io';
import { ARTIFACT_FILES, encodeHoldout, type HoldoutRow } from './model_files';
import { REFERENCE_FILE } from './reference_file';
import { renderReport } from './training_report_html';
import { cardMarkdown } from './model_card';
import { trainingCard, type CardConfig } from './training_card';
import type { Candidate } from '../training/train_core';
import type { TrainingPlan } from '../training/training_plan';

/**
 * The files of a model version folder, wherever they go (the artifacts bucket, or a local folder for
 * `mloop train`). The manifest is checked against its schema before anything is written and comes last:
 * a folder with a manifest is complete.
 */
export interface ArtifactFile {
  name: string;
  data: Buffer | string;
  contentType: string;
}

export interface VersionInfo {
  model: string;
  version: string;
  run_id: string;
  dataset: { version: string; uri: string };
  created_at: string;
  /** mloop.json's intended use and slice columns, for the model card. */
  card?: CardConfig;
}

function holdoutRows(data: PreparedData): HoldoutRow[] {
  const { y, text } = data.test;
  const label = (i: number): number | string => (data.task === 'multiclass' ? data.classes![y[i]] : y[i]);
  return text.records().map((record, i) => ({ label: label(i), record }));
}

/** What the scorer serves as one number per row, on the test split: a binary score or a regression value (a cluster index is no score). */
function servedScores(data: PreparedData, fitted: Candidate['fitted']): ArrayLike<number> | null {
  return data.task === 'multiclass' || isClustering(family(fitted.algorithm)) ? null : fitted.predictions.test;
}

/** Mean |contribution| and dependence points on the test split, when the family can explain its model. */
function holdoutExplanations(data: PreparedData, fitted: Candidate['fitted']): GlobalExplanations | null {
  if (!fitted.explainer || data.test.n === 0) return null;
  const explainer = new Explainer(fitted.explainer, data.specs, data.classes, data.task === 'multiclass');
  const width = encodedWidth(data.specs);
  const kinds = new Map(data.specs.map((s) => [s.name, s.kind]));
  const offsets = new Map<string, number>();
  data.specs.reduce((at, s) => (offsets.set(s.name, at), at + (s.kind === 'categorical' ? s.categories.length : 1)), 0);
  // a category as the holdout file spells it; a number as the model read it (a missing value's fill)
  const valueOf = (i: number, feature: string) => (kinds.get(feature) === 'categorical' ? (data.test.text.cell(i, feature) ?? '') : data.test.X[i * width + offsets.get(feature)!]);
  return globalExplanations(explainer, data.test.X, width, data.test.n, valueOf);
}

export function versionFiles(data: PreparedData, candidate: Candidate, plan: TrainingPlan, info: VersionInfo): { manifest: Manifest; files: ArtifactFile[] } {
  const { fitted, evaluation, anomaly, trials } = candidate;
  const explanations = holdoutExplanations(data, fitted);
  const draft = {
    format_version: 2,
    model: info.model,
    version: info.version,
    run_id: info.run_id,
    task: data.task,
    // the family that trained the model, which auto chose: what serving and reports read
    algorithm: fitted.algorithm,
    target: data.target,
    classes: data.classes,
    features: data.specs,
    dropped: data.dropped,
    threshold: evaluation.threshold,
    metrics: evaluation.metrics,
    dataset: { ...info.dataset, rows: data.report.rows, ...(data.report.time_range ? { time_range: data.report.time_range } : {}) },
    trainer: {
      backend: fitted.backend,
      params: fitted.params,
      best_iteration: fitted.bestIteration,
      history: fitted.history,
      ...(fitted.importance ? { importance: fitted.importance } : {}),
      ...(fitted.coefficients ? { coefficients: fitted.coefficients } : {}),
    },
    ...(explanations ? { explanations } : {}),
    ...(trials.length > 1 ? { sweep: { metric: plan.metric.name, best_trial: candidate.bestTrial, trials } } : {}),
    input: { name: ONNX_INPUT, width: encodedWidth(data.specs) },
    ...(fitted.selection ? { selection: fitted.selection } : {}),
    ...(candidate.calibration ? { calibration: candidate.calibration } : {}),
    output: { name: expectedOutput(data.task, fitted.algorithm) },
    ...(anomaly
      ? { unsupervised: { file: ARTIFACT_FILES.anomaly, algorithm: anomaly.fitted.algorithm, output: expectedOutput(data.task, anomaly.fitted.algorithm), params: anomaly.fitted.params, metrics: anomaly.metrics } }
      : {}),
    created_at: info.created_at,
  };
  // through JSON, as a reader will see it (NaN becomes null)
  const text = JSON.stringify(draft, null, 2);
  const manifest = parseManifest(JSON.parse(text));
  const holdout = holdoutRows(data);
  const card = trainingCard(data, holdout, fitted.predictions.test, manifest, plan.metric.name, info.card);
  const files: ArtifactFile[] = [
    { name: ARTIFACT_FILES.model, data: Buffer.from(fitted.onnx), contentType: 'application/octet-stream' },
    ...(anomaly ? [{ name: ARTIFACT_FILES.anomaly, data: Buffer.from(anomaly.fitted.onnx), contentType: 'application/octet-stream' }] : []),
    ...(fitted.explainer ? [{ name: EXPLAINER_FILE, data: JSON.stringify(fitted.explainer), contentType: 'application/json' }] : []),
    ...(candidate.errorModel ? [{ name: ERROR_MODEL_FILE, data: JSON.stringify(candidate.errorModel), contentType: 'application/json' }] : []),
    { name: ARTIFACT_FILES.holdout, data: encodeHoldout(holdout), contentType: 'application/x-ndjson' },
    { name: ARTIFACT_FILES.curves, data: JSON.stringify(evaluation.curves), contentType: 'application/json' },
    { name: ARTIFACT_FILES.report, data: renderReport(manifest, data.report, evaluation.curves, card), contentType: 'text/html' },
    { name: ARTIFACT_FILES.card, data: cardMarkdown(card), contentType: 'text/markdown; charset=utf-8' },
    { name: REFERENCE_FILE, data: JSON.stringify(buildReference(data.trainColumns(), servedScores(data, fitted))), contentType: 'application/json' },
    { name: ARTIFACT_FILES.manifest, data: text, contentType: 'application/json' },
  ];
  return { manifest, files };
}
