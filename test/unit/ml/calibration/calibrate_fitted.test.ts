/**
 * @jest-environment ./test/support/native_arrays_environment.js
 */
import { calibrateFitted, ISOTONIC_MIN_ROWS } from '../../../../shared/ml/calibration/calibrate_fitted';
import { fit } from '../../../../shared/ml/fit';
import { ONNX_OUTPUTS } from '../../../../shared/ml/onnx_io';
import { rocAuc } from '../../../../shared/ml/metrics';
import { graphOf, runOnnx } from '../../../support/onnx_run';
import { taskData } from '../../../support/task_data';

/**
 * Every binary family's calibrated model: the ONNX graph with the calibration folded in answers what
 * the trainer's calibrated predictions say, to 1e-5, under the output name the scorer reads.
 */
const data = taskData('binary', 3000, 31);
const width = data.test.X.length / data.test.n;
const FAMILIES: Array<[string, Record<string, unknown>]> = [
  ['gbdt', { num_iterations: 60, seed: 1 }],
  ['random_forest', { n_estimators: 30, seed: 1 }],
  ['extra_trees', { n_estimators: 30, seed: 1 }],
  ['linear', {}],
  ['logistic', { epochs: 20, seed: 1 }],
  ['mlp', { epochs: 10, seed: 1 }],
  ['knn', {}],
];

describe('calibration folded into the exported ONNX', () => {
  it.each(FAMILIES)('%s: platt and isotonic each serve the trainer\'s calibrated probabilities to 1e-5', async (algorithm, params) => {
    const fitted = await fit(algorithm, data, params);
    for (const method of ['platt', 'isotonic'] as const) {
      const { fitted: calibrated, record } = calibrateFitted(fitted, { validation: data.validation.y, test: data.test.y }, method);
      expect(record.method).toBe(method);
      const served = await runOnnx(calibrated.onnx, data.test.X, data.test.n, width, ONNX_OUTPUTS.binary);
      let worst = 0;
      for (let i = 0; i < data.test.n; i++) worst = Math.max(worst, Math.abs(served[i] - calibrated.predictions.test[i]));
      expect(worst).toBeLessThan(1e-5);
      expect(graphOf(calibrated.onnx).outputs).toEqual(graphOf(fitted.onnx).outputs);
      for (const p of calibrated.predictions.test) expect(p >= 0 && p <= 1).toBe(true);
      // Platt is strictly increasing in the score: the ranking, so the AUC, stays
      if (method === 'platt' && record.platt!.a > 0) expect(rocAuc(data.test.y, calibrated.predictions.test)).toBeCloseTo(rocAuc(data.test.y, fitted.predictions.test), 6);
    }
  });

  it('auto picks the method with the lower cross-fitted validation log loss and records both', async () => {
    const fitted = await fit('random_forest', data, { n_estimators: 30, seed: 1 });
    const { record } = calibrateFitted(fitted, { validation: data.validation.y, test: data.test.y }, 'auto');
    const { platt, isotonic } = record.log_loss;
    expect(platt).not.toBeNull();
    expect(isotonic).not.toBeNull();
    expect(record.method).toBe(platt! <= isotonic! ? 'platt' : 'isotonic');
    expect(record.reason).toContain('lower validation log loss');
    expect(record.test.before.bins.length).toBeGreaterThan(0);
    expect(record.test.after.ece).toBeGreaterThanOrEqual(0);
  });

  it('auto keeps to Platt below the isotonic minimum of validation rows, and the ranking (AUC) is untouched', async () => {
    const small = taskData('binary', 1500, 31);
    expect(small.validation.n).toBeLessThan(ISOTONIC_MIN_ROWS);
    const fitted = await fit('gbdt', small, { num_iterations: 40, seed: 1 });
    const { fitted: calibrated, record } = calibrateFitted(fitted, { validation: small.validation.y, test: small.test.y }, 'auto');
    expect(record.method).toBe('platt');
    expect(record.log_loss.isotonic).toBeNull();
    expect(record.reason).toContain(`at least ${ISOTONIC_MIN_ROWS} validation rows`);
    expect(rocAuc(small.test.y, calibrated.predictions.test)).toBeCloseTo(rocAuc(small.test.y, fitted.predictions.test), 10);
  });

  it('none leaves the model and its scores untouched, and says why', async () => {
    const fitted = await fit('linear', data, {});
    const { fitted: same, record } = calibrateFitted(fitted, { validation: data.validation.y, test: data.test.y }, 'none');
    expect(same).toBe(fitted);
    expect(record.method).toBe('none');
    expect(record.reason).toContain('calibration: none');
  });
});
