import { seededRandom } from '../../../../shared/data/random';
import { compareToReference } from '../../../../shared/monitoring/drift';
import { buildReference } from '../../../../shared/monitoring/reference_profile';
import { MonitoringSettings } from '../../../../shared/monitoring/settings';
import type { Context } from '../../../../shared/pipeline/context';
import { scanWindow } from '../../../../shared/pipeline/monitoring/prediction_window';
import { compareWithPreviousWindow } from '../../../../shared/pipeline/monitoring/window_drift';
import { predictionObjectPrefix } from '../../../../shared/pipeline/store/prediction_records';
import { scratchContextEachTest } from '../../../support/scratch_context';

/**
 * Skew (the window against the training reference) and drift (the window against the previous one)
 * are judged apart, each with its own thresholds, on a prediction log written with known times.
 */
let ctx: Context;

scratchContextEachTest('mloop-window-drift-', (c) => {
  ctx = c;
});

const HOUR = 3_600_000;
const AT = new Date('2026-05-02T12:00:00.000Z');
const random = seededRandom(4);
const amounts = (n: number, centre: number) => Float64Array.from({ length: n }, () => centre * Math.exp(0.5 * random.normal()));
// exact shares, so that two windows of the same mix do not differ by chance
const types = (n: number, transfer: number) => Array.from({ length: n }, (_, i) => (i % 10 < transfer * 10 ? 'TRANSFER' : 'PAYMENT'));

/** Logged predictions spread evenly over [from, to). */
async function log(name: string, from: Date, to: Date, amount: Float64Array, type: string[]) {
  const lines = Array.from(amount, (a, i) =>
    JSON.stringify({
      request_id: `${name}-${i}`,
      index: 0,
      model: 'm',
      model_version: 'v1',
      time: new Date(from.getTime() + ((to.getTime() - from.getTime()) * i) / amount.length).toISOString(),
      features: { amount: a, type: type[i] },
      prediction: { score: 0.1, label: 0 },
    }),
  );
  await ctx.platform.objects.put(ctx.config.artifactsBucket, `${predictionObjectPrefix('m', from.toISOString().slice(0, 10))}${name}.ndjson`, lines.join('\n') + '\n');
}

const training = buildReference(
  [
    { name: 'amount', kind: 'numeric', values: amounts(3000, 100), missing: 0 },
    { name: 'type', kind: 'categorical', counts: new Map([['TRANSFER', 600], ['PAYMENT', 2400]]), missing: 0 },
  ],
  null,
);

async function judge(settings: MonitoringSettings) {
  const window = { from: new Date(AT.getTime() - settings.window_hours * HOUR), to: AT };
  const scan = await scanWindow(ctx, 'm', window, training.features, 'v1', new Map());
  const skew = compareToReference(training, scan.current, settings);
  const drift = await compareWithPreviousWindow(ctx, 'm', 'v1', window, training, scan.current, settings);
  return { skew, drift };
}

const previous = { from: new Date(AT.getTime() - 24 * HOUR), to: new Date(AT.getTime() - 12 * HOUR) };
const current = { from: new Date(AT.getTime() - 12 * HOUR), to: AT };

test('skew without drift: both windows moved away from training the same way', async () => {
  await log('previous', previous.from, previous.to, amounts(800, 300), types(800, 0.6));
  await log('current', current.from, current.to, amounts(800, 300), types(800, 0.6));
  const { skew, drift } = await judge(MonitoringSettings.parse({ window_hours: 12 }));
  expect(skew.dataset_drift).toBe(true);
  expect(skew.drifted).toEqual(['amount', 'type']);
  expect(drift.previous_rows).toBe(800);
  expect(drift.previous_window).toEqual({ from: previous.from.toISOString(), to: new Date(current.from.getTime() - 1).toISOString() });
  expect(drift.result!.dataset_drift).toBe(false);
  expect(drift.result!.drifted).toEqual([]);
});

test('drift without skew: the window came back to what training saw, away from the previous window', async () => {
  await log('previous', previous.from, previous.to, amounts(800, 300), types(800, 0.6));
  await log('current', current.from, current.to, amounts(800, 100), types(800, 0.2));
  const { skew, drift } = await judge(MonitoringSettings.parse({ window_hours: 12 }));
  expect(skew.dataset_drift).toBe(false);
  expect(drift.result!.dataset_drift).toBe(true);
  expect(drift.result!.drifted).toEqual(['amount', 'type']);
});

test('each with its own thresholds: window_drift.share and .features judge drift, drift_share judges skew', async () => {
  await log('previous', previous.from, previous.to, amounts(800, 100), types(800, 0.2));
  // only the mix of types moved, in both comparisons
  await log('current', current.from, current.to, amounts(800, 100), types(800, 0.6));
  const loose = await judge(MonitoringSettings.parse({ window_hours: 12, drift_share: 0.5, window_drift: { share: 1 } }));
  expect(loose.skew.drifted).toEqual(['type']);
  expect(loose.skew.dataset_drift).toBe(true);
  expect(loose.drift.result!.drifted).toEqual(['type']);
  expect(loose.drift.result!.dataset_drift).toBe(false);
  // a p-value no mix change reaches, for drift only: drift sees nothing, skew is unchanged
  const strict = await judge(MonitoringSettings.parse({ window_hours: 12, window_drift: { features: { type: { method: 'chisquare', threshold: 1e-300 } } } }));
  expect(strict.drift.result!.drifted).toEqual([]);
  expect(strict.skew.drifted).toEqual(['type']);
});

test('not judged when the previous window has fewer than window_drift.min_rows', async () => {
  await log('previous', previous.from, previous.to, amounts(50, 100), types(50, 0.2));
  await log('current', current.from, current.to, amounts(800, 100), types(800, 0.2));
  const { drift } = await judge(MonitoringSettings.parse({ window_hours: 12 }));
  expect(drift).toMatchObject({ previous_rows: 50, min_rows: 200, result: null });
});
