import { EarlyStopping, type StoppingRule } from '../../../../../shared/ml/models/network/early_stopping';

/** The epoch after which training stops, or null when it runs them all. */
function stopsAfter(losses: number[], rule: StoppingRule): number | null {
  const stopping = new EarlyStopping(rule);
  for (let i = 0; i < losses.length; i++) if (stopping.update(losses[i])) return i + 1;
  return null;
}

const RULE: StoppingRule = { patience: 3, minEpochs: 10, smoothing: 0.3, tolerance: 1e-3 };

describe('early stopping of a network', () => {
  it('trains at least the minimum epochs when an early minimum of a noisy loss is not beaten soon', () => {
    // the balanced-weight validation loss of the 100 k-row demo run: lowest at epoch 4, then noise;
    // the rule before (patience 3 on the raw loss) stopped after epoch 7, with a test PR AUC of 0.20
    const losses = [0.2096, 0.2099, 0.2117, 0.2069, 0.2117, 0.225, 0.2103, 0.2151, 0.2199, 0.2202, 0.2184, 0.2142];
    expect(stopsAfter(losses, RULE)).toBe(10);
    expect(stopsAfter(losses, { ...RULE, minEpochs: 0, smoothing: 1 })).toBe(7);
  });

  it('keeps going while the smoothed loss falls, through pairs of bad epochs', () => {
    // a steady descent with two bad epochs in every four: patience 2 on the raw loss stops at the second pair
    const losses = Array.from({ length: 30 }, (_, i) => 1 - 0.01 * i + (i % 4 >= 2 ? 0.04 : 0));
    expect(stopsAfter(losses, { ...RULE, patience: 2, minEpochs: 5 })).toBeNull();
    expect(stopsAfter(losses, { ...RULE, patience: 2, minEpochs: 5, smoothing: 1 })).toBe(8);
  });

  it('stops once the smoothed loss has not improved for the patience, after the minimum epochs', () => {
    const losses = [1, 0.9, 0.8, ...Array(27).fill(0.7)];
    // the average creeps down towards 0.7 until its steps fall under the tolerance (epoch 18), then 3 more
    expect(stopsAfter(losses, { ...RULE, minEpochs: 3 })).toBe(21);
    expect(stopsAfter(losses, { ...RULE, minEpochs: 25 })).toBe(25);
  });

  it('never stops with patience 0, and counts a non-finite loss as no improvement', () => {
    expect(stopsAfter(Array(40).fill(1), { ...RULE, patience: 0 })).toBeNull();
    expect(stopsAfter([1, NaN, NaN, NaN, NaN], { ...RULE, minEpochs: 0 })).toBe(4);
  });
});
