import { Writable } from 'node:stream';
import type { RunProgress } from '../../../shared/pipeline/store/documents';
import { formatEta, progressReporter } from '../../../cli/progress_bar';

function sink(isTTY: boolean) {
  const chunks: string[] = [];
  const out = Object.assign(new Writable({ write: (chunk, _enc, done) => (chunks.push(String(chunk)), done()) }), { isTTY });
  return { out, text: () => chunks.join('') };
}

const at = (iteration: number, extra: Partial<RunProgress> = {}): RunProgress => ({ unit: 'epoch', iteration, iterations: 10, loss: 0.5, val_loss: 0.6, ...extra });

describe('the training progress reporter', () => {
  it('draws a bar in place on a terminal, with the ETA at the pace seen so far', () => {
    let clock = 0;
    const { out, text } = sink(true);
    const bar = progressReporter(out, () => clock);
    bar.update(at(2));
    clock = 4_000;
    bar.update(at(4));
    bar.done();
    const frames = text().split('\r').filter(Boolean);
    expect(frames).toHaveLength(2);
    expect(frames[0]).not.toMatch(/ETA/);
    // 2 epochs in 4 s, 6 to go
    expect(frames[1]).toMatch(/epoch 4\/10 loss 0\.5000 val_loss 0\.6000 ETA 12s/);
    expect(text().endsWith('\n')).toBe(true);
  });

  it('writes plain lines, at most one a second and without escape codes, when not on a terminal', () => {
    let clock = 10_000;
    const { out, text } = sink(false);
    const bar = progressReporter(out, () => clock);
    bar.update(at(1));
    clock += 200;
    bar.update(at(2));
    clock += 1_000;
    bar.update(at(3));
    clock += 100;
    bar.update(at(7, { iterations: 7 }));
    bar.done();
    expect(text()).not.toMatch(/\x1b|\r/);
    expect(text().trim().split('\n').map((line) => line.split(' loss')[0])).toEqual(['epoch 1/10', 'epoch 3/10', 'epoch 7/7']);
    // 2 epochs in 1.2 s, 7 to go
    expect(text()).toMatch(/epoch 3\/10 .*ETA 4s/);
  });

  it('restarts its pace with each trial of a sweep', () => {
    let clock = 0;
    const { out, text } = sink(true);
    const bar = progressReporter(out, () => clock);
    bar.update(at(9, { trial: 0, trials: 2 }));
    clock = 1_000;
    bar.update(at(1, { trial: 1, trials: 2 }));
    expect(text().split('\r').at(-1)).toMatch(/^[^E]*trial 2\/2 epoch 1\/10 loss 0\.5000 val_loss 0\.6000\x1b\[K$/);
  });

  it("writes each of auto's candidates from its first line, after the last one of the candidate before", () => {
    let clock = 0;
    const { out, text } = sink(false);
    const bar = progressReporter(out, () => clock);
    const gbdt = { family: 'gbdt', candidate: 0, candidates: 2, unit: 'iteration' as const };
    const mlp = { family: 'mlp', candidate: 1, candidates: 2 };
    bar.update(at(1, { ...gbdt, iterations: 300 }));
    clock += 100;
    // stopped early at iteration 40: never written until the next candidate starts
    bar.update(at(40, { ...gbdt, iterations: 300 }));
    clock += 100;
    bar.update(at(1, mlp));
    bar.done();
    expect(text().trim().split('\n').map((line) => line.split(' loss')[0])).toEqual([
      'gbdt (candidate 1/2) iteration 1/300',
      'gbdt (candidate 1/2) iteration 40/300',
      'mlp (candidate 2/2) epoch 1/10',
    ]);
  });

  it('formats the time left in minutes and seconds', () => {
    expect([formatEta(0.4), formatEta(12), formatEta(65), formatEta(3600)]).toEqual(['0s', '12s', '1m05s', '60m00s']);
  });
});
