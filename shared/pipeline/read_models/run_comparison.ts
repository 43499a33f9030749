import type { Curves } from '../../ml/evaluate';
import { parseManifest } from '../../ml/manifest';
import { ARTIFACT_FILES } from '../artifacts/model_files';
import type { Context } from '../context';
import { checkComparedIds, compareRuns, type ComparedInput, type RunComparison } from './compare_runs';
import { getRun } from './listings';
import { readArtifact } from './run_detail';

/** `GET /api/runs/compare?ids=a,b` and `mloop runs compare a b`: each run with its manifest and curves, side by side. */
export async function runComparison(ctx: Context, ids: string[]): Promise<RunComparison> {
  checkComparedIds(ids);
  const inputs = await Promise.all(
    ids.map(async (id): Promise<ComparedInput> => {
      const run = await getRun(ctx, id);
      const [manifest, curves] = await Promise.all([readArtifact(ctx, run, ARTIFACT_FILES.manifest), readArtifact(ctx, run, ARTIFACT_FILES.curves)]);
      const parsed = manifest === null ? null : parseManifest(manifest);
      return { run, trainer: parsed?.trainer ?? null, algorithm: parsed?.algorithm ?? run.plan?.algorithm ?? run.training?.algorithm ?? null, curves: curves as Curves | null };
    }),
  );
  return compareRuns(inputs);
}

/** The ids of `?ids=a,b,c` (or `?ids=a&ids=b`), trimmed, empty ones dropped. */
export function comparedIds(query: unknown): string[] {
  const raw = Array.isArray(query) ? query : [query];
  return raw.filter((v): v is string => typeof v === 'string').flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
}
