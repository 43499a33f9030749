import { imageFloats, type ImageTrainingData } from '../../data/images/image_spec';
import { expectedOutput, parseManifest, type Manifest } from '../../ml/manifest';
import { ONNX_IMAGE_INPUT } from '../../ml/onnx_io';
import type { ImageCandidate, ImagePlan } from '../training/image_training';
import type { MisclassifiedThumbnails } from './misclassified_thumbnails';
import { buildImageReference } from '../../monitoring/image_reference';
import { ARTIFACT_FILES, encodeHoldout, type HoldoutRow } from './model_files';
import { REFERENCE_FILE } from './reference_file';
import type { ArtifactFile, VersionInfo } from './version_files';

/**
 * The files of an image model's version folder: the ONNX model, its holdout (the test split's image
 * files), the evaluation a person reads (each class's precision and recall, the confusion matrix named as
 * a table model's is, the misclassified test images and their thumbnails), the drift reference (the
 * training images' properties, the model's class mix and confidence on its test split:
 * monitoring/image_reference.ts) and the manifest, last, with the preprocessing the scorer applies.
 * No HTML report yet.
 */
export function imageVersionFiles(data: ImageTrainingData, candidate: ImageCandidate, plan: ImagePlan, holdout: HoldoutRow[], info: VersionInfo, misclassified?: MisclassifiedThumbnails): { manifest: Manifest; files: ArtifactFile[] } {
  const { trained, evaluation } = candidate;
  const draft = {
    format_version: 2,
    model: info.model,
    version: info.version,
    run_id: info.run_id,
    task: 'multiclass',
    algorithm: plan.algorithm,
    target: 'label',
    classes: data.classes,
    features: [],
    dropped: [],
    threshold: null,
    metrics: evaluation.metrics,
    dataset: { ...info.dataset, rows: data.train.n + data.validation.n + data.test.n },
    trainer: { backend: trained.backend, params: trained.params, best_iteration: trained.bestIteration, history: trained.history },
    input: { name: ONNX_IMAGE_INPUT, width: imageFloats(data.spec) },
    output: { name: expectedOutput('multiclass', plan.algorithm) },
    image: data.spec,
    created_at: info.created_at,
  };
  // through JSON, as a reader will see it (NaN becomes null)
  const text = JSON.stringify(draft, null, 2);
  const manifest = parseManifest(JSON.parse(text));
  const curves = {
    per_class: evaluation.per_class,
    confusion: { labels: evaluation.confusion.classes, matrix: evaluation.confusion.matrix },
    misclassified: misclassified?.list ?? [],
  };
  const files: ArtifactFile[] = [
    { name: ARTIFACT_FILES.model, data: Buffer.from(trained.onnx), contentType: 'application/octet-stream' },
    { name: ARTIFACT_FILES.holdout, data: encodeHoldout(holdout), contentType: 'application/x-ndjson' },
    ...(misclassified?.files ?? []),
    { name: ARTIFACT_FILES.curves, data: JSON.stringify(curves), contentType: 'application/json' },
    { name: REFERENCE_FILE, data: JSON.stringify(buildImageReference(data.trainProperties ?? null, candidate.test, data.classes)), contentType: 'application/json' },
    { name: ARTIFACT_FILES.manifest, data: text, contentType: 'application/json' },
  ];
  return { manifest, files };
}
