import { ColumnBuilder } from '../../data/column_summary';
import type { CurrentData } from '../../monitoring/drift';
import type { FeatureProfile } from '../../monitoring/reference_profile';
import type { Context } from '../context';
import { feedbackId } from '../store/monitoring_documents';
import type { PredictionBatch } from '../store/prediction_parquet';
import { predictionObjectPrefix, readPredictionColumns, readPredictionObject, type PredictionRecord } from '../store/prediction_records';
import { grown } from '../../data/grown';

/**
 * Reads the prediction log of a window one object at a time (Parquet batches, and NDJSON ones written
 * before) and hands each record over without keeping it, so a tick over a million logged rows holds
 * columns of numbers, not a million objects.
 */
export async function forEachPrediction(ctx: Context, model: string, from: Date, to: Date, visit: (record: PredictionRecord) => void): Promise<void> {
  const fromIso = from.toISOString();
  const toIso = to.toISOString();
  await forEachObject(ctx, model, from, to, async (bucket, name) => {
    for (const record of await readPredictionObject(ctx, bucket, name)) {
      if (record.time >= fromIso && record.time <= toIso) visit(record);
    }
  });
}

/** The log's objects for the days the window touches, one at a time. */
async function forEachObject(ctx: Context, model: string, from: Date, to: Date, visit: (bucket: string, name: string) => Promise<void>): Promise<void> {
  const { objects } = ctx.platform;
  for (let day = Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate()); day <= to.getTime(); day += 86_400_000) {
    const prefix = predictionObjectPrefix(model, new Date(day).toISOString().slice(0, 10));
    for (const name of await objects.listNames(ctx.config.artifactsBucket, prefix)) await visit(ctx.config.artifactsBucket, name);
  }
}

export interface WindowScan {
  current: CurrentData;
  /** Logged rows per model version. */
  versions: Record<string, number>;
  /**
   * Binary scores of `scoredBy` and the labels (0/1) fed back for them; `unusable` counts the labels fed
   * back for binary scores that were neither 0 nor 1 (a regression's value sent to the wrong model, say).
   */
  labelled: { labels: number[]; scores: number[]; unusable: number };
  /** A regression's values served by `scoredBy` and the values fed back for them. */
  valued: { labels: number[]; values: number[] };
}

/**
 * The window's feature columns (by the reference's kinds), the scores of one version, and its labelled
 * part. A feature named in `predictionFields` is read from the logged prediction (an image model's
 * predicted label and confidence), and only from those of `scoredBy`, as the scores are: what another
 * version (a canary) answered says nothing about the production model's outputs. `onServed` sees each
 * row `scoredBy` served a number for, as it is read (a regression's error model estimates it there).
 */
export async function scanWindow(
  ctx: Context,
  model: string,
  window: { from: Date; to: Date },
  features: readonly FeatureProfile[],
  scoredBy: string,
  labels: ReadonlyMap<string, number>,
  predictionFields: Readonly<Record<string, string>> = {},
  onServed?: (features: Record<string, unknown>, served: number) => void,
): Promise<WindowScan> {
  const all = features.map((f) => ({ name: f.name, field: predictionFields[f.name], builder: new ColumnBuilder(f.kind) }));
  const builders = all.filter((b) => b.field === undefined);
  const outputs = all.filter((b) => b.field !== undefined);
  const versions: Record<string, number> = {};
  let scores = new Float64Array(1024);
  let scored = 0;
  let rows = 0;
  const labelled = { labels: [] as number[], scores: [] as number[], unusable: 0 };
  const valued = { labels: [] as number[], values: [] as number[] };
  const addScore = (served: number) => {
    if (scored === scores.length) scores = grown(scores);
    scores[scored++] = served;
  };
  const visit = (record: PredictionRecord) => {
    rows++;
    versions[record.model_version] = (versions[record.model_version] ?? 0) + 1;
    const values = record.features ?? {};
    for (const { name, builder } of builders) builder.add(values[name]);
    if (record.model_version === scoredBy) for (const { field, builder } of outputs) builder.add(record.prediction?.[field!]);
    // What the reference profiles as "scores": a binary model's score, or a regression's value.
    const { score, value } = record.prediction ?? {};
    const served = typeof score === 'number' ? score : typeof value === 'number' ? value : null;
    if (record.model_version !== scoredBy || served === null) return;
    addScore(served);
    onServed?.(values, served);
    const label = labels.get(feedbackId(record.request_id, record.index));
    if (label === undefined) return;
    if (typeof score === 'number') {
      if (label === 0 || label === 1) {
        labelled.labels.push(label);
        labelled.scores.push(score);
      } else labelled.unusable++;
    } else {
      valued.labels.push(label);
      valued.values.push(served);
    }
  };
  // the same reading, a Parquet batch's columns at a time: no record is made
  const visitBatch = (batch: PredictionBatch, fromIso: string, toIso: string) => {
    const n = batch.rows;
    const times = batch.base('time');
    const whole = batch.first !== null && batch.last !== null && batch.first >= fromIso && batch.last <= toIso;
    let keep: Uint8Array | null = null;
    if (!whole) {
      keep = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        const t = times[i] as string;
        if (t >= fromIso && t <= toIso) keep[i] = 1;
      }
    }
    const version = batch.base('model_version');
    const byScorer = new Uint8Array(n);
    let kept = 0;
    for (let i = 0; i < n; i++) {
      if (keep && keep[i] === 0) continue;
      kept++;
      const v = version[i] as string;
      versions[v] = (versions[v] ?? 0) + 1;
      if (v === scoredBy) byScorer[i] = 1;
    }
    if (kept === 0) return;
    rows += kept;
    // a row's features as a record only for the error model, which estimates each served row
    const featureColumns = builders.map(({ name }) => [name, batch.field('features', name)] as const);
    for (const [j, { builder }] of builders.entries()) builder.addColumn(featureColumns[j][1], keep, n);
    for (const { field, builder } of outputs) builder.addColumn(batch.field('prediction', field!), byScorer, n);
    const score = batch.field('prediction', 'score');
    const value = batch.field('prediction', 'value');
    if (!score && !value) return;
    const requestIds = labels.size > 0 ? batch.base('request_id') : null;
    const index = labels.size > 0 ? batch.base('index') : null;
    for (let i = 0; i < n; i++) {
      if (byScorer[i] === 0) continue;
      const s = score?.[i];
      const v = value?.[i];
      const served = typeof s === 'number' ? s : typeof v === 'number' ? v : null;
      if (served === null) continue;
      addScore(served);
      if (onServed) {
        const row: Record<string, unknown> = {};
        for (const [name, column] of featureColumns) row[name] = column?.[i];
        onServed(row, served);
      }
      if (!requestIds) continue;
      const label = labels.get(feedbackId(requestIds[i] as string, Number(index![i])));
      if (label === undefined) continue;
      if (typeof s === 'number') {
        if (label === 0 || label === 1) {
          labelled.labels.push(label);
          labelled.scores.push(s);
        } else labelled.unusable++;
      } else {
        valued.labels.push(label);
        valued.values.push(served);
      }
    }
  };
  const fromIso = window.from.toISOString();
  const toIso = window.to.toISOString();
  const wanted = {
    features: builders.map((b) => b.name),
    prediction: [...new Set([...outputs.map((b) => b.field!), 'score', 'value'])],
    base: labels.size > 0 ? (['time', 'model_version', 'request_id', 'index'] as const) : (['time', 'model_version'] as const),
  };
  // a file whose stored time range misses the window is not decoded (the previous window's pass reads the same days)
  const load = (first: string | null, last: string | null) => first === null || last === null || (last >= fromIso && first <= toIso);
  await forEachObject(ctx, model, window.from, window.to, async (bucket, name) => {
    const read = await readPredictionColumns(ctx, bucket, name, wanted, load);
    if (read === null) return;
    if (!Array.isArray(read)) return visitBatch(read, fromIso, toIso);
    for (const record of read) if (record.time >= fromIso && record.time <= toIso) visit(record);
  });
  return {
    current: {
      rows,
      features: new Map(all.map(({ name, builder }) => [name, builder.build()])),
      scores: scored > 0 ? scores.slice(0, scored) : null,
    },
    versions,
    labelled,
    valued,
  };
}
