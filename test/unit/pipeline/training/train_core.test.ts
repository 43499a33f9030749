/**
 * @jest-environment ./test/support/native_arrays_environment.js
 */
import { parseDatasetConfig } from '../../../../shared/pipeline/dataset_config';
import { parseSearch } from '../../../../shared/ml/search_space';
import type { Task } from '../../../../shared/data/prepare';
import { loadScorer, type Prediction } from '../../../../shared/ml/scorer';
import { trainCandidate } from '../../../../shared/pipeline/training/train_core';
import { planTraining, type TrainingConfig } from '../../../../shared/pipeline/training/training_plan';
import { versionFiles } from '../../../../shared/pipeline/artifacts/version_files';
import { rows, taskData, worstDifference } from '../../../support/task_data';

const defaults = { epochs: 6, backend: 'auto' as const };
const inProcess = { workers: 1, workerScript: 'unused: one worker trains in this thread' };
const info = { model: 'm', version: 'v1', run_id: 'run-1', dataset: { version: 'd1', uri: 'data/m.csv' }, created_at: '2024-01-01T00:00:00.000Z' };

async function trainedVersion(task: Task, config: Partial<TrainingConfig> = {}) {
  const data = taskData(task, 900);
  const plan = planTraining(task, { algorithm: 'logistic', promotion: { metric: 'auc' }, params: { batch_size: 64, learning_rate: 0.02 }, ...config }, null, defaults);
  const candidate = await trainCandidate(data, plan, inProcess);
  const { manifest, files } = versionFiles(data, candidate, plan, info);
  const file = (name: string) => files.find((f) => f.name === name)!.data;
  const scorer = await loadScorer(file('model.onnx') as Buffer, manifest, manifest.unsupervised ? (file('anomaly.onnx') as Buffer) : undefined);
  return { data, candidate, manifest, files, file, scorer };
}

/** Instances as a JSON client sends them: numbers as numbers. */
const instances = rows(5, 77);

describe('the training core and the scorer, per task', () => {
  it('binary: {score, label} at the validation threshold, with the anomaly score of the forest trained beside it', async () => {
    const { candidate, manifest, files, file, scorer } = await trainedVersion('binary', { unsupervised: true });
    try {
      expect(files.map((f) => f.name)).toEqual(['model.onnx', 'anomaly.onnx', 'explainer.json', 'holdout.ndjson', 'curves.json', 'report.html', 'card.md', 'reference.json', 'manifest.json']);
      expect(manifest).toMatchObject({ task: 'binary', classes: ['no', 'yes'], output: { name: 'probability' }, unsupervised: { file: 'anomaly.onnx', output: 'anomaly_score' } });
      expect(manifest.threshold).toBe(candidate.evaluation.threshold);
      expect(Object.keys(manifest.metrics)).toEqual(expect.arrayContaining(['auc', 'pr_auc', 'logloss', 'precision', 'recall', 'f1', 'tp', 'fp', 'tn', 'fn', 'threshold', 'anomaly_auc']));
      const curves = JSON.parse(file('curves.json') as string);
      expect(curves.roc.length).toBeGreaterThan(2);
      expect(curves.confusion.labels).toEqual(['no', 'yes']);
      // calibrated on validation by default, recorded, shown, and what the exported model serves
      expect(manifest.calibration).toEqual(candidate.calibration);
      expect(manifest.calibration).toMatchObject({ requested: 'auto', method: expect.stringMatching(/^(platt|isotonic)$/), validation_rows: 300 });
      expect(file('report.html')).toContain('Expected calibration error on test');
      expect(file('report.html')).toContain('aria-label="reliability curve"');

      const result = await scorer.predict(instances);
      if (!result.ok) throw new Error(JSON.stringify(result.errors));
      for (const p of result.predictions as Array<Extract<Prediction, { score: number }>>) {
        expect(Object.keys(p).sort()).toEqual(['anomaly_score', 'label', 'score']);
        expect(p.label).toBe(p.score >= manifest.threshold! ? 1 : 0);
        expect(p.anomaly_score).toBeGreaterThan(0);
        expect(p.anomaly_score).toBeLessThan(1);
      }
    } finally {
      await scorer.release();
    }
  });

  it('multiclass: the most probable class and every class probability; holdout labels are class names', async () => {
    const { data, candidate, manifest, file, scorer } = await trainedVersion('multiclass');
    try {
      expect(manifest).toMatchObject({ task: 'multiclass', classes: ['low', 'mid', 'high'], threshold: null, output: { name: 'probabilities' } });
      expect(manifest.unsupervised).toBeUndefined();
      expect(Object.keys(manifest.metrics)).toEqual(expect.arrayContaining(['accuracy', 'macro_f1', 'logloss', 'macro_auc']));
      const holdout = (file('holdout.ndjson') as string).trim().split('\n').map((l) => JSON.parse(l));
      expect(holdout).toHaveLength(data.test.n);
      expect(holdout[0].label).toBe(['low', 'mid', 'high'][data.test.y[0]]);

      const result = await scorer.predict(instances);
      if (!result.ok) throw new Error(JSON.stringify(result.errors));
      for (const p of result.predictions as Array<Extract<Prediction, { probabilities: unknown }>>) {
        expect(Object.keys(p.probabilities)).toEqual(['low', 'mid', 'high']);
        const values = Object.values(p.probabilities);
        expect(values.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
        expect(p.probabilities[p.label]).toBe(Math.max(...values));
      }
      const served = await scorer.scoreRecords(data.test.text.records());
      expect(worstDifference(served, candidate.fitted.predictions.test)).toBeLessThan(1e-5);
    } finally {
      await scorer.release();
    }
  });

  it('regression: {value}, as the trainer predicts it', async () => {
    const { data, candidate, manifest, scorer } = await trainedVersion('regression');
    try {
      expect(manifest).toMatchObject({ task: 'regression', classes: null, threshold: null, output: { name: 'value' } });
      expect(Object.keys(manifest.metrics)).toEqual(expect.arrayContaining(['rmse', 'mae', 'r2']));
      const result = await scorer.predict(instances);
      if (!result.ok) throw new Error(JSON.stringify(result.errors));
      expect(result.predictions.every((p) => Object.keys(p).join() === 'value')).toBe(true);
      const served = await scorer.scoreRecords(data.test.text.records());
      expect(worstDifference(served, candidate.fitted.predictions.test)).toBeLessThan(1e-5);
    } finally {
      await scorer.release();
    }
  });

  it('an isolation forest alone: its anomaly score is the binary score, judged by AUC, with no log loss', async () => {
    const { manifest, scorer } = await trainedVersion('binary', { algorithm: 'isolation_forest', params: { n_estimators: 20 } });
    try {
      expect(manifest).toMatchObject({ algorithm: 'isolation_forest', output: { name: 'anomaly_score' }, trainer: { backend: 'js', history: [] } });
      expect(manifest.metrics).not.toHaveProperty('logloss');
      expect(manifest.metrics.auc).toBeGreaterThan(0);
      const result = await scorer.predict(instances);
      if (!result.ok) throw new Error(JSON.stringify(result.errors));
      expect(result.predictions.every((p) => 'score' in p && 'label' in p && !('anomaly_score' in p))).toBe(true);
    } finally {
      await scorer.release();
    }
  });

  it('calibration: none leaves the model uncalibrated and says so; a method named is the one fitted', async () => {
    const raw = await trainedVersion('binary', { calibration: 'none' });
    const platt = await trainedVersion('binary', { calibration: 'platt' });
    try {
      expect(raw.manifest.calibration).toMatchObject({ requested: 'none', method: 'none', log_loss: { platt: null, isotonic: null } });
      expect(platt.manifest.calibration).toMatchObject({ requested: 'platt', method: 'platt', log_loss: { isotonic: null } });
      // what the served graph answers is the trainer's calibrated score, as the holdout's test rows show
      const served = await platt.scorer.scoreRecords(platt.data.test.text.records());
      expect(worstDifference(served, platt.candidate.fitted.predictions.test)).toBeLessThan(1e-5);
    } finally {
      await raw.scorer.release();
      await platt.scorer.release();
    }
  });

  it('gbdt through the same core: its gain importance reaches the manifest and the report', async () => {
    const { manifest, file, scorer } = await trainedVersion('regression', { algorithm: 'gbdt', params: { num_iterations: 30, min_data_in_leaf: 20 } });
    try {
      expect(manifest).toMatchObject({ algorithm: 'gbdt', output: { name: 'value' } });
      expect(manifest.trainer.importance?.map((f) => f.feature)).toEqual(expect.arrayContaining(['a', 'b']));
      expect(file('report.html')).toContain('Feature importance (gain)');
      // mean |SHAP| on the holdout, beside the gain, and dependence points for the top features
      const e = manifest.explanations!;
      expect(e.approximate).toBe(false);
      expect(e.importance.map((f) => f.feature).sort()).toEqual(['a', 'amount', 'b', 'kind']);
      expect(e.importance[0].mean_abs).toBeGreaterThan(e.importance[3].mean_abs);
      expect(e.dependence.map((d) => d.feature)).toEqual(e.importance.slice(0, 3).map((f) => f.feature));
      expect(e.dependence[0].points.length).toBeGreaterThan(50);
      expect(file('report.html')).toMatch(/Explanations: mean \|contribution\| on \d+ holdout rows[\s\S]*<th>mean \|SHAP\|<\/th><th>gain<\/th>/);
      expect(file('report.html')).toContain(`aria-label="dependence of ${e.dependence[0].feature}"`);
      expect(JSON.parse(file('explainer.json') as string)).toMatchObject({ kind: 'trees', link: 'identity' });
    } finally {
      await scorer.release();
    }
  });

  it('auto through the same core: the manifest names the family it chose, whose ONNX serves, and records every candidate', async () => {
    const { data, candidate, manifest, scorer } = await trainedVersion('binary', { algorithm: 'auto', params: { candidates: ['logistic', 'gbdt', 'no_such_family'] } });
    try {
      const { selection } = candidate.fitted;
      expect(selection).toMatchObject({ by: 'auto', metric: 'auc', higher_is_better: true });
      expect(selection!.candidates.map((c) => [c.family, c.status])).toEqual([
        ['logistic', 'trained'],
        ['gbdt', 'trained'],
        ['no_such_family', 'skipped'],
      ]);
      const winner = selection!.winner;
      // a blend of both when it beat either alone; then the manifest says auto, and lists the members
      const algorithm = winner === 'blend' ? 'auto' : winner;
      expect(['logistic', 'gbdt', 'blend']).toContain(winner);
      expect(selection!.blend!.kept).toBe(winner === 'blend');
      expect(candidate.fitted.algorithm).toBe(algorithm);
      expect(manifest).toMatchObject({ algorithm, output: { name: 'probability' }, selection });
      if (winner === 'blend') expect((manifest.trainer.params.blend as Array<{ family: string }>).map((m) => m.family)).toEqual(selection!.blend!.members.map((m) => m.family));
      else expect(manifest.trainer.params).toEqual(selection!.candidates.find((c) => c.family === winner)!.params);
      const served = await scorer.scoreRecords(data.test.text.records());
      expect(worstDifference(served, candidate.fitted.predictions.test)).toBeLessThan(1e-5);
    } finally {
      await scorer.release();
    }
  });

  it('random_forest through the same core: its out-of-bag score among the metrics, served as the trainer predicted', async () => {
    const { data, candidate, manifest, scorer } = await trainedVersion('multiclass', { algorithm: 'random_forest', params: { n_estimators: 20 } });
    try {
      expect(manifest).toMatchObject({ algorithm: 'random_forest', output: { name: 'probabilities' } });
      expect(manifest.metrics.oob_score).toBeGreaterThan(0.6);
      expect(manifest.metrics.accuracy).toBeGreaterThan(0.6);
      expect(manifest.trainer.history).toHaveLength(20);
      const served = await scorer.scoreRecords(data.test.text.records());
      expect(worstDifference(served, candidate.fitted.predictions.test)).toBeLessThan(1e-5);
    } finally {
      await scorer.release();
    }
  });

  it('knn through the same core: a binary score and label, the rows it stored among the metrics', async () => {
    const { manifest, scorer, data } = await trainedVersion('binary', { algorithm: 'knn', params: { k: 9 } });
    try {
      expect(manifest).toMatchObject({ algorithm: 'knn', output: { name: 'probability' }, trainer: { backend: 'js', params: { k: 9 } } });
      expect(manifest.metrics).toMatchObject({ stored_rows: data.train.n, training_rows: data.train.n, stored_sampled: 0 });
      expect(manifest.metrics.auc).toBeGreaterThan(0.8);
      const result = await scorer.predict(instances);
      if (!result.ok) throw new Error(JSON.stringify(result.errors));
      expect(result.predictions.every((p) => 'score' in p && 'label' in p)).toBe(true);
    } finally {
      await scorer.release();
    }
  });


  it('kmeans through the same core, on any target: judged on itself, served as cluster and distances, a sweep kept by silhouette', async () => {
    for (const task of ['binary', 'multiclass', 'regression'] as const) {
      const { manifest, scorer, candidate } = await trainedVersion(task, { algorithm: 'kmeans', params: { n_init: 1 }, search: parseSearch({ n_clusters: [2, 5] }) });
      try {
        expect(manifest).toMatchObject({ task, algorithm: 'kmeans', output: { name: 'cluster' }, threshold: null, sweep: { metric: 'silhouette' } });
        expect(Object.keys(manifest.metrics).sort()).toEqual(['clusters', 'inertia', 'n_iter', 'silhouette']);
        // each trial's value is the silhouette its model reported; the winner is the higher
        const values = candidate.trials.map((t) => t.value!);
        expect(values.every((v) => v > -1 && v <= 1)).toBe(true);
        expect(manifest.metrics.silhouette).toBe(Math.max(...values));
        expect(manifest.metrics.clusters).toBe(values[0] >= values[1] ? 2 : 5);
        const result = await scorer.predict(instances);
        if (!result.ok) throw new Error(JSON.stringify(result.errors));
        for (const p of result.predictions) {
          if (!('cluster' in p)) throw new Error(`not a cluster: ${JSON.stringify(p)}`);
          expect(p.distances).toHaveLength(manifest.metrics.clusters);
          expect(p.distances[p.cluster]).toBe(Math.min(...p.distances));
        }
        // scoreRecords answers the cluster index, as the holdout metric reads it
        expect(Array.from(await scorer.scoreRecords(instances))).toEqual(result.predictions.map((p) => (p as { cluster: number }).cluster));
      } finally {
        await scorer.release();
      }
    }
  });

  it('keeps the best trial of a sweep on validation and records every one', async () => {
    const data = taskData('regression', 900);
    const plan = planTraining(
      'regression',
      { algorithm: 'logistic', promotion: { metric: 'auc' }, params: { batch_size: 64 }, search: parseSearch({ learning_rate: [0.000001, 0.03] }) },
      null,
      defaults,
    );
    const candidate = await trainCandidate(data, plan, inProcess);
    expect(candidate.trials.map((t) => [t.trial, t.params, t.metric])).toEqual([
      [0, { learning_rate: 0.000001 }, 'rmse'],
      [1, { learning_rate: 0.03 }, 'rmse'],
    ]);
    // a learning rate of 1e-6 barely moves the weights in 6 epochs: the second trial must win
    expect(candidate.trials[1].value!).toBeLessThan(candidate.trials[0].value!);
    expect(candidate.bestTrial).toBe(1);
    expect(candidate.fitted.params).toMatchObject({ learning_rate: 0.03, batch_size: 64, epochs: 6 });
    const { manifest } = versionFiles(data, candidate, plan, info);
    expect(manifest.sweep).toMatchObject({ metric: 'rmse', best_trial: 1 });
  });

  it('reads the training fields of mloop.json, and refuses a broken search when the dataset arrives', () => {
    const config = parseDatasetConfig({ algorithm: 'gbdt', params: { num_leaves: 15 }, search: { learning_rate: [0.05, 0.1] }, unsupervised: true, target_recall: 0.8 });
    const plan = planTraining('binary', config, null, defaults);
    expect(plan).toMatchObject({ algorithm: 'gbdt', params: { num_leaves: 15 }, unsupervised: true, rule: { kind: 'recall', target: 0.8 } });
    expect(plan.trials).toEqual([{ learning_rate: 0.05 }, { learning_rate: 0.1 }]);
    expect(() => parseDatasetConfig({ search: { learning_rate: [] } })).toThrow(/field "search": invalid search space/);
    expect(() => parseDatasetConfig({ target_recall: 1.5 })).toThrow(/target_recall/);
  });

  it('refuses plans that cannot work, before training', () => {
    expect(() => planTraining('regression', { algorithm: 'isolation_forest', promotion: { metric: 'auc' } }, null, defaults)).toThrow(
      /isolation_forest .* binary target; this target is regression/,
    );
    expect(() => planTraining('binary', { algorithm: 'mlp', promotion: { metric: 'rmse' } }, null, defaults)).toThrow(/does not apply/);
    const plan = planTraining('binary', { algorithm: 'mlp', promotion: { metric: 'auc' }, epochs: 3, seed: 5 }, { algorithm: 'gbdt', params: { num_leaves: 7 } }, defaults);
    // the request wins over mloop.json, and network-only settings stay away from the trees
    expect(plan).toMatchObject({ algorithm: 'gbdt', params: { seed: 5, num_leaves: 7 }, trials: [{}] });
    expect(plan.params).not.toHaveProperty('epochs');
    expect(plan.params).not.toHaveProperty('backend');
    const network = planTraining('binary', { algorithm: 'logistic', promotion: { metric: 'auc' } }, null, defaults);
    expect(network.params).toEqual({ epochs: defaults.epochs, backend: defaults.backend });
    // auto chooses among its candidates by what promotion will judge, and hands the networks their budget
    expect(planTraining('regression', parseDatasetConfig({}), null, defaults)).toMatchObject({
      algorithm: 'auto',
      params: { epochs: defaults.epochs, backend: defaults.backend, metric: 'rmse' },
    });
    expect(planTraining('binary', parseDatasetConfig({ promotion: { metric: 'pr_auc' } }), null, defaults).params).toMatchObject({ metric: 'pr_auc' });
    expect(planTraining('binary', { algorithm: 'gbdt', promotion: { metric: 'pr_auc' } }, null, defaults).params).not.toHaveProperty('metric');
    // a request's algorithm is only a name until the plan checks it against the families
    expect(() => planTraining('binary', { algorithm: 'mlp', promotion: { metric: 'auc' } }, { algorithm: 'xgboost' }, defaults)).toThrow(
      /unknown algorithm "xgboost": use one of mlp, logistic, gbdt, isolation_forest/,
    );
  });
});
