import { comparisonText } from '../../../cli/comparison_text';
import type { RunComparison } from '../../../shared/pipeline/read_models/compare_runs';

const run = (id: string, dataset: string, stopped: boolean): RunComparison['runs'][number] => ({
  id, model: 'fraud', model_version: `v-${id}`, dataset_version: dataset, status: 'succeeded', algorithm: 'gbdt', created_at: '2026-01-01T00:00:00Z',
  training_end: { unit: 'iteration', iterations: stopped ? 61 : 300, max_iterations: 300, best_iteration: stopped ? 56 : 300, stopped_early: stopped },
  holdout: { dataset_version: dataset, rows: 750, seed: 42, sample: null, time_column: null, recorded: true },
});

const comparison: RunComparison = {
  runs: [run('run-a', 'd1', true), run('run-b', 'd2', false)],
  params: [
    { name: 'learning_rate', values: [0.05, 0.3], differs: true },
    { name: 'hidden_units', values: [null, [32, 16]], differs: true },
    { name: 'num_leaves', values: [31, 31], differs: false },
  ],
  metrics: [
    { name: 'auc', values: [0.9803, 0.9938], direction: 'higher', best: [1] },
    { name: 'logloss', values: [0.356, 0.0112], direction: 'lower', best: [1] },
    { name: 'rows', values: [750, 750], direction: null, best: [] },
    { name: 'tp', values: [131, 2], direction: null, best: [] },
  ],
  history: [],
  curves: [],
  same_holdout: false,
  same_model: true,
  warnings: ['the metrics were measured on different holdouts, so they are not comparable (run-a: dataset_version d1; run-b: dataset_version d2)'],
};

const cells = (text: string, first: string) => text.split('\n').find((line) => line.startsWith(`${first} `))!.trim().split(/\s{2,}/);

describe('mloop runs compare in the terminal', () => {
  const text = comparisonText(comparison);

  it('puts the warning first, before any number', () => {
    const lines = text.split('\n');
    expect(lines[0]).toBe('runs: run-a (fraud v-run-a, gbdt, succeeded), run-b (fraud v-run-b, gbdt, succeeded)');
    expect(lines[1]).toMatch(/^warning: the metrics were measured on different holdouts, so they are not comparable/);
  });

  it('shows each holdout: dataset, test rows, split seed', () => {
    expect(cells(text, 'run-a')).toEqual(['run-a', 'd1', '750', '42', 'all', 'random split', 'yes']);
    expect(cells(text, 'run-b')).toEqual(['run-b', 'd2', '750', '42', 'all', 'random split', 'yes']);
  });

  it('shows the parameters that differ and counts the equal ones it leaves out; --all shows them', () => {
    expect(text).toContain('parameters that differ (1 equal not shown: --all)');
    expect(cells(text, 'learning_rate')).toEqual(['learning_rate', '0.05', '0.3']);
    expect(cells(text, 'hidden_units')).toEqual(['hidden_units', '-', '[32,16]']);
    expect(text).not.toMatch(/^num_leaves/m);
    const all = comparisonText(comparison, true);
    expect(cells(all, 'num_leaves')).toEqual(['num_leaves', '31', '31']);
    expect(cells(all, 'learning_rate *')).toEqual(['learning_rate *', '0.05', '0.3']);
  });

  it('stars the better metric, and prints counts as integers', () => {
    expect(cells(text, 'auc')).toEqual(['auc', '0.9803', '0.9938 *']);
    expect(cells(text, 'logloss')).toEqual(['logloss', '0.3560', '0.0112 *']);
    expect(cells(text, 'rows')).toEqual(['rows', '750', '750']);
    expect(cells(text, 'tp')).toEqual(['tp', '131', '2']);
  });

  it('says how each training ended', () => {
    expect(text).toContain('run-a: stopped early at iteration 61/300 (best 56)\n');
    expect(text).toContain('run-b: iteration 300/300\n');
  });
});
