/**
 * @jest-environment ./test/support/native_arrays_environment.js
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { seededRandom } from '../../../../shared/data/random';
import { ERROR_MODEL_FILE } from '../../../../shared/ml/error_model';
import { openScorer } from '../../../../shared/pipeline/artifacts/model_files';
import type { Context } from '../../../../shared/pipeline/context';
import { storeOf } from '../../../../shared/pipeline/store';
import { predictionObjectPrefix, type PredictionRecord } from '../../../../shared/pipeline/store/prediction_records';
import { recordFeedback } from '../../../../shared/pipeline/usecases/feedback';
import { installVersion } from '../../../../shared/pipeline/usecases/install_version';
import { monitorModel } from '../../../../shared/pipeline/usecases/on_monitoring_tick';
import { withScratchContext } from '../../../support/scratch_context';
import { CLI } from '../../../e2e/helpers';

jest.setTimeout(300_000);

/**
 * A regression's error estimated before labels, through the tick: a price whose noise is four times
 * larger where `a` > 1.5 is trained by `mloop train`, which stores error_model.json; a day of traffic
 * like the training data is estimated near its realised MAE with no alarm; a day served only from the
 * noisy region is estimated well above the test MAE and raises `estimated_performance` at the tick, with
 * no label in hand; the values fed back afterwards record the realised MAE beside the estimate.
 */
const random = seededRandom(3);
const gaussian = () => Math.sqrt(-2 * Math.log(1 - random.next())) * Math.cos(2 * Math.PI * random.next());

function draw(n: number, from = 0, to = 2): Array<{ a: number; b: number; kind: string; y: number }> {
  return Array.from({ length: n }, () => {
    const a = from + (to - from) * random.next();
    const b = gaussian();
    const kind = random.next() < 0.5 ? 'x' : 'y';
    return { a, b, kind, y: 10 + 3 * a + b + (kind === 'x' ? 1 : 0) + gaussian() * (a > 1.5 ? 4 : 1) };
  });
}

async function serveDay(ctx: Context, at: Date, rows: ReturnType<typeof draw>, id: string): Promise<void> {
  const scorer = await openScorer(ctx, 'price', 'v1');
  const instances = rows.map(({ y: _, ...features }) => features);
  const predicted = await scorer.predict(instances);
  if (!predicted.ok) throw new Error('scoring failed');
  const time = new Date(at.getTime() - 3_600_000).toISOString();
  const lines = instances.map((features, index): PredictionRecord => ({ request_id: id, index, model: 'price', model_version: 'v1', time, features, prediction: predicted.predictions[index] as Record<string, unknown> }));
  await ctx.platform.objects.put(ctx.config.artifactsBucket, `${predictionObjectPrefix('price', time.slice(0, 10))}${id}.ndjson`, lines.map((l) => JSON.stringify(l)).join('\n'), { contentType: 'application/x-ndjson' });
  await scorer.release();
}

test('a window moved to where the model errs more: estimated, alarmed before labels, realised once fed back', async () => {
  await withScratchContext('mloop-dle-', async (ctx, home) => {
    const csv = path.join(home, 'price.csv');
    fs.writeFileSync(csv, `a,b,kind,y\n${draw(8000).map((r) => `${r.a},${r.b},${r.kind},${r.y}`).join('\n')}\n`);
    const out = path.join(home, 'price');
    const trained = spawnSync(process.execPath, [CLI, 'train', csv, '--target', 'y', '--algorithm', 'gbdt', '--params', '{"num_iterations":80}', '--out', out, '--json'], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, HOME: process.env.HOME, MLOOP_LOG_LEVEL: 'warn' },
    });
    expect(trained.stderr).not.toMatch(/Error/);
    expect(fs.existsSync(path.join(out, ERROR_MODEL_FILE))).toBe(true);
    await installVersion(ctx, 'price', 'v1', out);

    const day1 = new Date('2026-03-02T12:00:00.000Z');
    const usual = draw(1000);
    await serveDay(ctx, day1, usual, 'usual');
    const calm = await monitorModel(ctx, 'price', day1, null);
    if (calm.outcome !== 'reported') throw new Error(calm.reason);
    const quiet = calm.report.estimated_error!;
    expect(quiet).toMatchObject({ rows: 1000, degraded: false });
    expect(calm.report.alarms).not.toContain('estimated_performance');

    const day2 = new Date('2026-03-04T12:00:00.000Z');
    const noisy = draw(1000, 1.5, 2);
    await serveDay(ctx, day2, noisy, 'noisy');
    const ticked = await monitorModel(ctx, 'price', day2, null);
    if (ticked.outcome !== 'reported') throw new Error(ticked.reason);
    const estimate = ticked.report.estimated_error!;
    expect(estimate.degraded).toBe(true);
    expect(ticked.report.alarms).toContain('estimated_performance');
    expect(ticked.report.event).not.toBeNull();

    // the values come back after the tick: the realised MAE beside each estimate
    const items = [...usual.map((r, index) => ({ request_id: 'usual', index, label: r.y })), ...noisy.map((r, index) => ({ request_id: 'noisy', index, label: r.y }))];
    await recordFeedback(ctx, items, 'test', 'price');
    const reports = storeOf(ctx).driftReports;
    const realisedQuiet = (await reports.get(calm.report.id))!.estimated_error!.realised!;
    const realised = (await reports.get(ticked.report.id))!.estimated_error!.realised!;
    process.stdout.write(`${JSON.stringify({ test_mae: estimate.reference_mae, usual: { estimated: quiet.mae, interval: quiet.mae_interval, realised: realisedQuiet.mae }, shifted: { estimated: estimate.mae, interval: estimate.mae_interval, realised: realised.mae, rmse: realised.rmse } })}\n`);
    expect(realised.labelled).toBe(1000);
    expect(realised.degraded).toBe(true);
    expect(realisedQuiet.degraded).toBe(false);
    expect(Math.abs(estimate.mae - realised.mae)).toBeLessThan(0.1 * realised.mae);
    expect(Math.abs(quiet.mae - realisedQuiet.mae)).toBeLessThan(0.1 * realisedQuiet.mae);
    // the realised MAE is the one of the served values the log kept
    expect(realised.mae).toBeGreaterThan(2 * realisedQuiet.mae);

    // labels in hand at the tick: the realised MAE is judged there too, and raises the performance alarm
    const day3 = new Date('2026-03-06T12:00:00.000Z');
    const noisyAgain = draw(1000, 1.5, 2);
    await serveDay(ctx, day3, noisyAgain, 'noisy3');
    await recordFeedback(ctx, noisyAgain.map((r, index) => ({ request_id: 'noisy3', index, label: r.y })), 'test', 'price');
    const labelled = await monitorModel(ctx, 'price', day3, null);
    if (labelled.outcome !== 'reported') throw new Error(labelled.reason);
    expect(labelled.report.performance).toBeNull();
    expect(labelled.report.labelled_error).toMatchObject({ labelled: 1000, degraded: true, mae_rise: 0.25 });
    expect(labelled.report.labelled_error!.reference_mae).toBeCloseTo(estimate.reference_mae, 6);
    expect(labelled.report.labelled_error!.mae).toBeGreaterThan(1.25 * estimate.reference_mae);
    expect(labelled.report.alarms).toEqual(expect.arrayContaining(['estimated_performance', 'performance']));

    const day4 = new Date('2026-03-08T12:00:00.000Z');
    const usualAgain = draw(1000);
    await serveDay(ctx, day4, usualAgain, 'usual4');
    await recordFeedback(ctx, usualAgain.map((r, index) => ({ request_id: 'usual4', index, label: r.y })), 'test', 'price');
    const fine = await monitorModel(ctx, 'price', day4, null);
    if (fine.outcome !== 'reported') throw new Error(fine.reason);
    expect(fine.report.labelled_error).toMatchObject({ labelled: 1000, degraded: false });
    expect(fine.report.alarms).not.toContain('performance');
  });
});
