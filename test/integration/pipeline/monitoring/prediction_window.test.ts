import type { Context } from '../../../../shared/pipeline/context';
import { predictionObjectPrefix, type PredictionRecord } from '../../../../shared/pipeline/store/prediction_records';
import { forEachPrediction, scanWindow } from '../../../../shared/pipeline/monitoring/prediction_window';
import { PredictionColumns } from '../../../../shared/pipeline/store/prediction_parquet';
import { buildReference } from '../../../../shared/monitoring/reference_profile';
import { buildImageReference } from '../../../../shared/monitoring/image_reference';
import { propertyColumns } from '../../../../shared/data/images/image_properties';
import { scratchContextEachTest } from '../../../support/scratch_context';

let ctx: Context;

scratchContextEachTest('mloop-window-', (c) => {
  ctx = c;
});

const record = (id: string, time: string, version: string, amount: unknown, type: unknown, score: number): PredictionRecord => ({
  request_id: id,
  index: 0,
  model: 'm',
  model_version: version,
  time,
  features: { amount, type },
  prediction: { score, label: 0 },
});

async function put(day: string, name: string, lines: string[]) {
  await ctx.platform.objects.put(ctx.config.artifactsBucket, `${predictionObjectPrefix('m', day)}${name}`, lines.join('\n') + '\n');
}

test('records of the window only, across days, a damaged line skipped rather than the whole batch', async () => {
  await put('2026-05-01', 'a.ndjson', [JSON.stringify(record('early', '2026-05-01T09:59:59.999Z', 'v1', 1, 'x', 0.1)), JSON.stringify(record('in1', '2026-05-01T10:00:00.000Z', 'v1', 2, 'x', 0.2))]);
  await put('2026-05-02', 'b.ndjson', [JSON.stringify(record('in2', '2026-05-02T08:00:00.000Z', 'v2', 3, 'y', 0.3)), '{"request_id": "cut', JSON.stringify(record('late', '2026-05-02T12:00:00.001Z', 'v2', 4, 'y', 0.4))]);
  const seen: string[] = [];
  await forEachPrediction(ctx, 'm', new Date('2026-05-01T10:00:00.000Z'), new Date('2026-05-02T12:00:00.000Z'), (r) => seen.push(r.request_id));
  expect(seen).toEqual(['in1', 'in2']);
});

test('the window as drift columns: values by the reference kinds, missing counted, scores (or values) and labels of the served version only', async () => {
  await put('2026-05-01', 'a.ndjson', [
    JSON.stringify(record('r1', '2026-05-01T10:00:00.000Z', 'v1', 10, ' x ', 0.1)),
    JSON.stringify(record('r2', '2026-05-01T10:00:01.000Z', 'v2', null, 'y', 0.7)),
    JSON.stringify(record('r3', '2026-05-01T10:00:02.000Z', 'v2', 'not a number', 7, 0.9)),
    JSON.stringify({ ...record('r4', '2026-05-01T10:00:03.000Z', 'v2', 5, 'x', 0), prediction: { value: 42.5 } }),
  ]);
  const reference = buildReference(
    [
      { name: 'amount', kind: 'numeric', values: Float64Array.of(1, 2), missing: 0 },
      { name: 'type', kind: 'categorical', counts: new Map([['x', 2]]), missing: 0 },
    ],
    null,
  );
  const scan = await scanWindow(ctx, 'm', { from: new Date('2026-05-01T00:00:00Z'), to: new Date('2026-05-02T00:00:00Z') }, reference.features, 'v2', new Map([['r3#0', 1], ['r2#0', 2]]));
  expect(scan.current.rows).toBe(4);
  expect(scan.versions).toEqual({ v1: 1, v2: 3 });
  expect(scan.current.features.get('amount')).toEqual({ kind: 'numeric', values: Float64Array.of(10, 5), missing: 2 });
  expect(scan.current.features.get('type')).toEqual({ kind: 'categorical', counts: new Map([['x', 2], ['y', 1], ['7', 1]]), missing: 0 });
  // a regression's value is what its reference profiles as scores; labels only join binary scores, and
  // one that is not 0 or 1 is counted, not used
  expect(scan.current.scores).toEqual(Float64Array.of(0.7, 0.9, 42.5));
  expect(scan.labelled).toEqual({ labels: [1], scores: [0.9], unusable: 1 });
});

test("an image model's window: properties from the logged features, predicted label and confidence from the served version's predictions", async () => {
  const image = (id: string, version: string, brightness: number, label: string, score: number): PredictionRecord => ({
    request_id: id,
    index: 0,
    model: 'm',
    model_version: version,
    time: '2026-05-01T10:00:00.000Z',
    features: { image_sha256: 'ab', image_bytes: 100, width: 32, height: 24, brightness, contrast: 0.2 },
    prediction: { label, score, top_k: [{ label, score }] },
  });
  await put('2026-05-01', 'a.ndjson', [
    JSON.stringify(image('r1', 'v1', 0.5, 'oak', 0.9)),
    JSON.stringify(image('r2', 'v2', 0.25, 'elm', 0.6)),
    // a feature logged under an output's name is not what is read: the output comes from the prediction
    JSON.stringify({ ...image('r3', 'v1', 0.75, 'oak', 0.8), features: { width: 64, height: 48, brightness: 0.75, contrast: 0.1, confidence: 'logged' } }),
  ]);
  const reference = buildImageReference(propertyColumns(1), Float32Array.of(0.7, 0.3), ['oak', 'elm']);
  const scan = await scanWindow(ctx, 'm', { from: new Date('2026-05-01T00:00:00Z'), to: new Date('2026-05-02T00:00:00Z') }, reference.features, 'v1', new Map(), reference.prediction_fields);
  expect(scan.current.rows).toBe(3);
  expect(scan.current.features.get('width')).toEqual({ kind: 'numeric', values: Float64Array.of(32, 32, 64), missing: 0 });
  expect(scan.current.features.get('brightness')).toEqual({ kind: 'numeric', values: Float64Array.of(0.5, 0.25, 0.75), missing: 0 });
  // v2 (a canary) answered r2: its outputs say nothing of production's
  expect(scan.current.features.get('predicted_label')).toEqual({ kind: 'categorical', counts: new Map([['oak', 2]]), missing: 0 });
  expect(scan.current.features.get('confidence')).toEqual({ kind: 'numeric', values: Float64Array.of(0.9, 0.8), missing: 0 });
});

test('a Parquet log reads, column by column, as the same records written as NDJSON: rows outside the window dropped, labels joined', async () => {
  const records = [
    record('before', '2026-04-30T23:59:59.999Z', 'v2', 99, 'z', 0.5),
    record('r1', '2026-05-01T10:00:00.000Z', 'v1', 10, ' x ', 0.1),
    record('r2', '2026-05-01T10:00:01.000Z', 'v2', null, 'y', 0.7),
    record('r3', '2026-05-01T10:00:02.000Z', 'v2', 'not a number', 7, 0.9),
    { ...record('r4', '2026-05-01T10:00:03.000Z', 'v2', 5, 'x', 0), prediction: { value: 42.5 } },
    { ...record('r5', '2026-05-01T10:00:04.000Z', 'v2', 6.5, true, 0.4), features: { amount: 6.5 } },
  ];
  const reference = buildReference(
    [
      { name: 'amount', kind: 'numeric', values: Float64Array.of(1, 2), missing: 0 },
      { name: 'type', kind: 'categorical', counts: new Map([['x', 2]]), missing: 0 },
    ],
    null,
  );
  const window = { from: new Date('2026-05-01T00:00:00Z'), to: new Date('2026-05-02T00:00:00Z') };
  const labels = new Map<string, number>([['r3#0', 1], ['r5#0', 0], ['r2#0', 0.5]]);
  await put('2026-05-01', 'a.ndjson', records.map((r) => JSON.stringify(r)));
  const asLines = await scanWindow(ctx, 'm', window, reference.features, 'v2', labels);
  await ctx.platform.objects.delete(ctx.config.artifactsBucket, `${predictionObjectPrefix('m', '2026-05-01')}a.ndjson`);
  // one file straddling the window's start, one wholly before it (its stored time range skips it)
  const straddling = new PredictionColumns('m', false);
  const outside = new PredictionColumns('m', false);
  for (const r of records) straddling.add(r.request_id, r.model_version, r.time, [r.features], [r.prediction]);
  outside.add('old', 'v2', '2026-04-30T01:00:00.000Z', [{ amount: 1e9, type: 'old' }], [{ score: 0.01 }]);
  await ctx.platform.objects.put(ctx.config.artifactsBucket, `${predictionObjectPrefix('m', '2026-05-01')}b.parquet`, straddling.encode());
  await ctx.platform.objects.put(ctx.config.artifactsBucket, `${predictionObjectPrefix('m', '2026-05-01')}c.parquet`, outside.encode());
  const asColumns = await scanWindow(ctx, 'm', window, reference.features, 'v2', labels);
  expect(asColumns).toEqual(asLines);
  expect(asColumns.current.rows).toBe(5);
  expect(asColumns.labelled).toEqual({ labels: [1, 0], scores: [0.9, 0.4], unusable: 1 });
});
