import { MloopError } from '../../../core/errors';
import { encodedWidth } from '../../../data/encoding';
import { ONNX_OUTPUTS } from '../../onnx_io';
import type { OnProgress, TrainedModel } from '../../trained_model';
import type { TrainingData } from '../../training_data';
import { fitScaler, scale } from '../standard_scaler';
import { predictKnn, type KnnModel } from './neighbours';
import { exportKnn } from './onnx';
import { autoK, resolveKnnParams } from './params';
import { storedRows } from './stored_sample';

/**
 * k nearest neighbours: the model is the training rows themselves (up to max_stored_values, above which
 * a stratified sample), standardised on their own mean and spread; a row's answer is its k nearest
 * stored rows' vote (P(positive), class shares, or the mean value). Nothing is iterated: one step.
 */
export async function trainKnn(data: TrainingData, params: Record<string, unknown> = {}, onProgress?: OnProgress): Promise<TrainedModel> {
  const started = performance.now();
  const p = resolveKnnParams(params);
  const width = encodedWidth(data.specs);
  const { X, y, n } = data.train;
  if (n < 1) throw new MloopError('invalid_argument', 'knn needs at least 1 training row, got 0');
  const capacity = Math.floor(p.max_stored_values / width);
  if (capacity < 1) {
    throw new MloopError('invalid_argument', `knn's max_stored_values ${p.max_stored_values} holds not one row of ${width} encoded columns: raise it to at least ${width}`);
  }
  const classes = data.task === 'multiclass' ? data.classes!.length : data.task === 'binary' ? 2 : 0;
  const kept = storedRows(y, n, classes, capacity, p.seed);
  const rows = kept.length;
  const raw = new Float32Array(rows * width);
  kept.forEach((row, i) => raw.set(X.subarray(row * width, (row + 1) * width), i * width));
  const scaler = fitScaler(raw, rows, width);
  const outputs = data.task === 'multiclass' ? classes : 1;
  const targets = new Float32Array(rows * outputs);
  kept.forEach((row, i) => {
    if (data.task === 'multiclass') targets[i * outputs + y[row]] = 1;
    else targets[i] = y[row];
  });
  const model: KnnModel = {
    scaler,
    stored: scale(raw, rows, scaler),
    rows,
    targets,
    outputs,
    k: Math.min(p.k === 0 ? autoK(rows) : p.k, rows),
    distance: p.distance,
    weights: p.weights,
  };
  const output = ONNX_OUTPUTS[data.task];
  const onnx = exportKnn(model, output, `mloop knn: k ${model.k}, ${p.distance}, ${p.weights} weights, ${rows} stored rows of ${n}`);
  await onProgress?.({ iteration: 1, iterations: 1, seconds: (performance.now() - started) / 1000 });
  return {
    onnx,
    predict: (batch, count) => predictKnn(model, batch, count),
    history: [],
    bestIteration: 1,
    backend: 'js',
    params: { ...p, k: model.k },
    metrics: { stored_rows: rows, training_rows: n, stored_sampled: rows < n ? 1 : 0 },
  };
}
