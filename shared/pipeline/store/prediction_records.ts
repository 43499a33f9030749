import type { Context } from '../context';
import { decodePredictionBatch, decodePredictionParquet, PARQUET_EXTENSION, type PredictionBatch } from './prediction_parquet';

/**
 * What the monitor reads: one record per scored instance, written in batches under
 * `predictions/dt=YYYY-MM-DD/model=<model>/` in the artifacts bucket, one Parquet file per batch
 * (prediction_parquet.ts); logs written before that are NDJSON files, one line per record, and are read
 * as well. Scoring only appends to a buffer; writing happens in the background, when the buffer is
 * large, and on shutdown, so the request path never waits for storage.
 */
export interface PredictionRecord {
  request_id: string;
  /** Position of the instance in its request: feedback for request r, instance i names (r, i). */
  index: number;
  model: string;
  model_version: string;
  time: string;
  features: Record<string, unknown>;
  prediction: Record<string, unknown>;
  /** Scored by the challenger on a copy of the request; never returned to the caller. */
  shadow?: true;
}

export const PREDICTIONS_PREFIX = 'predictions/';

export function predictionObjectPrefix(model: string, day: string): string {
  return `${PREDICTIONS_PREFIX}dt=${day}/model=${model}/`;
}

/** Shadow scores sit beside, not under, the model's own prefix: drift is measured on served traffic only. */
export function shadowObjectPrefix(model: string, day: string): string {
  return `${PREDICTIONS_PREFIX}dt=${day}/model=${model}@shadow/`;
}

/** The logged predictions of `model` between two instants, oldest first. */
export async function readPredictions(ctx: Context, model: string, from: Date, to: Date): Promise<PredictionRecord[]> {
  const records: PredictionRecord[] = [];
  const fromIso = from.toISOString();
  const toIso = to.toISOString();
  for (let day = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate())); day <= to; day = new Date(day.getTime() + 86_400_000)) {
    const prefix = predictionObjectPrefix(model, day.toISOString().slice(0, 10));
    for (const name of await ctx.platform.objects.listNames(ctx.config.artifactsBucket, prefix)) {
      for (const record of await readPredictionObject(ctx, ctx.config.artifactsBucket, name)) {
        if (record.time >= fromIso && record.time <= toIso) records.push(record);
      }
    }
  }
  return records.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
}

/** The records of one object of the log, a Parquet batch or an NDJSON one (a log written before Parquet). */
export async function readPredictionObject(ctx: Context, bucket: string, name: string): Promise<PredictionRecord[]> {
  const bytes = await ctx.platform.objects.get(bucket, name);
  if (name.endsWith(PARQUET_EXTENSION)) {
    try {
      return await decodePredictionParquet(bytes);
    } catch (err) {
      // as a damaged NDJSON line is: one unreadable batch must not stop the monitoring of the rest
      ctx.log.warn({ object: name, err: err instanceof Error ? err.message : String(err) }, 'prediction log batch skipped: not a readable Parquet file');
      return [];
    }
  }
  return parseNdjsonBatch(ctx, name, bytes.toString('utf8'));
}

/**
 * One object of the log as the columns `wanted` names (a Parquet batch), or as its records (an NDJSON
 * batch, or a Parquet one with rows stored whole); null when it is unreadable or `load` declines its
 * time range.
 */
export async function readPredictionColumns(
  ctx: Context,
  bucket: string,
  name: string,
  wanted: Parameters<typeof decodePredictionBatch>[1],
  load: Parameters<typeof decodePredictionBatch>[2],
): Promise<PredictionBatch | PredictionRecord[] | null> {
  if (!name.endsWith(PARQUET_EXTENSION)) return readPredictionObject(ctx, bucket, name);
  const bytes = await ctx.platform.objects.get(bucket, name);
  try {
    const batch = await decodePredictionBatch(bytes, wanted, load);
    if (batch === 'skipped') return null;
    return batch === 'whole' ? await decodePredictionParquet(bytes) : batch;
  } catch (err) {
    ctx.log.warn({ object: name, err: err instanceof Error ? err.message : String(err) }, 'prediction log batch skipped: not a readable Parquet file');
    return null;
  }
}

/**
 * One NDJSON batch as one JSON array: a single JSON.parse is markedly faster than one per line on a
 * million rows. Batches are written whole (one object each), so a line that does not parse is damage,
 * not a write in progress: then the file is read line by line and the bad lines are skipped and counted.
 */
function parseNdjsonBatch(ctx: Context, name: string, text: string): PredictionRecord[] {
  const body = text.trimEnd();
  if (!body) return [];
  try {
    return JSON.parse(`[${body.replaceAll('\n', ',')}]`) as PredictionRecord[];
  } catch {
    const records: PredictionRecord[] = [];
    let bad = 0;
    for (const line of body.split('\n')) {
      if (!line) continue;
      try {
        records.push(JSON.parse(line) as PredictionRecord);
      } catch {
        bad++;
      }
    }
    ctx.log.warn({ object: name, bad_lines: bad }, 'prediction log lines skipped: they are not JSON');
    return records;
  }
}
