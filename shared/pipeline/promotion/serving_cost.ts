import type { Scorer } from '../../ml/scorer';
import { ARTIFACT_FILES, type HoldoutRow } from '../artifacts/model_files';
import type { Context } from '../context';
import { artifactsPrefix } from '../store/documents';

/**
 * What a candidate would cost the scoring service, measured before it is promoted: the latency of one
 * row (encoding and onnxruntime, one call per row as a live request makes it) over the holdout's rows,
 * and the bytes of the ONNX files an instance must load.
 */
export interface ServingCost {
  p50_ms: number;
  p99_ms: number;
  rows_timed: number;
  model_bytes: number;
}

const WARMUP_CALLS = 50;
const TIMED_CALLS = 1000;

/** Times a scorer the caller opened (and will release); the model files are sized in the bucket. */
export async function measureServingCost(ctx: Context, model: string, version: string, scorer: Scorer, holdout: HoldoutRow[]): Promise<ServingCost> {
  const prefix = artifactsPrefix(model, version);
  const files = [ARTIFACT_FILES.model, ...(scorer.manifest.unsupervised ? [scorer.manifest.unsupervised.file] : [])];
  let bytes = 0;
  for (const file of files) bytes += (await ctx.platform.objects.stat(ctx.config.artifactsBucket, prefix + file))?.size ?? 0;
  const records = holdout.length > 0 ? holdout.map((row) => row.record) : [{}];
  for (let i = 0; i < WARMUP_CALLS; i++) await scorer.scoreRecords([records[i % records.length]]);
  const times = new Float64Array(TIMED_CALLS);
  for (let i = 0; i < TIMED_CALLS; i++) {
    const started = performance.now();
    await scorer.scoreRecords([records[i % records.length]]);
    times[i] = performance.now() - started;
  }
  times.sort();
  return { p50_ms: times[Math.floor(TIMED_CALLS * 0.5)], p99_ms: times[Math.floor(TIMED_CALLS * 0.99)], rows_timed: TIMED_CALLS, model_bytes: bytes };
}
