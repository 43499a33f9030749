import { trainingEnd } from '../../../shared/ml/training_end';

const history = (n: number) => Array.from({ length: n }, (_, i) => ({ iteration: i + 1, loss: 1 / (i + 1), val_loss: 1 / (i + 1) }));

describe('how a training ended', () => {
  it('stopped early: fewer iterations than its budget, with the best one kept', () => {
    expect(trainingEnd({ history: history(12), bestIteration: 9, maxIterations: 30 }, 'epoch')).toEqual({ unit: 'epoch', iterations: 12, max_iterations: 30, best_iteration: 9, stopped_early: true });
  });

  it('ran its whole budget', () => {
    expect(trainingEnd({ history: history(30), bestIteration: 30, maxIterations: 30 }, 'epoch')).toMatchObject({ iterations: 30, stopped_early: false });
  });

  it('a forest reports no loss per tree: it grew its whole budget', () => {
    expect(trainingEnd({ history: [], bestIteration: 100, maxIterations: 100 }, 'iteration')).toEqual({ unit: 'iteration', iterations: 100, max_iterations: 100, best_iteration: 100, stopped_early: false });
  });

  it('without a budget from its trainer, cannot tell an early stop', () => {
    expect(trainingEnd({ history: history(7), bestIteration: 5 }, 'iteration')).toEqual({ unit: 'iteration', iterations: 7, max_iterations: null, best_iteration: 5, stopped_early: false });
  });
});
