import { ColumnBuilder } from '../../data/column_summary';
import type { CurrentData } from '../../monitoring/drift';
import type { FeatureProfile } from '../../monitoring/reference_profile';
import type { Context } from '../context';
import { feedbackId } from '../store/monitoring_documents';
import { predictionObjectPrefix, readPredictionObject, type PredictionRecord } from '../store/prediction_records';

/**
 * Reads the prediction log of a window one object at a time (Parquet batches, and NDJSON ones written
 * before) and hands each record over without keeping it, so a tick over a million logged rows holds
 * columns of numbers, not a million objects.
 */
export async function forEachPrediction(ctx: Context, model: string, from: Date, to: Date, visit: (record: PredictionRecord) => void): Promise<void> {
  const fromIso = from.toISOString();
  const toIso = to.toISOString();
  const { objects } = ctx.platform;
  for (let day = Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate()); day <= to.getTime(); day += 86_400_000) {
    const prefix = predictionObjectPrefix(model, new Date(day).toISOString().slice(0, 10));
    for (const object of await objects.list(ctx.config.artifactsBucket, prefix)) {
      for (const record of await readPredictionObject(ctx, object.bucket, object.name)) {
        if (record.time >= fromIso && record.time <= toIso) visit(record);
      }
    }
  }
}

export interface WindowScan {
  current: CurrentData;
  /** Logged rows per model version. */
  versions: Record<string, number>;
  /** Binary scores of `scoredBy` and the labels (0/1) fed back for them. */
  labelled: { labels: number[]; scores: number[] };
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
  const labelled = { labels: [] as number[], scores: [] as number[] };
  const valued = { labels: [] as number[], values: [] as number[] };
  await forEachPrediction(ctx, model, window.from, window.to, (record) => {
    rows++;
    versions[record.model_version] = (versions[record.model_version] ?? 0) + 1;
    const values = record.features ?? {};
    for (const { name, builder } of builders) builder.add(values[name]);
    if (record.model_version === scoredBy) for (const { field, builder } of outputs) builder.add(record.prediction?.[field!]);
    // What the reference profiles as "scores": a binary model's score, or a regression's value.
    const { score, value } = record.prediction ?? {};
    const served = typeof score === 'number' ? score : typeof value === 'number' ? value : null;
    if (record.model_version !== scoredBy || served === null) return;
    if (scored === scores.length) {
      const bigger = new Float64Array(scores.length * 2);
      bigger.set(scores);
      scores = bigger;
    }
    scores[scored++] = served;
    onServed?.(values, served);
    const label = labels.get(feedbackId(record.request_id, record.index));
    if (label === undefined) return;
    if (typeof score === 'number') {
      if (label === 0 || label === 1) {
        labelled.labels.push(label);
        labelled.scores.push(score);
      }
    } else {
      valued.labels.push(label);
      valued.values.push(served);
    }
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
