import { z } from 'zod';
import { MloopError } from '../../core/errors';
import type { ObjectFinalized } from '../../core/events';
import { isValidModelName } from '../../core/ids';
import { fieldText } from '../../data/record_cells';
import { readTable } from '../../data/table';
import { openDatasetObject } from '../training/dataset_input';
import type { Context } from '../context';
import type { FeedbackDoc } from '../store/monitoring_documents';
import { storeOf } from '../store';
import { realiseEstimates } from '../monitoring/realised_performance';

/**
 * Labels fed back for scored instances, by request id (and index within a batch request): one document
 * each, keyed by (request id, index), so a label sent twice is stored once and a corrected label
 * replaces the first. The monitoring tick joins them to the prediction log; they are not joined here,
 * because the log is written in the background and a label may arrive before its prediction is stored.
 */
const REQUEST_ID = /^[\w.:-]{1,128}$/;
export const FEEDBACK_PREFIX = 'feedback/';
const FEEDBACK_OBJECT = /^feedback\/([^/]+)\/[^/]+\.(csv|parquet)$/i;
const MAX_ITEMS = 10_000;

// 0/1 (or a boolean) for a binary model, the observed value for a regression: the label does not say which
// model it is for, so any finite number is kept, and each reader takes the labels its task can use
const FeedbackItem = z.strictObject({
  request_id: z.string().regex(REQUEST_ID, 'a request id as the score response gave it ([A-Za-z0-9_.:-], at most 128)'),
  index: z.number().int().nonnegative().default(0),
  label: z.union([z.number().finite(), z.boolean().transform((b) => (b ? 1 : 0))]),
});
export type FeedbackItem = z.output<typeof FeedbackItem>;

/** `POST /feedback` bodies: one `{"request_id","label"[,"index"]}` object, or an array of them. */
export function parseFeedbackBody(body: unknown): FeedbackItem[] {
  const items = Array.isArray(body) ? body : [body];
  if (items.length === 0) throw new MloopError('invalid_argument', 'feedback: expected at least one {"request_id", "label"} object');
  if (items.length > MAX_ITEMS) throw new MloopError('payload_too_large', `feedback: at most ${MAX_ITEMS} labels per request, got ${items.length}`);
  const parsed = z.array(FeedbackItem).safeParse(items);
  if (!parsed.success) {
    const problems = parsed.error.issues.slice(0, 5).map((i) => {
      const [item, ...field] = i.path.map(String);
      return `${Array.isArray(body) ? `[${item}] ` : ''}${field.join('.') || '(body)'}: ${i.message}`;
    });
    throw new MloopError('invalid_argument', `feedback: ${problems.join('; ')} (send {"request_id": "...", "label": 0 or 1 (a regression: the value), "index": n for a batch request})`);
  }
  return parsed.data;
}

/** `model`, when known (a feedback file names it), limits which reports get the realised metric; else every monitored model's. */
export async function recordFeedback(ctx: Context, items: readonly FeedbackItem[], source: string, model?: string): Promise<number> {
  const receivedAt = ctx.platform.clock.now().toISOString();
  const { feedback } = storeOf(ctx);
  for (const item of items) {
    const doc: FeedbackDoc = { request_id: item.request_id, index: item.index, label: item.label, source, received_at: receivedAt };
    await feedback.put(doc);
  }
  await recordRealised(ctx, model);
  return items.length;
}

/** The labels' verdict beside each recent estimate; a failure here must not refuse labels already stored. */
async function recordRealised(ctx: Context, model?: string): Promise<void> {
  try {
    await realiseEstimates(ctx, model);
  } catch (err) {
    ctx.log.warn({ model, err: err instanceof Error ? err.message : String(err) }, 'realised performance not recorded');
  }
}

export type FeedbackFileResult = { outcome: 'ignored'; reason: string } | { outcome: 'recorded'; model: string; labels: number; rejected: number };

export function isFeedbackObject(name: string): boolean {
  return name.startsWith(FEEDBACK_PREFIX);
}

/**
 * A CSV or Parquet file under `feedback/<model>/` in the data bucket, columns request_id,label[,index]: the bulk form of
 * POST /feedback. Rows that do not parse are counted and skipped, the rest recorded.
 */
export async function ingestFeedbackFile(ctx: Context, event: ObjectFinalized): Promise<FeedbackFileResult> {
  if (event.bucket !== ctx.config.dataBucket) return { outcome: 'ignored', reason: `bucket ${event.bucket} is not the data bucket` };
  const match = FEEDBACK_OBJECT.exec(event.name);
  if (!match || !isValidModelName(match[1])) return { outcome: 'ignored', reason: 'feedback files are feedback/<model>/<file>.csv or .parquet' };
  const stream = await openDatasetObject(ctx.platform.objects, { bucket: event.bucket, name: event.name }).catch(() => null);
  if (!stream) return { outcome: 'ignored', reason: `object ${event.name} no longer exists` };
  const items: FeedbackItem[] = [];
  let columns = { request: -1, label: -1, index: -1 };
  const read = await readTable(
    stream,
    (header) => {
      columns = { request: header.indexOf('request_id'), label: header.indexOf('label'), index: header.indexOf('index') };
      if (columns.request < 0 || columns.label < 0) {
        throw new MloopError('invalid_argument', `${event.name}: the header must name request_id and label (and optionally index), got ${header.join(', ')}`);
      }
    },
    (record) => {
      const requestId = fieldText(record, columns.request).trim();
      const label = fieldText(record, columns.label).trim();
      const index = columns.index < 0 ? '0' : fieldText(record, columns.index).trim() || '0';
      if (!REQUEST_ID.test(requestId)) return `request_id "${requestId}" is not a request id`;
      // A Parquet file's boolean label reads as true/false, as POST /feedback takes booleans too.
      const number = label === '' ? NaN : Number(label);
      const bit = label === 'true' ? 1 : label === 'false' ? 0 : Number.isFinite(number) ? number : null;
      if (bit === null) return `label "${label}" is not 0 or 1 (nor a regression's value)`;
      if (!/^\d{1,9}$/.test(index)) return `index "${index}" is not a whole number`;
      items.push({ request_id: requestId, index: Number(index), label: bit });
    },
  ).catch((err: unknown) => {
    if (err instanceof MloopError && err.permanent) return err;
    throw err;
  });
  if (read instanceof MloopError) {
    ctx.log.warn({ object: event.name, err: read.message }, 'feedback file refused');
    return { outcome: 'ignored', reason: read.message };
  }
  await recordFeedback(ctx, items, event.name, match[1]);
  ctx.log.info({ object: event.name, labels: items.length, rejected: read.rejectedCount }, 'feedback file recorded');
  return { outcome: 'recorded', model: match[1], labels: items.length, rejected: read.rejectedCount };
}

/** Labels received since `since`, by feedbackId: those of predictions logged after it, at the latest. */
export async function labelsSince(ctx: Context, since: Date): Promise<Map<string, number>> {
  return storeOf(ctx).feedback.labelsSince(since);
}
