/**
 * @jest-environment ./test/support/native_arrays_environment.js
 */
import { encodedWidth } from '../../../../../shared/data/encoding';
import { evaluateMulticlass } from '../../../../../shared/ml/multiclass_metrics';
import { evaluateRegression } from '../../../../../shared/ml/regression_metrics';
import { trainTable } from '../../../../../shared/ml/models/trainers';
import { graphOf, runOnnx } from '../../../../support/onnx_run';
import { taskData, worstDifference } from '../../../../support/task_data';

const width = encodedWidth(taskData('regression', 10).specs);

describe.each(['mlp', 'logistic'] as const)('%s on multiclass and regression targets', (algorithm) => {
  it('learns three classes with a softmax head and exports it as probabilities [N, 3] (1e-5)', async () => {
    const data = taskData('multiclass');
    const progress: number[] = [];
    const model = await trainTable(algorithm, data, { epochs: 12, batch_size: 64, learning_rate: 0.01, seed: 2 }, (p) => {
      progress.push(p.iteration);
    });
    expect(progress).toEqual(model.history.map((h) => h.iteration));
    const own = model.predict(data.test.X, data.test.n);
    expect(own).toHaveLength(data.test.n * 3);
    for (let i = 0; i < data.test.n; i++) expect(own[i * 3] + own[i * 3 + 1] + own[i * 3 + 2]).toBeCloseTo(1, 5);
    const metrics = evaluateMulticlass(data.test.y, own, 3);
    expect(metrics.accuracy).toBeGreaterThan(0.75);
    expect(metrics.macro_auc).toBeGreaterThan(0.85);

    const graph = graphOf(model.onnx);
    expect(graph.outputs).toEqual([['probabilities', ['N', 3]]]);
    expect(graph.ops.slice(-1)).toEqual(['Softmax']);
    const served = await runOnnx(model.onnx, data.test.X, data.test.n, width, 'probabilities');
    expect(worstDifference(served, own)).toBeLessThan(1e-5);
  });

  it('fits a value in its own units, the target scaling folded into the graph (1e-5 of the value)', async () => {
    const data = taskData('regression');
    const model = await trainTable(algorithm, data, { epochs: 15, batch_size: 64, learning_rate: 0.01, seed: 2 });
    const own = model.predict(data.test.X, data.test.n);
    const { r2, rmse } = evaluateRegression(data.test.y, own);
    expect(r2).toBeGreaterThan(0.8);
    // the target is around 40 ± 25: an RMSE this small means the scale came back, not just the ranking
    expect(rmse).toBeLessThan(10);
    // the loss is of the standardised target, so it does not depend on the target's units
    expect(model.history[0].val_loss).toBeLessThan(2);

    const graph = graphOf(model.onnx);
    expect(graph.outputs).toEqual([['value', ['N', 1]]]);
    expect(graph.ops).not.toContain('Sigmoid');
    const served = await runOnnx(model.onnx, data.test.X, data.test.n, width, 'value');
    expect(worstDifference(served, own)).toBeLessThan(1e-5);
  });
});

describe('network parameters', () => {
  it('refuses unknown and invalid parameters, naming them', async () => {
    const data = taskData('binary', 200);
    await expect(trainTable('mlp', data, { learning_rat: 0.1 })).rejects.toThrow(/unknown mlp\/logistic parameter "learning_rat"/);
    await expect(trainTable('mlp', data, { hidden_units: [0] })).rejects.toThrow(/invalid mlp\/logistic parameters/);
    await expect(trainTable('logistic', data, { class_weight: 'heavy' })).rejects.toThrow(/invalid/);
  });

  it('weighs a rare class up when told to', async () => {
    const data = taskData('binary', 1500);
    const params = { epochs: 8, batch_size: 64, learning_rate: 0.05, seed: 4 };
    const balanced = await trainTable('logistic', data, { ...params, class_weight: 'balanced' });
    const plain = await trainTable('logistic', data, params);
    const mean = (p: Float32Array) => p.reduce((a, b) => a + b, 0) / p.length;
    // balanced weights push the rare positives' probability up across the board
    expect(mean(balanced.predict(data.test.X, data.test.n))).toBeGreaterThan(mean(plain.predict(data.test.X, data.test.n)) + 0.05);
    expect(balanced.params).toMatchObject({ class_weight: 'balanced', epochs: 8 });
    expect(plain.params).toMatchObject({ class_weight: 'none' });
  });
});
