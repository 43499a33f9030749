import type { Context } from '../context';

/**
 * What the monitor reads: one NDJSON line per scored instance, written in batches under
 * `predictions/dt=YYYY-MM-DD/model=<model>/` in the artifacts bucket. Scoring only appends to a
 * buffer; writing happens in the background, when the buffer is large, and on shutdown, so the
 * request path never waits for storage.
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
    for (const object of await ctx.platform.objects.list(ctx.config.artifactsBucket, prefix)) {
      const text = (await ctx.platform.objects.get(object.bucket, object.name)).toString('utf8');
      for (const line of text.split('\n')) {
        if (!line) continue;
        const record = JSON.parse(line) as PredictionRecord;
        if (record.time >= fromIso && record.time <= toIso) records.push(record);
      }
    }
  }
  return records.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
}
