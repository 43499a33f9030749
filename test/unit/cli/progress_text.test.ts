import { progressText } from '../../../cli/progress_text';

describe('progressText', () => {
  it('reads the unit and the iteration, with the sweep trial and auto\'s candidate when there are', () => {
    expect(progressText({ unit: 'epoch', iteration: 3, iterations: 30 })).toBe('epoch 3/30');
    expect(progressText({ unit: 'iteration', iteration: 120, iterations: 300, trial: 1, trials: 4 })).toBe('trial 2/4 iteration 120/300');
    expect(progressText({ unit: 'epoch', iteration: 2, iterations: 8, family: 'mlp', candidate: 3, candidates: 4 })).toBe('mlp (candidate 4/4) epoch 2/8');
  });
});
