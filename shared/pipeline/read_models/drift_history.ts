import { MloopError } from '../../core/errors';
import { runIdFor } from '../../core/ids';
import type { DriftResult } from '../../monitoring/drift';
import type { Context } from '../context';
import type { RunDoc } from '../store/documents';
import type { DriftReportDoc } from '../store/monitoring_documents';
import { storeOf } from '../store';
import { driftRequestId } from '../usecases/on_drift_detected';

/** Drift reports over time, each with the retraining run it caused, if it caused one. */
export interface DriftHistoryEntry {
  report: DriftReportDoc;
  retrain: { run_id: string; status: RunDoc['status']; model_version: string; promoted: boolean | null } | null;
}

export async function driftHistory(ctx: Context, model?: string): Promise<DriftHistoryEntry[]> {
  const store = storeOf(ctx);
  const reports = await store.driftReports.list({ model });
  return Promise.all(
    reports.map(async (report) => {
      const run = report.event ? await store.runs.get(runIdFor(driftRequestId(report.model, report.id))) : null;
      return {
        report,
        retrain: run ? { run_id: run.id, status: run.status, model_version: run.model_version, promoted: run.promoted ?? null } : null,
      };
    }),
  );
}

/** One report's whole JSON, with the per-feature reference and current histograms. */
export async function driftReportFile(ctx: Context, id: string): Promise<{ report: DriftReportDoc; result: DriftResult | null }> {
  const report = await storeOf(ctx).driftReports.get(id);
  if (!report) throw new MloopError('not_found', `there is no drift report ${id}`);
  const slash = report.files.json.indexOf('/');
  const data = await ctx.platform.objects.get(report.files.json.slice(0, slash), report.files.json.slice(slash + 1));
  return JSON.parse(data.toString('utf8')) as { report: DriftReportDoc; result: DriftResult | null };
}
