import { MloopError } from '../../core/errors';
import type { Task } from '../../data/prepare';
import { ONNX_OUTPUTS, type OnnxOutput } from '../onnx_io';
import type { ImageTrainingData } from '../../data/images/image_spec';
import type { ImageTrainedModel, OnProgress, TrainedModel } from '../trained_model';
import type { TrainingData } from '../training_data';

/**
 * A model family, as the registry lists it: everything the pipeline, the manifest and the report need
 * to know about it, so that none of them asks which family it is. Descriptors stay light — serving reads
 * them to check a manifest — and load their trainer on the first `train`.
 */

/** What a family's model answers: one of the target's tasks, or, needing no target, an anomaly score or a cluster. */
export type FamilyTask = Task | 'anomaly' | 'clustering';

export interface ModelFamily {
  /** As mloop.json `algorithm`, a training request and the manifest write it. */
  readonly name: string;
  /** What it learns from: images for an ImageFamily; absent, a table's encoded columns. */
  readonly input?: 'tabular' | 'image';
  readonly tasks: readonly FamilyTask[];
  /** Every parameter it takes, with its default: mloop.json `params` and a sweep may override these only. */
  readonly defaults: Readonly<Record<string, unknown>>;
  /** What one step of its training is called in the run's progress and the report's loss chart. */
  readonly progressUnit: 'epoch' | 'iteration';
  /** Takes the deployment's epoch budget as its `epochs` parameter. */
  readonly takesEpochs: boolean;
  /** Takes the deployment's TensorFlow.js backend as its `backend` parameter. */
  readonly takesBackend: boolean;
  /** Takes the run's promotion metric as its `metric` parameter, to choose among models it trains (auto). */
  readonly takesMetric?: boolean;
  /** Learns from the target; an unsupervised model's score ranks rows but is no probability. */
  readonly supervised: boolean;
  /** Its binary model already answers calibrated probabilities (linear_svm's Platt sigmoid): the pipeline calibrates it no further. */
  readonly selfCalibrated?: boolean;
  /** The output its ONNX model names for a target of this task. */
  onnxOutput(task: Task): OnnxOutput;
}

/**
 * The production version a training may start from instead of random weights: its class names (the
 * manifest's) and its ONNX file. Used only when the network and the class set are unchanged.
 */
export interface WarmStart {
  classes: readonly string[];
  onnx: Uint8Array;
}

/** A family that learns from images: classes, answered as probabilities [N, K] whatever K is. */
export interface ImageFamily extends ModelFamily {
  readonly input: 'image';
}

export const isImageFamily = (family: ModelFamily): family is ImageFamily => family.input === 'image';

/** A supervised family's output: the one its target's task names. */
export const outputOfTask = (task: Task): OnnxOutput => ONNX_OUTPUTS[task];

/** A family whose model answers a cluster: evaluated on itself (inertia, silhouette), not on the target. */
export const isClustering = (family: ModelFamily): boolean => family.tasks.includes('clustering');

/**
 * Refuses a table's target a run of the family cannot be planned on. A supervised family takes its own
 * tasks; an anomaly score is judged against a binary target, as a fraud score would be; a clustering
 * never reads the target, whatever its task; an image family takes no table.
 */
export function checkTarget(family: ModelFamily, task: Task): void {
  if (family.input === 'image') {
    throw new MloopError('invalid_argument', `${family.name} trains on images (one folder of them per class), not on a table's columns; this target is ${task}`);
  }
  if (!family.supervised) {
    if (family.tasks.includes('anomaly') && task !== 'binary') throw new MloopError('invalid_argument', `${family.name} scores anomalies and is evaluated against a binary target; this target is ${task}`);
  } else if (!family.tasks.includes(task)) {
    throw new MloopError('invalid_argument', `${family.name} trains on ${family.tasks.join(', ')} targets; this target is ${task}`);
  }
}
